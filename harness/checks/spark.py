"""The executor pods a job's Spark driver ran on Kubernetes (``SPARK_MASTER=k8s://...``, docs/spark.md)."""

from __future__ import annotations

import re

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
