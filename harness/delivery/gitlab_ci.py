"""gitlab-ci-local (npm): runs .gitlab-ci.yml jobs on this machine with the shell executor, no Docker.

Used by the test that proves the pipeline file is valid and that its lint and unit jobs pass as GitLab would
run them (a fresh checkout, the job's own variables, before_script and script).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from harness.paths import cache_root
from harness.toolchain.apt import apt_ensure
from harness.toolchain.progress import step
from harness.toolchain.versions import pinned


def gitlab_ci_local() -> Path:
    """The pinned gitlab-ci-local binary, installed from npm into the cache on first use.

    Its shell executor with ``--shell-isolation`` copies the checkout with rsync (a Debian package).

    Raises:
        subprocess.CalledProcessError: when npm cannot install it.
        RuntimeError: when rsync cannot be installed.
    """
    version = pinned("delivery", "gitlab-ci-local")
    prefix = cache_root() / "npm" / f"gitlab-ci-local-{version}"
    binary = prefix / "node_modules" / ".bin" / "gitlab-ci-local"
    apt_ensure("rsync")
    if not binary.exists():
        with step(f"installing gitlab-ci-local {version} from npm into {prefix}"):
            prefix.mkdir(parents=True, exist_ok=True)
            subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(prefix),
                            f"gitlab-ci-local@{version}"], check=True)
    return binary


def _go_env(name: str) -> str:
    return subprocess.run(["go", "env", name], capture_output=True, text=True, check=True).stdout.strip()


def machine_cache_variables() -> dict[str, str]:
    """Pipeline variables that point the jobs' caches at this machine's, instead of the project directory.

    In GitLab the caches live in the project directory (kept by GitLab's cache); run locally they would start
    empty and rebuild helm from source, so a local run reuses what `make setup` already built here.
    """
    return {
        "HARNESS_CACHE_DIR": str(cache_root()),
        "GOMODCACHE": _go_env("GOMODCACHE"),
        "GOCACHE": _go_env("GOCACHE"),
        "PIP_CACHE_DIR": str(Path.home() / ".cache" / "pip"),
        "npm_config_cache": str(Path.home() / ".npm"),
    }
