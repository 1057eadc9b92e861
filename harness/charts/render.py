"""Render a chart with a real helm binary (Helm 3 or Helm 4) into parsed Kubernetes objects."""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from harness.errors import HarnessError
from harness.locking import cache_lock
from harness.paths import REPO_ROOT, tools_bin

# The cluster version we target; passed explicitly so Helm 3 and Helm 4 (whose built-in defaults
# differ) render the same Capabilities.
KUBE_VERSION = "1.34.0"
LIBRARY_DIR = REPO_ROOT / "charts" / "cronjob-common"

_built: dict[Path, str] = {}


class RenderError(HarnessError):
    """helm refused the chart or its values; the message is helm's own (it names the key)."""


def helm_binary(major: int = 3) -> str:
    """Path of the pinned helm (3) or helm4 binary installed by `make setup`."""
    path = tools_bin() / ("helm" if major == 3 else "helm4")
    if not path.exists():
        raise HarnessError(f"{path} is missing; run `make setup` to build the pinned helm binaries")
    return str(path)


def _library_digest() -> str:
    """Digest of the library's own files. test-chart/ is pruned before it is read: a concurrent
    `helm dependency build` creates and removes tmpcharts-* directories inside it."""
    sha = hashlib.sha256()
    files: list[Path] = []
    for directory, subdirs, names in os.walk(LIBRARY_DIR):
        subdirs[:] = [d for d in subdirs if d != "test-chart"]
        files.extend(Path(directory) / name for name in names)
    for path in sorted(files):
        sha.update(path.relative_to(LIBRARY_DIR).as_posix().encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()


def build_dependencies(chart: Path, helm: str) -> None:
    """Package the library into chart/charts/ (once per library content in this process)."""
    digest = _library_digest()
    if _built.get(chart) == digest:
        return
    command = [helm, "dependency", "build", "--skip-refresh", str(chart)]
    # One build per chart at a time across processes (xdist workers, parallel sessions): helm works in a
    # tmpcharts-<pid> directory inside the chart that a concurrent build's clean-up can remove under it.
    lock = Path(tempfile.gettempdir()) / f"cronharness-deps-{hashlib.sha1(str(chart).encode()).hexdigest()[:12]}.lock"
    with cache_lock(lock):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0 and "out of sync" in done.stderr:
            # Chart.lock is not versioned (.gitignore): one left by an older library version is stale, not wrong.
            (chart / "Chart.lock").unlink(missing_ok=True)
            done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RenderError(f"helm dependency build {chart} failed: {done.stderr.strip()}")
    _built[chart] = digest


def render_chart(
    chart: Path,
    *,
    values_files: Sequence[Path] = (),
    set_values: Mapping[str, str] | None = None,
    release: str = "test",
    namespace: str = "default",
    helm_major: int = 3,
    include_crds: bool = False,
) -> list[dict[str, Any]]:
    """Run ``helm template`` and return the rendered objects (empty documents dropped).

    Args:
        chart: chart directory.
        values_files: ``-f`` files, later ones win (environment, then job, then test values).
        set_values: ``--set-string``-free ``--set`` pairs (helm parses the types).
        release: release name.
        namespace: release namespace.
        helm_major: 3 or 4.
        include_crds: also render the chart's ``crds/`` (``--include-crds``, as Argo CD does).

    Raises:
        RenderError: with helm's message when it rejects the chart or the values.
    """
    helm = helm_binary(helm_major)
    build_dependencies(chart, helm)
    cmd = [helm, "template", release, str(chart), "--namespace", namespace, "--kube-version", KUBE_VERSION]
    for path in values_files:
        cmd += ["-f", str(path)]
    for key, value in (set_values or {}).items():
        cmd += ["--set", f"{key}={value}"]
    if include_crds:
        cmd.append("--include-crds")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RenderError(done.stderr.strip())
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]
