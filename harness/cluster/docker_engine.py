"""Docker for the kind provider: Debian's docker.io, run by the harness with a contained network.

The harness starts its own ``dockerd`` (its socket, data-root and exec-root under
``state_root()/docker``) rather than the system service, because a default dockerd rewrites the
host's iptables (FORWARD policy DROP, MASQUERADE for its bridges), which would break the local
cluster and break the network rule. This one runs with:

- ``iptables: false``, ``ip-masq: false``, ``ip-forward: false``: dockerd touches no firewall rule,
  masquerades nothing and leaves the host's ip_forward as it is;
- ``bridge: none``: no docker0 at all; kind's nodes sit on one network (:data:`KIND_NETWORK`,
  masquerade off), and the node image's entrypoint deletes the default route Docker gives them
  (images/kind-node/cronharness-entrypoint), so nothing a node or pod sends can leave the machine;
  the API server's port is published by docker-proxy on 127.0.0.1 only. (An ``--internal`` network
  does not do this here: without iptables Docker still gives its containers a default route, and it
  publishes no ports for them.)
- address pools in 172.30.0.0/16, clear of the local cluster's pod range 10.88.0.0/16 and Service
  range 10.96.0.0/12.

Where this VM's capability bounding set lacks a capability (CAP_SYS_RESOURCE here), privileged
containers fail in runc; only then is the :mod:`harness.cluster.runc_caps` wrapper registered as the
default runtime (a workaround for such VMs, documented in that module).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.cluster import runc_caps
from harness.cluster.cleanup import unmount_all
from harness.errors import HarnessError
from harness.paths import state_root
from harness.process import ManagedProcess
from harness.toolchain import apt_ensure, pinned
from harness.toolchain.progress import step
from harness.waiting import wait_until

ADDRESS_POOL = "172.30.0.0/16"
KIND_NETWORK = "kind"
KIND_SUBNET = "172.30.0.0/24"
# Interface names are at most 15 characters.
KIND_BRIDGE = "cronkind0"
WRAPPER_RUNTIME = "cronharness-runc"


@dataclass(frozen=True)
class DockerLayout:
    """Where the harness's dockerd keeps everything."""

    root: Path

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def host(self) -> str:
        """The DOCKER_HOST value that points the docker CLI (and kind) at this daemon."""
        return f"unix://{self.socket}"

    @property
    def config(self) -> Path:
        return self.root / "daemon.json"

    @property
    def wrapper(self) -> Path:
        return self.root / "runc-caps"

    @property
    def process(self) -> ManagedProcess:
        return ManagedProcess("dockerd", self.root / "dockerd.pid", self.root / "dockerd.log")


def layout() -> DockerLayout:
    """The layout under ``state_root()/docker``, symlinks resolved (runc refuses a rootfs path with one)."""
    return DockerLayout(state_root().resolve() / "docker")


def host_missing_capabilities() -> list[str]:
    """Capabilities this machine's bounding set lacks (``["CAP_SYS_RESOURCE"]`` on the project's VMs)."""
    with open("/proc/self/status") as fh:
        return runc_caps.missing_capabilities(fh.read())


def daemon_config(where: DockerLayout, *, wrap_runc: bool) -> dict[str, Any]:
    """The daemon.json of the harness's dockerd.

    Args:
        where: the daemon's layout.
        wrap_runc: register :mod:`harness.cluster.runc_caps` as the default runtime (only where the
            bounding set lacks a capability).

    Returns:
        The configuration as a dict (written as JSON).
    """
    config: dict[str, Any] = {
        "hosts": [where.host],
        "data-root": str(where.root / "data"),
        "exec-root": str(where.root / "exec"),
        "pidfile": str(where.root / "dockerd.daemon.pid"),
        "iptables": False,
        "ip-masq": False,
        "ip-forward": False,
        "bridge": "none",
        "default-address-pools": [{"base": ADDRESS_POOL, "size": 24}],
        "userland-proxy": True,
        "storage-driver": "overlay2",
        "exec-opts": ["native.cgroupdriver=cgroupfs"],
        "log-driver": "json-file",
        "log-opts": {"max-size": "10m", "max-file": "2"},
    }
    if wrap_runc:
        config["runtimes"] = {WRAPPER_RUNTIME: {"path": str(where.wrapper)}}
        config["default-runtime"] = WRAPPER_RUNTIME
    return config


def docker(*args: str, timeout: float = 300, input_bytes: bytes | None = None) -> str:
    """Run the docker CLI against the harness's dockerd and return its stdout.

    Raises:
        HarnessError: when docker exits non-zero (with its stderr) or runs past ``timeout``.
    """
    try:
        done = subprocess.run(
            ["docker", *args], input=input_bytes, capture_output=True, check=False, timeout=timeout,
            env=docker_env(),
        )
    except subprocess.TimeoutExpired as exc:
        raise HarnessError(f"`docker {' '.join(args)}` did not finish within {timeout:.0f}s") from exc
    if done.returncode != 0:
        raise HarnessError(f"`docker {' '.join(args)}` failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode(errors="replace")


def docker_env() -> dict[str, str]:
    """The environment for docker/kind commands: DOCKER_HOST set to the harness's daemon."""
    return {**os.environ, "DOCKER_HOST": layout().host}


def _answers() -> bool:
    done = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True,
                          check=False, timeout=30, env=docker_env())
    return done.returncode == 0


def ensure_docker() -> DockerLayout:
    """Install docker.io if needed, start the harness's dockerd unless it runs, and create the kind network.

    Returns:
        The daemon's layout (its ``host`` goes into DOCKER_HOST).

    Raises:
        HarnessError: when the install fails or dockerd does not answer within a minute (with its log).
    """
    reason = docker_unavailable()
    if reason is not None:
        raise HarnessError(f"the kind provider needs Docker, but {reason}; use --provider local")
    apt_ensure(pinned("cluster", "docker"))
    where = layout()
    if not where.process.running():
        where.root.mkdir(parents=True, exist_ok=True)
        missing = host_missing_capabilities()
        if missing:
            shutil.copyfile(runc_caps.__file__, where.wrapper)
            where.wrapper.chmod(0o755)
        where.config.write_text(json.dumps(daemon_config(where, wrap_runc=bool(missing)), indent=2) + "\n")
        note = f", runtime wrapper dropping {', '.join(missing)}" if missing else ""
        with step(f"starting dockerd (socket {where.socket}, no iptables, no masquerade{note})"):
            where.process.start(["dockerd", f"--config-file={where.config}"])
            wait_until(_answers, timeout=60, what="dockerd to answer",
                       describe=lambda: where.process.log_tail(10))
    ensure_kind_network()
    return where


def kind_network_args() -> list[str]:
    """``docker network create`` arguments of the network kind's nodes join (kind reuses it by name).

    IPv4 only, a fixed subnet in :data:`ADDRESS_POOL`, masquerading off for the bridge as well as
    daemon-wide, and a bridge name the containment checks look for.
    """
    return [
        "network", "create", "--driver=bridge", f"--subnet={KIND_SUBNET}",
        "--opt", "com.docker.network.bridge.enable_ip_masquerade=false",
        "--opt", f"com.docker.network.bridge.name={KIND_BRIDGE}",
        "--opt", "com.docker.network.driver.mtu=1500",
        KIND_NETWORK,
    ]


def ensure_kind_network() -> None:
    """Create the kind network unless it exists."""
    names = docker("network", "ls", "--format", "{{.Name}}").split()
    if KIND_NETWORK not in names:
        docker(*kind_network_args())


def remove_kind_network() -> None:
    """Remove the kind network (and so its bridge) once no container is attached to it."""
    if not layout().process.running():
        return
    names = docker("network", "ls", "--format", "{{.Name}}").split()
    if KIND_NETWORK in names:
        attached = docker("network", "inspect", "--format", "{{len .Containers}}", KIND_NETWORK).strip()
        if attached == "0":
            docker("network", "rm", KIND_NETWORK)


def docker_unavailable() -> str | None:
    """Why Docker cannot run on this machine (``None`` when the harness can install and start it)."""
    if os.geteuid() != 0:
        return "the harness runs its own dockerd, which needs root"
    if shutil.which("dockerd") is None and shutil.which("apt-get") is None:
        return "Docker is not installed and there is no apt-get to install Debian's docker.io"
    return None


def stop_docker() -> None:
    """Stop the harness's dockerd and undo its mounts (its data-root stays, with the node image).

    Raises:
        HarnessError: naming the mounts under the daemon's directory that could not be unmounted.
    """
    where = layout()
    if where.process.running():
        with step("stopping dockerd"):
            where.process.stop(grace=30)
    # dockerd bind-mounts its data-root onto itself and leaves that behind when it stops.
    failed = unmount_all(where.root)
    if failed:
        raise HarnessError(f"dockerd stopped, but these mounts remain: {', '.join(failed)}; unmount them")
