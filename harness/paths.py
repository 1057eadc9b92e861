"""Where things live: the repository, the build cache and the runtime state."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def cache_root() -> Path:
    """Expensive, versioned build outputs (Go binaries, Maven jars, base images).

    Kept across checkouts and sessions so a second run is fast; override with HARNESS_CACHE_DIR.
    """
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cronharness"
    return Path(os.environ.get("HARNESS_CACHE_DIR", default))


def state_root() -> Path:
    """Runtime state of running clusters and services (PIDs, data dirs, logs, kubeconfig).

    Machine-wide (not per checkout) because the local cluster and services own fixed loopback ports;
    override with HARNESS_STATE_DIR.
    """
    default = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "cronharness"
    return Path(os.environ.get("HARNESS_STATE_DIR", default))


def tools_bin() -> Path:
    """Directory of pinned tool binaries (helm, helm4, kubectl, ...) linked for this checkout."""
    return REPO_ROOT / ".tools" / "bin"
