"""git, run on a work tree or repository by the delivery tools (Argo CD's git server, its test copies, diff)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from harness.errors import HarnessError


def git(repo: Path, *args: str) -> str:
    """``git -C repo <args>``; its output, stripped.

    Raises:
        HarnessError: when git exits non-zero (the command, the repository and git's message).
    """
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise HarnessError(f"`git {' '.join(args)}` in {repo} failed: {done.stderr.strip()}")
    return done.stdout.strip()
