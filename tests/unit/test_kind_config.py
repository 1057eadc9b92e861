"""What the kind provider generates: dockerd's daemon.json, the kind network and cluster config, the node's
containerd/CNI config, and the runc wrapper's spec edit (a workaround for VMs lacking CAP_SYS_RESOURCE)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
import yaml

from harness.cluster import docker_engine, kind_node, runc_caps
from harness.cluster.kind import kind_config

# The local cluster's pod bridge range and its Service range: Docker's and kind's ranges stay clear of both.
LOCAL_CLUSTER_RANGES = [ipaddress.ip_network("10.88.0.0/16"), ipaddress.ip_network("10.96.0.0/12")]
# /proc/self/status of this project's VMs: every capability but CAP_SYS_RESOURCE (bit 24).
VM_STATUS = "Name:\tcat\nCapInh:\t0000000000000000\nCapBnd:\t000001fffeffffff\n"


def _clear_of_local_cluster(cidr: str) -> bool:
    return not any(ipaddress.ip_network(cidr).overlaps(other) for other in LOCAL_CLUSTER_RANGES)


def test_daemon_config_touches_no_firewall_and_forwards_nothing(tmp_path: Path) -> None:
    where = docker_engine.DockerLayout(tmp_path)
    config = docker_engine.daemon_config(where, wrap_runc=False)
    contained = (config["iptables"], config["ip-masq"], config["ip-forward"], config["bridge"])
    assert contained == (False, False, False, "none")
    assert config["hosts"] == [f"unix://{tmp_path}/docker.sock"]
    assert (config["data-root"], config["exec-root"]) == (str(tmp_path / "data"), str(tmp_path / "exec"))
    assert config["default-address-pools"] == [{"base": "172.30.0.0/16", "size": 24}]
    assert all(_clear_of_local_cluster(pool["base"]) for pool in config["default-address-pools"])
    assert "runtimes" not in config and "default-runtime" not in config


def test_daemon_config_registers_the_runc_wrapper_only_when_asked(tmp_path: Path) -> None:
    config = docker_engine.daemon_config(docker_engine.DockerLayout(tmp_path), wrap_runc=True)
    assert config["runtimes"] == {"cronharness-runc": {"path": str(tmp_path / "runc-caps")}}
    assert config["default-runtime"] == "cronharness-runc"


def test_kind_network_is_ipv4_without_masquerade_inside_the_pool() -> None:
    args = docker_engine.kind_network_args(own_daemon=True)
    assert args == [
        "network", "create", "--driver=bridge", "--subnet=172.30.0.0/24",
        "--opt", "com.docker.network.bridge.name=cronkind0",
        "--opt", "com.docker.network.bridge.enable_ip_masquerade=false",
        "--opt", "com.docker.network.driver.mtu=1500",
        "kind",
    ]
    assert ipaddress.IPv4Network(docker_engine.KIND_SUBNET).subnet_of(ipaddress.IPv4Network(docker_engine.ADDRESS_POOL))
    assert len(docker_engine.KIND_BRIDGE) <= 15  # Linux interface names


def test_kind_config_publishes_the_api_server_on_loopback_with_ranges_clear_of_the_local_cluster() -> None:
    config = kind_config()
    assert config["networking"] == {
        "ipFamily": "ipv4",
        "apiServerAddress": "127.0.0.1",
        "podSubnet": "10.244.0.0/16",
        "serviceSubnet": "10.128.0.0/16",
        "disableDefaultCNI": True,
        "kubeProxyMode": "iptables",
    }
    assert config["nodes"] == [{"role": "control-plane"}]
    assert _clear_of_local_cluster(config["networking"]["podSubnet"])
    # kubeadm's CoreDNS (pulled image, Corefile forwarding to the node's resolver) is replaced by ours, served
    # at the address kubeadm gives the kubelet as clusterDNS.
    assert [yaml.safe_load(patch) for patch in config["kubeadmConfigPatches"]] == [
        {"kind": "InitConfiguration", "skipPhases": ["preflight", "addon/coredns"]}]
    assert kind_node.DNS_IP == "10.128.0.10"
    assert _clear_of_local_cluster(config["networking"]["serviceSubnet"])


def test_node_containerd_config_restricts_oom_score_adj_and_never_pulls_the_sandbox() -> None:
    text = kind_node.containerd_config("cronharness.local/pause:catatonit-0.1.7")
    assert 'sandbox_image = "cronharness.local/pause:catatonit-0.1.7"' in text
    assert "restrict_oom_score_adj = true" in text
    assert 'bin_dir = "/usr/lib/cni"' in text  # Debian's containernetworking-plugins
    assert "SystemdCgroup = true" in text  # kind's kubelet uses the systemd cgroup driver


def test_node_cni_is_one_bridge_without_masquerade_inside_the_pod_subnet() -> None:
    conflist = json.loads(kind_node.cni_conflist())
    bridge = conflist["plugins"][0]
    assert (bridge["type"], bridge["ipMasq"], bridge["isGateway"]) == ("bridge", False, True)
    [[subnet]] = bridge["ipam"]["ranges"]
    assert ipaddress.IPv4Network(subnet["subnet"]).subnet_of(ipaddress.IPv4Network(kind_node.POD_SUBNET))


def test_cri_base_spec_adds_kinds_hook_and_drops_rlimits() -> None:
    default: dict[str, object] = {"process": {"rlimits": [{"type": "RLIMIT_NOFILE"}], "cwd": "/"}, "hooks": {}}
    spec = kind_node.cri_base_spec(default)
    assert spec == {"process": {"cwd": "/"},
                    "hooks": {"createContainer": [{"path": "/kind/bin/mount-product-files.sh"}]}}
    assert default["process"] == {"rlimits": [{"type": "RLIMIT_NOFILE"}], "cwd": "/"}  # input untouched


def test_missing_capabilities_of_this_projects_vms() -> None:
    assert runc_caps.missing_capabilities(VM_STATUS) == ["CAP_SYS_RESOURCE"]
    assert runc_caps.missing_capabilities("CapBnd:\t000001ffffffffff\n") == []
    with pytest.raises(ValueError, match="no CapBnd line"):
        runc_caps.missing_capabilities("Name:\tcat\n")


def test_strip_capabilities_from_every_set() -> None:
    everything = ["CAP_CHOWN", "CAP_SYS_RESOURCE", "CAP_SYS_ADMIN"]
    process = {"capabilities": {key: list(everything) for key in ("bounding", "effective", "permitted",
                                                                  "inheritable", "ambient")}}
    runc_caps.strip_capabilities(process, ["CAP_SYS_RESOURCE"])
    assert process["capabilities"] == {key: ["CAP_CHOWN", "CAP_SYS_ADMIN"] for key in process["capabilities"]}
    assert runc_caps.strip_capabilities({"args": ["sh"]}, ["CAP_SYS_RESOURCE"]) == {"args": ["sh"]}


@pytest.mark.parametrize(("argv", "expected"), [
    # What containerd's runc shim runs: global options, then the command and its own options.
    (["--root", "/run/runc", "--log", "/x/log.json", "--log-format", "json", "create", "--bundle", "/b",
      "--pid-file", "/b/init.pid", "abc"], ("/b/config.json", "bundle")),
    (["--systemd-cgroup", "run", "-b=/b2", "abc"], ("/b2/config.json", "bundle")),
    (["--root", "/run/runc", "exec", "--process", "/tmp/p.json", "--detach", "abc"], ("/tmp/p.json", "process")),
    (["--root", "/run/runc", "start", "abc"], None),
    (["--root", "/run/runc", "delete", "--force", "abc"], None),
    (["--version"], None),
])
def test_spec_file_of_a_runc_command_line(argv: list[str], expected: tuple[str, str] | None) -> None:
    assert runc_caps.spec_file(argv) == expected


def test_edit_spec_rewrites_the_bundle_and_the_process_file(tmp_path: Path) -> None:
    caps = {"bounding": ["CAP_SYS_RESOURCE", "CAP_NET_ADMIN"], "effective": ["CAP_SYS_RESOURCE"]}
    bundle = tmp_path / "config.json"
    bundle.write_text(json.dumps({"ociVersion": "1.0.2", "process": {"capabilities": dict(caps)},
                                  "root": {"path": "rootfs"}}))
    runc_caps.edit_spec(str(bundle), "bundle", ["CAP_SYS_RESOURCE"])
    assert json.loads(bundle.read_text()) == {
        "ociVersion": "1.0.2", "process": {"capabilities": {"bounding": ["CAP_NET_ADMIN"], "effective": []}},
        "root": {"path": "rootfs"},
    }
    process = tmp_path / "process.json"
    process.write_text(json.dumps({"args": ["sh"], "capabilities": dict(caps)}))
    runc_caps.edit_spec(str(process), "process", ["CAP_SYS_RESOURCE"])
    assert json.loads(process.read_text()) == {
        "args": ["sh"], "capabilities": {"bounding": ["CAP_NET_ADMIN"], "effective": []},
    }
