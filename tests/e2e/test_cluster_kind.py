"""The kind provider from nothing: the harness's dockerd, the node image built here, ``kind create`` to a
Ready node, a pod running a locally built image, the cluster DNS (ours, cluster.local only), dynamic
volumes (our local-path-provisioner), the network containment rules, and ``down`` leaving no container,
network, volume or mount.

The cluster under test is named ``cronharness-e2e`` so a developer's own kind cluster is left alone.
Containment is shown by reading rules and routes, never by sending anything off the machine. Times are
printed as ``FIGURE`` lines (``-s`` shows them). Skipped only where Docker cannot run here.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator

import pytest
import yaml

from harness.cluster import dns, docker_engine, kind_node, storage
from harness.cluster.cleanup import mounts_under
from harness.cluster.kind import KindCluster
from harness.cluster.node_images import busybox_image, coredns_image
from harness.images.reference import built_image
from tests.e2e.storage_checks import check_claim_lifecycle

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(docker_engine.docker_unavailable() is not None,
                       reason=f"Docker cannot run here: {docker_engine.docker_unavailable()}"),
]

NAME = "cronharness-e2e"
NODE = f"{NAME}-control-plane"


def _host(*cmd: str) -> str:
    return subprocess.run(list(cmd), capture_output=True, text=True, check=True).stdout


def _ip_forward() -> str:
    with open("/proc/sys/net/ipv4/ip_forward") as fh:
        return fh.read().strip()


@pytest.fixture(scope="module")
def host_forwarding() -> str:
    """The host's ip_forward before anything of this test runs (dockerd must leave it as it was)."""
    return _ip_forward()


@pytest.fixture(scope="module")
def kind(host_forwarding: str) -> Iterator[KindCluster]:
    cluster = KindCluster(NAME)
    cluster.down()  # a cluster left by an interrupted run
    docker_engine.ensure_docker()
    started = time.monotonic()
    kind_node.node_image_name()
    print(f"FIGURE kind node image ready (built, loaded or present) {time.monotonic() - started:.1f}s")
    started = time.monotonic()
    try:
        cluster.up()
        print(f"FIGURE kind create to a Ready node with DNS and storage {time.monotonic() - started:.1f}s")
        yield cluster
    finally:
        cluster.down()


def test_node_is_ready_and_runs_a_pod(kind: KindCluster) -> None:
    [node] = json.loads(kind.kubectl("get", "nodes", "-o", "json"))["items"]
    ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"]
    assert (node["metadata"]["name"], ready) == (NODE, "True")
    assert node["status"]["nodeInfo"]["kubeletVersion"] == "v1.34.4"

    image, archive = busybox_image()
    loaded = built_image(*image.rsplit(":", 1))
    assert kind.load_image(archive, loaded) == loaded  # kind pods run it under its own name
    pod = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "kind-smoke", "namespace": "default"},
        "spec": {"containers": [{"name": "main", "image": image, "imagePullPolicy": "Never",
                                 "command": ["sh", "-c", "echo started; sleep 3600"]}],
                 "terminationGracePeriodSeconds": 0},
    }
    kind.kubectl("apply", "-f", "-", input_text=json.dumps(pod))
    kind.kubectl("wait", "pod/kind-smoke", "--for=condition=Ready", "--timeout=180s", timeout=200)
    assert kind.kubectl("logs", "pod/kind-smoke") == "started\n"
    assert kind.kubectl("exec", "kind-smoke", "--", "echo", "exec works") == "exec works\n"
    kind.kubectl("delete", "pod", "kind-smoke", "--wait=true")


def test_cluster_dns_is_ours_and_answers_for_the_cluster_domain_only(kind: KindCluster) -> None:
    corefile = kind.kubectl("get", "configmap", "-n", dns.NAMESPACE, dns.NAME, "-o", "jsonpath={.data.Corefile}")
    assert corefile == dns.corefile()
    assert "forward" not in corefile
    image = kind.kubectl("get", "deployment", "-n", dns.NAMESPACE, dns.NAME, "-o",
                         "jsonpath={.spec.template.spec.containers[*].image}")
    assert image == coredns_image()[0]  # kubeadm's CoreDNS addon (which pulls) was skipped

    namespace = "dns-check"
    kind.kubectl("create", "namespace", namespace)
    try:
        kind.kubectl("create", "service", "clusterip", "web", "--tcp=80:8080", "-n", namespace)
        client = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
                  "spec": {"terminationGracePeriodSeconds": 0,
                           "containers": [{"name": "main", "image": busybox_image()[0], "imagePullPolicy": "Never",
                                           "command": ["sleep", "3600"]}]}}
        kind.kubectl("apply", "-n", namespace, "-f", "-", input_text=json.dumps(client))
        kind.kubectl("wait", "-n", namespace, "pod/client", "--for=condition=Ready", "--timeout=120s", timeout=150)

        def run(*command: str) -> str:
            return kind.kubectl("exec", "-n", namespace, "client", "--", *command, timeout=60)

        resolv = run("cat", "/etc/resolv.conf").splitlines()
        assert [line for line in resolv if line.startswith("nameserver")] == [f"nameserver {kind_node.DNS_IP}"]
        cluster_ip = kind.kubectl("get", "service", "-n", namespace, "web", "-o", "jsonpath={.spec.clusterIP}")
        assert f"Address: {cluster_ip}" in run("nslookup", f"web.{namespace}.svc.cluster.local").splitlines()
        # Asked of the cluster DNS only (an address inside the cluster): CoreDNS has no upstream to ask.
        refused = run("sh", "-c", f"nslookup -type=a outside-name.example. {kind_node.DNS_IP} 2>&1; echo exit=$?")
        assert "** server can't find outside-name.example.: REFUSED" in refused.splitlines(), refused
        assert refused.endswith("exit=1\n")
    finally:
        kind.kubectl("delete", "namespace", namespace, "--timeout=120s", timeout=150)


def test_up_again_keeps_the_cluster_and_its_add_ons(kind: KindCluster) -> None:
    def uids() -> str:
        return kind.kubectl("get", "deployment", "-A", "-o", "jsonpath={.items[*].metadata.uid}")

    before = uids()
    kind.up()  # the cluster exists: DNS applied again (a no-op), the provisioner found ready
    assert uids() == before


def test_claim_binds_is_written_read_back_and_removed(kind: KindCluster) -> None:
    classes = kind.kubectl("get", "storageclass", "-o", "jsonpath={.items[*].provisioner}")
    assert classes == storage.PROVISIONER  # ours replaced kind's own storage manifest
    kind.kubectl("create", "namespace", "storage-check")
    try:
        figures = check_claim_lifecycle(kind, "storage-check")
    finally:
        kind.kubectl("delete", "namespace", "storage-check", "--timeout=120s", timeout=150)
    print(f"FIGURE kind: claim bound {figures.bind:.1f}s after its pod was created, "
          f"volume removed {figures.removal:.1f}s after the claim's deletion")


def test_network_is_contained(kind: KindCluster, host_forwarding: str) -> None:
    # The host: dockerd wrote no firewall rule (no MASQUERADE, no FORWARD change) and left ip_forward.
    rules = _host("iptables-save")
    assert docker_engine.KIND_BRIDGE not in rules
    assert "172.30." not in rules
    assert "DOCKER" not in rules
    assert _ip_forward() == host_forwarding
    # The kind network: masquerade off, its bridge is ours, inside the pool clear of the local cluster.
    network = json.loads(docker_engine.docker("network", "inspect", docker_engine.KIND_NETWORK))[0]
    assert network["Options"]["com.docker.network.bridge.enable_ip_masquerade"] == "false"
    assert network["Options"]["com.docker.network.bridge.name"] == docker_engine.KIND_BRIDGE
    assert [c["Subnet"] for c in network["IPAM"]["Config"]] == [docker_engine.KIND_SUBNET]
    # The node: no default route, only its Docker network (and the pod bridge) are reachable.
    routes = docker_engine.docker("exec", NODE, "ip", "-4", "route", "show")
    assert "default" not in routes
    assert f"{docker_engine.KIND_SUBNET} dev eth0" in routes
    # The API server: published on loopback only, and that is what the kubeconfig points at.
    ports = json.loads(docker_engine.docker("inspect", "--format", "{{json .NetworkSettings.Ports}}", NODE))
    bindings = [binding for mapped in ports.values() if mapped for binding in mapped]
    assert [b["HostIp"] for b in bindings] == ["127.0.0.1"]
    server = yaml.safe_load(kind.kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    assert server == f"https://127.0.0.1:{bindings[0]['HostPort']}"


def test_down_leaves_no_container_network_or_mount(kind: KindCluster) -> None:
    kind.down()
    assert docker_engine.docker("ps", "--all", "--quiet", "--filter", f"label=io.x-k8s.kind.cluster={NAME}") == ""
    assert docker_engine.KIND_NETWORK not in docker_engine.docker("network", "ls", "--format", "{{.Name}}").split()
    assert docker_engine.docker("volume", "ls", "--quiet", "--filter", "dangling=true") == ""
    assert docker_engine.KIND_BRIDGE not in _host("ip", "-br", "link")
    # What stays: dockerd itself and its own bind mount of its data-root (both go with `down --purge`).
    data_root = docker_engine.layout().root / "data"
    assert mounts_under(docker_engine.layout().root) in ([], [data_root])
    assert not kind.kubeconfig.exists()
