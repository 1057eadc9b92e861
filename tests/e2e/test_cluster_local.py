"""The local cluster provider from nothing: up, run a Job on a locally built image, read its logs back
through the API, check every listener is on loopback, then ``down`` leaves no process, mount or bridge.

The cluster under test is a second, separate instance: its own temporary state dir, free loopback
ports, bridge, pod subnet and cgroup root, and no Service networking (kube-proxy programs the host's
global iptables chains, which the default cluster's kube-proxy owns), so it runs beside the machine's
default cluster (which other tests may be using) without touching it; tests/e2e/test_cluster_network.py
checks the networking. Start-up and down times are printed as ``FIGURE``
lines (``-s`` shows them).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cluster import cleanup
from harness.cluster.local import LocalCluster
from harness.cluster.local_config import NODE_NAME, LocalLayout, LocalNetwork, free_ports
from harness.cluster.node_images import busybox_image
from harness.errors import HarnessError
from harness.paths import state_root
from harness.process import pid_alive
from tests.e2e.markers import needs_local_cluster

pytestmark = [pytest.mark.e2e, needs_local_cluster]

COMPONENTS = ("etcd", "containerd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet")


def _listeners(pids: set[int]) -> set[str]:
    out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout
    return {
        line.split()[3]
        for line in out.splitlines()
        if any(f"pid={pid}," in line for pid in pids)
    }


TEST_NETWORK = LocalNetwork(pod_subnet="10.88.1.0/24", bridge="cronhtest0")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    layout = LocalLayout(tmp_path_factory.mktemp("cluster"), ports=free_ports(), network=TEST_NETWORK,
                         cgroup_root="/cronharness-test", networking=False)
    local = LocalCluster(layout)
    started = time.monotonic()
    try:
        local.up()
        print(f"FIGURE local cluster up from nothing (binaries cached) {time.monotonic() - started:.1f}s")
        yield local
    finally:
        local.down()


def test_up_is_idempotent_and_healthy(cluster: LocalCluster) -> None:
    pids = {name: cluster.process(name).pid for name in COMPONENTS}
    started = time.monotonic()
    cluster.up()
    assert time.monotonic() - started < 30
    assert {name: cluster.process(name).pid for name in COMPONENTS} == pids
    rows = {row.name: row for row in cluster.status()}
    assert sorted(rows) == sorted([*COMPONENTS, f"node/{NODE_NAME}"])
    assert all(row.running and row.healthy for row in rows.values()), rows


def test_server_and_client_report_pinned_version(cluster: LocalCluster) -> None:
    version = json.loads(cluster.kubectl("version", "-o", "json"))
    assert version["clientVersion"]["gitVersion"] == "v1.34.4"
    assert version["serverVersion"]["gitVersion"] == "v1.34.4"
    node = json.loads(cluster.kubectl("get", "node", NODE_NAME, "-o", "json"))
    assert node["status"]["nodeInfo"]["kubeletVersion"] == "v1.34.4"
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://1.6.")
    assert node["status"]["addresses"][0] == {"type": "InternalIP", "address": "127.0.0.1"}


def test_every_listener_is_on_loopback(cluster: LocalCluster) -> None:
    pids = {pid for name in COMPONENTS if (pid := cluster.process(name).pid) is not None}
    addresses = _listeners(pids)
    ports = cluster.layout.ports
    expected = {f"127.0.0.1:{port}" for port in (ports.apiserver, ports.etcd_client, ports.etcd_peer,
                                                  ports.controller_manager, ports.scheduler, ports.kubelet,
                                                  ports.kubelet_healthz)}
    assert expected <= addresses
    assert all(address.startswith("127.0.0.1:") for address in addresses), addresses


def test_job_runs_to_completion_and_logs_come_back(cluster: LocalCluster) -> None:
    image, archive = busybox_image()
    cluster.import_image(archive)
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "hello", "namespace": "default"},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{
                        "name": "hello",
                        "image": image,
                        "imagePullPolicy": "Never",
                        "command": ["sh", "-c", "echo hello from $(cat /proc/1/comm) on $NODE"],
                        "env": [{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
                    }],
                }
            },
        },
    }
    cluster.kubectl("apply", "-f", "-", input_text=json.dumps(job))
    cluster.kubectl("wait", "--for=condition=Complete", "job/hello", "--timeout=120s", timeout=150)
    assert cluster.kubectl("logs", "job/hello") == f"hello from sh on {NODE_NAME}\n"
    pod = json.loads(cluster.kubectl("get", "pods", "-l", "job-name=hello", "-o", "json"))["items"][0]
    assert pod["status"]["phase"] == "Succeeded"
    assert pod["status"]["podIP"].startswith("10.88.1.")


def test_service_account_token_is_mounted(cluster: LocalCluster) -> None:
    image, _ = busybox_image()
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "token", "namespace": "default"},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{
                "name": "token",
                "image": image,
                "imagePullPolicy": "Never",
                "command": ["sh", "-c", "wc -c < /var/run/secrets/kubernetes.io/serviceaccount/token"],
            }],
        },
    }
    cluster.kubectl("apply", "-f", "-", input_text=json.dumps(pod))
    cluster.kubectl("wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/token", "--timeout=120s",
                    timeout=150)
    assert int(cluster.kubectl("logs", "pod/token").strip()) > 100


def test_crds_are_installed_and_validate_server_side(cluster: LocalCluster) -> None:
    names = cluster.install_crds()
    # Argo CD's three, and every kind prometheus-operator watches (it waits for each one it finds).
    assert sorted(names) == [
        "alertmanagerconfigs.monitoring.coreos.com", "alertmanagers.monitoring.coreos.com",
        "applications.argoproj.io", "applicationsets.argoproj.io", "appprojects.argoproj.io",
        "podmonitors.monitoring.coreos.com", "probes.monitoring.coreos.com",
        "prometheusagents.monitoring.coreos.com", "prometheuses.monitoring.coreos.com",
        "prometheusrules.monitoring.coreos.com", "scrapeconfigs.monitoring.coreos.com",
        "servicemonitors.monitoring.coreos.com", "thanosrulers.monitoring.coreos.com",
    ]
    assert cluster.install_crds() == names  # already current: nothing applied again
    rule = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "r", "namespace": "default"},
        "spec": {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "vector(1) > 0"}]}]},
    }
    out = cluster.kubectl("apply", "--dry-run=server", "-f", "-", input_text=json.dumps(rule))
    assert out == "prometheusrule.monitoring.coreos.com/r created (server dry run)\n"
    del rule["spec"]["groups"][0]["rules"][0]["expr"]  # type: ignore[index]
    with pytest.raises(HarnessError, match=r"spec.groups\[0\].rules\[0\].expr: Required value"):
        cluster.kubectl("apply", "--dry-run=server", "-f", "-", input_text=json.dumps(rule))


def test_down_leaves_no_process_mount_or_bridge(cluster: LocalCluster) -> None:
    layout = cluster.layout
    pids = [pid for name in COMPONENTS if (pid := cluster.process(name).pid) is not None]
    assert len(pids) == len(COMPONENTS)
    assert cleanup.mounts_under(layout.root)  # pods ran: there were mounts to clean up
    started = time.monotonic()
    cluster.down()
    print(f"FIGURE local cluster down {time.monotonic() - started:.1f}s")
    assert [pid for pid in pids if pid_alive(pid)] == []
    assert cleanup.shim_pids(layout.containerd.socket) == []
    assert cleanup.mounts_under(layout.root) == []
    assert not Path(f"/sys/class/net/{layout.network.bridge}").exists()
    assert not list(Path("/sys/fs/cgroup").glob("*/cronharness-test"))
    assert not [p for p in Path("/var/lib/cni/results").glob(f"{layout.network.bridge}-*")]
    assert all(not cluster.process(name).running() for name in COMPONENTS)
    # up again on the same data: the Job from before is still there, completed.
    cluster.up()
    job = json.loads(cluster.kubectl("get", "job", "hello", "-o", "json"))
    assert job["status"]["succeeded"] == 1


def test_port_in_use_gives_clear_message(tmp_path: Path) -> None:
    ports = free_ports()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports.etcd_client))
        taken.listen()
        local = LocalCluster(LocalLayout(tmp_path / "c", ports=ports, networking=False))
        with pytest.raises(HarnessError) as raised:
            local.up()
    assert str(raised.value) == (
        f"the local cluster's etcd needs 127.0.0.1:{ports.etcd_client} but something already listens "
        f"there; find it with `ss -ltnp 'sport = :{ports.etcd_client}'` and stop it, or choose another port"
    )
    assert not local.process("etcd").running()


def test_stale_data_directory_gives_clear_message(tmp_path: Path) -> None:
    layout = LocalLayout(tmp_path / "c", ports=free_ports(), networking=False)
    (layout.etcd_data / "member").mkdir(parents=True)
    with pytest.raises(HarnessError) as raised:
        LocalCluster(layout).up()
    assert str(raised.value) == (
        f"{layout.etcd_data} holds etcd data of an unknown cluster; "
        "run `harness cluster down --purge` to delete it and start afresh"
    )


def test_default_state_dir_is_under_state_root() -> None:
    cluster = LocalCluster()
    assert cluster.layout.containerd.socket == state_root() / "cluster" / "containerd" / "containerd.sock"
    assert cluster.kubeconfig == state_root() / "cluster" / "kubeconfig"
