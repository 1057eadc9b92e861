"""Install Debian packages on demand (the machines are Debian 12, we are root)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable

from harness.toolchain.progress import step


def _missing(packages: Iterable[str]) -> list[str]:
    missing = []
    for pkg in packages:
        probe = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True, check=False
        )
        if "install ok installed" not in probe.stdout:
            missing.append(pkg)
    return missing


def apt_ensure(*packages: str) -> None:
    """Install the Debian packages that are not installed yet; a no-op when all are present.

    Services are never started by the install (policy-rc.d denies it): the harness starts what it
    needs on loopback itself.

    Raises:
        RuntimeError: naming the packages and apt's last output line when the install fails.
    """
    missing = _missing(packages)
    if not missing:
        return
    if shutil.which("apt-get") is None:
        raise RuntimeError(f"Debian packages {missing} are needed but apt-get is not available; install them")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    policy = "/usr/sbin/policy-rc.d"
    had_policy = os.path.exists(policy)
    with step(f"apt-get install {' '.join(missing)}"):
        try:
            if not had_policy:
                with open(policy, "w") as fh:
                    fh.write("#!/bin/sh\nexit 101\n")
                os.chmod(policy, 0o755)
            # Wait for the dpkg lock instead of failing when another install (a parallel test) holds it.
            lock = ["-o", "DPkg::Lock::Timeout=300"]
            for cmd in (
                ["apt-get", *lock, "update", "-qq"],
                ["apt-get", *lock, "install", "-y", "-qq", "--no-install-recommends", *missing],
            ):
                done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
                    raise RuntimeError(f"{' '.join(cmd)} failed: {' '.join(tail)}")
        finally:
            if not had_policy and os.path.exists(policy):
                os.remove(policy)
