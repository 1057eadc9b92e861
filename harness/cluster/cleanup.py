"""Remove what the local node leaves on the host after its processes stop.

containerd's shims outlive containerd by design, the kubelet and containerd mount volumes, rootfs
overlays, shm and network namespaces under the cluster's state dir, the CNI bridge plugin creates a
bridge, and the kubelet creates cgroups and /var/log/containers links. Each function here finds only
what belongs to this cluster (by path under its state dir, by its socket, by its bridge name).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from harness.process import pid_alive

_CGROUP_V1_ROOT = Path("/sys/fs/cgroup")


def _unescape(field: str) -> str:
    # /proc/self/mountinfo escapes space, tab, newline and backslash as octal.
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def mounts_under(directory: Path) -> list[Path]:
    """Mount points at or below ``directory``, deepest first (the order to unmount them in)."""
    prefix = str(directory.resolve()).rstrip("/") + "/"
    found: list[Path] = []
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            mount_point = _unescape(line.split()[4])
            if (mount_point + "/").startswith(prefix):
                found.append(Path(mount_point))
    return sorted(set(found), key=lambda p: len(p.parts), reverse=True)


def unmount_all(directory: Path) -> list[str]:
    """Unmount everything under ``directory``; return the mount points that could not be unmounted."""
    failed: list[str] = []
    for _ in range(3):  # stacked mounts on one point need one umount each
        points = mounts_under(directory)
        if not points:
            return []
        failed = []
        for point in points:
            done = subprocess.run(["umount", str(point)], capture_output=True, text=True, check=False)
            if done.returncode != 0:
                # Busy (a process still holds it): detach it now, the kernel frees it when released.
                lazy = subprocess.run(
                    ["umount", "-l", str(point)], capture_output=True, text=True, check=False
                )
                if lazy.returncode != 0:
                    failed.append(f"{point}: {lazy.stderr.strip()}")
    return failed + [str(p) for p in mounts_under(directory)]


def shim_pids(socket: Path) -> list[int]:
    """PIDs of containerd shims started by the containerd listening on ``socket``."""
    pids = []
    needle = str(socket).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"containerd-shim-runc-v2") and needle in argv:
            pids.append(int(entry.name))
    return pids


def kill_pids(pids: list[int], grace: float = 5.0) -> list[int]:
    """SIGTERM, then SIGKILL after ``grace`` seconds; return the PIDs still alive afterwards."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        pids = [p for p in pids if pid_alive(p)]
        if not pids:
            break
    return pids


def delete_link(name: str) -> bool:
    """Delete network interface ``name`` if it exists; True when one was deleted."""
    if not Path(f"/sys/class/net/{name}").exists():
        return False
    subprocess.run(["ip", "link", "delete", name], capture_output=True, check=False)
    return not Path(f"/sys/class/net/{name}").exists()


def remove_cni_results(network: str, container_ids: list[str]) -> None:
    """Remove libcni's cached results of this cluster's sandboxes (kept when pods are killed, not
    torn down through the CRI)."""
    results = Path("/var/lib/cni/results")
    if not results.is_dir():
        return
    for entry in results.iterdir():
        if any(f"-{cid}-" in entry.name for cid in container_ids) and (
            entry.name.startswith(f"{network}-") or entry.name.startswith("cni-loopback-")
        ):
            entry.unlink(missing_ok=True)


def remove_container_log_links(pod_logs: Path) -> None:
    """Remove the kubelet's /var/log/containers links that point into this cluster's pod log dir."""
    links = Path("/var/log/containers")
    if not links.is_dir():
        return
    prefix = str(pod_logs) + "/"
    for link in links.iterdir():
        if link.is_symlink() and str(link.readlink()).startswith(prefix):
            link.unlink()


def _hierarchies() -> list[Path]:
    return sorted(p for p in _CGROUP_V1_ROOT.iterdir() if p.is_dir()) if _CGROUP_V1_ROOT.is_dir() else []


def create_cgroup_root(cgroup_root: str) -> None:
    """Create ``cgroup_root`` in every mounted hierarchy (the kubelet requires it to exist)."""
    for hierarchy in _hierarchies():
        (hierarchy / cgroup_root.strip("/")).mkdir(exist_ok=True)


def kubepods_pids(cgroup_root: str) -> list[int]:
    """PIDs still inside the kubelet's ``kubepods`` cgroups under ``cgroup_root`` (containers whose
    shim is gone)."""
    pids: set[int] = set()
    for hierarchy in ("pids", "memory", "unified"):
        tree = _CGROUP_V1_ROOT / hierarchy / cgroup_root.strip("/") / "kubepods"
        if tree.is_dir():
            for procs in tree.rglob("cgroup.procs"):
                with contextlib.suppress(OSError):
                    pids.update(int(line) for line in procs.read_text().split())
    return sorted(pids)


def remove_kubepods_cgroups(cgroup_root: str) -> list[str]:
    """Remove the kubelet's (now empty) ``kubepods`` cgroups under ``cgroup_root``, and that root
    unless it is the top; return those still busy."""
    busy: list[str] = []
    for hierarchy in _hierarchies():
        parent = hierarchy / cgroup_root.strip("/")
        tree = parent / "kubepods"
        # Leaves first: rmdir only succeeds on a cgroup without children and without tasks.
        children = sorted((p for p in tree.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
        own_root = [parent] if parent != hierarchy else []
        for directory in [d for d in [*children, tree, *own_root] if d.is_dir()]:
            try:
                directory.rmdir()
            except OSError as exc:
                busy.append(f"{directory}: {exc.strerror}")
    return busy
