"""The host side of the local cluster's Service networking: the pod bridge as gateway, and its fences.

The harness, not the CNI plugin, gives the bridge its address: the bridge plugin's ``isGateway`` would
also switch on the host's global ``ip_forward``. Here forwarding is enabled for packets arriving on
the bridge only (``net.ipv4.conf.<bridge>.forwarding``), which is what routing a pod's packet to a
Service endpoint on the same bridge needs; packets arriving on the machine's other interfaces are still
never forwarded. Three rules in the mangle table (evaluated before kube-proxy's filter rules) fence the
bridge: nothing arriving on it is forwarded to another interface, nothing from another interface is
forwarded onto it, and its address answers only this host and its pods. docs/network.md has the whole
picture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from harness.cluster.local_config import LocalNetwork
from harness.errors import HarnessError
from harness.toolchain.progress import say

_BRIDGE_NF_CALL_IPTABLES = Path("/proc/sys/net/bridge/bridge-nf-call-iptables")


def guard_rules(network: LocalNetwork) -> list[tuple[str, str, list[str]]]:
    """The fence around the bridge as ``(table, chain, rule)``; each rule carries a comment naming it.

    Args:
        network: the cluster's addressing (bridge name, gateway address).

    Returns:
        The rules, in the order they are inserted.
    """
    bridge = network.bridge
    comment = ["-m", "comment", "--comment", f"cronharness {bridge}: nothing leaves the machine"]
    return [
        ("mangle", "FORWARD", ["-i", bridge, "!", "-o", bridge, *comment, "-j", "DROP"]),
        ("mangle", "FORWARD", ["!", "-i", bridge, "-o", bridge, *comment, "-j", "DROP"]),
        # The host's own packets to the gateway address come in on lo with a local source address.
        ("mangle", "INPUT", ["-d", f"{network.gateway}/32", "!", "-i", bridge, "-m", "addrtype", "!",
                             "--src-type", "LOCAL", *comment, "-j", "DROP"]),
    ]


def _iptables(*args: str) -> subprocess.CompletedProcess[str]:
    # -w: wait for the xtables lock that kube-proxy and the kubelet also take.
    return subprocess.run(["iptables", "-w", "5", *args], capture_output=True, text=True, check=False)


def _run(*cmd: str) -> None:
    done = subprocess.run(list(cmd), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise HarnessError(f"`{' '.join(cmd)}` failed: {done.stderr.strip()}")


def _sysctl(path: Path, value: str) -> None:
    if path.read_text().strip() != value:
        path.write_text(value)


def _require_bridge_netfilter() -> None:
    """Bridged frames must pass iptables, so a reply between two pods on the bridge is un-DNATed."""
    if not _BRIDGE_NF_CALL_IPTABLES.exists():
        raise HarnessError(
            "kube-proxy's Service rules need bridged traffic to pass iptables, and this kernel has no "
            f"{_BRIDGE_NF_CALL_IPTABLES}; load the module with `modprobe br_netfilter`"
        )
    if _BRIDGE_NF_CALL_IPTABLES.read_text().strip() != "1":
        say(f"  setting {_BRIDGE_NF_CALL_IPTABLES} = 1 (kube-proxy's Service rules need it)")
        _sysctl(_BRIDGE_NF_CALL_IPTABLES, "1")


def _address_present(network: LocalNetwork) -> bool:
    done = subprocess.run(["ip", "-o", "-4", "addr", "show", "dev", network.bridge],
                          capture_output=True, text=True, check=True)
    return f" {network.gateway_cidr} " in done.stdout


def bring_up(network: LocalNetwork) -> None:
    """Create the bridge with the gateway address, route the Service range to it, fence it.

    Idempotent: whatever already exists is kept (a running cluster's bridge made by the CNI plugin
    just gets its address).

    Raises:
        HarnessError: when br_netfilter is missing or an ``ip``/``iptables`` command fails.
    """
    _require_bridge_netfilter()
    bridge = network.bridge
    if not Path(f"/sys/class/net/{bridge}").exists():
        _run("ip", "link", "add", "name", bridge, "type", "bridge")
    if not _address_present(network):
        _run("ip", "addr", "add", network.gateway_cidr, "dev", bridge)
    _run("ip", "link", "set", bridge, "up")
    _sysctl(Path(f"/proc/sys/net/ipv4/conf/{bridge}/forwarding"), "1")
    # The host's own packets to ClusterIPs take the bridge (source: its address), never the default
    # route, whether or not kube-proxy is there to translate them.
    _run("ip", "route", "replace", network.service_cidr, "dev", bridge, "src", network.gateway)
    for table, chain, rule in guard_rules(network):
        if _iptables("-t", table, "-C", chain, *rule).returncode != 0:
            inserted = _iptables("-t", table, "-I", chain, "1", *rule)
            if inserted.returncode != 0:
                raise HarnessError(f"cannot add the iptables rule `-t {table} -I {chain} 1 {' '.join(rule)}`: "
                                   f"{inserted.stderr.strip()}")


def remove_guard_rules(network: LocalNetwork) -> None:
    """Delete the fence's rules (the bridge itself goes with ``cleanup.delete_link``)."""
    if shutil.which("iptables") is None:
        return  # never installed, so no rule was ever added
    for table, chain, rule in guard_rules(network):
        while _iptables("-t", table, "-C", chain, *rule).returncode == 0:
            _iptables("-t", table, "-D", chain, *rule)


def kube_proxy_pids(exclude: int | None = None) -> list[int]:
    """PIDs of kube-proxy processes programming this network namespace's iptables, except ``exclude``.

    A kube-proxy in another network namespace (a kind node's, in its container) has its own iptables.
    """
    host_netns = os.readlink("/proc/self/ns/net")
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == exclude:
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            netns = os.readlink(entry / "ns" / "net")
        except OSError:
            continue
        if (Path(argv[0].decode(errors="replace")).name == "kube-proxy" and b"--cleanup" not in argv
                and netns == host_netns):
            pids.append(int(entry.name))
    return pids
