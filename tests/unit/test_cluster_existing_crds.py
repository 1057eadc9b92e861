"""An existing cluster's CRDs are checked, never applied, unless the user asks (unit tests of our own logic;
``kubectl`` is replaced by a recorder that answers ``get crd`` from a fixed list)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cluster.existing import ExistingCluster
from harness.crds import JOB_CHART_CRDS
from harness.errors import HarnessError


def crd(name: str, established: bool = True) -> dict[str, Any]:
    return {"metadata": {"name": name},
            "status": {"conditions": [{"type": "Established", "status": "True" if established else "False"}]}}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """Every kubectl call; ``get crd`` answers with the CRDs set on ``ExistingCluster.served`` by a test."""
    recorded: list[tuple[str, ...]] = []

    def kubectl(self: ExistingCluster, *args: str, **kwargs: object) -> str:
        recorded.append(args)
        return json.dumps({"items": getattr(self, "served", [])})

    monkeypatch.setattr(ExistingCluster, "kubectl", kubectl)
    return recorded


def test_present_and_established_crds_pass_with_one_read(calls: list[tuple[str, ...]]) -> None:
    cluster = ExistingCluster(Path("kubeconfig"))
    cluster.served = [crd(name) for name in JOB_CHART_CRDS]  # type: ignore[attr-defined]
    cluster.require_crds(JOB_CHART_CRDS)
    assert calls == [("get", "crd", "-o", "json")]


def test_a_missing_or_unestablished_crd_is_named_with_what_to_do(calls: list[tuple[str, ...]]) -> None:
    cluster = ExistingCluster(Path("kubeconfig"))
    cluster.served = [crd("prometheusrules.monitoring.coreos.com"),  # type: ignore[attr-defined]
                      crd("servicemonitors.monitoring.coreos.com", established=False)]
    with pytest.raises(HarnessError) as raised:
        cluster.require_crds(JOB_CHART_CRDS)
    assert str(raised.value).startswith(
        "the existing cluster lacks CRDs that the job charts create objects of: "
        "servicemonitors.monitoring.coreos.com, podmonitors.monitoring.coreos.com. ")
    assert "pass --install-crds (or set HARNESS_INSTALL_CRDS=1)" in str(raised.value)
    assert all(call[0] == "get" for call in calls)  # nothing applied
