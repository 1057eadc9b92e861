"""The kind provider on a Docker daemon named by DOCKER_HOST (GitLab's Docker-in-Docker service): which daemon
is used, where the API server is published, the certificate's names, and the kubeconfig's server rewritten to
the daemon's host. The environments are plain dicts (fakes of os.environ); nothing here talks to a daemon."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.cluster import docker_engine
from harness.cluster.docker_engine import ExternalDaemon, external_daemon
from harness.cluster.kind import kind_config, kubeconfig_for_daemon
from harness.errors import HarnessError

DIND = ExternalDaemon("tcp://docker:2375", "docker")
# What kind writes for a port published on 0.0.0.0 (the DinD case).
KIND_KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: Q0E=
    server: https://0.0.0.0:41235
  name: kind-cronharness
contexts:
- context: {cluster: kind-cronharness, user: kind-cronharness}
  name: kind-cronharness
current-context: kind-cronharness
users:
- name: kind-cronharness
  user: {client-certificate-data: Q0VSVA==}
"""


def test_no_docker_host_means_the_harness_runs_its_own_dockerd() -> None:
    assert external_daemon({}) is None
    assert external_daemon({"DOCKER_HOST": ""}) is None


def test_dind_service_is_reached_by_its_alias_and_publishes_on_all_its_addresses() -> None:
    assert external_daemon({"DOCKER_HOST": "tcp://docker:2375"}) == DIND
    # The daemon does not know the address the job reaches it at: 0.0.0.0 of the service container.
    assert DIND.api_server_address == "0.0.0.0"


def test_daemon_on_this_machines_loopback_publishes_on_that_loopback_address_only() -> None:
    assert external_daemon({"DOCKER_HOST": "tcp://127.0.0.1:23750"}) == ExternalDaemon("tcp://127.0.0.1:23750",
                                                                                      "127.0.0.1")
    assert ExternalDaemon("tcp://127.0.0.1:23750", "127.0.0.1").api_server_address == "127.0.0.1"
    assert ExternalDaemon("tcp://127.0.0.2:23750", "127.0.0.2").api_server_address == "127.0.0.2"
    assert ExternalDaemon("tcp://localhost:23750", "localhost").api_server_address == "127.0.0.1"
    # A socket is a daemon on this machine.
    assert external_daemon({"DOCKER_HOST": "unix:///run/docker.sock"}) == ExternalDaemon("unix:///run/docker.sock",
                                                                                         "127.0.0.1")


@pytest.mark.parametrize("url", ["ssh://me@builder", "tcp://docker", "docker:2375", "unix://"])
def test_docker_host_the_provider_cannot_use_is_named_with_what_to_do(url: str) -> None:
    with pytest.raises(HarnessError) as caught:
        external_daemon({"DOCKER_HOST": url})
    assert str(caught.value) == (
        f"DOCKER_HOST={url!r} is not a Docker daemon the kind provider can use: give tcp://<host>:<port> "
        f"(GitLab's Docker-in-Docker service: tcp://docker:2375) or unix://<socket>, or unset DOCKER_HOST to "
        f"let the harness run its own dockerd"
    )


def test_kind_config_on_dind_publishes_on_the_service_and_the_certificate_names_it() -> None:
    config = kind_config(DIND)
    assert config["networking"]["apiServerAddress"] == "0.0.0.0"
    assert [yaml.safe_load(patch) for patch in config["kubeadmConfigPatches"]] == [
        {"kind": "InitConfiguration", "skipPhases": ["preflight", "addon/coredns"]},
        {"kind": "ClusterConfiguration", "apiServer": {"certSANs": ["localhost", "0.0.0.0", "docker"]}},
    ]
    # Everything else as on the harness's own dockerd.
    own = kind_config()
    assert {k: v for k, v in config["networking"].items() if k != "apiServerAddress"} == {
        k: v for k, v in own["networking"].items() if k != "apiServerAddress"}
    assert own["networking"]["apiServerAddress"] == "127.0.0.1"


def test_kind_config_on_a_loopback_daemon_names_each_address_once() -> None:
    patches = kind_config(ExternalDaemon("tcp://127.0.0.1:23750", "127.0.0.1"))["kubeadmConfigPatches"]
    assert yaml.safe_load(patches[1]) == {"kind": "ClusterConfiguration",
                                          "apiServer": {"certSANs": ["localhost", "127.0.0.1"]}}


def test_kubeconfig_server_is_rewritten_to_the_daemons_host_keeping_the_port() -> None:
    rewritten = yaml.safe_load(kubeconfig_for_daemon(KIND_KUBECONFIG, DIND))
    assert rewritten["clusters"][0]["cluster"]["server"] == "https://docker:41235"
    # Nothing else changes.
    original = yaml.safe_load(KIND_KUBECONFIG)
    original["clusters"][0]["cluster"]["server"] = "https://docker:41235"
    assert rewritten == original
    ipv6 = yaml.safe_load(kubeconfig_for_daemon(KIND_KUBECONFIG, ExternalDaemon("tcp://[fd00::5]:2375", "fd00::5")))
    assert ipv6["clusters"][0]["cluster"]["server"] == "https://[fd00::5]:41235"


def test_kubeconfig_of_the_harnesss_own_dockerd_is_kept_as_kind_wrote_it() -> None:
    assert kubeconfig_for_daemon(KIND_KUBECONFIG, None) == KIND_KUBECONFIG


def test_daemon_on_tcp_keeps_the_containment_config_and_listens_on_tcp_only(tmp_path: Path) -> None:
    where = docker_engine.DockerLayout(tmp_path, tcp="127.0.0.1:23750")
    config = docker_engine.daemon_config(where, wrap_runc=False, pool="172.31.0.0/16")
    assert config["hosts"] == ["tcp://127.0.0.1:23750"]
    assert (config["iptables"], config["ip-masq"], config["ip-forward"], config["bridge"]) == (False, False, False,
                                                                                               "none")
    assert config["default-address-pools"] == [{"base": "172.31.0.0/16", "size": 24}]


def test_kind_network_on_a_daemon_the_harness_does_not_own_takes_that_daemons_pool() -> None:
    assert docker_engine.kind_network_args(own_daemon=False) == [
        "network", "create", "--driver=bridge",
        "--opt", "com.docker.network.bridge.enable_ip_masquerade=false",
        "--opt", "com.docker.network.driver.mtu=1500",
        "kind",
    ]
