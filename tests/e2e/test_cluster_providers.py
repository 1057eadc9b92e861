"""Provider choice (``--cluster`` / HARNESS_CLUSTER), the ``existing`` provider against a real cluster's
kubeconfig, and the messages for a provider whose prerequisites are missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cluster.base import Cluster
from harness.cluster.existing import ExistingCluster
from harness.cluster.local import LocalCluster
from harness.cluster.providers import get_cluster
from harness.errors import HarnessError
from harness.images.reference import built_image

pytestmark = pytest.mark.e2e


def test_provider_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_CLUSTER", "existing")
    assert isinstance(get_cluster(), ExistingCluster)
    assert isinstance(get_cluster("local"), LocalCluster)  # --cluster wins over the environment
    monkeypatch.delenv("HARNESS_CLUSTER")
    assert isinstance(get_cluster(), LocalCluster)


def test_unknown_provider_names_the_choices() -> None:
    with pytest.raises(HarnessError) as raised:
        get_cluster("minikube")
    assert str(raised.value) == "unknown cluster provider 'minikube'; choose one of local, kind, existing"


def test_existing_without_kubeconfig_says_how_to_point_at_one(tmp_path: Path) -> None:
    missing = tmp_path / "nope.kubeconfig"
    with pytest.raises(HarnessError) as raised:
        ExistingCluster(missing).up()
    assert str(raised.value) == (
        f"--cluster existing needs a kubeconfig, and {missing} does not exist; "
        "set HARNESS_KUBECONFIG (or KUBECONFIG) to yours"
    )


def test_existing_provider_uses_any_kubeconfig(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_REGISTRY", raising=False)
    existing = ExistingCluster(cluster.kubeconfig)
    existing.up()
    [row] = existing.status()
    assert (row.name, row.running, row.healthy) == ("apiserver", True, True)
    assert existing.kubectl("get", "namespace", "default", "-o", "name") == "namespace/default\n"
    with pytest.raises(HarnessError, match=r"^cannot give image localhost/cronharness/jobs/x:0123456789ab to an "
                                           r"existing cluster without a registry: pass --registry"):
        existing.load_image(Path("image.tar"), built_image("localhost/cronharness/jobs/x", "0123456789ab"))
