"""The kind provider: a thin wrapper over the ``kind`` CLI, for machines that have Docker.

The node image is pinned in tools/versions.toml ([cluster] kind-node-image); images are loaded with
``kind load image-archive``. Nothing here reimplements kind: each method is one kind/kubectl call.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from harness.cluster.base import Cluster, ComponentStatus
from harness.errors import HarnessError
from harness.images.reference import ImageRef
from harness.paths import state_root
from harness.toolchain import pinned
from harness.toolchain.progress import step

CLUSTER_NAME = "cronharness"


def kind_available() -> bool:
    """True when both the ``docker`` and ``kind`` commands exist."""
    return shutil.which("docker") is not None and shutil.which("kind") is not None


class KindCluster(Cluster):
    """A kind cluster named ``cronharness`` with its kubeconfig under ``state_root()/kind``."""

    provider = "kind"

    def __init__(self, name: str = CLUSTER_NAME) -> None:
        self.name = name

    @property
    def kubeconfig(self) -> Path:
        return state_root() / "kind" / f"{self.name}.kubeconfig"

    def _kind(self, *args: str, timeout: float = 600) -> str:
        if not kind_available():
            raise HarnessError(
                "--cluster kind needs the docker and kind commands; install Docker and "
                f"`go install sigs.k8s.io/kind@{pinned('cluster', 'kind')}`, or use --cluster local"
            )
        done = subprocess.run(["kind", *args], capture_output=True, text=True, check=False, timeout=timeout)
        if done.returncode != 0:
            raise HarnessError(f"`kind {' '.join(args)}` failed: {done.stderr.strip()}")
        return done.stdout

    def _exists(self) -> bool:
        return self.name in self._kind("get", "clusters").split()

    def up(self) -> None:
        """Create the kind cluster unless it exists, and wait (kind's --wait) until it is ready.

        Raises:
            HarnessError: when docker/kind are missing or kind fails.
        """
        self.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        if not self._exists():
            with step(f"kind create cluster {self.name} ({pinned('cluster', 'kind-node-image')})"):
                self._kind("create", "cluster", "--name", self.name, "--image",
                           pinned("cluster", "kind-node-image"), "--kubeconfig", str(self.kubeconfig),
                           "--wait", "180s")
        else:
            self.kubeconfig.write_text(self._kind("get", "kubeconfig", "--name", self.name))

    def down(self, *, purge: bool = False) -> None:
        """Delete the kind cluster (kind keeps no data worth purging separately)."""
        if self._exists():
            self._kind("delete", "cluster", "--name", self.name)
        self.kubeconfig.unlink(missing_ok=True)

    def status(self) -> list[ComponentStatus]:
        """One row for the kind cluster: exists, and whether its apiserver answers /readyz."""
        if not self._exists():
            return [ComponentStatus(f"kind/{self.name}", False, False, "not created")]
        try:
            self.kubectl("get", "--raw", "/readyz", timeout=30)
        except HarnessError as exc:
            return [ComponentStatus(f"kind/{self.name}", True, False, str(exc))]
        return [ComponentStatus(f"kind/{self.name}", True, True, f"kubeconfig {self.kubeconfig}")]

    def load_image(self, archive: Path, image: ImageRef) -> ImageRef:
        """``kind load image-archive`` into the cluster's node: pods run it under the name it was built with.

        kind nodes are containers with their own loopback, so they cannot pull from the host's 127.0.0.1
        registry; loading puts the image straight into the node's containerd store.

        Raises:
            HarnessError: when kind fails.
        """
        self._kind("load", "image-archive", str(archive), "--name", self.name)
        return image
