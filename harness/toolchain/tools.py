"""The pinned command-line tools the project uses, and how each is obtained.

``ensure(name)`` returns the path of a working binary, building or installing it on first use, and
links it into ``.tools/bin`` of this checkout so Make targets and users can call it by name.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from harness.paths import tools_bin
from harness.toolchain.apt import apt_ensure
from harness.toolchain.go import go_build
from harness.toolchain.versions import pinned


def _helm3() -> Path:
    version = pinned("go", "helm3")
    ldflags = (
        f"-s -w -X helm.sh/helm/v3/internal/version.version={version}"
        " -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
    )
    return go_build("helm3", ["helm.sh/helm/v3/cmd/helm"], version=version, ldflags=ldflags) / "helm"


def _helm4() -> Path:
    version = pinned("go", "helm4")
    ldflags = (
        f"-s -w -X helm.sh/helm/v4/internal/version.version={version}"
        " -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
    )
    return go_build("helm4", ["helm.sh/helm/v4/cmd/helm"], version=version, ldflags=ldflags) / "helm"


def _promtool() -> Path:
    apt_ensure(pinned("debian", "promtool"))
    return Path("/usr/bin/promtool")


def _kubectl() -> Path:
    # Built with the Kubernetes server binaries from the same wrapper module (one pinned version).
    from harness.cluster.k8s_build import build_kubernetes

    return build_kubernetes() / "kubectl"


# name on PATH -> how to obtain it
TOOLS: dict[str, Callable[[], Path]] = {
    "helm": _helm3,
    "helm4": _helm4,
    "promtool": _promtool,
    "kubectl": _kubectl,
}


def ensure(name: str) -> Path:
    """Obtain tool ``name`` (cached after the first time) and link it into .tools/bin.

    Raises:
        KeyError: for a tool the project does not pin (the message lists those it does).
    """
    if name not in TOOLS:
        raise KeyError(f"unknown tool {name!r}; pinned tools: {', '.join(sorted(TOOLS))}")
    binary = TOOLS[name]()
    link = tools_bin() / name
    link.parent.mkdir(parents=True, exist_ok=True)
    if not (link.is_symlink() and os.readlink(link) == str(binary)):
        link.unlink(missing_ok=True)
        link.symlink_to(binary)
    return link
