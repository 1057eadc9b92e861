"""The YARN applications a job's Spark driver ran (``SPARK_MASTER=yarn``, docs/spark.md), as the test YARN's
ResourceManager and NodeManager report them (harness/services/yarn.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.checks.spark import driver_started
from harness.kube import Kube
from harness.services.incluster import ClusterYarn
from harness.services.yarn import applications, node_containers
from harness.waiting import wait_until

# NodeManager container states of a process that has not ended yet
LIVE_STATES = frozenset({"NEW", "SCHEDULED", "LOCALIZING", "LOCALIZED", "RUNNING", "RELAUNCHING", "REINITIALIZING",
                         "PAUSING", "PAUSED", "KILLING"})


@dataclass(frozen=True)
class YarnRun:
    """One application and the containers it had.

    Attributes:
        app: the ResourceManager's record (``id``, ``name``, ``state``, ``finalStatus``, ``startedTime``, ...).
        executors: its containers other than the application master (the first container of the attempt), by
            launch time (epoch seconds).
        live: its containers whose process has not ended.
    """

    app: dict[str, Any]
    executors: dict[str, float]
    live: list[str]


def _containers_of(app_id: str, containers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # application_<cluster start>_<n> -> container_[e<epoch>_]<cluster start>_<n>_<attempt>_<container>
    key = f"_{app_id.removeprefix('application_')}_"
    return [c for c in containers if key in str(c.get("id", ""))]


def runs(yarn: ClusterYarn, name: str, since: float) -> list[YarnRun]:
    """The applications named ``name`` started at or after ``since`` (epoch seconds), oldest first."""
    live = node_containers(yarn.node_web_url)
    found = []
    for app in applications(yarn.web_url):
        if app.get("name") != name or int(app.get("startedTime", 0)) < since * 1000:
            continue
        app_id = str(app["id"])
        found.append(YarnRun(
            app=app,
            # the attempt's first container is its application master
            executors={c: t for c, t in sorted(yarn.containers_of(app_id).items()) if not c.endswith("_000001")},
            live=sorted(str(c["id"]) for c in _containers_of(app_id, live) if c.get("state") in LIVE_STATES),
        ))
    return found


def finished_runs(yarn: ClusterYarn, name: str, since: float, count: int, timeout: float = 60) -> list[YarnRun]:
    """:func:`runs`, once ``count`` of them are FINISHED with no live container (YARN stops an application's
    containers after its driver has gone; the job's pod may end a moment before).

    Raises:
        HarnessTimeout: when they are not within ``timeout`` seconds (with what was seen).
    """
    def done() -> list[YarnRun] | None:
        seen = runs(yarn, name, since)
        ended = len(seen) == count and all(r.app.get("state") == "FINISHED" and not r.live for r in seen)
        return seen if ended else None

    return wait_until(done, timeout=timeout, what=f"{count} finished YARN application(s) named {name}",
                      describe=lambda: repr([(r.app.get("id"), r.app.get("state"), r.live)
                                             for r in runs(yarn, name, since)]))


def first_executor_after(run: YarnRun, kube: Kube, namespace: str, driver_pod: str) -> float | None:
    """Seconds from the driver's container start to the launch of ``run``'s first executor container (None when
    it had none)."""
    started = driver_started(kube, namespace, driver_pod)
    if not run.executors or started is None:
        return None
    return min(run.executors.values()) - started.timestamp()
