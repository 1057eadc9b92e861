"""The images the nodes make for themselves from single static binaries: pause, busybox, CoreDNS and the
local-path-provisioner.

``pause`` is the pod sandbox image (its process is Debian's static ``catatonit -P``, which only waits
and reaps); ``busybox`` (Debian's static busybox) is a small general image for smoke tests, network
checks, benchmarks, the storage helper pods and volume readers; ``coredns`` holds the CoreDNS binary
built from Go modules (the cluster DNS); ``local-path-provisioner`` the storage provisioner's.
Each is tagged with its package or module version and cached under ``cache_root()``.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from harness.cluster.k8s_build import build_coredns, build_local_path_provisioner
from harness.cluster.oci_archive import ImageSpec, write_image_archive
from harness.paths import cache_root
from harness.toolchain import apt_ensure, pinned

_REGISTRY = "cronharness.local"
BUSYBOX_APPLETS = ("sh", "echo", "cat", "sleep", "env", "date", "ls", "true", "false", "wc", "printf", "id",
                   "ip", "nslookup", "wget", "httpd", "hostname", "mkdir", "rm", "find", "base64")


def _package_version(package: str) -> str:
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=True
    )
    # Image tags allow [A-Za-z0-9_.-]: drop the Debian epoch, map '+' to '.' and '~' to '_'.
    return done.stdout.strip().split(":", 1)[-1].replace("+", ".").replace("~", "_")


def _cached(spec: ImageSpec) -> Path:
    # The file name carries a digest of the spec, so changing what goes into an image rebuilds it.
    digest = hashlib.sha256(repr(spec).encode()).hexdigest()[:12]
    stem = spec.name.rsplit("/", 1)[-1].replace(":", "-")
    archive = cache_root() / "cluster" / "images" / f"{stem}-{digest}.tar"
    if not archive.exists():
        write_image_archive(spec, archive)
    return archive


def pause_image() -> tuple[str, Path]:
    """The sandbox image: name and OCI archive (built once per catatonit package version).

    Returns:
        ``(image name, archive path)``.
    """
    package = pinned("cluster", "catatonit")
    apt_ensure(package)
    spec = ImageSpec(
        name=f"{_REGISTRY}/pause:catatonit-{_package_version(package)}",
        files={"/catatonit": Path("/usr/bin/catatonit")},
        # -P: "pause" mode, the sandbox's only job is to hold its namespaces and reap zombies.
        entrypoint=("/catatonit", "-P"),
    )
    return spec.name, _cached(spec)


def busybox_image() -> tuple[str, Path]:
    """A static busybox image (``sh`` and common applets on PATH).

    Returns:
        ``(image name, archive path)``.
    """
    package = pinned("cluster", "busybox")
    apt_ensure(package)
    spec = ImageSpec(
        name=f"{_REGISTRY}/busybox:{_package_version(package)}",
        files={"/bin/busybox": Path("/bin/busybox")},
        symlinks={f"/bin/{applet}": "busybox" for applet in BUSYBOX_APPLETS},
        directories=("/tmp", "/etc"),
        cmd=("sh",),
    )
    return spec.name, _cached(spec)


def _binary_image(name: str, binary: Path) -> tuple[str, Path]:
    """An image of one static binary at ``/<name>`` (its entrypoint), tagged with its pinned version."""
    spec = ImageSpec(
        name=f"{_REGISTRY}/{name}:{pinned('cluster', name)}",
        files={f"/{name}": binary},
        entrypoint=(f"/{name}",),
    )
    return spec.name, _cached(spec)


def coredns_image() -> tuple[str, Path]:
    """The cluster DNS image: the static CoreDNS binary alone (its Corefile comes from a ConfigMap).

    Returns:
        ``(image name, archive path)``.
    """
    return _binary_image("coredns", build_coredns())


def local_path_provisioner_image() -> tuple[str, Path]:
    """The storage provisioner image: its static binary alone (it only talks to the API server).

    Returns:
        ``(image name, archive path)``.
    """
    return _binary_image("local-path-provisioner", build_local_path_provisioner())
