"""Load a built image archive into the cluster that will run it (there is no registry).

``local``: import into the local cluster's containerd, namespace ``k8s.io`` (the CRI's), over the
socket the cluster provider runs it on. ``kind``: ``kind load image-archive`` into the kind nodes
(through the kind provider, which points kind at the harness's dockerd).
The ``existing`` provider has no way in without a registry, so it is refused with that reason.
"""

from __future__ import annotations

from pathlib import Path

from harness.cluster.containerd import import_image
from harness.errors import HarnessError
from harness.paths import state_root
from harness.toolchain import step


def local_containerd_socket() -> Path:
    """The socket of the local cluster's containerd (the cluster provider's contract)."""
    return state_root() / "cluster" / "containerd" / "containerd.sock"


def load_image(
    archive: Path,
    provider: str = "local",
    *,
    containerd_socket: Path | None = None,
    kind_cluster: str = "cronharness",
) -> None:
    """Make the image in ``archive`` available to the cluster's kubelet under its tag.

    Args:
        archive: a docker-archive tar from ``build_job_image``.
        provider: ``"local"`` or ``"kind"``.
        containerd_socket: the containerd to import into (``local``); the local cluster's by default.
        kind_cluster: the kind cluster's name (``kind``).

    Raises:
        HarnessError: when the cluster is not running, the tool is missing, the import fails or the
            provider cannot take images.
    """
    if not archive.is_file():
        raise HarnessError(f"image archive {archive} does not exist; build it with build_job_image()")
    with step(f"loading {archive.name} into the {provider} cluster"):
        if provider == "local":
            socket = containerd_socket or local_containerd_socket()
            if not socket.is_socket():
                raise HarnessError(
                    f"no containerd listens on {socket}: start the local cluster with `harness cluster up`"
                )
            import_image(socket, archive)
        elif provider == "kind":
            # Imported here: the kind provider builds its node image with this package's rootfs.
            from harness.cluster.kind import KindCluster

            KindCluster(kind_cluster).load_image(archive)
        else:
            raise HarnessError(
                f"cannot load images into a {provider!r} cluster: there is no registry; use the local "
                "or kind provider, or push the image to a registry that cluster pulls from"
            )
