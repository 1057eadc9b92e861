"""The monitoring services, each started from cold in a fresh state directory, written to with its own
API and read back exactly, restarted (data kept where the real service keeps it) and stopped with no
process left; and one alert pushed through Pushgateway -> Prometheus -> Alertmanager -> receiver.

Start times and resident memory are printed as ``FIGURE`` lines (run with ``-s`` to see them).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from harness.cluster.base import Cluster
from harness.cluster.providers import get_cluster
from harness.errors import HarnessError
from harness.process import free_port
from harness.services.alert_receiver import AlertReceiver
from harness.services.alertmanager import Alertmanager
from harness.services.base import Service
from harness.services.kube_state_metrics import KubeStateMetrics
from harness.services.prometheus import Prometheus
from harness.services.pushgateway import Pushgateway
from harness.waiting import wait_until
from tests.e2e.service_checks import listening_addresses, rss_mib, stop_and_check_gone

pytestmark = pytest.mark.e2e

SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


# --- helpers -----------------------------------------------------------------------------------


def timed_start(service: Service, kind: str) -> int:
    """Start ``service``, print its start time and memory, check it listens on loopback only.

    A failed check stops the service again, so a failing test leaves no process behind.
    """
    started = time.monotonic()
    try:
        service.start()
        return _check_started(service, kind, time.monotonic() - started)
    except BaseException:
        service.stop()
        raise


def _check_started(service: Service, kind: str, seconds: float) -> int:
    pid = service.process.pid
    assert pid is not None
    print(f"FIGURE {service.name} {kind} start {seconds:.2f}s rss {rss_mib(pid):.1f}MiB")
    addresses = listening_addresses(pid)
    assert addresses, f"{service.name} listens nowhere"
    assert all(a.startswith("127.0.0.1:") for a in addresses), addresses
    return pid


def http(method: str, url: str, body: str | None = None) -> str:
    request = urllib.request.Request(url, data=body.encode() if body is not None else None, method=method)
    with urllib.request.urlopen(request, timeout=10) as resp:
        return str(resp.read().decode())


def samples(exposition: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Parse the Prometheus text format into {(name, labels): value}."""
    parsed = {}
    for line in exposition.splitlines():
        match = SAMPLE.match(line)
        if match and not line.startswith("#"):
            labels = frozenset(LABEL.findall(match["labels"] or ""))
            parsed[(match["name"], labels)] = float(match["value"])
    return parsed


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset(labels.items())


# --- fixtures: one cold stack per module, in its own state directory ---------------------------
@pytest.fixture(scope="module")
def stack_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("monitoring-stack")


@pytest.fixture(scope="module")
def pushgateway(stack_root: Path) -> Iterator[Pushgateway]:
    service = Pushgateway(root=stack_root / "pushgateway")
    timed_start(service, "cold")
    yield service
    stop_and_check_gone(service)


@pytest.fixture(scope="module")
def receiver(stack_root: Path) -> Iterator[AlertReceiver]:
    service = AlertReceiver(root=stack_root / "alert-receiver")
    timed_start(service, "cold")
    yield service
    stop_and_check_gone(service)


@pytest.fixture(scope="module")
def alertmanager(stack_root: Path, receiver: AlertReceiver) -> Iterator[Alertmanager]:
    service = Alertmanager(receiver.webhook_url, root=stack_root / "alertmanager")
    timed_start(service, "cold")
    yield service
    stop_and_check_gone(service)


@pytest.fixture(scope="module")
def prometheus(
    stack_root: Path, pushgateway: Pushgateway, alertmanager: Alertmanager
) -> Iterator[Prometheus]:
    service = Prometheus(
        pushgateway=pushgateway.address, alertmanager=alertmanager.address, root=stack_root / "prometheus"
    )
    timed_start(service, "cold")
    yield service
    stop_and_check_gone(service)


# --- tests -------------------------------------------------------------------------------------
PUSHED = """\
# TYPE cronjob_last_success_timestamp_seconds gauge
cronjob_last_success_timestamp_seconds{env="test"} 1763856000
# TYPE cronjob_records_written gauge
cronjob_records_written{env="test",sink="mongodb"} 12345
"""


def test_pushgateway_keeps_pushed_metrics_across_restart(pushgateway: Pushgateway) -> None:
    http("PUT", f"{pushgateway.url}/metrics/job/rucio-daily/instance/cron-1", PUSHED)
    labels = {"env": "test", "job": "rucio-daily", "instance": "cron-1"}
    expected = {
        key("cronjob_last_success_timestamp_seconds", **labels): 1763856000.0,
        key("cronjob_records_written", sink="mongodb", **labels): 12345.0,
    }

    def pushed_now() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        exposed = samples(http("GET", f"{pushgateway.url}/metrics"))
        return {k: v for k, v in exposed.items() if k[0].startswith("cronjob_")}

    assert pushed_now() == expected

    stop_and_check_gone(pushgateway)
    assert Path(pushgateway.persistence_file).stat().st_size > 0
    timed_start(pushgateway, "warm")
    assert pushed_now() == expected


def test_prometheus_scrapes_pushgateway_and_keeps_its_tsdb(
    prometheus: Prometheus, pushgateway: Pushgateway
) -> None:
    group = f"{pushgateway.url}/metrics/job/wma-agent-count"
    http("PUT", group, "# TYPE cronjob_duration_seconds gauge\ncronjob_duration_seconds 42.5\n")
    scraped = wait_until(lambda: prometheus.query("cronjob_duration_seconds"), timeout=30,
                         what="prometheus to scrape the pushed metric")
    # honor_labels keeps the pusher's job label; the empty instance label the Pushgateway adds is dropped.
    assert [(s["metric"], s["value"][1]) for s in scraped] == [
        ({"__name__": "cronjob_duration_seconds", "job": "wma-agent-count"}, "42.5")
    ]
    scraped_at = float(scraped[0]["value"][0])
    assert [t["health"] for t in prometheus.targets() if t["labels"]["job"] == "pushgateway"] == ["up"]

    # Remove the source, so what Prometheus answers after its restart can only come from its TSDB.
    http("DELETE", group)
    stop_and_check_gone(prometheus)
    assert (prometheus.data_dir / "wal").is_dir()
    timed_start(prometheus, "warm")
    after = prometheus.query("cronjob_duration_seconds", at=scraped_at)
    assert [(s["metric"], s["value"][1]) for s in after] == [
        ({"__name__": "cronjob_duration_seconds", "job": "wma-agent-count"}, "42.5")
    ]


# Shaped like the PrometheusRule a job chart renders (cronjob-common's class.prometheusRule).
PROMETHEUS_RULE = {
    "apiVersion": "monitoring.coreos.com/v1",
    "kind": "PrometheusRule",
    "metadata": {"name": "rucio-daily", "namespace": "cms-monitoring"},
    "spec": {"groups": [{
        "name": "cronjob.cms-monitoring.rucio-daily",
        "rules": [{
            "alert": "CronJobFailed",
            "expr": "cronjob_failed == 1",
            "for": "0s",
            "labels": {"severity": "critical", "team": "cms-monitoring"},
            "annotations": {"summary": "Cron job {{ $labels.cronjob }} failed",
                            "runbook_url": "https://runbooks.example/cronjob-failed"},
        }],
    }]},
}


def test_alert_goes_through_alertmanager_to_the_receiver_and_resolves(
    prometheus: Prometheus, pushgateway: Pushgateway, receiver: AlertReceiver
) -> None:
    receiver.clear()
    written = prometheus.write_prometheus_rule(PROMETHEUS_RULE)
    assert written == prometheus.rules_dir / "cms-monitoring-rucio-daily.yml"
    prometheus.reload()
    loaded = [(g["file"], g["name"], [r["name"] for r in g["rules"]]) for g in prometheus.rule_groups()]
    assert loaded == [(str(written), "cronjob.cms-monitoring.rucio-daily", ["CronJobFailed"])]

    group = f"{pushgateway.url}/metrics/job/rucio-daily"
    http("PUT", group, '# TYPE cronjob_failed gauge\ncronjob_failed{cronjob="rucio-daily"} 1\n')
    fired = receiver.wait_for_alert("CronJobFailed", "firing", timeout=60)
    labels = {"alertname": "CronJobFailed", "cronjob": "rucio-daily", "job": "rucio-daily",
              "severity": "critical", "team": "cms-monitoring"}
    annotations = {"summary": "Cron job rucio-daily failed",
                   "runbook_url": "https://runbooks.example/cronjob-failed"}
    assert (fired.labels, fired.annotations) == (labels, annotations)
    assert fired.ends_at == "0001-01-01T00:00:00Z"  # Alertmanager's "not ended"

    http("PUT", group, '# TYPE cronjob_failed gauge\ncronjob_failed{cronjob="rucio-daily"} 0\n')
    resolved = receiver.wait_for_alert("CronJobFailed", "resolved", timeout=60)
    assert (resolved.labels, resolved.annotations) == (labels, annotations)
    assert resolved.starts_at == fired.starts_at
    assert datetime.fromisoformat(resolved.ends_at) > datetime.fromisoformat(resolved.starts_at)


def test_bad_rule_file_is_rejected_by_reload_with_its_name(prometheus: Prometheus) -> None:
    unparsable = "groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: (\n"
    bad = prometheus.write_rules("broken", unparsable)
    try:
        with pytest.raises(HarnessError, match=r"broken\.yml"):
            prometheus.reload()
    finally:
        bad.unlink()
    prometheus.reload()


def test_alertmanager_keeps_silences_across_restart(alertmanager: Alertmanager) -> None:
    amtool = ["amtool", f"--alertmanager.url={alertmanager.url}"]
    created = subprocess.run(
        [*amtool, "silence", "add", "alertname=CronJobFailed", "cronjob=hpc-usage",
         "--comment=maintenance", "--author=harness", "--duration=2h"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()

    def silences() -> list[tuple[str, list[tuple[str, str]], str]]:
        listed = json.loads(http("GET", f"{alertmanager.url}/api/v2/silences"))
        return [(s["id"], sorted((m["name"], m["value"]) for m in s["matchers"]), s["comment"])
                for s in listed if s["status"]["state"] == "active"]

    expected = [(created, [("alertname", "CronJobFailed"), ("cronjob", "hpc-usage")], "maintenance")]
    assert silences() == expected
    stop_and_check_gone(alertmanager)
    timed_start(alertmanager, "warm")
    assert silences() == expected


def test_receiver_keeps_notifications_across_restart(receiver: AlertReceiver) -> None:
    payload = {"status": "firing", "alerts": [
        {"status": "firing", "labels": {"alertname": "Probe"}, "annotations": {},
         "startsAt": "2026-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "1"}]}
    receiver.clear()
    http("POST", receiver.webhook_url, json.dumps(payload))
    assert receiver.notifications() == [payload]
    stop_and_check_gone(receiver)
    timed_start(receiver, "warm")
    assert receiver.notifications() == [payload]
    assert [a.name for a in receiver.alerts(status="firing")] == ["Probe"]


# --- kube-state-metrics ------------------------------------------------------------------------
def test_kube_state_metrics_without_a_cluster_fails_clearly(stack_root: Path) -> None:
    missing = KubeStateMetrics(stack_root / "no-such.kubeconfig", root=stack_root / "ksm-missing")
    with pytest.raises(HarnessError, match=r"no-such\.kubeconfig does not exist.*harness cluster up"):
        missing.start()

    # A kubeconfig whose API server does not answer: kube-state-metrics exits and says why.
    nowhere = stack_root / "nowhere.kubeconfig"
    nowhere.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "nowhere",
        "clusters": [{"name": "nowhere", "cluster": {"server": f"https://127.0.0.1:{free_port()}"}}],
        "users": [{"name": "nobody", "user": {"token": "unused"}}],
        "contexts": [{"name": "nowhere", "context": {"cluster": "nowhere", "user": "nobody"}}],
    }))
    unreachable = KubeStateMetrics(nowhere, root=stack_root / "ksm-unreachable")
    with pytest.raises(HarnessError, match=r"kube-state-metrics exited during start-up(.|\n)*"
                                           r"error while trying to communicate with apiserver"):
        unreachable.start()
    assert not unreachable.process.running()


NAMESPACE = "ksm-e2e"
OBJECTS = f"""\
apiVersion: v1
kind: Namespace
metadata:
  name: {NAMESPACE}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-report
  namespace: {NAMESPACE}
spec:
  schedule: "0 3 * * *"
  concurrencyPolicy: Forbid
  suspend: true
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{{name: main, image: localhost/none:0, command: ["true"]}}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: manual-run
  namespace: {NAMESPACE}
spec:
  suspend: true
  template:
    spec:
      restartPolicy: Never
      containers: [{{name: main, image: localhost/none:0, command: ["true"]}}]
"""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """The default cluster, started if it is not up (and stopped again afterwards, data kept)."""
    chosen = get_cluster()
    was_up = all(row.healthy for row in chosen.status())
    chosen.up()
    yield chosen
    if not was_up:
        chosen.down()


def test_kube_state_metrics_exports_the_clusters_jobs(
    cluster: Cluster, stack_root: Path, prometheus: Prometheus
) -> None:
    # Suspended: no pod is created, so no image is ever pulled.
    cluster.kubectl("apply", "-f", "-", input_text=OBJECTS)
    try:
        ksm = KubeStateMetrics(cluster.kubeconfig, root=stack_root / "kube-state-metrics")
        timed_start(ksm, "cold")
        expected = {
            key("kube_cronjob_info", namespace=NAMESPACE, cronjob="nightly-report", schedule="0 3 * * *",
                concurrency_policy="Forbid", timezone="local"): 1.0,
            key("kube_cronjob_spec_suspend", namespace=NAMESPACE, cronjob="nightly-report"): 1.0,
            key("kube_job_spec_completions", namespace=NAMESPACE, job_name="manual-run"): 1.0,
            key("kube_namespace_status_phase", namespace=NAMESPACE, phase="Active"): 1.0,
        }

        def exported() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
            everything = samples(ksm.metrics())
            return {k: v for k, v in everything.items() if k in expected}

        assert wait_until(lambda: exported() == expected, timeout=30, what="the objects in KSM's metrics",
                          describe=lambda: str(exported()))

        prometheus.set_targets("kube-state-metrics", [ksm.address])
        scraped = wait_until(lambda: prometheus.query(f'kube_cronjob_info{{namespace="{NAMESPACE}"}}'),
                             timeout=60, what="prometheus to scrape kube-state-metrics")
        assert [(s["metric"]["cronjob"], s["metric"]["job"], s["value"][1]) for s in scraped] == [
            ("nightly-report", "kube-state-metrics", "1")
        ]

        # Nothing to persist: after a restart it rebuilds the same state from the API server.
        stop_and_check_gone(ksm)
        timed_start(ksm, "warm")
        assert wait_until(lambda: exported() == expected, timeout=30, what="the objects after restart",
                          describe=lambda: str(exported()))
        stop_and_check_gone(ksm)
        prometheus.set_targets("kube-state-metrics", [])
    finally:
        cluster.kubectl("delete", "namespace", NAMESPACE, "--wait=false")
