"""`harness status`: the cron jobs of a cluster at a glance, with their firing alerts."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from rich.table import Table

from harness.errors import HarnessError
from harness.kube import Kube
from harness.services.prometheus import PrometheusQueries

Obj = dict[str, Any]


def _ago(timestamp: str | None) -> str:
    if not timestamp:
        return "never"
    seconds = (datetime.now(UTC) - datetime.fromisoformat(timestamp.replace("Z", "+00:00"))).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit} ago"
    return f"{seconds:.0f}s ago"


def _last_outcome(jobs: list[Obj]) -> str:
    if not jobs:
        return "-"
    newest = max(jobs, key=lambda j: j["metadata"]["creationTimestamp"])
    conditions = {c["type"] for c in newest.get("status", {}).get("conditions", []) if c["status"] == "True"}
    if conditions & {"Complete", "SuccessCriteriaMet"}:
        return "succeeded"
    if conditions & {"Failed", "FailureTarget"}:
        return "failed"
    return "running"


def firing_alerts(prometheus: PrometheusQueries) -> dict[tuple[str, str], list[str]]:
    """(namespace, cronjob) -> names of firing alerts, from Prometheus' /api/v1/alerts.

    Raises:
        HarnessError: when Prometheus does not answer.
    """
    firing: dict[tuple[str, str], list[str]] = defaultdict(list)
    for alert in prometheus.alerts():
        labels = alert["labels"]
        if alert["state"] == "firing" and "cronjob" in labels:
            firing[(labels.get("namespace", ""), labels["cronjob"])].append(labels["alertname"])
    return firing


def status_table(kube: Kube, prometheus: PrometheusQueries | None = None) -> Table:
    """One row per CronJob: schedule, suspended, last schedule, last success, active runs, last outcome, alerts."""
    cronjobs: list[Obj] = kube.plain(kube.batch.list_cron_job_for_all_namespaces())["items"]
    jobs: list[Obj] = kube.plain(kube.batch.list_job_for_all_namespaces())["items"]
    owned: dict[tuple[str, str], list[Obj]] = defaultdict(list)
    for job in jobs:
        for ref in job["metadata"].get("ownerReferences", []):
            if ref["kind"] == "CronJob":
                owned[(job["metadata"]["namespace"], ref["name"])].append(job)
    alerts: dict[tuple[str, str], list[str]] | None = None
    alerts_note = "no Prometheus (harness monitoring up, or --prometheus URL)"
    if prometheus is not None:
        try:
            alerts = firing_alerts(prometheus)
        except HarnessError:
            alerts_note = "Prometheus unreachable"
    table = Table(title="cron jobs")
    for column in ("namespace", "cronjob", "schedule", "suspended", "last schedule", "last success", "active",
                   "last outcome", "firing alerts"):
        table.add_column(column)
    for cj in sorted(cronjobs, key=lambda c: (c["metadata"]["namespace"], c["metadata"]["name"])):
        key = (cj["metadata"]["namespace"], cj["metadata"]["name"])
        status = cj.get("status", {})
        firing = ", ".join(sorted(alerts.get(key, []))) or "none" if alerts is not None else alerts_note
        table.add_row(key[0], key[1], cj["spec"]["schedule"], "yes" if cj["spec"].get("suspend") else "no",
                      _ago(status.get("lastScheduleTime")), _ago(status.get("lastSuccessfulTime")),
                      str(len(status.get("active", []))), _last_outcome(owned.get(key, [])), firing)
    return table
