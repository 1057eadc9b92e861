"""The library chart's alerts as production loads them: through prometheus-operator (harness/monitoring).

The stack runs in the namespace ``cronharness-monitoring``: prometheus-operator built from its pinned Go
module, the Prometheus and Alertmanager it manages (bookworm's packages), kube-state-metrics and a webhook
receiver. Its Prometheus selects PrometheusRules by the labels values/prod and values/preprod give them
(``metrics.prometheusRule.labels``), in every namespace, as kube-prometheus-stack does. Each test installs the
test chart with values/prod/_env.yaml under the test's own values (as Argo CD layers a production job) into its
own namespace; nothing hands the rule to Prometheus but the operator. So a PrometheusRule whose labels do not
match production's selector fails here, and a selector that matched everything would fail the negative test.

The host reads Prometheus' API and the receiver through the API server's service proxy. ``FIGURE`` lines
(run with ``-s``) give the stack's install time, rule pick-up time and failure-to-receiver latency.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness import jobrun
from harness.charts.discover import VALUES_DIR
from harness.charts.render import build_dependencies, helm_binary
from harness.cluster.base import Cluster
from harness.deploy import build_and_load, image_values
from harness.kube import Kube
from harness.monitoring import SESSION_RESOURCE
from harness.monitoring.operator import NAMESPACE, PROMETHEUS, OperatorStack, install, installed
from harness.services.alertmanager import MANUAL_RECEIVER
from harness.sessions import SessionRegistry
from harness.waiting import wait_until
from tests.e2e.test_alerting import (
    APP,
    CHART,
    IMAGE_REPOSITORY,
    JOB_TIMEOUT,
    QUIET_SCHEDULE,
    alerts_values,
    deep_merge,
    finished_at,
    parse_time,
)

pytestmark = pytest.mark.e2e

PRODUCTION = VALUES_DIR / "prod" / "_env.yaml"


@pytest.fixture(scope="module")
def stack(cluster: Cluster, test_sessions: SessionRegistry) -> OperatorStack:
    """The monitoring stack, installed (or brought up to date) once; the last session out removes it if a
    session installed it."""
    was_installed = installed(cluster)
    stack = install(cluster)
    if not was_installed:
        test_sessions.mark_started(SESSION_RESOURCE)
    for name, seconds in stack.seconds.items():
        print(f"FIGURE operator stack {name}: {seconds:.1f}s")
    return stack


@pytest.fixture(scope="module")
def app_values(cluster: Cluster) -> dict[str, Any]:
    """The alerting test app (built on the python base, loaded into the cluster) as chart values."""
    ref, _ = build_and_load(cluster, APP, IMAGE_REPOSITORY, "python")
    return image_values(ref)


Install = Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]


@pytest.fixture
def install_chart(cluster: Cluster, namespace: str, app_values: dict[str, Any]) -> Iterator[Install]:
    """install(values) -> (CronJob name, PrometheusRule): the test chart with production's environment values,
    then the app image and a schedule that never comes due, then ``values``; a fresh release each call."""
    helm = helm_binary(3)
    build_dependencies(CHART, helm)
    base = deep_merge({"cronjob": {"schedule": QUIET_SCHEDULE}}, app_values)

    def _install(values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        release = f"o{uuid.uuid4().hex[:8]}"
        kubeconfig = ["--namespace", namespace, "--kubeconfig", str(cluster.kubeconfig)]
        with tempfile.TemporaryDirectory() as tmp:
            test_values = Path(tmp) / "test-values.yaml"
            test_values.write_text(yaml.safe_dump(deep_merge(base, values)))
            done = subprocess.run([helm, "install", release, str(CHART), *kubeconfig, "-f", str(PRODUCTION),
                                   "-f", str(test_values)], capture_output=True, text=True, check=False, timeout=180)
        assert done.returncode == 0, f"helm install failed: {done.stderr}"
        shown = subprocess.run([helm, "get", "manifest", release, *kubeconfig], capture_output=True, text=True,
                               check=True, timeout=60)
        objects = {d["kind"]: d for d in yaml.safe_load_all(shown.stdout) if d}
        return objects["CronJob"]["metadata"]["name"], objects["PrometheusRule"]

    yield _install


def group_name(namespace: str, cronjob: str) -> str:
    return f"cronjob.{namespace}.{cronjob}"


def wait_rule_loaded(stack: OperatorStack, namespace: str, cronjob: str) -> dict[str, Any]:
    """Wait until Prometheus has loaded and evaluated the CronJob's rule group; return it."""
    return stack.wait_rule_group(group_name(namespace, cronjob))


def loaded_groups(stack: OperatorStack, namespace: str) -> set[str]:
    return {g["name"] for g in stack.prometheus.rule_groups() if g["name"].startswith(f"cronjob.{namespace}.")}


def test_rule_rendered_with_production_values_is_loaded(stack: OperatorStack, install_chart: Install,
                                                        namespace: str) -> None:
    created = time.time()
    cronjob, rule = install_chart({})
    # The rendered object carries production's labels, so the operator hands it to Prometheus.
    assert stack.selector.items() <= rule["metadata"]["labels"].items()
    group = wait_rule_loaded(stack, namespace, cronjob)
    print(f"FIGURE operator path: PrometheusRule created->rule group evaluated {time.time() - created:.1f}s")
    assert {r["name"] for r in group["rules"]} == {
        "CronJobFailed", "CronJobRunningTooLong", "CronJobNoRecentSuccess", "CronJobMissedSchedule",
        "CronJobSuspended", "CronJobPushStale"}
    assert {r["health"] for r in group["rules"]} == {"ok"}


def test_rule_without_the_selector_labels_is_not_loaded(stack: OperatorStack, install_chart: Install,
                                                        namespace: str) -> None:
    # Same chart and values, but the rule's selector labels are changed: production's Prometheus ignores it.
    other = {key: f"not-{value}" for key, value in stack.selector.items()}
    ignored, rule = install_chart({"metrics": {"prometheusRule": {"labels": other}}})
    assert rule["metadata"]["labels"].items() >= other.items()
    # A matching rule created afterwards: once it is loaded, the operator has seen the other one too (it
    # rebuilds the rule files from every selected rule on each change).
    selected, _ = install_chart({})
    wait_rule_loaded(stack, namespace, selected)
    assert loaded_groups(stack, namespace) == {group_name(namespace, selected)}
    assert group_name(namespace, ignored) != group_name(namespace, selected)


def test_failed_run_alert_reaches_the_receiver_through_the_operator(
        stack: OperatorStack, install_chart: Install, kube: Kube, namespace: str) -> None:
    cronjob, _ = install_chart(deep_merge({"env": {"MODE": "fail"}}, alerts_values(CronJobFailed={"for": "5s"})))
    wait_rule_loaded(stack, namespace, cronjob)
    failed = jobrun.run(kube, namespace, cronjob, timeout=JOB_TIMEOUT)
    assert failed.outcome == "failed", failed.summary()
    failure = finished_at(kube, namespace, failed.name)

    def arrived() -> Any:
        return next((a for a in stack.receiver.alerts("CronJobFailed", "firing")
                     if a.labels.get("namespace") == namespace and a.labels.get("cronjob") == cronjob), None)

    alert = wait_until(arrived, timeout=120, interval=0.2, what=f"CronJobFailed for {namespace}/{cronjob} at the "
                       "in-cluster receiver")
    seen = time.time()
    # Production's routing labels (values/prod/_env.yaml alertLabels) ride on the alert, and the operator's
    # external label naming the Prometheus (<namespace>/<name>); a manual run takes its own route.
    assert dict(alert.labels) == {"alertname": "CronJobFailed", "cronjob": cronjob, "namespace": namespace,
                                  "job_name": failed.name, "owner_name": cronjob, "run": "manual",
                                  "severity": "critical", "team": "cms-monitoring",
                                  "receiver": "cms-monitoring-oncall", "env": "prod",
                                  "prometheus": f"{NAMESPACE}/{PROMETHEUS}"}
    assert alert.receiver == MANUAL_RECEIVER
    assert alert.annotations["runbook_url"] == "https://cmsmonit-docs.web.cern.ch/cronjobs/runbooks#cronjobfailed"
    fired = parse_time(alert.starts_at)
    print(f"FIGURE operator path CronJobFailed for=5s: failure->receiver {seen - failure:.1f}s "
          f"(failure->firing {fired - failure:.1f}s, firing->receiver {seen - fired:.1f}s; "
          "finishedAt has 1 s resolution)")
    assert 5 <= seen - failure < 60
