"""The pyspark wheel, built once from PyPI's sdist and cached by version.

PyPI ships pyspark only as a source distribution of several hundred MB (it bundles Spark's jars);
building it takes minutes. The wheel is pure Python, so it is built once on the host with the host's
pip settings and reused by every spark base build: ``cache_root()/wheels/pyspark-<version>/``.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

from harness.errors import HarnessError
from harness.images.run import run_logged
from harness.locking import cache_lock
from harness.paths import cache_root
from harness.toolchain import pinned, step

_PROGRESS = re.compile(r"^Progress (\d+) of (\d+)")
_MILESTONE = re.compile(r"^\s*(Collecting|Downloading|Building wheel|Created wheel|Successfully|ERROR)")


class _DownloadProgress:
    """Words pip's raw download progress in steps of a tenth, and passes its other milestones on."""

    def __init__(self) -> None:
        self.shown_tenth = -1

    def __call__(self, line: str) -> str | None:
        found = _PROGRESS.match(line)
        if found is None:
            return line.strip() if _MILESTONE.match(line) else None
        done, total = int(found[1]), max(int(found[2]), 1)
        tenth = 10 * done // total
        if tenth <= self.shown_tenth:
            return None
        self.shown_tenth = tenth
        return f"downloaded {done >> 20} of {total >> 20} MiB"


def wheel_dir(version: str) -> Path:
    """The cache directory holding the pyspark ``version`` wheel."""
    return cache_root() / "wheels" / f"pyspark-{version}"


def pip_wheel_command(version: str, wheel_dir: Path) -> list[str]:
    """The pip command that builds the pyspark ``version`` wheel into ``wheel_dir``.

    Runs the venv's own pip, pinned in tools/python-tools.txt: ``--progress-bar raw`` needs pip 24.1+, and
    a unit test checks every flag here against the pinned pip.
    """
    return [
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--progress-bar", "raw",
        "--wheel-dir", str(wheel_dir), f"pyspark=={version}",
    ]


def ensure_pyspark_wheel() -> Path:
    """Return the cached pyspark wheel of the pinned version, building it first if needed.

    Returns:
        Path of the ``.whl`` file.

    Raises:
        HarnessError: when pip cannot download or build it (pip's last lines and log file included).
    """
    version = pinned("images", "pyspark")
    out = wheel_dir(version)
    wheel = out / f"pyspark-{version}-py2.py3-none-any.whl"
    if wheel.exists():
        return wheel
    with cache_lock(out.parent / ".pyspark.lock"):
        if wheel.exists():
            return wheel
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".pyspark-{version}-"))
        try:
            with step(f"building the pyspark {version} wheel from its PyPI sdist (once; cached in {out})"):
                run_logged(
                    pip_wheel_command(version, work),
                    label=f"pyspark {version} wheel",
                    show=_DownloadProgress(),
                    # pip's cache on: `make setup` installed pyspark into the venv from the same sdist, so
                    # pip reuses the wheel it built then instead of downloading and building it again.
                )
            built = list(work.glob("pyspark-*.whl"))
            if [w.name for w in built] != [wheel.name]:
                raise HarnessError(f"pip built {[w.name for w in built]} in {work}, expected {wheel.name}")
            out.mkdir(exist_ok=True)
            built[0].replace(wheel)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return wheel
