"""Choose the cluster provider: ``--cluster``, else ``$HARNESS_CLUSTER``, else the first that can run here.

When nothing names one, the harness looks at the machine: the **local** cluster (upstream binaries run by the
harness) needs root on Linux with a writable cgroup filesystem and the overlay filesystem; **kind** needs a
Docker daemon (the harness's own dockerd, which needs root, or the one ``DOCKER_HOST`` names). Local comes
first when both can run: it is the provider ``make test`` is measured on, and faster (a warm
``make test-job NAME=wma-agent-count`` took 119 s on local, 223 s on kind here). The choice and its reason are
printed once per process; when neither can run, the error says what each lacks and how to use a cluster of
one's own (``existing``). A provider is never picked when it cannot run.
"""

from __future__ import annotations

import functools
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.cluster.base import Cluster
from harness.cluster.existing import ExistingCluster
from harness.cluster.kind import KindCluster
from harness.cluster.local import LocalCluster
from harness.errors import HarnessError
from harness.toolchain.progress import say

PROVIDERS = ("local", "kind", "existing")


@dataclass(frozen=True)
class Choice:
    """The provider the harness uses when none is named, and why."""

    provider: str
    reason: str


def local_unavailable() -> str | None:
    """Why the local cluster cannot run on this machine (``None`` when it can)."""
    if platform.system() != "Linux":
        return f"it needs Linux (this is {platform.system()})"
    if os.geteuid() != 0:
        return f"it runs containerd and the kubelet, which need root (running as uid {os.geteuid()})"
    if not os.access("/sys/fs/cgroup", os.W_OK):
        return "/sys/fs/cgroup is read-only (an unprivileged container?), and the kubelet must create cgroups"
    if "overlay" not in Path("/proc/filesystems").read_text():
        return "the kernel has no overlay filesystem (containerd's snapshotter needs it: `modprobe overlay`)"
    return None


def choose_provider(environ: Mapping[str, str], unavailable: Mapping[str, str | None]) -> Choice:
    """The provider to use when ``--cluster`` names none.

    Args:
        environ: the environment (``HARNESS_CLUSTER`` wins).
        unavailable: why ``local`` and ``kind`` cannot run here (``None``: they can).

    Raises:
        HarnessError: when neither can run, saying what each lacks and how to use an existing cluster.
    """
    named = environ.get("HARNESS_CLUSTER")
    if named:
        return Choice(named, "HARNESS_CLUSTER names it")
    local, kind = unavailable.get("local"), unavailable.get("kind")
    if local is None:
        return Choice("local", "root on Linux: the harness runs its own cluster from upstream binaries"
                      + ("" if kind is not None else "; kind could run too: --cluster kind"))
    if kind is None:
        return Choice("kind", f"the local cluster cannot run here: {local}; Docker can")
    raise HarnessError(
        f"no cluster provider can run on this machine: local: {local}; kind: {kind}. "
        "Run as root on a Linux machine or VM, set DOCKER_HOST to a Docker daemon, or use a cluster you have: "
        "HARNESS_CLUSTER=existing HARNESS_KUBECONFIG=<its kubeconfig> HARNESS_REGISTRY=<a registry its nodes pull from>"
    )


def default_provider() -> str:
    """The provider :func:`choose_provider` picks on this machine; says which and why (once per process).

    Raises:
        HarnessError: when no provider can run here.
    """
    from harness.cluster.docker_engine import docker_unavailable

    choice = choose_provider(os.environ, {"local": local_unavailable(), "kind": docker_unavailable()})
    _announce(choice)
    return choice.provider


@functools.cache
def _announce(choice: Choice) -> None:
    say(f"cluster provider: {choice.provider} ({choice.reason})")


def get_cluster(name: str | None = None, *, registry: str | None = None) -> Cluster:
    """The cluster of provider ``name`` (``None``: :func:`default_provider`).

    ``registry`` (``--registry``) is where the existing provider pushes job images (default
    ``$HARNESS_REGISTRY``); the local cluster has its own loopback registry and kind loads images into its nodes.

    Raises:
        HarnessError: for an unknown provider name.
    """
    chosen = name or default_provider()
    if chosen == "local":
        return LocalCluster()
    if chosen == "kind":
        return KindCluster()
    if chosen == "existing":
        return ExistingCluster(registry=registry)
    raise HarnessError(f"unknown cluster provider {chosen!r}; choose one of {', '.join(PROVIDERS)}")
