"""The existing provider: any cluster reachable with a kubeconfig; the harness never starts or stops it."""

from __future__ import annotations

import os
from pathlib import Path

from harness.cluster.base import Cluster, ComponentStatus
from harness.errors import HarnessError
from harness.images.reference import ImageRef, registry_address
from harness.registry import push_archive


class ExistingCluster(Cluster):
    """A cluster someone else runs.

    Args:
        kubeconfig: its kubeconfig (default: ``$HARNESS_KUBECONFIG``, ``$KUBECONFIG``, ~/.kube/config).
        registry: ``host[:port][/path]`` of a registry its nodes pull from, where job images are pushed
            (default: ``$HARNESS_REGISTRY``); plain HTTP only when it is on loopback.
    """

    provider = "existing"

    def __init__(self, kubeconfig: Path | None = None, registry: str | None = None) -> None:
        chosen = kubeconfig or os.environ.get("HARNESS_KUBECONFIG") or os.environ.get("KUBECONFIG")
        self._kubeconfig = Path(chosen) if chosen else Path.home() / ".kube" / "config"
        given = registry or os.environ.get("HARNESS_REGISTRY")
        self.registry = registry_address(given) if given else None

    @property
    def kubeconfig(self) -> Path:
        return self._kubeconfig

    def up(self) -> None:
        """Check that the cluster answers (nothing is started).

        Raises:
            HarnessError: when the kubeconfig is missing or the cluster does not answer.
        """
        if not self._kubeconfig.exists():
            raise HarnessError(
                f"--cluster existing needs a kubeconfig, and {self._kubeconfig} does not exist; "
                "set HARNESS_KUBECONFIG (or KUBECONFIG) to yours"
            )
        self.kubectl("get", "--raw", "/readyz", timeout=30)

    def down(self, *, purge: bool = False) -> None:
        """Nothing to stop: the harness does not own this cluster."""

    def status(self) -> list[ComponentStatus]:
        """One row: whether the apiserver answers /readyz."""
        try:
            self.kubectl("get", "--raw", "/readyz", timeout=30)
        except HarnessError as exc:
            return [ComponentStatus("apiserver", False, False, str(exc))]
        return [ComponentStatus("apiserver", True, True, f"kubeconfig {self._kubeconfig}")]

    def load_image(self, archive: Path, image: ImageRef) -> ImageRef:
        """Push the image to the registry the cluster pulls from (``--registry`` / HARNESS_REGISTRY).

        Raises:
            HarnessError: when no registry was given (saying what to pass), or the push fails.
        """
        if self.registry is None:
            raise HarnessError(
                f"cannot give image {image} to an existing cluster without a registry: pass --registry "
                "host[:port][/path] (or set HARNESS_REGISTRY) naming a registry this machine can push to and "
                f"the cluster's nodes pull from; the image is pushed there as <registry>/{image.repository}:"
                f"{image.tag}"
            )
        pushed = image.in_registry(self.registry)
        push_archive(archive, pushed)
        return pushed
