"""Build the pinned Kubernetes, etcd, CoreDNS and local-path-provisioner binaries from Go modules (cached
by version).

Kubernetes comes from the wrapper module tools/go/k8s (k8s.io/kubernetes with each staging module
replaced by its published v0.<minor>.<patch>); etcd from tools/go/etcd (a ``main`` that calls
``etcdmain.Main`` of go.etcd.io/etcd/server/v3); CoreDNS and the local-path-provisioner from
tools/go/coredns and tools/go/local-path-provisioner (each module's root ``main`` package as a Go
tool). All go through ``harness.toolchain.go_build``, which shows progress and keys the cache on
go.mod/go.sum, the packages and the ldflags.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from harness.toolchain import go_build, pinned
from harness.toolchain.go import _go, binary_name

KUBE_BINARIES = (
    "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl",
)
# What kind's node needs besides (kubeadm sets it up): built from a wrapper module of its own
# (tools/go/k8s-node: tools/go/k8s plus the go.sum lines kubeadm needs), so that adding kubeadm leaves the
# local cluster's cached build (and its key) as it is; Go's build cache shares the common packages.
NODE_EXTRA_BINARIES = ("kubeadm",)

# Packages whose variables carry the version: the server components read component-base's,
# client-go's is what kubectl reports as its client version.
_VERSION_PACKAGES = ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")


def _release_time(module: str, version: str) -> str:
    """The module version's publication time from the Go proxy (a stable, reproducible buildDate)."""
    listed = subprocess.run(
        [_go(), "list", "-m", "-json", f"{module}@{version}"],
        capture_output=True, text=True, check=False,
        env={**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"},
    )
    if listed.returncode != 0:
        raise RuntimeError(f"`go list -m {module}@{version}` failed: {listed.stderr.strip()}")
    return str(json.loads(listed.stdout)["Time"])


def kube_ldflags(version: str, build_date: str) -> str:
    """The ``-ldflags`` that stamp ``version`` into every binary (what hack/lib/version.sh sets).

    Args:
        version: a release tag such as ``v1.34.4``.
        build_date: RFC 3339 time reported as buildDate.

    Returns:
        The ldflags string (stripped binaries, version variables set).

    Raises:
        ValueError: when ``version`` is not of the form vMAJOR.MINOR.PATCH.
    """
    match = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)", version)
    if match is None:
        raise ValueError(f"Kubernetes version {version!r} is not vMAJOR.MINOR.PATCH")
    values = {
        "gitVersion": version,
        "gitMajor": match.group(1),
        "gitMinor": match.group(2),
        "gitTreeState": "clean",
        "buildDate": build_date,
    }
    flags = ["-s", "-w"]
    for package in _VERSION_PACKAGES:
        flags += [f"-X {package}.{key}={value}" for key, value in values.items()]
    return " ".join(flags)


def _build_kube(module: str, binaries: tuple[str, ...]) -> Path:
    version = pinned("go", "kubernetes")
    ldflags = kube_ldflags(version, _release_time("k8s.io/kubernetes", version))
    packages = [f"k8s.io/kubernetes/cmd/{name}" for name in binaries]
    # Upstream release binaries are static (CGO_ENABLED=0); so are ours.
    return go_build(module, packages, version=version, ldflags=ldflags, env={"CGO_ENABLED": "0"})


def build_kubernetes() -> Path:
    """Return the bin dir with kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
    kube-proxy and kubectl.

    The first call builds them (about 20-30 minutes on 2 cores); later calls are a cache hit.

    Returns:
        The directory holding the six binaries.

    Raises:
        RuntimeError: when Go is missing or the build fails.
    """
    return _build_kube("k8s", KUBE_BINARIES)


def build_node_extras() -> Path:
    """Return the bin dir with kubeadm (kind's node), built like :func:`build_kubernetes`.

    Raises:
        RuntimeError: when Go is missing or the build fails.
    """
    return _build_kube("k8s-node", NODE_EXTRA_BINARIES)


def _static_build(wrapper: str, package: str, version: str) -> Path:
    """One static (CGO_ENABLED=0), stripped main package of the wrapper module tools/go/<wrapper>.

    Returns:
        The binary (built on first use, a cache hit afterwards).

    Raises:
        RuntimeError: when Go is missing or the build fails.
    """
    return go_build(wrapper, [package], version=version, ldflags="-s -w",
                    env={"CGO_ENABLED": "0"}) / binary_name(package)


def build_etcd() -> Path:
    """The pinned etcd server binary (tools/go/etcd). Raises RuntimeError when the build fails."""
    return _static_build("etcd", "cronharness/tools/etcd", pinned("cluster", "etcd"))


def build_coredns() -> Path:
    """The pinned CoreDNS binary (tools/go/coredns). Raises RuntimeError when the build fails."""
    return _static_build("coredns", "github.com/coredns/coredns", pinned("cluster", "coredns"))


def build_local_path_provisioner() -> Path:
    """The pinned local-path-provisioner (tools/go/local-path-provisioner). Raises RuntimeError when the
    build fails."""
    return _static_build("local-path-provisioner", "github.com/rancher/local-path-provisioner",
                         pinned("cluster", "local-path-provisioner"))
