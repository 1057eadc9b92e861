"""containerd (Debian's 1.6) as the local cluster's CRI runtime: its config, registry hosts and image imports.

Everything containerd keeps lives under the cluster's state dir (root, state, socket, network
namespaces, registry hosts), so ``down`` can find and remove all of it and nothing collides with a system
containerd.

Registries: the CRI reads ``config_path``, a directory of ``<host:port>/hosts.toml`` files, rather than the
``registry.mirrors``/``configs`` tables. Those tables are deprecated in 1.6 and gone in containerd 2 (which
kubelet 1.36+ needs), and they are read once at start, whereas the hosts directory is read at every pull:
only setting ``config_path`` needs a containerd restart, a registry's hosts file can be written or changed
while the cluster runs. The loopback registry's file says plain HTTP, explicitly rather than through
containerd's "localhost means HTTP" default.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError

# Unix socket paths are limited to 107 bytes (sun_path); say so instead of failing obscurely.
_MAX_SOCKET_PATH = 107


@dataclass(frozen=True)
class ContainerdLayout:
    """Where one containerd instance keeps its things (its socket, config, stores and registry hosts)."""

    directory: Path

    @property
    def config(self) -> Path:
        return self.directory / "config.toml"

    @property
    def root(self) -> Path:
        return self.directory / "root"

    @property
    def state(self) -> Path:
        return self.directory / "state"

    @property
    def socket(self) -> Path:
        return self.directory / "containerd.sock"

    @property
    def runc_root(self) -> Path:
        return self.state / "runc"

    @property
    def hosts_dir(self) -> Path:
        """The CRI's registry ``config_path``: one ``<host:port>/hosts.toml`` per configured registry."""
        return self.directory / "certs.d"


def render_config(
    layout: ContainerdLayout, *, sandbox_image: str, cni_bin_dir: Path, cni_conf_dir: Path
) -> str:
    """The containerd config.toml for this host.

    Args:
        layout: where this instance keeps its root, state and socket.
        sandbox_image: the pause image, imported when containerd starts (never pulled).
        cni_bin_dir: where the CNI plugin binaries are (Debian: /usr/lib/cni).
        cni_conf_dir: the directory holding the cluster's one CNI conflist.

    Returns:
        The TOML text.
    """
    return f"""\
# Written by harness/cluster (local provider); regenerated on every `harness cluster up`.
version = 2
root = "{layout.root}"
state = "{layout.state}"

[grpc]
  address = "{layout.socket}"

# No TCP endpoints: the ttrpc/debug/metrics listeners stay off.
[ttrpc]
  address = ""
[debug]
  address = ""
[metrics]
  address = ""

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "{layout.directory / 'opt'}"

  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "{sandbox_image}"
    # The VM lacks CAP_SYS_RESOURCE: without this, runc cannot lower a container's oom_score_adj
    # below containerd's and fails with "can't get final child's PID from pipe".
    restrict_oom_score_adj = true
    # Keep the pods' network namespaces under our state dir so `down` can find and unmount them.
    netns_mounts_under_state_dir = true
    # exec/attach/port-forward streaming: loopback only.
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    disable_tcp_service = true
    # The VM has no AppArmor; there is no hugetlb controller to tolerate either.
    disable_apparmor = true
    tolerate_missing_hugetlb_controller = true

    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"

        # runc, not crun (crun fails on this cgroup-v1 hybrid host); cgroupfs, not systemd (there is
        # no systemd here and the kubelet is told --cgroup-driver=cgroupfs to match).
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          BinaryName = "runc"
          Root = "{layout.runc_root}"
          SystemdCgroup = false

    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "{cni_bin_dir}"
      conf_dir = "{cni_conf_dir}"
      max_conf_num = 1

    # Registry hosts from files read at every pull (see the module docstring; write_registry_host).
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "{layout.hosts_dir}"
"""


def registry_hosts_toml(address: str) -> str:
    """The ``hosts.toml`` of a plain-HTTP registry at ``address`` (``127.0.0.1:<port>``): pull and resolve there.

    Returns:
        The TOML text.
    """
    return f"""\
# Written by harness/cluster (local provider): the loopback registry, plain HTTP.
server = "http://{address}"

[host."http://{address}"]
  capabilities = ["pull", "resolve"]
"""


def write_registry_host(layout: ContainerdLayout, address: str) -> Path:
    """Write the hosts file of the registry at ``address`` where the CRI looks for it (takes effect at once).

    Returns:
        The file written.
    """
    path = layout.hosts_dir / address / "hosts.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(registry_hosts_toml(address))
    return path


def check_socket_path(socket: Path) -> None:
    """Fail clearly when the socket path is too long for a unix socket.

    Raises:
        HarnessError: naming the path and how to shorten it.
    """
    if len(str(socket).encode()) > _MAX_SOCKET_PATH:
        raise HarnessError(
            f"containerd's socket path {socket} is longer than the {_MAX_SOCKET_PATH} bytes a unix "
            "socket allows; set HARNESS_STATE_DIR to a shorter directory"
        )


def ctr(socket: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``ctr --address <socket> -n k8s.io <args>`` (the CRI's namespace) and return its result.

    Raises:
        HarnessError: when ctr exits non-zero (with its stderr).
    """
    cmd = ["ctr", "--address", str(socket), "-n", "k8s.io", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=timeout)
    if done.returncode != 0:
        raise HarnessError(f"`{' '.join(cmd)}` failed: {done.stderr.strip() or done.stdout.strip()}")
    return done


def image_present(socket: Path, *names: str) -> bool:
    """True when containerd's k8s.io namespace has every image of ``names``."""
    listed = set(ctr(socket, "images", "list", "--quiet").stdout.split())
    return all(name in listed for name in names)


def import_image(socket: Path, archive: Path) -> list[str]:
    """Import an image archive (OCI layout or docker-save tar) into the k8s.io namespace.

    Returns:
        The names it imported (as ctr reports them: ``unpacking <name> (sha256:...)``).

    Raises:
        HarnessError: when the import fails.
    """
    # --no-unpack would leave the CRI to unpack on first use; unpacking now makes pod starts faster.
    done = ctr(socket, "images", "import", "--snapshotter", "overlayfs", str(archive), timeout=600)
    return re.findall(r"^unpacking (\S+) \(sha256:", done.stdout, re.MULTILINE)
