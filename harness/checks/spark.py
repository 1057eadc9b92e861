"""The executor pods a job's Spark driver ran on Kubernetes (``SPARK_MASTER=k8s://...``, docs/spark.md)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from harness.kube import Kube

# Spark names executor pods <app name>-<random>-exec-<n> and labels them spark-role=executor.
EXECUTOR_POD = re.compile(r"-exec-\d+$")
EXECUTOR_LABEL = "spark-role=executor"


def executor_pods_scheduled(kube: Kube, namespace: str) -> list[str]:
    """The executor pods the scheduler placed in ``namespace``, from its ``Scheduled`` events (which outlive the
    pods), sorted."""
    events = kube.plain(kube.core.list_namespaced_event(namespace,
                                                        field_selector="involvedObject.kind=Pod,reason=Scheduled"))
    names = {str(event["involvedObject"]["name"]) for event in events["items"]}
    return sorted(name for name in names if EXECUTOR_POD.search(name))


def executor_pods_left(kube: Kube, namespace: str) -> list[str]:
    """The executor pods still in ``namespace`` (none once a run has ended: the driver deletes them)."""
    pods = kube.plain(kube.core.list_namespaced_pod(namespace, label_selector=EXECUTOR_LABEL))
    return sorted(str(pod["metadata"]["name"]) for pod in pods["items"])


def first_executor_after(kube: Kube, namespace: str, driver_pod: str) -> float | None:
    """Seconds from the driver's container start to the first executor pod being scheduled in ``namespace``
    (None when no executor was); the namespace should hold one run's executors."""
    started = driver_started(kube, namespace, driver_pod)
    events = kube.plain(kube.core.list_namespaced_event(namespace,
                                                        field_selector="involvedObject.kind=Pod,reason=Scheduled"))
    scheduled = [e.get("eventTime") or e.get("firstTimestamp") or e["metadata"]["creationTimestamp"]
                 for e in events["items"] if EXECUTOR_POD.search(str(e["involvedObject"]["name"]))]
    if not scheduled or started is None:
        return None
    return (_instant(min(scheduled, key=_instant)) - started).total_seconds()


def driver_started(kube: Kube, namespace: str, driver_pod: str) -> datetime | None:
    """When the driver pod's (first) container started; None before it has."""
    pod = kube.plain(kube.core.read_namespaced_pod(driver_pod, namespace))
    states = [s.get("state", {}) for s in pod["status"].get("containerStatuses", [])]
    started = [state.get("terminated", state.get("running", {})).get("startedAt") for state in states]
    return _instant(started[0]) if started and started[0] is not None else None


def _instant(value: Any) -> datetime:
    """A timestamp as the API client gives it (datetime, or RFC 3339 text once made plain)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
