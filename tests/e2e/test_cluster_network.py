"""The local cluster's Service networking, checked on the running cluster (docs/network.md).

A busybox pod serves HTTP behind a Service; a second pod finds it by DNS name through CoreDNS and
fetches from it through kube-proxy's rules, and reaches the first pod directly. Containment is shown by
what the pods and the host are configured with (routes, resolv.conf, the Corefile, iptables rules),
never by sending anything to an address outside the machine: the one query for a name outside
``cluster.local`` goes to the cluster DNS Service, which answers it itself.

Uses the session's cluster (the default local one, or the one ``HARNESS_STATE_DIR`` points at): only
one cluster on a machine may run kube-proxy, so this test cannot start a second one of its own.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from harness.cluster import dns, hostnet
from harness.cluster.base import Cluster
from harness.cluster.local import LocalCluster
from harness.cluster.local_config import LocalNetwork
from harness.cluster.node_images import busybox_image
from harness.process import free_port

pytestmark = pytest.mark.e2e

PAGE = "hello from the web pod\n"


@dataclass(frozen=True)
class Net:
    """The cluster under test and the two pods this module runs in its own namespace."""

    cluster: LocalCluster
    namespace: str
    web_ip: str

    @property
    def network(self) -> LocalNetwork:
        return self.cluster.layout.network

    def exec(self, pod: str, *command: str) -> str:
        return self.cluster.kubectl("exec", "-n", self.namespace, pod, "--", *command, timeout=60)


def _pod(name: str, image: str, command: str, **spec: object) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": name, "image": image, "imagePullPolicy": "Never",
                            "command": ["sh", "-c", command]}],
            **spec,
        },
    }


@pytest.fixture(scope="module")
def net(cluster: Cluster) -> Iterator[Net]:
    if not isinstance(cluster, LocalCluster):
        pytest.skip(f"checks the local provider's pod network; the cluster is {cluster.provider}'s")
    if not cluster.layout.networking:
        pytest.skip(f"the local cluster in {cluster.layout.root} runs without networking (networking=False)")
    namespace = f"cronharness-net-{os.environ.get('PYTEST_XDIST_WORKER', 'gw0')}"
    image, archive = busybox_image()
    cluster.import_image(archive)
    web = _pod("web", image, f"printf '{PAGE.strip()}\\n' > /tmp/index.html && exec httpd -f -p 8080 -h /tmp")
    web["spec"]["containers"][0]["readinessProbe"] = {  # type: ignore[index]
        "tcpSocket": {"port": 8080}, "periodSeconds": 1}
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    objects = [web, service, _pod("client", image, "exec sleep 3600")]
    cluster.kubectl("create", "namespace", namespace)
    try:
        cluster.kubectl("apply", "-n", namespace, "-f", "-",
                        input_text=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
        cluster.kubectl("wait", "-n", namespace, "--for=condition=Ready", "pod/web", "pod/client",
                        "--timeout=120s", timeout=150)
        web_ip = cluster.kubectl("get", "-n", namespace, "pod/web", "-o", "jsonpath={.status.podIP}")
        yield Net(cluster, namespace, web_ip)
    finally:
        cluster.kubectl("delete", "namespace", namespace, "--timeout=120s", timeout=150)


def test_pod_routes_reach_only_the_pod_and_service_ranges(net: Net) -> None:
    routes = {}
    for line in net.exec("client", "ip", "-4", "route").splitlines():
        words = line.split()
        routes[words[0]] = words[words.index("via") + 1] if "via" in words else None
    assert routes == {net.network.pod_subnet: None, net.network.service_cidr: net.network.gateway}
    assert "default" not in routes


def test_resolv_conf_names_only_the_cluster_dns(net: Net) -> None:
    lines = net.exec("client", "cat", "/etc/resolv.conf").splitlines()
    assert [line for line in lines if line.startswith("nameserver")] == [f"nameserver {net.network.dns_ip}"]
    search = next(line for line in lines if line.startswith("search")).split()
    assert search[1:4] == [f"{net.namespace}.svc.cluster.local", "svc.cluster.local", "cluster.local"]
    service_ip = net.cluster.kubectl("get", "service", "-n", dns.NAMESPACE, dns.SERVICE, "-o",
                                     "jsonpath={.spec.clusterIP}")
    assert service_ip == net.network.dns_ip


def test_corefile_in_the_cluster_forwards_nothing(net: Net) -> None:
    corefile = net.cluster.kubectl("get", "configmap", "-n", dns.NAMESPACE, dns.NAME, "-o",
                                   "jsonpath={.data.Corefile}")
    assert corefile == dns.corefile()
    assert "forward" not in corefile
    assert re.findall(r"^(\S+) \{$", corefile, re.MULTILINE) == ["cluster.local:53"]


def test_pod_resolves_and_reaches_a_service_by_name(net: Net) -> None:
    # CoreDNS knows the Service only from the API, which it reaches through the `kubernetes` Service:
    # an answer here shows pods reach the apiserver too.
    name = f"web.{net.namespace}.svc.cluster.local"
    cluster_ip = net.cluster.kubectl("get", "service", "-n", net.namespace, "web", "-o",
                                     "jsonpath={.spec.clusterIP}")
    answer = net.exec("client", "nslookup", name)
    assert f"Address: {cluster_ip}" in answer.splitlines()
    assert net.exec("client", "wget", "-q", "-O", "-", f"http://{name}/") == PAGE
    assert net.exec("client", "wget", "-q", "-O", "-", "http://web/") == PAGE  # search path


def test_pod_reaches_another_pod_directly(net: Net) -> None:
    assert net.exec("client", "wget", "-q", "-O", "-", f"http://{net.web_ip}:8080/") == PAGE


def test_pod_reaches_itself_through_its_service(net: Net) -> None:
    """Hairpin: the Service's only endpoint is the calling pod itself (by its full name: the pod's own
    hostname ``web`` is its own address in its /etc/hosts)."""
    assert net.exec("web", "wget", "-q", "-O", "-", f"http://web.{net.namespace}.svc.cluster.local/") == PAGE


def test_name_outside_the_cluster_domain_is_refused_by_the_cluster_dns(net: Net) -> None:
    # Asked of the cluster DNS Service only (an address inside the cluster); CoreDNS has no upstream.
    answer = net.exec("client", "sh", "-c",
                      f"nslookup -type=a outside-name.example. {net.network.dns_ip} 2>&1; echo exit=$?")
    assert "** server can't find outside-name.example.: REFUSED" in answer.splitlines(), answer
    assert answer.endswith("exit=1\n")


def _iptables_rules(table: str, save: str = "iptables-save") -> list[str]:
    out = subprocess.run([save, "-t", table], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.startswith("-A ")]


@pytest.mark.parametrize("save", ["iptables-save", "ip6tables-save"])
def test_host_rules_masquerade_nothing_that_leaves_the_machine(net: Net, save: str) -> None:
    nat = _iptables_rules("nat", save)
    ours = [rule for rule in nat if any(word in rule for word in ("KUBE-", "CNI-", net.network.bridge))]
    translating = [rule for rule in ours if re.search(r"-j (MASQUERADE|SNAT)\b", rule)]
    # kube-proxy's only MASQUERADE is for packets it marked (a host process's, or a pod's hairpinning
    # through a ClusterIP to itself), whose destination it has just translated to a pod on the bridge;
    # the bridge plugin adds none (ipMasq false); nothing names the machine's outside interfaces.
    assert translating == [
        '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" '
        "-j MASQUERADE --random-fully"
    ]
    postrouting = [rule for rule in nat if rule.startswith("-A KUBE-POSTROUTING ")]
    assert postrouting[0] == "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN"
    assert [rule for rule in nat if rule.startswith("-A POSTROUTING ") and rule in ours] == [
        '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING'
    ]


def test_host_fences_the_bridge(net: Net) -> None:
    mangle = _iptables_rules("mangle")
    for _, chain, rule in hostnet.guard_rules(net.network):
        words = [f'"{w}"' if " " in w else w for w in rule]
        expected = f"-A {chain} " + " ".join(words)
        assert mangle.count(expected) == 1, (expected, mangle)
    bridge = net.network.bridge
    with open(f"/proc/sys/net/ipv4/conf/{bridge}/forwarding") as fh:
        assert fh.read().strip() == "1"
    host_route = subprocess.run(["ip", "-4", "route", "show", net.network.service_cidr], capture_output=True,
                                text=True, check=True).stdout.split()
    assert host_route[:3] == [net.network.service_cidr, "dev", bridge]


def test_network_listeners_are_on_loopback_and_the_gateway_only(net: Net) -> None:
    out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout
    ports, gateway = net.cluster.layout.ports, net.network.gateway
    for name, expected in (
        ("kube-proxy", {f"127.0.0.1:{ports.kube_proxy_healthz}", f"127.0.0.1:{ports.kube_proxy_metrics}"}),
        ("api-relay", {f"{gateway}:{ports.apiserver}"}),
    ):
        pid = net.cluster.process(name).pid
        assert {line.split()[3] for line in out.splitlines() if f"pid={pid}," in line} == expected, name


@pytest.fixture
def loopback_server() -> Iterator[int]:
    """An HTTP server on the host's 127.0.0.1, like the test services."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_host_network_pod_reaches_loopback_services_and_cluster_services(net: Net, loopback_server: int) -> None:
    """What today's job pods do (hostNetwork, the library chart's ClusterFirstWithHostNet) still works
    with kube-proxy's rules on the host, and their names now resolve through the cluster DNS too."""
    image, _ = busybox_image()
    web = f"web.{net.namespace}.svc.cluster.local"
    pod = _pod("hostnet", image, f"wget -q -O - http://127.0.0.1:{loopback_server}/ "
                                 f"&& wget -q -O - http://{web}/ && cat /etc/resolv.conf",
               hostNetwork=True, dnsPolicy="ClusterFirstWithHostNet", restartPolicy="Never")
    net.cluster.kubectl("apply", "-n", net.namespace, "-f", "-", input_text=json.dumps(pod))
    net.cluster.kubectl("wait", "-n", net.namespace, "--for=jsonpath={.status.phase}=Succeeded", "pod/hostnet",
                        "--timeout=60s", timeout=90)
    lines = net.cluster.kubectl("logs", "-n", net.namespace, "pod/hostnet").splitlines(keepends=True)
    assert lines[:2] == [PAGE, PAGE]
    assert [line for line in lines if line.startswith("nameserver")] == [f"nameserver {net.network.dns_ip}\n"]
