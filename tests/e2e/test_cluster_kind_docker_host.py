"""The kind provider on a Docker daemon it does not own, named by DOCKER_HOST as in GitLab's Docker-in-Docker
job: a stand-in daemon on tcp://127.0.0.1:<port> (tests/e2e/dind_standin.py), the node image loaded into it,
``kind create`` to a Ready node with the API server published on the daemon's host and the kubeconfig pointing
there, a pod of a loaded image running, and ``down`` leaving no container, network or volume on that daemon
(which keeps running: it is not the harness's). A DOCKER_HOST that does not answer is a clear error.

Times are printed as ``FIGURE`` lines (``-s`` shows them). Skipped only where Docker cannot run here.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import time
from collections.abc import Iterator

import pytest
import yaml

from harness.cluster import docker_engine, kind_node
from harness.cluster.kind import KindCluster
from harness.cluster.node_images import busybox_image
from harness.errors import HarnessError
from harness.images.reference import built_image
from harness.process import free_port
from tests.e2e.dind_standin import POOL, standin_daemon

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(docker_engine.docker_unavailable() is not None,
                       reason=f"Docker cannot run here: {docker_engine.docker_unavailable()}"),
]

NAME = "cronharness-dind"
NODE = f"{NAME}-control-plane"


@pytest.fixture(scope="module")
def daemon() -> Iterator[docker_engine.DockerLayout]:
    with standin_daemon() as where, pytest.MonkeyPatch.context() as env:
        env.setenv("DOCKER_HOST", where.host)
        yield where


@pytest.fixture(scope="module")
def kind(daemon: docker_engine.DockerLayout) -> Iterator[KindCluster]:
    cluster = KindCluster(NAME)
    started = time.monotonic()
    docker_engine.ensure_docker()
    kind_node.node_image_name()
    print(f"FIGURE kind node image loaded into the DOCKER_HOST daemon {time.monotonic() - started:.1f}s")
    started = time.monotonic()
    try:
        cluster.up()
        print(f"FIGURE kind create to a Ready node with DNS and storage via {daemon.host} "
              f"{time.monotonic() - started:.1f}s")
        yield cluster
    finally:
        cluster.down()


def test_docker_host_daemon_runs_the_cluster_and_a_pod(kind: KindCluster, daemon: docker_engine.DockerLayout) -> None:
    # The node is a container of the DOCKER_HOST daemon, not of the harness's own dockerd.
    assert docker_engine.docker("ps", "--format", "{{.Names}}").split() == [NODE]
    assert docker_engine.external_daemon() == docker_engine.ExternalDaemon(daemon.host, "127.0.0.1")
    # The API server is published on the daemon's (loopback) host, and the kubeconfig points there.
    ports = json.loads(docker_engine.docker("inspect", "--format", "{{json .NetworkSettings.Ports}}", NODE))
    [binding] = [binding for mapped in ports.values() if mapped for binding in mapped]
    assert binding["HostIp"] == "127.0.0.1"
    server = yaml.safe_load(kind.kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    assert server == f"https://127.0.0.1:{binding['HostPort']}"
    # The kind network takes that daemon's pool (no fixed subnet or bridge name), masquerade off.
    network = json.loads(docker_engine.docker("network", "inspect", docker_engine.KIND_NETWORK))[0]
    [subnet] = [c["Subnet"] for c in network["IPAM"]["Config"]]
    assert ipaddress.IPv4Network(subnet).subnet_of(ipaddress.IPv4Network(POOL))
    assert network["Options"]["com.docker.network.bridge.enable_ip_masquerade"] == "false"
    assert "com.docker.network.bridge.name" not in network["Options"]

    [node] = json.loads(kind.kubectl("get", "nodes", "-o", "json"))["items"]
    ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"]
    assert (node["metadata"]["name"], ready) == (NODE, "True")
    image, archive = busybox_image()
    loaded = built_image(*image.rsplit(":", 1))
    assert kind.load_image(archive, loaded) == loaded
    pod = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "dind-smoke", "namespace": "default"},
        "spec": {"containers": [{"name": "main", "image": image, "imagePullPolicy": "Never",
                                 "command": ["sh", "-c", "echo started; sleep 3600"]}],
                 "terminationGracePeriodSeconds": 0},
    }
    kind.kubectl("apply", "-f", "-", input_text=json.dumps(pod))
    kind.kubectl("wait", "pod/dind-smoke", "--for=condition=Ready", "--timeout=180s", timeout=200)
    assert kind.kubectl("logs", "pod/dind-smoke") == "started\n"
    kind.kubectl("delete", "pod", "dind-smoke", "--wait=true")


def test_docker_host_down_leaves_nothing_and_the_daemon_running(kind: KindCluster,
                                                                daemon: docker_engine.DockerLayout) -> None:
    kind.down(purge=True)  # purge stops only the harness's own dockerd
    assert docker_engine.docker("ps", "--all", "--quiet") == ""
    assert docker_engine.KIND_NETWORK not in docker_engine.docker("network", "ls", "--format", "{{.Name}}").split()
    assert docker_engine.docker("volume", "ls", "--quiet") == ""
    assert not kind.kubeconfig.exists()
    assert daemon.process.running()


def test_docker_host_that_does_not_answer_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("DOCKER_HOST", url)
    with pytest.raises(HarnessError) as caught:
        docker_engine.ensure_docker()
    first, second = str(caught.value).splitlines()[:2]
    assert first.startswith(f"the Docker daemon DOCKER_HOST={url} does not answer: Cannot connect to the Docker "
                            f"daemon at {url}")
    assert second == ("start it (in GitLab CI: the docker:dind service, reached as `docker`) or unset DOCKER_HOST "
                      "to let the harness run its own dockerd")
    assert subprocess.run(["docker", "version"], capture_output=True, check=False,
                          env={**os.environ, "DOCKER_HOST": url}).returncode != 0
