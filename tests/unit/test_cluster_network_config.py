"""The local cluster's generated network configuration: CNI, kube-proxy, kubelet DNS, CoreDNS, host fence.

What these files say is the containment argument of docs/network.md, so each is checked whole.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from harness.cluster import dns, hostnet, local_config
from harness.cluster.local_config import LocalLayout, LocalNetwork, LocalPorts

NETWORK = LocalNetwork(service_cidr="10.96.14.0/24", pod_subnet="10.88.14.0/24", bridge="cronhnet0")


def _layout(tmp_path: Path, networking: bool = True) -> LocalLayout:
    return LocalLayout(tmp_path / "c", network=NETWORK, networking=networking)


def test_addresses_derive_from_the_ranges() -> None:
    assert (NETWORK.service_ip, NETWORK.dns_ip) == ("10.96.14.1", "10.96.14.10")
    assert (NETWORK.gateway, NETWORK.gateway_cidr) == ("10.88.14.1", "10.88.14.1/24")
    default = LocalNetwork()
    assert (default.service_ip, default.dns_ip, default.gateway) == ("10.96.0.1", "10.96.0.10", "10.88.0.1")


def test_cni_gives_pods_routes_to_the_pod_and_service_ranges_only(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    assert json.loads(local_config.cni_conflist(layout)) == {
        "cniVersion": "1.0.0",
        "name": "cronhnet0",
        "plugins": [{
            "type": "bridge",
            "bridge": "cronhnet0",
            "isGateway": False,
            "isDefaultGateway": False,
            "ipMasq": False,
            "hairpinMode": True,
            "ipam": {
                "type": "host-local",
                "dataDir": str(layout.cni_ipam_dir),
                # the pod subnet is the link's own route; the only other one is the Service range
                "routes": [{"dst": "10.96.14.0/24", "gw": "10.88.14.1"}],
                "ranges": [[{"subnet": "10.88.14.0/24", "gateway": "10.88.14.1"}]],
            },
        }],
    }


def test_cni_without_networking_gives_pods_no_route_at_all(tmp_path: Path) -> None:
    layout = _layout(tmp_path, networking=False)
    plugin = json.loads(local_config.cni_conflist(layout))["plugins"][0]
    assert (plugin["isGateway"], plugin["ipMasq"], plugin["hairpinMode"]) == (False, False, False)
    assert plugin["ipam"] == {"type": "host-local", "dataDir": str(layout.cni_ipam_dir),
                              "ranges": [[{"subnet": "10.88.14.0/24"}]]}


def test_kube_proxy_config(tmp_path: Path) -> None:
    layout = LocalLayout(tmp_path / "c", ports=LocalPorts(kube_proxy_healthz=21001, kube_proxy_metrics=21002),
                         network=NETWORK)
    assert local_config.kube_proxy_config(layout) == {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "iptables",
        "clientConnection": {"kubeconfig": str(tmp_path / "c" / "kubeconfigs" / "kube-proxy.kubeconfig")},
        "hostnameOverride": "127.0.0.1",
        "bindAddress": "127.0.0.1",
        "healthzBindAddress": "127.0.0.1:21001",
        "metricsBindAddress": "127.0.0.1:21002",
        "clusterCIDR": "10.88.14.0/24",
        "detectLocalMode": "ClusterCIDR",
        "nodePortAddresses": ["10.88.14.1/32"],
        "iptables": {"masqueradeAll": False, "localhostNodePorts": False},
        "conntrack": {"maxPerCore": 0, "min": 0, "tcpEstablishedTimeout": "0s", "tcpCloseWaitTimeout": "0s"},
    }
    assert local_config.kube_proxy_argv(Path("/bin/kube-proxy"), layout) == [
        "/bin/kube-proxy", f"--config={tmp_path / 'c' / 'kube-proxy-config.yaml'}"]


def test_component_configs_on_disk(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    layout.root.mkdir()
    local_config.write_component_configs(layout)
    assert yaml.safe_load(layout.kube_proxy_config.read_text()) == local_config.kube_proxy_config(layout)
    kubelet = yaml.safe_load(layout.kubelet_config.read_text())
    # no pod inherits the host's resolver: ClusterFirst pods get the cluster DNS, Default ones nothing
    assert {key: kubelet[key] for key in ("clusterDNS", "clusterDomain", "resolvConf")} == {
        "clusterDNS": ["10.96.14.10"], "clusterDomain": "cluster.local", "resolvConf": ""}


def test_kubelet_without_networking_names_no_cluster_dns(tmp_path: Path) -> None:
    layout = _layout(tmp_path, networking=False)
    layout.root.mkdir()
    local_config.write_component_configs(layout)
    assert not layout.kube_proxy_config.exists()
    kubelet = local_config.kubelet_config(layout)
    assert ("clusterDNS" in kubelet, kubelet["resolvConf"]) == (False, "/etc/resolv.conf")


def test_apiserver_endpoint_is_the_relay_on_the_gateway(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    argv = local_config.apiserver_argv(Path("/bin/kube-apiserver"), layout)
    assert [a for a in argv if a.startswith(("--advertise-address", "--endpoint-reconciler", "--bind-address"))] == [
        "--bind-address=127.0.0.1", "--advertise-address=10.88.14.1"]
    assert local_config.api_relay_argv(layout) == [
        "socat", "TCP-LISTEN:6443,bind=10.88.14.1,reuseaddr,fork", "TCP:127.0.0.1:6443"]
    plain = local_config.apiserver_argv(Path("/bin/kube-apiserver"), _layout(tmp_path, networking=False))
    assert [a for a in plain if a.startswith(("--advertise-address", "--endpoint-reconciler"))] == [
        "--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none"]


def test_host_fence_rules() -> None:
    comment = ["-m", "comment", "--comment", "cronharness cronhnet0: nothing leaves the machine"]
    assert hostnet.guard_rules(NETWORK) == [
        ("mangle", "FORWARD", ["-i", "cronhnet0", "!", "-o", "cronhnet0", *comment, "-j", "DROP"]),
        ("mangle", "FORWARD", ["!", "-i", "cronhnet0", "-o", "cronhnet0", *comment, "-j", "DROP"]),
        ("mangle", "INPUT", ["-d", "10.88.14.1/32", "!", "-i", "cronhnet0", "-m", "addrtype", "!",
                             "--src-type", "LOCAL", *comment, "-j", "DROP"]),
    ]


def test_corefile_serves_the_cluster_domain_and_forwards_nothing() -> None:
    assert dns.corefile() == (
        "cluster.local:53 {\n"
        "    errors\n"
        "    health :8080\n"
        "    ready :8181\n"
        "    kubernetes cluster.local {\n"
        "        pods insecure\n"
        "    }\n"
        "    cache 30\n"
        "}\n"
    )


def test_dns_objects() -> None:
    objects = {(o["kind"], o["metadata"]["name"]): o for o in dns.manifests(NETWORK.dns_ip, "img:1")}  # type: ignore[index]
    assert sorted(objects) == [
        ("ClusterRole", "system:coredns"), ("ClusterRoleBinding", "system:coredns"), ("ConfigMap", "coredns"),
        ("Deployment", "coredns"), ("Service", "kube-dns"), ("ServiceAccount", "coredns"),
    ]
    assert objects[("ConfigMap", "coredns")]["data"] == {"Corefile": dns.corefile()}
    service = objects[("Service", "kube-dns")]["spec"]
    assert (service["clusterIP"], service["selector"]) == ("10.96.14.10", {"k8s-app": "kube-dns"})  # type: ignore[index]
    pod = objects[("Deployment", "coredns")]["spec"]["template"]["spec"]  # type: ignore[index]
    assert (pod["dnsPolicy"], pod["dnsConfig"]) == ("None", {"nameservers": ["127.0.0.1"]})
    assert pod["containers"][0]["image"] == "img:1"
    assert "hostNetwork" not in pod


def test_layout_is_recorded_and_read_back(tmp_path: Path) -> None:
    assert LocalLayout.at(tmp_path) == LocalLayout(tmp_path)
    layout = LocalLayout(tmp_path, ports=LocalPorts(apiserver=20001), network=NETWORK, cgroup_root="/x",
                         networking=False)
    layout.save()
    assert LocalLayout.at(tmp_path) == layout
