"""What the monitoring pieces share: each lives in a namespace of its own, plus cluster-scoped objects (roles,
bindings) labelled as part of it, which deleting the namespace does not remove."""

from __future__ import annotations

from kubernetes.client.exceptions import ApiException

from harness.cluster.base import Cluster
from harness.kube import Kube
from harness.toolchain import step


def part_of(namespace: str) -> dict[str, str]:
    """The label of a piece's cluster-scoped objects."""
    return {"app.kubernetes.io/part-of": namespace}


def installed(cluster: Cluster, namespace: str) -> bool:
    """True when the piece's namespace exists (whether or not the piece is ready)."""
    try:
        Kube(cluster.kubeconfig).core.read_namespace(namespace)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def remove(cluster: Cluster, namespace: str, what: str) -> None:
    """Delete the namespace (waiting until it is gone) and the piece's cluster roles and bindings.

    Raises:
        HarnessError: when kubectl fails.
    """
    selector = ",".join(f"{k}={v}" for k, v in part_of(namespace).items())
    with step(f"removing {what} (namespace {namespace})"):
        cluster.kubectl("delete", "namespace", namespace, "--ignore-not-found", "--wait=true", timeout=300)
        cluster.kubectl("delete", "clusterrolebinding,clusterrole", "-l", selector, "--ignore-not-found")
