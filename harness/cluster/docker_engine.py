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

When ``DOCKER_HOST`` is set (``tcp://docker:2375`` for GitLab's Docker-in-Docker service), the harness uses
that daemon instead: it starts no dockerd, never changes that daemon's configuration, and creates the kind
network there without a fixed subnet or bridge name (the daemon's own pools decide).
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
    """Where a dockerd run by the harness keeps everything.

    ``tcp`` (``127.0.0.1:<port>``) makes it listen on TCP instead of its socket: the tests' stand-in for
    GitLab's Docker-in-Docker service.
    """

    root: Path
    tcp: str | None = None

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def host(self) -> str:
        """The DOCKER_HOST value that points the docker CLI (and kind) at this daemon."""
        return f"tcp://{self.tcp}" if self.tcp else f"unix://{self.socket}"

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


@dataclass(frozen=True)
class ExternalDaemon:
    """A Docker daemon named by ``DOCKER_HOST`` that the harness uses but does not own.

    ``host`` is the name or address the daemon is reached at (``docker`` in GitLab's DinD service): ports
    it publishes are on that host, so the API server is published there and the kubeconfig points at it.
    """

    url: str
    host: str

    @property
    def api_server_address(self) -> str:
        """Where the daemon publishes the API server's port (kind's ``networking.apiServerAddress``).

        A daemon on this machine's loopback publishes on that loopback address only. Elsewhere (the DinD
        service container) the address the job reaches the daemon at is not known to the daemon, so the port
        is published on all of the daemon host's addresses.
        """
        loopback = _loopback_address(self.host)
        return loopback if loopback is not None else "0.0.0.0"


def _loopback_address(host: str) -> str | None:
    """``host`` as a loopback IPv4 address, or ``None`` when it is not one (names are resolved)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:
            address = ipaddress.ip_address(socket.gethostbyname(host))
        except OSError:
            return None
        # A name (``localhost``) is published on the address it resolves to.
    return str(address) if address.version == 4 and address.is_loopback else None


def external_daemon(environ: dict[str, str] | os._Environ[str] = os.environ) -> ExternalDaemon | None:
    """The daemon ``DOCKER_HOST`` names, or ``None`` when it is unset (the harness runs its own dockerd).

    Raises:
        HarnessError: when DOCKER_HOST is not a ``tcp://host:port`` or ``unix://path`` URL.
    """
    url = environ.get("DOCKER_HOST", "")
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme == "unix" and parts.path:
        return ExternalDaemon(url, "127.0.0.1")
    if parts.scheme == "tcp" and parts.hostname and parts.port:
        return ExternalDaemon(url, parts.hostname)
    raise HarnessError(
        f"DOCKER_HOST={url!r} is not a Docker daemon the kind provider can use: give tcp://<host>:<port> "
        f"(GitLab's Docker-in-Docker service: tcp://docker:2375) or unix://<socket>, or unset DOCKER_HOST to "
        f"let the harness run its own dockerd"
    )


def host_missing_capabilities() -> list[str]:
    """Capabilities this machine's bounding set lacks (``["CAP_SYS_RESOURCE"]`` on the project's VMs)."""
    with open("/proc/self/status") as fh:
        return runc_caps.missing_capabilities(fh.read())


def daemon_config(where: DockerLayout, *, wrap_runc: bool, pool: str = ADDRESS_POOL) -> dict[str, Any]:
    """The daemon.json of a dockerd run by the harness.

    Args:
        where: the daemon's layout.
        wrap_runc: register :mod:`harness.cluster.runc_caps` as the default runtime (only where the
            bounding set lacks a capability).
        pool: the range its networks are allocated from.

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
        "default-address-pools": [{"base": pool, "size": 24}],
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


def docker_host() -> str:
    """The DOCKER_HOST of docker/kind commands: the daemon DOCKER_HOST names, else the harness's own."""
    external = external_daemon()
    return external.url if external else layout().host


def docker_env() -> dict[str, str]:
    """The environment for docker/kind commands: DOCKER_HOST set to the daemon in use."""
    return {**os.environ, "DOCKER_HOST": docker_host()}


def _version(host: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True,
                          text=True, check=False, timeout=30, env={**os.environ, "DOCKER_HOST": host})


def daemon_running() -> bool:
    """Whether the daemon in use runs: the harness's dockerd process, or DOCKER_HOST's daemon answering."""
    external = external_daemon()
    if external is None:
        return layout().process.running()
    return shutil.which("docker") is not None and _version(external.url).returncode == 0


def start_daemon(where: DockerLayout, *, pool: str = ADDRESS_POOL) -> None:
    """Start a dockerd with :func:`daemon_config` at ``where`` and wait until it answers.

    Raises:
        HarnessError: when it does not answer within a minute (with its log).
    """
    where.root.mkdir(parents=True, exist_ok=True)
    missing = host_missing_capabilities()
    if missing:
        shutil.copyfile(runc_caps.__file__, where.wrapper)
        where.wrapper.chmod(0o755)
    where.config.write_text(json.dumps(daemon_config(where, wrap_runc=bool(missing), pool=pool), indent=2) + "\n")
    note = f", runtime wrapper dropping {', '.join(missing)}" if missing else ""
    with step(f"starting dockerd ({where.host}, no iptables, no masquerade{note})"):
        where.process.start(["dockerd", f"--config-file={where.config}"])
        wait_until(lambda: _version(where.host).returncode == 0, timeout=60, what="dockerd to answer",
                   describe=lambda: where.process.log_tail(10))


def stop_daemon(where: DockerLayout) -> None:
    """Stop a dockerd run by the harness and undo its mounts (its data-root stays).

    Raises:
        HarnessError: naming the mounts under the daemon's directory that could not be unmounted.
    """
    if where.process.running():
        with step(f"stopping dockerd ({where.host})"):
            where.process.stop(grace=30)
    # dockerd bind-mounts its data-root onto itself and leaves that behind when it stops.
    failed = unmount_all(where.root)
    if failed:
        raise HarnessError(f"dockerd stopped, but these mounts remain: {', '.join(failed)}; unmount them")


def ensure_docker() -> None:
    """Make the daemon in use answer and create the kind network on it.

    With DOCKER_HOST set, that daemon must answer already (nothing is started or reconfigured); else
    docker.io is installed if needed and the harness's dockerd started unless it runs.

    Raises:
        HarnessError: when the install fails, the harness's dockerd does not answer within a minute (with
            its log), or DOCKER_HOST's daemon does not answer (with docker's error).
    """
    reason = docker_unavailable()
    if reason is not None:
        raise HarnessError(f"the kind provider needs Docker, but {reason}; use --provider local")
    external = external_daemon()
    if external is None or shutil.which("docker") is None:
        apt_ensure(pinned("cluster", "docker"))
    if external is not None:
        done = _version(external.url)
        if done.returncode != 0:
            raise HarnessError(
                f"the Docker daemon DOCKER_HOST={external.url} does not answer: {done.stderr.strip()}\n"
                f"start it (in GitLab CI: the docker:dind service, reached as `docker`) or unset DOCKER_HOST to "
                f"let the harness run its own dockerd"
            )
    elif not layout().process.running():
        start_daemon(layout())
    ensure_kind_network()


def kind_network_args(*, own_daemon: bool) -> list[str]:
    """``docker network create`` arguments of the network kind's nodes join (kind reuses it by name).

    IPv4 only and masquerading off for the bridge. On the harness's own dockerd: a fixed subnet in
    :data:`ADDRESS_POOL` and a bridge name the containment checks look for. On a daemon DOCKER_HOST names,
    its own pools choose the subnet and the bridge keeps Docker's name, so nothing collides with what runs
    there (or, for a daemon on this machine, with the harness's own dockerd).
    """
    fixed = [f"--subnet={KIND_SUBNET}", "--opt", f"com.docker.network.bridge.name={KIND_BRIDGE}"] if own_daemon else []
    return [
        "network", "create", "--driver=bridge", *fixed,
        "--opt", "com.docker.network.bridge.enable_ip_masquerade=false",
        "--opt", "com.docker.network.driver.mtu=1500",
        KIND_NETWORK,
    ]


def ensure_kind_network() -> None:
    """Create the kind network unless it exists."""
    names = docker("network", "ls", "--format", "{{.Name}}").split()
    if KIND_NETWORK not in names:
        docker(*kind_network_args(own_daemon=external_daemon() is None))


def remove_kind_network() -> None:
    """Remove the kind network (and so its bridge) once no container is attached to it."""
    if not daemon_running():
        return
    names = docker("network", "ls", "--format", "{{.Name}}").split()
    if KIND_NETWORK in names:
        attached = docker("network", "inspect", "--format", "{{len .Containers}}", KIND_NETWORK).strip()
        if attached == "0":
            docker("network", "rm", KIND_NETWORK)


def docker_unavailable() -> str | None:
    """Why Docker cannot run on this machine (``None`` when the harness can install and start it, or
    DOCKER_HOST names a daemon and the docker CLI is there or can be installed)."""
    if os.environ.get("DOCKER_HOST") and (shutil.which("docker") or shutil.which("apt-get")):
        return None
    if os.geteuid() != 0:
        return "the harness runs its own dockerd, which needs root"
    if shutil.which("dockerd") is None and shutil.which("apt-get") is None:
        return "Docker is not installed and there is no apt-get to install Debian's docker.io"
    return None


def stop_docker() -> None:
    """Stop the harness's dockerd and undo its mounts (its data-root stays, with the node image); a daemon
    DOCKER_HOST names is not the harness's to stop.

    Raises:
        HarnessError: naming the mounts under the daemon's directory that could not be unmounted.
    """
    if external_daemon() is None:
        stop_daemon(layout())
