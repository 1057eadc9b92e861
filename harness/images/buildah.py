"""buildah, set up for this project: its own image store, runc, host networking for build steps.

The store lives in ``cache_root()/images/storage-<driver>`` (so base images and build layers survive between
sessions) and buildah's run state under ``state_root()``. runc is the OCI runtime because crun fails
on this cgroup-v1 hybrid host. Build steps use the host's network, since that is the only route to
the package registries, and get the host's pip settings and CA bundle (see ``hostconf``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.images.hostconf import BUILD_CA_NAME, BUILD_PIP_DIR, build_network
from harness.images.run import run_logged
from harness.paths import cache_root, state_root
from harness.toolchain import apt_ensure

_STEP = re.compile(r"^(STEP \d+/\d+:|COMMIT|Successfully tagged|Error:|error)")


# Filesystems (as `stat -f` names them) that overlay cannot put its upper layers on.
_NO_OVERLAY = frozenset({"overlayfs", "nfs", "fuseblk", "fuse"})


def storage_driver() -> str:
    """The containers-storage driver: HARNESS_STORAGE_DRIVER if set, else ``overlay`` where it works.

    overlay is fast and works on ext4/xfs (this host); where the cache sits on an overlay (a CI job in
    a container) or a network filesystem, ``vfs`` is used: slower and bigger, but it works anywhere.
    """
    chosen = os.environ.get("HARNESS_STORAGE_DRIVER")
    if chosen:
        return chosen
    probe = cache_root()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    fstype = subprocess.run(["stat", "-f", "-c", "%T", str(probe)], capture_output=True, text=True, check=False)
    return "vfs" if fstype.stdout.strip() in _NO_OVERLAY else "overlay"


def _global_args() -> list[str]:
    driver = storage_driver()
    # One store per driver: a store cannot change its driver once made.
    return [
        "--root",
        str(cache_root() / "images" / f"storage-{driver}"),
        "--runroot",
        str(state_root() / "images" / f"buildah-run-{driver}"),
        "--storage-driver",
        driver,
    ]


def buildah(*args: str, timeout: float = 300) -> str:
    """Run a short buildah command against the project's store and return its stdout.

    Raises:
        HarnessError: with buildah's message when it fails.
    """
    apt_ensure("buildah", "runc")
    done = subprocess.run(
        ["buildah", *_global_args(), *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise HarnessError(f"buildah {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def image_id(ref: str) -> str | None:
    """The image id of ``ref`` in the project's store, or None when it is not there."""
    apt_ensure("buildah", "runc")
    done = subprocess.run(
        ["buildah", *_global_args(), "inspect", "--type", "image", "--format", "{{.FromImageID}}", ref],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        return None
    return done.stdout.strip()


def build(
    context: Path,
    tag: str,
    *,
    build_args: Mapping[str, str] | None = None,
    label: str,
) -> str:
    """``buildah build`` the Dockerfile in ``context`` as ``tag``; steps already built are reused.

    Args:
        context: the build context (holds the Dockerfile).
        tag: the image name to give the result.
        build_args: ``--build-arg`` values (e.g. BASE_IMAGE).
        label: what is built, for progress output and errors.

    Returns:
        The new image's id.

    Raises:
        HarnessError: when a step fails (its last output lines and the log file are in the message).
    """
    apt_ensure("buildah", "runc")
    network = build_network()
    with tempfile.TemporaryDirectory(prefix="cronharness-build-") as pip_dir:
        (Path(pip_dir) / "pip.conf").write_text(network.pip_conf)
        if network.ca_bundle is not None:
            shutil.copyfile(network.ca_bundle, Path(pip_dir) / BUILD_CA_NAME)
        Path(pip_dir).chmod(0o755)  # build steps run as uid 10001 must read it
        mounts = {Path(pip_dir): BUILD_PIP_DIR, **network.mounts}
        cmd = [
            "buildah",
            *_global_args(),
            "build",
            "--layers",
            "--pull-never",
            "--runtime",
            "runc",
            "--isolation",
            "oci",
            "--network",
            "host",
            "--tag",
            tag,
        ]
        for host_path, container_path in mounts.items():
            cmd += ["--volume", f"{host_path}:{container_path}:ro"]
        for name, value in (build_args or {}).items():
            cmd += ["--build-arg", f"{name}={value}"]
        cmd.append(str(context))
        run_logged(
            cmd,
            label=label,
            show=lambda line: line if _STEP.match(line) else None,
            env={**os.environ, **network.env},
        )
    found = image_id(tag)
    if found is None:
        raise HarnessError(f"{label}: buildah reported success but {tag} is not in the store")
    return found


def save_archive(ref: str, archive: Path) -> None:
    """Write ``ref`` as a docker-archive tar (what ``ctr images import`` and ``kind load`` read).

    The image's name travels inside the archive (manifest.json RepoTags), so importers tag it.

    Raises:
        HarnessError: when buildah cannot write it.
    """
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(archive.name + ".partial")
    partial.unlink(missing_ok=True)
    buildah("push", "--quiet", ref, f"docker-archive:{partial}:{ref}", timeout=900)
    partial.replace(archive)


def image_config(ref: str) -> dict[str, Any]:
    """The OCI config (User, Env, Entrypoint, Cmd, ...) of ``ref`` in the project's store.

    Raises:
        HarnessError: when the image is not in the store.
    """
    config: dict[str, Any] = json.loads(buildah("inspect", "--type", "image", ref))["OCIv1"]["config"]
    return config
