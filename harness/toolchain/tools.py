"""The pinned command-line tools the project uses, and how each is obtained.

``ensure(name)`` returns the path of a working binary, building or installing it on first use, and
links it into ``.tools/bin`` of this checkout so Make targets and users can call it by name.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from harness.paths import cache_root, tools_bin
from harness.toolchain.apt import apt_ensure
from harness.toolchain.go import go_build
from harness.toolchain.progress import step
from harness.toolchain.versions import PYTHON_TOOLS, pinned


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


def _checkov() -> Path:
    # Its own venv: checkov pins many libraries that must not constrain the project's.
    version = pinned("pypi", "checkov")
    venv = cache_root() / "pypi" / f"checkov-{version}"
    binary = venv / "bin" / "checkov"
    if not binary.exists():
        with step(f"installing checkov {version} from PyPI into {venv}"):
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            subprocess.run([*pip, "--requirement", str(PYTHON_TOOLS)], check=True)
            subprocess.run([*pip, f"checkov=={version}"], check=True)
    return binary


def _readme_generator() -> Path:
    version = pinned("npm", "readme-generator-for-helm")
    prefix = cache_root() / "npm" / f"readme-generator-for-helm-{version}"
    binary = prefix / "node_modules" / ".bin" / "readme-generator"
    if not binary.exists():
        with step(f"installing @bitnami/readme-generator-for-helm {version} from npm into {prefix}"):
            prefix.mkdir(parents=True, exist_ok=True)
            subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(prefix),
                            f"@bitnami/readme-generator-for-helm@{version}"], check=True)
    return binary


# name on PATH -> how to obtain it
TOOLS: dict[str, Callable[[], Path]] = {
    "helm": _helm3,
    "helm4": _helm4,
    "promtool": _promtool,
    "kubectl": _kubectl,
    "checkov": _checkov,
    "readme-generator": _readme_generator,
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
