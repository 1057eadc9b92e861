"""Faults injected during real runs, and what the harness makes of them (issue 20's suite, first cases).

Each test runs the library's test chart (``tests/e2e/chart_release.py``: the alerting app, which sleeps and
then exits 0 or 1 as told) and injects one fault into the local cluster while the harness waits for the
verdict:

- the API server stopped and started again: the wait rides it out and gives the run's own verdict;
- the API server down past the wait's deadline: the wait ends at the deadline and says why, it never hangs;
- the kubelet, or containerd, stopped and started again while the run's container runs: the verdict is the run's.

The faults are process restarts of the local provider's components (``LocalCluster.process``, then ``up()``,
which starts what is not running, as a user's ``harness cluster up`` does), so the file runs on the local
provider only. Seconds are printed as ``FIGURE`` lines (``-s``); docs/faults.md has the table.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from harness import jobrun
from harness.cluster.base import Cluster
from harness.cluster.local import LocalCluster
from harness.errors import HarnessTimeout
from harness.kube import Kube
from tests.e2e import chart_release
from tests.e2e.markers import needs_local_cluster

pytestmark = [pytest.mark.e2e, pytest.mark.fault, needs_local_cluster]


@pytest.fixture(scope="module")
def image(cluster: Cluster) -> dict[str, str]:
    return chart_release.app_image(cluster)


@pytest.fixture
def cronjob(cluster: Cluster, namespace: str, image: dict[str, str]) -> Callable[[dict[str, str]], str]:
    """cronjob(env) -> the name of a CronJob running the app with ``env`` (MODE, SLEEP_SECONDS), no retries."""
    def _install(env: dict[str, str]) -> str:
        return chart_release.install(cluster, namespace, {"image": image, "env": env, "job": {"backoffLimit": 0}})

    return _install


@pytest.fixture
def local(cluster: Cluster, kube: Kube, namespace: str, cronjob: Callable[[dict[str, str]], str]) -> Iterator[
        LocalCluster]:
    """The local cluster; afterwards brought back up whatever the test stopped, and proven to run a new Job again
    (after an API server restart the controllers' watches back off for up to a minute: the next test must not
    pay for this one), before the test's namespace is deleted."""
    if not isinstance(cluster, LocalCluster):
        pytest.skip(f"injects faults into the local provider's processes; the cluster is {cluster.provider}'s")
    yield cluster
    started = time.monotonic()
    cluster.up()
    probe = jobrun.run(kube, namespace, cronjob({"MODE": "succeed"}), timeout=300)
    assert probe.succeeded, f"the cluster does not run a Job after the fault: {probe.summary()}"
    print(f"FIGURE fault recovery: a new Job ran to success {time.monotonic() - started:.1f}s after the test ended")


class Restart:
    """Stop a component of the local cluster ``after`` seconds, start everything again ``down`` seconds later
    (in a thread); the times it stopped and was back."""

    def __init__(self, cluster: LocalCluster, component: str, *, after: float, down: float) -> None:
        self.stopped_at = self.back_at = self.back_wall = 0.0
        self.error: BaseException | None = None

        def run() -> None:
            try:
                time.sleep(after)
                cluster.process(component).stop()
                self.stopped_at = time.monotonic()
                time.sleep(down)
                cluster.up()
                self.back_at, self.back_wall = time.monotonic(), time.time()
            except BaseException as exc:  # reported by join()
                self.error = exc

        self._thread = threading.Thread(target=run, name=f"restart-{component}", daemon=True)
        self._thread.start()

    def join(self) -> None:
        self._thread.join(timeout=300)
        if self.error is not None:
            raise self.error
        assert self.back_at, "the component was not back within 300 s"


def run_through(kube: Kube, namespace: str, cronjob: str, fault: Callable[[], Restart]) -> tuple[
        jobrun.JobResult, Restart, float]:
    """Trigger a run, start ``fault``, wait for the verdict; the result, the fault and when the wait ended."""
    job = jobrun.trigger(kube, namespace, cronjob)
    started = time.monotonic()
    restart = fault()
    result = jobrun.wait(kube, namespace, job, timeout=240, started=started)
    ended = time.monotonic()
    restart.join()
    return result, restart, ended


def timeline(kube: Kube, namespace: str, job: str, back_wall: float) -> str:
    """When, after the component was back, the run's container ended (as its node reported) and the Job got its
    verdict condition (as the Job controller set it); the API gives whole seconds."""
    conditions = kube.plain(kube.batch.read_namespaced_job(job, namespace))["status"]["conditions"]
    decided = max(parse_time(c["lastTransitionTime"]) for c in conditions if c["status"] == "True")
    pods = kube.plain(kube.core.list_namespaced_pod(namespace, label_selector=f"job-name={job}"))["items"]
    ended = max(parse_time(c["state"]["terminated"]["finishedAt"]) for p in pods
                for c in p["status"].get("containerStatuses", []) if c["state"].get("terminated"))
    return (f"container ended {ended - back_wall:+.0f}s, Job condition {decided - back_wall:+.0f}s "
            "from the component's return")


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_the_wait_rides_out_an_api_server_restart_and_gives_the_runs_verdict(
        local: LocalCluster, kube: Kube, namespace: str, cronjob: Callable[[dict[str, Any]], str]) -> None:
    name = cronjob({"MODE": "fail", "SLEEP_SECONDS": "25"})
    result, restart, ended = run_through(kube, namespace, name,
                                         lambda: Restart(local, "kube-apiserver", after=5, down=5))

    assert result.outcome == "failed", result.summary()
    assert result.exit_code == 1
    assert "failing on purpose" in "".join(result.logs.values())
    assert restart.stopped_at < restart.back_at < ended  # the API server was away during the wait
    print(f"FIGURE fault kube-apiserver restart: away {restart.back_at - restart.stopped_at:.1f}s during the wait; "
          f"verdict failed (exit 1) {ended - restart.back_at:.1f}s after it was back "
          f"({timeline(kube, namespace, result.name, restart.back_wall)})")


def test_a_wait_whose_api_server_stays_down_ends_at_its_deadline_and_says_why(
        local: LocalCluster, kube: Kube, namespace: str, cronjob: Callable[[dict[str, Any]], str]) -> None:
    name = cronjob({"MODE": "succeed", "SLEEP_SECONDS": "60"})
    job = jobrun.trigger(kube, namespace, name)
    local.process("kube-apiserver").stop()
    started = time.monotonic()
    with pytest.raises(HarnessTimeout, match=r"the API server has not answered for \d+s") as raised:
        jobrun.wait(kube, namespace, job, timeout=10)
    waited = time.monotonic() - started
    assert waited < 10 + 5, f"the wait ended {waited:.1f}s after it began, past its 10 s deadline"
    print(f"FIGURE fault kube-apiserver down past the deadline: the 10 s wait ended after {waited:.1f}s: "
          f"{raised.value}")


@pytest.mark.parametrize("component", ["kubelet", "containerd"])
def test_a_node_component_restart_during_a_run_keeps_the_runs_verdict(
        component: str, local: LocalCluster, kube: Kube, namespace: str,
        cronjob: Callable[[dict[str, Any]], str]) -> None:
    """The kubelet, or the container runtime, stopped 8 s into a 25 s run and started 5 s later: the container
    runs on (its containerd shim outlives both) and the verdict is the run's."""
    name = cronjob({"MODE": "succeed", "SLEEP_SECONDS": "25"})
    result, restart, ended = run_through(kube, namespace, name, lambda: Restart(local, component, after=8, down=5))

    assert result.outcome == "succeeded", result.summary()
    assert result.exit_code == 0
    assert "alerting-app: done" in "".join(result.logs.values())
    assert restart.stopped_at < restart.back_at < ended
    print(f"FIGURE fault {component} restart: away {restart.back_at - restart.stopped_at:.1f}s while the container "
          f"ran; verdict succeeded {ended - restart.back_at:.1f}s after it was back "
          f"({timeline(kube, namespace, result.name, restart.back_wall)})")
