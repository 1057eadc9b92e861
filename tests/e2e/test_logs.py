"""Every run's log lines kept after its pods are gone: the log collector in the cluster (harness/monitoring/logs.py).

The collector (the OpenTelemetry Collector built from Go modules, one pod per node) ships the lines of pods the
library chart labels (``logs.collect``) to the test services' OpenSearch in the cluster. Each test installs
``charts/cronjob-common/test-chart`` with a shell printing known lines, a TTL of 0 (the Job and its pod are
deleted the moment the run finishes) and a fresh release name (so re-runs in a namespace of the same name never
see an earlier run's lines), runs it through the harness, waits until the Job and its pod are gone, and reads the
lines back, as ``harness logs`` does and with ``harness logs`` itself.

The delivery delay (the run's last line written -> every line searchable) is printed as a ``FIGURE`` line (``-s``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from harness import jobrun
from harness.cluster.base import Cluster
from harness.kube import Kube
from harness.monitoring import LOGS_SESSION_RESOURCE
from harness.monitoring import logs as collector
from harness.monitoring.logs import LABEL, LogLine, LogStore
from harness.services.incluster import ClusterServices, Endpoint
from harness.services.opensearch import opensearch_client
from harness.sessions import SessionRegistry
from harness.waiting import wait_until
from tests.e2e import chart_release

pytestmark = pytest.mark.e2e

LINES = 300


@pytest.fixture(scope="module")
def opensearch(cluster: Cluster, cluster_services: ClusterServices, test_sessions: SessionRegistry) -> Endpoint:
    """The in-cluster OpenSearch with the collector shipping to it, installed (or brought up to date) once; the
    last session out removes the collector if a session installed it."""
    endpoint = cluster_services.get("opensearch")
    was_installed = collector.installed(cluster)
    collector.install(cluster, endpoint.job_url, opensearch_client(endpoint))
    if not was_installed:
        test_sessions.mark_started(LOGS_SESSION_RESOURCE)
    return endpoint


@pytest.fixture(scope="module")
def image(cluster: Cluster) -> dict[str, str]:
    return chart_release.app_image(cluster)


@pytest.fixture
def install(cluster: Cluster, namespace: str, opensearch: Endpoint, image: dict[str, str]) -> Callable[
        [str, dict[str, Any]], str]:
    """install(script, values) -> the CronJob's name: the test chart running ``sh -c script`` with a TTL of 0."""
    def _install(script: str, values: dict[str, Any]) -> str:
        return chart_release.install(cluster, namespace, {
            "job": {"ttlSecondsAfterFinished": 0, "backoffLimit": 0},
            "image": image, "command": ["sh", "-c", script], **values})

    return _install


def numbered_lines(count: int) -> str:
    """A script printing ``count`` JSON lines (n = 1..count) on stdout, then one plain line on stderr."""
    return (f'i=1; while [ $i -le {count} ]; do echo "{{\\"level\\":\\"info\\",\\"msg\\":\\"line\\",\\"n\\":$i}}"; '
            'i=$((i+1)); done; echo "done, plain text" >&2')


def expected_lines(count: int) -> list[str]:
    return [json.dumps({"level": "info", "msg": "line", "n": n}, separators=(",", ":")) for n in range(1, count + 1)] \
        + ["done, plain text"]


def wait_deleted(kube: Kube, namespace: str, job: str) -> None:
    """Wait until the TTL controller has deleted the Job and, with it, its pods."""
    def gone() -> bool:
        try:
            kube.batch.read_namespaced_job(job, namespace)
            return False
        except ApiException as exc:
            if exc.status != 404:
                raise
        return not kube.core.list_namespaced_pod(namespace, label_selector=f"job-name={job}").items

    wait_until(gone, timeout=60, what=f"job {namespace}/{job} and its pods deleted by the TTL")


def parse_time(text: str) -> float:
    """Unix time of an RFC 3339 timestamp with up to nanoseconds (microseconds kept)."""
    head, _, rest = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(rest + '000000')[:6]}+00:00").timestamp()


def wait_lines(store: LogStore, cronjob: str, job: str, count: int, timeout: float = 60) -> float:
    """Poll (every 0.2 s) until ``count`` lines of the run are searchable; return when they were."""
    found: list[list[LogLine]] = []

    def probe() -> bool:
        found[:] = [store.lines(cronjob, run=job)]
        return len(found[0]) >= count

    wait_until(probe, timeout=timeout, interval=0.2, what=f"{count} kept lines of run {job}",
               describe=lambda: f"{len(found[0]) if found else 0} kept so far")
    return time.time()


def test_a_sub_second_run_deleted_by_its_ttl_keeps_every_line_in_order(
        install: Callable[[str, dict[str, Any]], str], kube: Kube, namespace: str, opensearch: Endpoint) -> None:
    cronjob = install(numbered_lines(LINES), {"logs": {"collect": True}})
    pod_labels = kube.plain(kube.batch.read_namespaced_cron_job(cronjob, namespace))[
        "spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert pod_labels[LABEL] == cronjob

    job = jobrun.trigger(kube, namespace, cronjob)
    store = LogStore(opensearch_client(opensearch))
    searchable = wait_lines(store, cronjob, job, LINES + 1)
    wait_deleted(kube, namespace, job)

    # Still all there once the Job and its pod are gone, each once, in the order written. (The runtime reads
    # stdout and stderr apart: where the stderr line falls among the others is its choice, as `kubectl logs`
    # shows too; each stream's own order is the program's.)
    kept = store.lines(cronjob, run=job, namespace=namespace)
    assert [line.line for line in kept if line.stream == "stdout"] == expected_lines(LINES)[:-1]
    assert [line.line for line in kept if line.stream == "stderr"] == expected_lines(LINES)[-1:]
    assert len(kept) == LINES + 1
    assert {(line.namespace, line.cronjob, line.job, line.container) for line in kept} == {
        (namespace, cronjob, job, "main")}
    assert len({line.pod for line in kept}) == 1 and kept[0].pod.startswith(f"{job}-")
    # jobkit-style JSON lines are parsed into fields; the plain line has none (it may come first: see above)
    stdout = [line for line in kept if line.stream == "stdout"]
    assert [line.fields.get("n") for line in stdout[:3]] == [1, 2, 3]
    assert stdout[0].fields["msg"] == "line"
    assert [line.fields for line in kept if line.stream == "stderr"] == [{}]

    written = max(parse_time(line.timestamp) for line in kept) - parse_time(kept[0].timestamp)
    assert written < 1, f"the run wrote its lines over {written:.3f}s; this test is about a sub-second run"
    delay = searchable - max(parse_time(line.timestamp) for line in kept)
    print(f"FIGURE log delivery: last line written -> all {LINES + 1} lines searchable {delay:.2f}s "
          f"(the run wrote them in {written * 1000:.0f} ms; polled every 0.2 s)")


def test_harness_logs_prints_a_deleted_run_and_only_collected_pods_are_kept(
        install: Callable[[str, dict[str, Any]], str], kube: Kube, namespace: str, opensearch: Endpoint) -> None:
    collected = install("echo first; echo second; exit 3", {"logs": {"collect": True}})
    # The same job without the label: the collector drops its lines.
    dropped = install("echo not kept", {"logs": {"collect": False}})
    runs = {cronjob: jobrun.trigger(kube, namespace, cronjob) for cronjob in (collected, dropped)}
    store = LogStore(opensearch_client(opensearch))
    wait_lines(store, collected, runs[collected], 2)
    for job in runs.values():
        wait_deleted(kube, namespace, job)

    shown = subprocess.run(
        [sys.executable, "-m", "harness", "logs", collected, "--run", runs[collected], "--namespace", namespace,
         "--opensearch", opensearch.url], capture_output=True, text=True, check=False, timeout=60)
    assert shown.returncode == 0, shown.stderr
    printed = shown.stdout.splitlines()
    assert [line.split(" ", 2)[2] for line in printed] == ["first", "second"]
    assert all(line.split(" ", 2)[1].startswith(f"{runs[collected]}-") and line.split(" ", 2)[1].endswith("/main")
               for line in printed)
    bare = subprocess.run(
        [sys.executable, "-m", "harness", "logs", collected, "--no-prefix", "--opensearch", opensearch.url],
        capture_output=True, text=True, check=True, timeout=60)
    assert bare.stdout == "first\nsecond\n"

    # A run of a pod without the label: nothing kept, and `harness logs` says so and fails.
    time.sleep(2)  # ten poll intervals: had its line been shipped, it would be searchable by now
    assert store.lines(dropped) == []
    missing = subprocess.run(
        [sys.executable, "-m", "harness", "logs", dropped, "--opensearch", opensearch.url],
        capture_output=True, text=True, check=False, timeout=60)
    assert missing.returncode == 1
    assert f"no kept log lines of CronJob {dropped}" in missing.stderr
