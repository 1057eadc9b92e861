"""Push packaged charts (dist/*.tgz from `make package`) to an OCI registry with the pinned helm."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.charts.render import helm_binary
from harness.errors import HarnessError
from harness.toolchain.progress import step

_PUSHED = re.compile(r"^Pushed:\s*(\S+)", re.MULTILINE)
_DIGEST = re.compile(r"^Digest:\s*(sha256:[0-9a-f]{64})", re.MULTILINE)


@dataclass(frozen=True)
class PushedChart:
    """One chart in the registry.

    Attributes:
        package: the .tgz that was pushed.
        reference: ``<registry>/<path>/<name>:<version>`` as helm reports it.
        digest: the manifest digest.
    """

    package: Path
    reference: str
    digest: str


def oci_url(registry: str) -> str:
    """``oci://host[:port]/path`` from ``host[:port]/path`` or an ``oci://`` URL (trailing ``/`` dropped).

    Raises:
        HarnessError: for another scheme (helm pushes charts to OCI registries only).
    """
    if "://" in registry and not registry.startswith("oci://"):
        raise HarnessError(f"registry {registry!r}: charts are pushed to OCI registries; use oci://host[:port]/path")
    return ("oci://" + registry.removeprefix("oci://")).rstrip("/")


def publish(packages: Sequence[Path], registry: str, *, plain_http: bool = False) -> list[PushedChart]:
    """``helm push`` every package to ``registry``.

    Args:
        packages: chart archives (``<name>-<version>.tgz``).
        registry: ``oci://host[:port]/path`` (or without the scheme).
        plain_http: talk HTTP instead of HTTPS (a loopback test registry).

    Returns:
        What was pushed, in order.

    Raises:
        HarnessError: when there is nothing to push or helm refuses a push (helm's message).
    """
    if not packages:
        raise HarnessError("no chart packages to publish; run `make package` first (it writes dist/*.tgz)")
    url = oci_url(registry)
    helm = helm_binary(3)
    pushed = []
    for package in packages:
        cmd = [helm, "push", str(package), url, *(["--plain-http"] if plain_http else [])]
        with step(f"helm push {package.name} {url}"):
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        output = done.stdout + done.stderr
        reference, digest = _PUSHED.search(output), _DIGEST.search(output)
        if done.returncode != 0 or not reference or not digest:
            raise HarnessError(f"helm push {package.name} to {url} failed: {output.strip()}")
        pushed.append(PushedChart(package, reference.group(1), digest.group(1)))
    return pushed


def packages_in(dist: Path) -> list[Path]:
    """The chart archives in ``dist`` (sorted), as `make package` leaves them."""
    return sorted(dist.glob("*.tgz"))
