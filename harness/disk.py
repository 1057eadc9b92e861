"""Free disk, checked before work that writes a lot: a full disk otherwise shows up late and indirectly (the
kubelet's image garbage collection removes the pause image, and every new pod then fails to start)."""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.errors import HarnessError

GIB = 1024**3
#: What the local cluster needs free to keep running a suite once its images are built; a first `make test`
#: writes about 40 GB more (builds, image archives, the cluster's image store), measured 2026-12-06.
CLUSTER_MIN_FREE = 10 * GIB
FIRST_RUN_WRITES = 45 * GIB


def require_free_disk(path: Path, minimum: int, who: str) -> None:
    """Raise a clear error when the filesystem holding ``path`` (or its nearest existing parent) has less
    than ``minimum`` bytes free, naming ``who`` needs it and what to do."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    if free < minimum:
        raise HarnessError(
            f"{who} needs at least {minimum / GIB:.0f} GB free on the filesystem of {existing}, which has "
            f"{free / GIB:.1f} GB: free some (old clusters: `harness cluster down --purge`; stale builds under "
            f"~/.cache/cronharness) or point HARNESS_STATE_DIR and HARNESS_CACHE_DIR to a larger disk "
            f"(a first `make test` writes about {FIRST_RUN_WRITES / GIB:.0f} GB)"
        )
