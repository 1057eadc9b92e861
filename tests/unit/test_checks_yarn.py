"""harness.checks.yarn on recorded ResourceManager and NodeManager answers (mocked: no YARN runs here)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.checks import yarn
from harness.errors import HarnessTimeout

APP = "application_1796691983193_0001"


class RecordedYarnForUnitTest:
    """Stands in for harness.services.incluster.ClusterYarn: log directories by application."""

    web_url = "http://127.0.0.1:1"
    node_web_url = "http://127.0.0.1:2"

    def __init__(self, containers: dict[str, dict[str, float]]) -> None:
        self.containers = containers

    def containers_of(self, app_id: str) -> dict[str, float]:
        return self.containers[app_id]


def recorded(monkeypatch: pytest.MonkeyPatch, apps: list[dict[str, Any]], live: list[dict[str, Any]]) -> None:
    monkeypatch.setattr(yarn, "applications", lambda url: apps)
    monkeypatch.setattr(yarn, "node_containers", lambda url: live)


def app(app_id: str = APP, name: str = "cpueff", started: int = 1_800_000_000_000, state: str = "FINISHED",
        ) -> dict[str, Any]:
    return {"id": app_id, "name": name, "startedTime": started, "state": state}


def test_a_run_counts_its_containers_but_the_application_master(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded(monkeypatch, [app(), app("application_1796691983193_0002", name="other")], [])
    cluster = RecordedYarnForUnitTest({APP: {f"container_1796691983193_0001_01_00000{n}": 10.0 + n for n in (1, 2, 3)}})
    [run] = yarn.runs(cluster, "cpueff", since=1_799_999_999)  # type: ignore[arg-type]
    assert run.executors == {"container_1796691983193_0001_01_000002": 12.0,
                             "container_1796691983193_0001_01_000003": 13.0}
    assert run.live == []
    assert yarn.runs(cluster, "cpueff", since=1_800_000_001) == []  # type: ignore[arg-type]


def test_live_containers_are_matched_to_their_application(monkeypatch: pytest.MonkeyPatch) -> None:
    live = [{"id": "container_e01_1796691983193_0001_01_000002", "state": "RUNNING"},
            {"id": "container_1796691983193_0011_01_000002", "state": "RUNNING"},
            {"id": "container_1796691983193_0001_01_000003", "state": "DONE"}]
    recorded(monkeypatch, [app(state="RUNNING")], live)
    cluster = RecordedYarnForUnitTest({APP: {}})
    [run] = yarn.runs(cluster, "cpueff", since=0)  # type: ignore[arg-type]
    assert run.live == ["container_e01_1796691983193_0001_01_000002"]
    with pytest.raises(HarnessTimeout, match="1 finished YARN application"):
        yarn.finished_runs(cluster, "cpueff", since=0, count=1, timeout=0.2)  # type: ignore[arg-type]
