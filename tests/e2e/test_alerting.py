"""The library chart's alerts and dashboard against the real monitoring stack in the cluster under test.

The stack is production's chain (harness/monitoring/operator.py, docs/alerting.md): prometheus-operator with
the Prometheus and Alertmanager it manages, kube-state-metrics and a webhook receiver, in the namespace
``cronharness-monitoring``; Prometheus also scrapes the test services' Pushgateway in the cluster. Each test
installs ``charts/cronjob-common/test-chart`` (helm upgrade --install) into its own namespace, with the
alerting test app (``tests/e2e/alerting/app``: exits 0 or 1, sleeps, pushes to the Pushgateway by its Service
name, chosen by environment) and no host network. The rendered PrometheusRule carries the labels the stack's
Prometheus selects rules by, so it reaches Prometheus the way production's does: through the operator. The
test runs the job through the harness and waits for the alert at the webhook receiver; the host reads
Prometheus and the receiver through the API server, so the file runs on any provider. Test values shrink
``for`` durations and windows so the whole file runs in minutes. The receiver and Prometheus are shared, so
every check filters by the test's namespace (never ``clear()``); the namespace's deletion removes the rule and
each test deletes its Pushgateway group at teardown.

Namespaces are named after the test (the ``namespace`` fixture), so a re-run reuses the name while the
receiver's history and Prometheus' TSDB remember the previous run: each install therefore uses a fresh release
name, which makes the CronJob's name, the ``cronjob`` label and the Pushgateway job unique per run.

Latencies (job failure -> alert at the receiver) are printed as ``FIGURE`` lines (run with ``-s``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from harness import jobrun
from harness.charts.render import build_dependencies, helm_binary
from harness.checks.volume import create_claim
from harness.cluster.base import Cluster
from harness.deploy import build_and_load, image_values
from harness.jobrun import JobResult
from harness.kube import Kube
from harness.monitoring import SESSION_RESOURCE
from harness.monitoring.operator import (
    NAMESPACE,
    PROMETHEUS,
    ClusterPrometheus,
    ClusterReceiver,
    OperatorStack,
    installed,
)
from harness.monitoring.operator import install as install_stack
from harness.paths import REPO_ROOT
from harness.services.alert_receiver import ReceivedAlert
from harness.services.alertmanager import MANUAL_RECEIVER, SCHEDULED_RECEIVER
from harness.services.incluster import ClusterServices, Endpoint
from harness.sessions import SessionRegistry
from harness.waiting import wait_until

pytestmark = pytest.mark.e2e

APP = Path(__file__).resolve().parent / "alerting" / "app"
CHART = REPO_ROOT / "charts" / "cronjob-common" / "test-chart"
IMAGE_REPOSITORY = "localhost/cronharness/alerting-app"
# Due on 1 January only: the controller schedules no run of its own while a test runs; every run is
# triggered by the test. Windows and limits are set explicitly per test instead of from this period.
QUIET_SCHEDULE = "0 0 1 1 *"
RUNBOOKS = "https://cmsmonit-docs.web.cern.ch/cronjobs/runbooks"
JOB_TIMEOUT = 120.0
# The operator's external label on every alert: which Prometheus (<namespace>/<name>) sent it.
SENT_BY = {"prometheus": f"{NAMESPACE}/{PROMETHEUS}"}


# --- fixtures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stack:
    """The monitoring stack in the cluster and the Pushgateway it scrapes."""

    monitoring: OperatorStack
    pushgateway: Endpoint

    @property
    def prometheus(self) -> ClusterPrometheus:
        return self.monitoring.prometheus

    @property
    def receiver(self) -> ClusterReceiver:
        return self.monitoring.receiver


@pytest.fixture(scope="module")
def stack(cluster: Cluster, cluster_services: ClusterServices, test_sessions: SessionRegistry) -> Stack:
    """The stack, installed (or brought up to date) once; the last session out removes it if a session
    installed it."""
    was_installed = installed(cluster)
    monitoring = install_stack(cluster)
    if not was_installed:
        test_sessions.mark_started(SESSION_RESOURCE)
    return Stack(monitoring, cluster_services.get("pushgateway"))


@pytest.fixture(scope="module")
def app_image(cluster: Cluster) -> dict[str, str]:
    """Build the test app on the python base, load it into the cluster; return the chart's image values."""
    ref, _ = build_and_load(cluster, APP, IMAGE_REPOSITORY, "python")
    image: dict[str, str] = image_values(ref)["image"]
    return image


@dataclass
class Release:
    """The test chart installed in one namespace, its rule group loaded by the stack's Prometheus."""

    namespace: str
    cronjob: str
    push_job: str
    manifest: list[dict[str, Any]]
    upgrade: Callable[[dict[str, Any]], None]

    def kind(self, kind: str) -> dict[str, Any]:
        found = [d for d in self.manifest if d["kind"] == kind]
        assert len(found) == 1, f"expected one {kind} in the release, got {len(found)}"
        return found[0]


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def alerts_values(**per_alert: dict[str, Any]) -> dict[str, Any]:
    return {"metrics": {"prometheusRule": {"alerts": per_alert}}}


@pytest.fixture
def install(cluster: Cluster, namespace: str, stack: Stack, app_image: dict[str, str]) -> Iterator[
        Callable[[dict[str, Any]], Release]]:
    """install(values) -> Release: helm upgrade --install the test chart; wait until the operator-managed
    Prometheus evaluates its rule group."""
    helm = helm_binary(3)
    build_dependencies(CHART, helm)
    release_name = f"a{uuid.uuid4().hex[:8]}"
    push_job = f"{release_name}-{namespace}"
    base: dict[str, Any] = {
        "cronjob": {"schedule": QUIET_SCHEDULE},
        "image": app_image,
        "metrics": {"pushgateway": {"url": stack.pushgateway.job_url, "job": push_job, "instance": "e2e"},
                    # the labels the stack's Prometheus selects rules by (production's)
                    "prometheusRule": {"labels": dict(stack.monitoring.selector)}},
    }

    def helm_upgrade(values: dict[str, Any]) -> list[dict[str, Any]]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "values.yaml"
            path.write_text(yaml.safe_dump(deep_merge(base, values)))
            done = subprocess.run(
                [helm, "upgrade", "--install", release_name, str(CHART), "--namespace", namespace,
                 "--kubeconfig", str(cluster.kubeconfig), "-f", str(path)],
                capture_output=True, text=True, check=False, timeout=180)
        assert done.returncode == 0, f"helm upgrade --install failed: {done.stderr}"
        shown = subprocess.run([helm, "get", "manifest", release_name, "--namespace", namespace,
                                "--kubeconfig", str(cluster.kubeconfig)],
                               capture_output=True, text=True, check=True, timeout=60)
        return [d for d in yaml.safe_load_all(shown.stdout) if d]

    def rule_spec(manifest: list[dict[str, Any]]) -> Any:
        return next(d for d in manifest if d["kind"] == "PrometheusRule")["spec"]

    def _install(values: dict[str, Any]) -> Release:
        manifest = helm_upgrade(values)
        stack.monitoring.wait_rule_group(rule_spec(manifest)["groups"][0]["name"])
        release = Release(namespace, "", push_job, manifest, lambda v: None)
        release.cronjob = release.kind("CronJob")["metadata"]["name"]

        def upgrade(new_values: dict[str, Any]) -> None:
            manifest = helm_upgrade(deep_merge(values, new_values))
            # An upgrade that changed the rule would leave Prometheus on the old one for a while.
            assert rule_spec(manifest) == rule_spec(release.manifest), "upgrades in these tests keep the rule"
            release.manifest = manifest

        release.upgrade = upgrade
        return release

    yield _install
    request = urllib.request.Request(f"{stack.pushgateway.url}/metrics/job/{push_job}/instance/e2e",
                                     method="DELETE")
    with urllib.request.urlopen(request, timeout=10):
        pass


# --- helpers -----------------------------------------------------------------------------------


def run(kube: Kube, release: Release, outcome: str) -> JobResult:
    result = jobrun.run(kube, release.namespace, release.cronjob, timeout=JOB_TIMEOUT)
    assert result.outcome == outcome, result.summary()
    return result


def finished_at(kube: Kube, namespace: str, job_name: str) -> float:
    """Unix time the job's main container terminated (the API gives whole seconds)."""
    pods = kube.plain(kube.core.list_namespaced_pod(namespace, label_selector=f"job-name={job_name}"))["items"]
    ends = [c["state"]["terminated"]["finishedAt"] for p in pods for c in p["status"].get("containerStatuses", [])
            if c["name"] == "main" and c.get("state", {}).get("terminated")]
    assert ends, f"no terminated main container in job {namespace}/{job_name}"
    return parse_time(ends[-1])


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def ours(labels: dict[str, str] | Any, release: Release) -> bool:
    return bool(labels.get("namespace") == release.namespace and labels.get("cronjob") == release.cronjob)


def received(stack: Stack, name: str, release: Release, status: str | None = None) -> list[ReceivedAlert]:
    return [a for a in stack.receiver.alerts(name, status) if ours(a.labels, release)]


def wait_received(stack: Stack, name: str, release: Release, status: str = "firing", *, timeout: float = 120,
                  after: int = 0) -> tuple[ReceivedAlert, float]:
    """Wait for notification number ``after + 1`` of alert ``name`` with ``status`` for the release's CronJob.

    Returns:
        The alert and the Unix time the test saw it at the receiver (polled every 0.2 s).
    """
    def probe() -> ReceivedAlert | None:
        found = received(stack, name, release, status)
        return found[after] if len(found) > after else None

    def describe() -> str:
        got = [(a.name, a.status) for a in stack.receiver.alerts() if ours(a.labels, release)]
        pending = [(a["labels"]["alertname"], a["state"]) for a in prometheus_alerts(stack, release)]
        scraped = stack.prometheus.query(f"kube_cronjob_status_last_successful_time{cronjob_selector(release)}")
        success = [s["value"][1] for s in scraped]
        return (f"received: {got or 'nothing'}; Prometheus holds {pending or 'nothing'}; "
                f"last success as scraped: {success or 'none'} (now {time.time():.0f})")

    where = f"{release.namespace}/{release.cronjob}"
    alert = wait_until(probe, timeout=timeout, what=f"alert {name} ({status}) for {where} at the receiver",
                       interval=0.2, describe=describe)
    return alert, time.time()


def cronjob_selector(release: Release) -> str:
    """The PromQL label matcher of the release's CronJob series (kube-state-metrics' cronjob metrics)."""
    return f'{{namespace="{release.namespace}", cronjob="{release.cronjob}"}}'


def prometheus_alerts(stack: Stack, release: Release, name: str | None = None) -> list[dict[str, Any]]:
    return [a for a in stack.prometheus.alerts()
            if ours(a["labels"], release) and (name is None or a["labels"]["alertname"] == name)]


def wait_in_prometheus(stack: Stack, query: str, timeout: float = 30) -> list[dict[str, Any]]:
    """Wait until ``query`` returns a series (the data has been scraped)."""
    found: list[dict[str, Any]] = wait_until(lambda: stack.prometheus.query(query) or None, timeout=timeout,
                                             what=f"{query} in Prometheus")
    return found


def delete_job(kube: Kube, namespace: str, name: str) -> None:
    kube.batch.delete_namespaced_job(name, namespace, propagation_policy="Background")

    def gone() -> bool:
        try:
            kube.batch.read_namespaced_job(name, namespace)
        except ApiException as exc:
            return bool(exc.status == 404)
        return False

    wait_until(gone, timeout=60, what=f"job {namespace}/{name} deleted")


# --- tests -------------------------------------------------------------------------------------


def test_failed_manual_run_fires_routed_as_manual_and_resolves_after_a_later_success(
        install: Callable[[dict[str, Any]], Release], kube: Kube, stack: Stack) -> None:
    release = install(deep_merge({"env": {"MODE": "fail"}}, alerts_values(CronJobFailed={"for": "5s"})))
    ns, cj = release.namespace, release.cronjob

    # The harness triggers runs like `kubectl create job --from`: a manual run.
    failed = run(kube, release, "failed")
    assert failed.exit_code == 1
    failure = finished_at(kube, ns, failed.name)
    alert, seen = wait_received(stack, "CronJobFailed", release)
    held = prometheus_alerts(stack, release, "CronJobFailed")

    assert dict(alert.labels) == {**SENT_BY, "alertname": "CronJobFailed", "cronjob": cj, "namespace": ns,
                                  "job_name": failed.name, "owner_name": cj, "run": "manual",
                                  "severity": "critical"}
    assert alert.receiver == MANUAL_RECEIVER
    assert alert.annotations["summary"] == f"Cron job {ns}/{cj}: manual run {failed.name} failed"
    assert alert.annotations["runbook_url"] == f"{RUNBOOKS}#cronjobfailed"
    assert alert.annotations["description"].startswith(f"Job {ns}/{failed.name} (manual run of CronJob {cj}) failed")
    assert alert.annotations["logs"] == (f"kubectl -n {ns} logs job/{failed.name} --all-containers --timestamps; "
                                         f"once its pods are gone: harness logs {cj} --run {failed.name}")
    # Latency breakdown: failure -> pending (Job Failed condition, kube-state-metrics watch, scrape,
    # evaluation), pending -> firing (`for`, counted in evaluation ticks), firing -> receiver (send + group_wait).
    active_at = parse_time(held[0]["activeAt"]) if held else float("nan")
    fired_at = parse_time(alert.starts_at)
    conditions = kube.plain(kube.batch.read_namespaced_job(failed.name, ns))["status"]["conditions"]
    job_failed = next(parse_time(c["lastTransitionTime"]) for c in conditions if c["type"] == "Failed")
    print(f"FIGURE CronJobFailed for=5s: failure->receiver {seen - failure:.1f}s "
          f"(failure->Job Failed condition {job_failed - failure:.0f}s, "
          f"failure->pending {active_at - failure:.1f}s, pending->firing {fired_at - active_at:.1f}s, "
          f"firing->receiver {seen - fired_at:.1f}s; finishedAt has 1 s resolution)")
    assert 5 <= seen - failure < 30

    # Fix the cause and re-run: the later success resolves the alert by itself; the failed Job stays.
    release.upgrade({"env": {"MODE": "succeed"}})
    succeeded = run(kube, release, "succeeded")
    resolved, seen = wait_received(stack, "CronJobFailed", release, "resolved", timeout=60)
    assert resolved.labels["job_name"] == failed.name
    assert prometheus_alerts(stack, release, "CronJobFailed") == []
    assert kube.plain(kube.batch.read_namespaced_job(failed.name, ns))["status"]["failed"] == 1
    completed = parse_time(kube.plain(kube.batch.read_namespaced_job(succeeded.name, ns))["status"]["completionTime"])
    print(f"FIGURE CronJobFailed resolved by a later success: success->receiver {seen - completed:.1f}s")


def test_failure_then_success_on_retry_raises_no_alert(
        install: Callable[[dict[str, Any]], Release], cluster: Cluster, kube: Kube, stack: Stack,
        namespace: str) -> None:
    # backoffLimit 1: the first pod fails, the Job's retry succeeds (the app remembers the first try in a
    # claim both pods mount). `for: 0s`: any match would fire at once.
    create_claim(cluster, namespace, "state", size="16Mi")
    release = install(deep_merge({
        "job": {"backoffLimit": 1},
        "env": {"MODE": "fail-once", "STATE_DIR": "/state"},
        "persistence": {"state": {"type": "pvc", "claimName": "state", "mountPath": "/state"}},
    }, alerts_values(CronJobFailed={"for": "0s"})))
    ns = release.namespace
    result = run(kube, release, "succeeded")
    job = kube.plain(kube.batch.read_namespaced_job(result.name, ns))
    assert (job["status"]["failed"], job["status"]["succeeded"]) == (1, 1)
    # Prometheus has the failed pod and the completed Job; the rule must then be evaluated on that data.
    selector = f'namespace="{ns}", job_name="{result.name}"'
    wait_in_prometheus(stack, f"kube_job_status_failed{{{selector}}} == 1")
    wait_in_prometheus(stack, f'kube_job_complete{{{selector}, condition="true"}} == 1')
    group = f"cronjob.{ns}.{release.cronjob}"
    scraped = time.time()
    wait_until(lambda: rule_group_evaluated_after(stack, group, scraped + 1), timeout=30,
               what=f"rule group {group} evaluated on the scraped data")
    assert prometheus_alerts(stack, release, "CronJobFailed") == []
    assert received(stack, "CronJobFailed", release) == []


def rule_group_evaluated_after(stack: Stack, group: str, when: float) -> bool:
    return any(g["name"] == group and parse_time(g["lastEvaluation"]) > when for g in stack.prometheus.rule_groups())


# Three minutes of waiting on real schedules: make test-all (promtool's tests check the rule on every edge).
@pytest.mark.matrix
def test_no_recent_success_fires_when_never_succeeded_and_when_success_is_too_old(
        install: Callable[[dict[str, Any]], Release], kube: Kube, stack: Stack) -> None:
    # The success must stay fresher than the window while it travels job controller -> CronJob controller ->
    # kube-state-metrics -> scrape -> rule evaluation -> Alertmanager -> receiver: with 20 s a slow pass flipped
    # it back to firing before "resolved" was sent, with 45 s a loaded CI run never resolved it (both seen once).
    window = 90
    release = install(deep_merge({"env": {"MODE": "fail"}},
                                 alerts_values(CronJobNoRecentSuccess={"windowSeconds": window})))
    ns, cj = release.namespace, release.cronjob
    created = parse_time(release_cronjob(kube, release)["metadata"]["creationTimestamp"])
    run(kube, release, "failed")

    # Never succeeded: no last-success series exists, the CronJob's age decides.
    alert, seen = wait_received(stack, "CronJobNoRecentSuccess", release, timeout=window + 60)
    assert dict(alert.labels) == {**SENT_BY, "alertname": "CronJobNoRecentSuccess", "cronjob": cj, "namespace": ns,
                                  "severity": "critical"}
    assert alert.annotations["summary"] == f"Cron job {ns}/{cj} has not succeeded for more than {window}s"
    assert alert.annotations["runbook_url"] == f"{RUNBOOKS}#cronjobnorecentsuccess"
    selector = cronjob_selector(release)
    assert stack.prometheus.query(f"kube_cronjob_status_last_successful_time{selector}") == []
    assert len(stack.prometheus.query(f"kube_cronjob_created{selector}")) == 1
    assert parse_time(alert.starts_at) - created >= window
    print(f"FIGURE CronJobNoRecentSuccess never succeeded, window {window}s: created->receiver {seen - created:.1f}s")

    # A success resolves it ...
    release.upgrade({"env": {"MODE": "succeed"}})
    succeeded = run(kube, release, "succeeded")
    wait_received(stack, "CronJobNoRecentSuccess", release, "resolved", timeout=window)
    # The CronJob's lastSuccessfulTime is the Job's completionTime (set by the job controller).
    success = parse_time(kube.plain(kube.batch.read_namespaced_job(succeeded.name, ns))["status"]["completionTime"])
    # ... and only failures afterwards make it fire again once the success is older than the window.
    release.upgrade({"env": {"MODE": "fail"}})
    run(kube, release, "failed")
    again, seen = wait_received(stack, "CronJobNoRecentSuccess", release, timeout=window + 60, after=1)
    last_success = stack.prometheus.query(f"kube_cronjob_status_last_successful_time{selector}")
    assert len(last_success) == 1
    assert float(last_success[0]["value"][1]) == pytest.approx(success, abs=1)
    assert parse_time(again.starts_at) - success >= window
    print(f"FIGURE CronJobNoRecentSuccess stale success, window {window}s: success->receiver {seen - success:.1f}s")


def release_cronjob(kube: Kube, release: Release) -> dict[str, Any]:
    cronjob: dict[str, Any] = kube.plain(kube.batch.read_namespaced_cron_job(release.cronjob, release.namespace))
    return cronjob


def test_suspended_cronjob_fires_and_misses_no_run(
        install: Callable[[dict[str, Any]], Release], kube: Kube, stack: Stack) -> None:
    # Due every minute, 10 s start deadline (the missed-run grace): while suspended, no due run is missed.
    release = install(deep_merge({"cronjob": {"schedule": "*/1 * * * *", "suspend": True,
                                              "startingDeadlineSeconds": 10}},
                                 alerts_values(CronJobSuspended={"for": "5s"})))
    ns, cj = release.namespace, release.cronjob
    alert, _ = wait_received(stack, "CronJobSuspended", release, timeout=60)
    assert dict(alert.labels) == {**SENT_BY, "alertname": "CronJobSuspended", "cronjob": cj, "namespace": ns,
                                  "severity": "warning"}
    assert alert.receiver == SCHEDULED_RECEIVER
    assert alert.annotations["summary"] == f"Cron job {ns}/{cj} is suspended"
    assert alert.annotations["runbook_url"] == f"{RUNBOOKS}#cronjobsuspended"
    assert alert.annotations["logs"].startswith(f"kubectl -n {ns} logs -l app.kubernetes.io/instance=")
    # The first due time after creation passes, then the grace and two evaluations: still no missed run.
    created = parse_time(release_cronjob(kube, release)["metadata"]["creationTimestamp"])
    first_due = (int(created) // 60 + 1) * 60
    while time.time() < first_due + 10 + 5:
        time.sleep(1)
    assert release_cronjob(kube, release).get("status", {}).get("lastScheduleTime") is None
    assert prometheus_alerts(stack, release, "CronJobMissedSchedule") == []
    # Suspended on purpose is neither "no recent success" nor a missed run.
    assert received(stack, "CronJobNoRecentSuccess", release) == []
    assert received(stack, "CronJobMissedSchedule", release) == []


# Three minutes of waiting on real schedules: make test-all (promtool's tests check the rule on every edge).
@pytest.mark.matrix
def test_run_that_could_not_start_fires_missed_schedule_until_a_later_run_starts(
        install: Callable[[dict[str, Any]], Release], kube: Kube, stack: Stack) -> None:
    # Due every minute, concurrencyPolicy Forbid, start deadline 20 s (the missed-run grace). The first
    # scheduled run sleeps 100 s: the controller cannot start the next one while it runs, and when it ends
    # that one's deadline has passed, so it is missed; the one after starts and the alert resolves.
    release = install(deep_merge({"cronjob": {"schedule": "*/1 * * * *", "concurrencyPolicy": "Forbid",
                                              "startingDeadlineSeconds": 20},
                                  "env": {"MODE": "succeed", "SLEEP_SECONDS": "100"}},
                                 alerts_values(CronJobMissedSchedule={"for": "0s"})))
    ns, cj = release.namespace, release.cronjob
    alert, seen = wait_received(stack, "CronJobMissedSchedule", release, timeout=180)
    assert dict(alert.labels) == {**SENT_BY, "alertname": "CronJobMissedSchedule", "cronjob": cj, "namespace": ns,
                                  "severity": "warning"}
    assert alert.annotations["summary"].startswith(f"Cron job {ns}/{cj}: a run due ")
    assert alert.annotations["runbook_url"] == f"{RUNBOOKS}#cronjobmissedschedule"
    status = release_cronjob(kube, release)["status"]
    assert len(status.get("active", [])) == 1, "the first scheduled run must still be active"
    missed = parse_time(status["lastScheduleTime"]) + 60  # the due time after the run that is still active
    assert parse_time(alert.starts_at) - missed >= 20
    print(f"FIGURE CronJobMissedSchedule grace 20s: due time->receiver {seen - missed:.1f}s")

    resolved, _ = wait_received(stack, "CronJobMissedSchedule", release, "resolved", timeout=120)
    later = parse_time(release_cronjob(kube, release)["status"]["lastScheduleTime"])
    assert later >= missed + 60, "the missed run stays missed; a later one starts"
    assert parse_time(resolved.ends_at) >= later


def test_run_past_its_limit_fires_running_too_long(
        install: Callable[[dict[str, Any]], Release], kube: Kube, stack: Stack) -> None:
    limit = 10
    release = install(deep_merge({"env": {"MODE": "succeed", "SLEEP_SECONDS": "300"}},
                                 alerts_values(CronJobRunningTooLong={"maxDurationSeconds": limit})))
    ns, cj = release.namespace, release.cronjob
    job_name = jobrun.trigger(kube, ns, cj)
    alert, seen = wait_received(stack, "CronJobRunningTooLong", release, timeout=90)
    job = kube.plain(kube.batch.read_namespaced_job(job_name, ns))
    started = parse_time(job["status"]["startTime"])
    assert job["status"].get("active") == 1, "the run must still be active when the alert fires"
    assert dict(alert.labels) == {**SENT_BY, "alertname": "CronJobRunningTooLong", "cronjob": cj, "namespace": ns,
                                  "job_name": job_name, "owner_name": cj, "run": "manual", "severity": "warning"}
    assert alert.annotations["summary"] == (f"Cron job {ns}/{cj}: run {job_name} has been running longer "
                                            f"than {limit}s")
    assert alert.annotations["runbook_url"] == f"{RUNBOOKS}#cronjobrunningtoolong"
    assert parse_time(alert.starts_at) - started >= limit
    print(f"FIGURE CronJobRunningTooLong limit {limit}s: job start->receiver {seen - started:.1f}s")
    delete_job(kube, ns, job_name)


def test_stale_pushgateway_data_fires_push_stale(
        install: Callable[[dict[str, Any]], Release], kube: Kube, stack: Stack) -> None:
    # The shortest period the chart derives is one minute; suspended, so the controller starts no run and
    # the single push below stays the last one (CronJobSuspended is off: not what this test is about).
    release = install({
        "cronjob": {"schedule": "*/1 * * * *", "suspend": True},
        "env": {"MODE": "succeed", "PUSH": "1"},
        "metrics": {"pushgateway": {"staleAfterPeriods": 1},
                    "prometheusRule": {"alerts": {"CronJobSuspended": {"enabled": False}}}},
    })
    ns, cj = release.namespace, release.cronjob
    run(kube, release, "succeeded")
    pushed = wait_in_prometheus(stack, f'push_time_seconds{{job="{release.push_job}"}}')
    push_time = float(pushed[0]["value"][1])
    alert, seen = wait_received(stack, "CronJobPushStale", release, timeout=150)
    assert dict(alert.labels) == {**SENT_BY, "alertname": "CronJobPushStale", "cronjob": cj, "namespace": ns,
                                  "job": release.push_job, "severity": "warning"}
    assert alert.annotations["summary"] == f"Cron job {ns}/{cj}: last Pushgateway push is older than 60s"
    assert alert.annotations["runbook_url"] == f"{RUNBOOKS}#cronjobpushstale"
    assert parse_time(alert.starts_at) - push_time >= 60
    print(f"FIGURE CronJobPushStale threshold 60s: push->receiver {seen - push_time:.1f}s")


@pytest.mark.fault
def test_a_run_whose_pushes_are_lost_succeeds_and_push_stale_still_fires(
        install: Callable[[dict[str, Any]], Release], kube: Kube, stack: Stack) -> None:
    """A run pushes; the next run's pushes are refused (the Pushgateway is unreachable) and it still succeeds;
    CronJobPushStale fires once the last push that arrived is older than its threshold, the later successful
    run notwithstanding."""
    values: dict[str, Any] = {
        "cronjob": {"schedule": "*/1 * * * *", "suspend": True},
        "env": {"MODE": "succeed", "PUSH": "1"},
        "metrics": {"pushgateway": {"staleAfterPeriods": 1},
                    "prometheusRule": {"alerts": {"CronJobSuspended": {"enabled": False}}}},
    }
    release = install(values)
    run(kube, release, "succeeded")
    pushed = wait_in_prometheus(stack, f'push_time_seconds{{job="{release.push_job}"}}')
    push_time = float(pushed[0]["value"][1])
    down = "http://127.0.0.1:1"  # port 1 of the pod's own loopback: every push is refused
    # The rule's description names the URL, so this is a new install of the release, not a rule-keeping upgrade.
    install(deep_merge(values, {"metrics": {"pushgateway": {"url": down}}}))
    lost = run(kube, release, "succeeded")
    assert "could not push metrics" in "".join(lost.logs.values()), lost.summary()
    assert finished_at(kube, release.namespace, lost.name) > push_time  # a success after the last push
    alert, seen = wait_received(stack, "CronJobPushStale", release, timeout=150)
    assert dict(alert.labels)["job"] == release.push_job
    assert parse_time(alert.starts_at) - push_time >= 60
    print(f"FIGURE fault Pushgateway unreachable for a run: the run succeeded; CronJobPushStale reached the "
          f"receiver {seen - push_time:.1f}s after the last push that arrived")


def test_healthy_job_raises_no_alert(install: Callable[[dict[str, Any]], Release], kube: Kube, stack: Stack) -> None:
    # A real minute job: the controller runs it every minute, every run succeeds and pushes. Its
    # thresholds are the ones derived from the schedule (no recent success and push stale after 2 periods,
    # too long after 1), with the short `for` of the other tests.
    release = install(deep_merge({"cronjob": {"schedule": "*/1 * * * *"}, "env": {"MODE": "succeed", "PUSH": "1"}},
                                 alerts_values(CronJobFailed={"for": "5s"}, CronJobSuspended={"for": "5s"})))
    ns, cj = release.namespace, release.cronjob
    run(kube, release, "succeeded")
    observed_from = time.monotonic()
    selector = cronjob_selector(release)
    # Silence must come from rules that see the job's data, not from missing data.
    for query in (f"kube_cronjob_created{selector}", f"kube_cronjob_status_last_successful_time{selector}",
                  f'push_time_seconds{{job="{release.push_job}"}}'):
        wait_in_prometheus(stack, query)

    def scheduled_run_done() -> bool:
        status = release_cronjob(kube, release).get("status", {})
        return bool(status.get("lastScheduleTime")) and not status.get("active")

    while time.monotonic() - observed_from < 75 or not scheduled_run_done():
        assert prometheus_alerts(stack, release) == []
        assert [(a.name, a.status) for a in stack.receiver.alerts() if ours(a.labels, release)] == []
        assert time.monotonic() - observed_from < 150, "the controller started no scheduled run in time"
        time.sleep(2)
    groups = [g for g in stack.prometheus.rule_groups() if g["name"] == f"cronjob.{ns}.{cj}"]
    assert len(groups) == 1
    assert {(r["name"], r["health"], r["state"]) for r in groups[0]["rules"]} == {
        (name, "ok", "inactive") for name in ("CronJobFailed", "CronJobRunningTooLong", "CronJobNoRecentSuccess",
                                              "CronJobMissedSchedule", "CronJobSuspended", "CronJobPushStale")}


def dashboard_panels(release: Release) -> dict[str, str]:
    """Panel title -> PromQL of every panel of the release's dashboard ConfigMap."""
    configmap = next(d for d in release.manifest if d["kind"] == "ConfigMap"
                     and d["metadata"]["name"].endswith("-dashboard"))
    (text,) = configmap["data"].values()
    panels: dict[str, str] = {}
    for panel in json.loads(text)["panels"]:
        (target,) = panel["targets"]
        panels[panel["title"]] = target["expr"]
    return panels


def test_every_dashboard_panel_answers_for_the_job(
        install: Callable[[dict[str, Any]], Release], kube: Kube, stack: Stack) -> None:
    release = install({"env": {"MODE": "succeed", "PUSH": "1"}})
    succeeded = run(kube, release, "succeeded")
    release.upgrade({"env": {"MODE": "fail", "PUSH": "1"}})
    failed = run(kube, release, "failed")
    panels = dashboard_panels(release)
    assert len(panels) >= 5
    # Wait until Prometheus has scraped both runs and the push; then every panel must answer at once.
    ns = release.namespace
    for query in (f'kube_job_status_completion_time{{namespace="{ns}", job_name="{succeeded.name}"}}',
                  f'kube_job_failed{{namespace="{ns}", job_name="{failed.name}", condition="true"}} == 1',
                  f'kube_cronjob_status_last_successful_time{{namespace="{ns}", cronjob="{release.cronjob}"}}',
                  f'push_time_seconds{{job="{release.push_job}"}}'):
        wait_in_prometheus(stack, query)

    # An invalid query raises (HarnessError with Prometheus' message); an empty answer fails below.
    results = {title: stack.prometheus.query(expr) for title, expr in panels.items()}
    empty = [f"{title}: {panels[title]}" for title, series in results.items() if not series]
    assert empty == [], "dashboard panels without a series for the job"
    # The panel values agree with what happened: one success, then one failure, nothing running.
    values = {title: [float(s["value"][1]) for s in series] for title, series in results.items()}
    assert 0 <= values["Time since last success"][0] < 120
    assert [s["metric"].get("job_name") for s in results["Run duration"]] == [succeeded.name]
    assert 0 < values["Run duration"][0] < JOB_TIMEOUT
    assert values["Failed runs"] == [1.0]
    assert values["Active runs"] == [0.0]
    assert 0 <= values["Time since last Pushgateway push"][0] < 120


def test_status_cli_shows_firing_alerts_next_to_the_cronjob(
        install: Callable[[dict[str, Any]], Release], cluster: Cluster, kube: Kube, stack: Stack) -> None:
    release = install(deep_merge({"cronjob": {"suspend": True}, "env": {"MODE": "fail"}},
                                 alerts_values(CronJobFailed={"for": "0s"}, CronJobSuspended={"for": "0s"})))
    ns, cj = release.namespace, release.cronjob
    run(kube, release, "failed")
    wait_until(lambda: {a["labels"]["alertname"] for a in prometheus_alerts(stack, release)
                        if a["state"] == "firing"} == {"CronJobFailed", "CronJobSuspended"},
               timeout=60, what="CronJobFailed and CronJobSuspended firing in Prometheus")
    # No --prometheus: the CLI finds the monitoring stack's Prometheus in the cluster by itself.
    done = subprocess.run(
        [sys.executable, "-m", "harness", "status", "--cluster", cluster.provider],
        capture_output=True, text=True, check=False, timeout=120, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    # The CLI prints its table on stderr (harness.console); rich may wrap long cells over several lines.
    row = table_row(done.stderr, cj)
    assert row[:2] == [ns, cj]
    assert row[3] == "yes"  # suspended
    assert row[-2] == "failed"  # last outcome
    assert row[-1] == "CronJobFailed,CronJobSuspended"


def table_row(text: str, key: str) -> list[str]:
    """The cells (spaces removed) of the rich table row whose second cell is ``key``, wrapped lines joined."""
    lines = [[c.strip() for c in line.strip()[1:-1].split("│")] for line in text.splitlines()
             if line.startswith("│")]
    joined: list[list[str]] = []
    for cells in lines:
        if joined and cells[0] == "":  # a continuation line of the row above (every row has a namespace)
            joined[-1] = [a + b for a, b in zip(joined[-1], cells, strict=True)]
        else:
            joined.append(cells)
    rows = [[c.replace(" ", "") for c in cells] for cells in joined]
    found = [cells for cells in rows if cells[1] == key]
    assert len(found) == 1, f"no single row for {key} in:\n{text}"
    return found[0]
