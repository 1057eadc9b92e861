"""Dynamic volumes on the session's cluster (local by default; kind's run in test_cluster_kind.py): a claim
of the default StorageClass binds, a pod writes to it, the API reads it back, deleting it removes the data.

Times are printed as ``FIGURE`` lines (``-s`` shows them).
"""

from __future__ import annotations

import pytest

from harness.cluster import storage
from harness.cluster.base import Cluster
from tests.e2e.storage_checks import check_claim_lifecycle

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def ours(cluster: Cluster) -> None:
    if cluster.provider not in ("local", "kind"):
        pytest.skip(f"checks the provisioner the harness installs; the {cluster.provider} cluster has its own")


def test_default_storage_class_is_ours(cluster: Cluster) -> None:
    classes = cluster.kubectl("get", "storageclass", "-o",
                              "jsonpath={range .items[*]}{.metadata.name} {.provisioner} "
                              "{.metadata.annotations.storageclass\\.kubernetes\\.io/is-default-class}{'\\n'}{end}")
    assert classes.splitlines() == [f"{storage.STORAGE_CLASS} {storage.PROVISIONER} true"]


def test_claim_binds_is_written_read_back_and_removed(cluster: Cluster, namespace: str) -> None:
    figures = check_claim_lifecycle(cluster, namespace)
    print(f"FIGURE {cluster.provider}: claim bound {figures.bind:.1f}s after its pod was created, "
          f"volume removed {figures.removal:.1f}s after the claim's deletion")
