"""The Debian root filesystem under every base image, made with debootstrap and cached as a tar.

``debootstrap --variant=minbase`` from the host's own Debian mirror (the only Debian source reachable),
plus the few packages the bases need. The tar lands in ``cache_root()/images/debian-<suite>-<key>/``;
the key covers the suite and the package list, so it is made once per machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness.errors import HarnessError
from harness.images.cache import strings_digest
from harness.images.hostconf import debian_mirror, proxy_env, security_mirror
from harness.images.run import run_logged
from harness.locking import cache_lock
from harness.paths import cache_root
from harness.toolchain import apt_ensure, pinned, step

KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
# python3-venv: the bases install Python packages into a venv (bookworm's system pip refuses, PEP 668).
# tini: PID 1 that forwards SIGTERM and reaps children (Spark's JVM), so pods stop promptly.
PACKAGES = ("python3", "python3-venv", "ca-certificates", "tini")
# Bump when the steps below change in a way the package list does not show.
RECIPE = "2"
# Left out of the image: caches a Dockerfile's `apt-get update` rebuilds, and docs nobody reads there.
_PRUNE = ("var/cache/apt", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info")
_MILESTONE = re.compile(
    r"^I: (Retrieving Release|Resolving|Found|Checking|Installing|Unpacking the|"
    r"Configuring the|Base system)|^[EW]: "
)


def rootfs_dir(packages: tuple[str, ...] | None = None) -> Path:
    """The cache directory of the rootfs for the pinned suite and a package list (default :data:`PACKAGES`)."""
    suite = pinned("images", "debian_suite")
    key = strings_digest(suite, "minbase", *(PACKAGES if packages is None else packages), RECIPE)
    return cache_root() / "images" / f"debian-{suite}-{key}"


def _mounts_under(root: Path) -> list[str]:
    with open("/proc/self/mounts") as fh:
        points = [line.split()[1].replace("\\040", " ") for line in fh]
    prefix = str(root.resolve()) + "/"
    return sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True)


def _unmount_under(root: Path) -> None:
    """Undo debootstrap's /proc and /sys mounts, left behind when it fails, before deleting its tree."""
    for point in _mounts_under(root):
        subprocess.run(["umount", "-l", point], check=False)


def _sources(suite: str, mirror: str) -> str:
    stanzas = [f"Types: deb\nURIs: {mirror}\nSuites: {suite} {suite}-updates\nComponents: main\nSigned-By: {KEYRING}\n"]
    security = security_mirror(suite)
    if security:
        stanzas.append(
            f"Types: deb\nURIs: {security}\nSuites: {suite}-security\nComponents: main\nSigned-By: {KEYRING}\n"
        )
    return "\n".join(stanzas)


def _finish(rootfs: Path, suite: str, mirror: str, *, check_python: bool) -> None:
    """Point apt at the host's mirror, drop caches and docs, and check the Python version (if it has one)."""
    (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
    (rootfs / "etc/apt/sources.list.d/debian.sources").write_text(_sources(suite, mirror))
    for rel in _PRUNE:
        target = rootfs / rel
        for child in target.iterdir() if target.is_dir() else []:
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    if not check_python:
        return
    want = pinned("images", "python")
    found = subprocess.run(
        ["chroot", str(rootfs), "python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if found != want:
        raise HarnessError(
            f"Debian {suite}'s python3 is {found or 'missing'}, but [images] python pins "
            f"{want}; update the pin in tools/versions.toml"
        )


def ensure_rootfs(packages: tuple[str, ...] | None = None) -> Path:
    """Return the cached rootfs tar, running debootstrap first when it is not there yet.

    Args:
        packages: what debootstrap includes besides minbase (default :data:`PACKAGES`, the job
            bases'; the kind node passes its own list and gets its own cached tar).

    Returns:
        Path of ``rootfs.tar`` (owners kept numerically, for ``ADD`` in a Dockerfile).

    Raises:
        HarnessError: when debootstrap fails (with its last lines and its log file) or the host has
            no apt source for the pinned suite.
    """
    packages = PACKAGES if packages is None else packages
    out = rootfs_dir(packages)
    tar = out / "rootfs.tar"
    if tar.exists():
        return tar
    with cache_lock(out.parent / ".debootstrap.lock"):
        if tar.exists():
            return tar
        apt_ensure("debootstrap", "debian-archive-keyring")
        suite = pinned("images", "debian_suite")
        mirror = debian_mirror(suite)
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".debootstrap-{suite}-"))
        try:
            rootfs = work / "rootfs"
            with step(f"debootstrap Debian {suite} (minbase + {', '.join(packages)}) from {mirror}"):
                run_logged(
                    [
                        "debootstrap",
                        "--variant=minbase",
                        f"--include={','.join(packages)}",
                        f"--keyring={KEYRING}",
                        suite,
                        str(rootfs),
                        mirror,
                    ],
                    label=f"debootstrap {suite}",
                    show=lambda line: line if _MILESTONE.match(line) else None,
                    env={**os.environ, **proxy_env()},
                )
                _finish(rootfs, suite, mirror, check_python="python3" in packages)
            with step(f"packing the {suite} rootfs into {tar}"):
                partial = work / "rootfs.tar"
                subprocess.run(
                    [
                        "tar",
                        "--numeric-owner",
                        "--xattrs",
                        "--xattrs-include=*",
                        "-C",
                        str(rootfs),
                        "-cf",
                        str(partial),
                        ".",
                    ],
                    check=True,
                )
                out.mkdir(exist_ok=True)
                partial.replace(tar)
        finally:
            _unmount_under(work)
            shutil.rmtree(work, ignore_errors=True)
    return tar
