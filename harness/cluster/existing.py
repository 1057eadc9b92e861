"""The existing provider: any cluster reachable with a kubeconfig; the harness never starts or stops it."""

from __future__ import annotations

import os
from pathlib import Path

from harness.cluster.base import Cluster, ComponentStatus
from harness.errors import HarnessError


class ExistingCluster(Cluster):
    """A cluster someone else runs, given by ``$HARNESS_KUBECONFIG``, ``$KUBECONFIG`` or ~/.kube/config."""

    provider = "existing"

    def __init__(self, kubeconfig: Path | None = None) -> None:
        chosen = kubeconfig or os.environ.get("HARNESS_KUBECONFIG") or os.environ.get("KUBECONFIG")
        self._kubeconfig = Path(chosen) if chosen else Path.home() / ".kube" / "config"

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

    def load_image(self, archive: Path) -> None:
        """An existing cluster pulls from its registry; local archives cannot be loaded into it.

        Raises:
            HarnessError: always, naming what to do instead.
        """
        raise HarnessError(
            f"cannot load {archive} into an existing cluster: push the image to a registry its nodes "
            "can pull from, or use --cluster local / kind"
        )
