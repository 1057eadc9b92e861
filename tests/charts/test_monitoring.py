"""PrometheusRule, ServiceMonitor, PodMonitor and the Grafana dashboard."""

from __future__ import annotations

import json
from typing import Any

from tests.charts.conftest import Render

DEFAULT_ALERTS = ["CronJobFailed", "CronJobMissedSchedule", "CronJobNoRecentSuccess", "CronJobPushStale",
                  "CronJobRunningTooLong", "CronJobSuspended"]


def _rules(objects: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    groups = objects["PrometheusRule"]["spec"]["groups"]
    return {r.get("alert") or r["record"]: r for g in groups for r in g["rules"]}


def test_default_alerts_all_have_runbook_summary_and_severity(render: Render) -> None:
    rules = _rules(render())
    assert sorted(rules) == DEFAULT_ALERTS
    for name, rule in rules.items():
        assert rule["annotations"]["runbook_url"].endswith(f"#{name.lower()}")
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["labels"]["cronjob"] == "t-test-chart" and rule["labels"]["namespace"] == "default"
        assert rule["annotations"]["logs"].startswith("kubectl -n default logs ")
        assert "harness logs t-test-chart" in rule["annotations"]["logs"]


def test_per_run_alerts_say_whether_the_run_was_manual(render: Render) -> None:
    rules = _rules(render())
    for name in ("CronJobFailed", "CronJobRunningTooLong"):
        expr = rules[name]["expr"]
        assert "group_left (owner_name, run)" in expr
        assert 'annotation_cronjob_kubernetes_io_instantiate="manual"' in expr
        assert '"run", "manual"' in expr and '"run", "scheduled"' in expr
        assert "--run {{ $labels.job_name }}" in rules[name]["annotations"]["logs"]
    # The Job's Failed condition, not failed pods; a later success ends it.
    assert 'kube_job_failed{namespace="default", condition="true"}' in rules["CronJobFailed"]["expr"]
    assert "kube_job_status_failed" not in rules["CronJobFailed"]["expr"]
    assert "kube_cronjob_status_last_successful_time" in rules["CronJobFailed"]["expr"]


def test_missed_schedule_grace_follows_the_start_deadline(render: Render) -> None:
    def grace(values: dict[str, Any]) -> str:
        expr: str = _rules(render(values))["CronJobMissedSchedule"]["expr"]
        return expr.split(" > ", 1)[1].split()[0]

    assert grace({}) == "300"  # the library's startingDeadlineSeconds
    assert grace({"cronjob": {"startingDeadlineSeconds": 45}}) == "45"
    assert grace({"cronjob": {"startingDeadlineSeconds": None}}) == "300"
    missed = {"metrics": {"prometheusRule": {"alerts": {"CronJobMissedSchedule": {"graceSeconds": 0}}}}}
    assert grace(missed) == "0"  # a user's 0 is kept


def test_alert_overrides_per_name(render: Render) -> None:
    rules = _rules(render({"metrics": {"prometheusRule": {
        "alertLabels": {"team": "cms"},
        "runbookBaseUrl": "https://runbooks.example/cron",
        "alerts": {"CronJobFailed": {"severity": "warning", "for": "15m", "labels": {"page": "no"},
                                     "annotations": {"summary": "custom"}},
                   "CronJobSuspended": {"enabled": False}},
    }}}))
    assert "CronJobSuspended" not in rules
    failed = rules["CronJobFailed"]
    assert failed["for"] == "15m" and failed["labels"]["severity"] == "warning"
    assert failed["labels"]["team"] == "cms" and failed["labels"]["page"] == "no"
    assert failed["annotations"]["summary"] == "custom"
    assert failed["annotations"]["runbook_url"] == "https://runbooks.example/cron#cronjobfailed"
    assert rules["CronJobNoRecentSuccess"]["labels"]["team"] == "cms"


def test_windows_follow_the_schedule(render: Render) -> None:
    hourly = _rules(render({"cronjob": {"schedule": "5 * * * *"}}))
    assert "> 7200" in hourly["CronJobNoRecentSuccess"]["expr"]  # 2 periods of 1h
    weekly = _rules(render({"cronjob": {"schedule": "00 10 * * 1"},
                            "metrics": {"pushgateway": {"staleAfterPeriods": 3}}}))
    assert "> 1209600" in weekly["CronJobNoRecentSuccess"]["expr"]
    assert "> 1814400" in weekly["CronJobPushStale"]["expr"]
    every5 = _rules(render({"cronjob": {"schedule": "*/5 * * * *"}, "job": {"activeDeadlineSeconds": 120}}))
    assert "> 600" in every5["CronJobNoRecentSuccess"]["expr"] and "> 120" in every5["CronJobRunningTooLong"]["expr"]
    explicit = _rules(render({"metrics": {"prometheusRule": {"alerts": {
        "CronJobNoRecentSuccess": {"windowSeconds": 999}, "CronJobRunningTooLong": {"maxDurationSeconds": 77}}}}}))
    assert "> 999" in explicit["CronJobNoRecentSuccess"]["expr"] and "> 77" in explicit["CronJobRunningTooLong"]["expr"]


def test_additional_rules_and_disable(render: Render) -> None:
    extra = {"record": "cronjob:runs:count", "expr": "count(kube_job_owner)"}
    rules = _rules(render({"metrics": {"prometheusRule": {"additionalRules": [extra]}}}))
    assert rules["cronjob:runs:count"] == extra
    assert "PrometheusRule" not in render({"metrics": {"prometheusRule": {"enabled": False}}})


def test_service_monitor_for_pushgateway(render: Render) -> None:
    sm = render({"metrics": {"serviceMonitor": {"enabled": True, "namespace": "monitoring",
                                                "labels": {"release": "prom"}}}})["ServiceMonitor"]
    assert sm["metadata"]["namespace"] == "monitoring" and sm["metadata"]["labels"]["release"] == "prom"
    endpoint = sm["spec"]["endpoints"][0]
    assert endpoint["honorLabels"] is True and endpoint["port"] == "http"
    assert endpoint["metricRelabelings"] == [{"sourceLabels": ["job"], "regex": "t-test-chart", "action": "keep"}]
    assert sm["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "prometheus-pushgateway"}


def test_pod_monitor(render: Render) -> None:
    pm = render({"metrics": {"podMonitor": {"enabled": True, "port": "driver"}}})["PodMonitor"]
    assert pm["spec"]["podMetricsEndpoints"] == [{"port": "driver", "path": "/metrics", "interval": "30s"}]
    assert pm["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"] == "t"


def test_dashboard_configmap(render: Render) -> None:
    cm = render({"metrics": {"dashboard": {"folder": "cms"}}})["ConfigMap"]
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert cm["metadata"]["annotations"]["grafana_folder"] == "cms"
    dashboard = json.loads(cm["data"]["t-test-chart.json"])
    titles = [p["title"] for p in dashboard["panels"]]
    assert titles == ["Time since last success", "Run duration", "Failed runs", "Active runs",
                      "Time since last Pushgateway push"]
    for panel in dashboard["panels"]:
        expr = panel["targets"][0]["expr"]
        assert 't-test-chart' in expr
    assert "ConfigMap" not in render({"metrics": {"dashboard": {"enabled": False}}})


def test_logs_collect_labels_the_pods_with_the_cronjob_name_the_collector_keeps_lines_under(render: Render) -> None:
    from harness.monitoring.logs import LABEL

    def pod_labels(values: dict[str, Any]) -> dict[str, str]:
        labels: dict[str, str] = render(values)["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["metadata"][
            "labels"]
        return labels

    assert LABEL not in pod_labels({})  # the library's default: an environment turns it on
    collected = pod_labels({"logs": {"collect": True}, "pod": {"labels": {LABEL: "other", "team": "x"}}})
    assert collected[LABEL] == "t-test-chart"  # the CronJob's name, whatever pod.labels says
    assert collected["team"] == "x"
