"""harness.checks.spark on API objects as the Kubernetes client returns them (a stand-in Kube for this unit test
of our own logic; the job tests' [spark_k8s] cases read a real cluster)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from harness.checks import spark


class ListedObjectsKubeForUnitTest:
    """Answers the three reads the checks make from fixed plain objects."""

    def __init__(self, events: list[dict[str, Any]], pods: list[dict[str, Any]]) -> None:
        self.events, self.pods = events, pods
        self.core = self

    def plain(self, obj: Any) -> Any:
        return obj

    def list_namespaced_event(self, namespace: str, field_selector: str) -> dict[str, Any]:
        assert field_selector == "involvedObject.kind=Pod,reason=Scheduled"
        return {"items": self.events}

    def list_namespaced_pod(self, namespace: str, label_selector: str) -> dict[str, Any]:
        assert label_selector == "spark-role=executor"
        return {"items": [p for p in self.pods if p["metadata"]["labels"].get("spark-role") == "executor"]}

    def read_namespaced_pod(self, name: str, namespace: str) -> dict[str, Any]:
        return next(p for p in self.pods if p["metadata"]["name"] == name)


def scheduled(pod: str, at: str | None, created: str = "2026-12-07T21:00:00Z") -> dict[str, Any]:
    return {"involvedObject": {"name": pod}, "eventTime": at, "firstTimestamp": None,
            "metadata": {"creationTimestamp": created}}


DRIVER = {"metadata": {"name": "cpueff-manual-1-abcde", "labels": {}},
          "status": {"containerStatuses": [{"state": {"terminated": {"startedAt": "2026-12-07T21:00:10Z"}}}]}}


def test_executor_pods_are_told_from_the_driver_and_other_pods_by_name() -> None:
    kube = ListedObjectsKubeForUnitTest(
        [scheduled("cpueff-manual-1-abcde", "2026-12-07T21:00:09.000000Z"),
         scheduled("cpueff-1b1f31a2-exec-2", "2026-12-07T21:00:15.500000Z"),
         scheduled("cpueff-1b1f31a2-exec-1", "2026-12-07T21:00:15.250000Z"),
         scheduled("cpueff-1b1f31a2-exec-1", "2026-12-07T21:00:15.250000Z"),
         scheduled("my-exec-tool", "2026-12-07T21:00:01.000000Z")],
        [DRIVER, {"metadata": {"name": "cpueff-1b1f31a2-exec-2", "labels": {"spark-role": "executor"}}}])
    assert spark.executor_pods_scheduled(kube, "ns") == ["cpueff-1b1f31a2-exec-1", "cpueff-1b1f31a2-exec-2"]  # type: ignore[arg-type]
    assert spark.executor_pods_left(kube, "ns") == ["cpueff-1b1f31a2-exec-2"]  # type: ignore[arg-type]
    assert spark.first_executor_after(kube, "ns", "cpueff-manual-1-abcde") == 5.25  # type: ignore[arg-type]


def test_first_executor_falls_back_to_the_event_creation_time_and_is_none_without_executors() -> None:
    events = [scheduled("cpueff-9-exec-1", None, created="2026-12-07T21:00:17Z")]
    assert spark.first_executor_after(ListedObjectsKubeForUnitTest(events, [DRIVER]), "ns",  # type: ignore[arg-type]
                                      "cpueff-manual-1-abcde") == 7.0
    assert spark.first_executor_after(ListedObjectsKubeForUnitTest([], [DRIVER]), "ns",  # type: ignore[arg-type]
                                      "cpueff-manual-1-abcde") is None
    assert spark._instant(datetime(2026, 12, 7, tzinfo=UTC)) == datetime(2026, 12, 7, tzinfo=UTC)
