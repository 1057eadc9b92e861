"""Choose the cluster provider: ``--cluster``, else ``$HARNESS_CLUSTER``, else local."""

from __future__ import annotations

import os

from harness.cluster.base import Cluster
from harness.cluster.existing import ExistingCluster
from harness.cluster.kind import KindCluster
from harness.cluster.local import LocalCluster
from harness.errors import HarnessError

PROVIDERS = ("local", "kind", "existing")


def default_provider() -> str:
    """``$HARNESS_CLUSTER`` if set, else local: kind is chosen, never implied by Docker being installed
    (machines that run the local cluster may have Docker too)."""
    return os.environ.get("HARNESS_CLUSTER") or "local"


def get_cluster(name: str | None = None, *, registry: str | None = None) -> Cluster:
    """The cluster of provider ``name`` (``None``: :func:`default_provider`).

    ``registry`` (``--registry``) is where the existing provider pushes job images (default
    ``$HARNESS_REGISTRY``); the local cluster has its own loopback registry and kind loads images into its nodes.

    Raises:
        HarnessError: for an unknown provider name.
    """
    chosen = name or default_provider()
    if chosen == "local":
        return LocalCluster()
    if chosen == "kind":
        return KindCluster()
    if chosen == "existing":
        return ExistingCluster(registry=registry)
    raise HarnessError(f"unknown cluster provider {chosen!r}; choose one of {', '.join(PROVIDERS)}")
