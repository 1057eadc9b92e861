"""The kind provider: a one-node kind cluster on the harness's own dockerd.

``up`` starts Docker if needed (:mod:`harness.cluster.docker_engine`: no iptables, no masquerade, nodes
without a default route), builds or reuses the node image (:mod:`harness.cluster.kind_node`), builds kind
itself from Go modules (tools/go/kind) and runs ``kind create cluster`` with :func:`kind_config`, then
installs the cluster DNS (:mod:`harness.cluster.dns`, as on the local cluster) and waits for the storage
provisioner kind applied from the node image (:mod:`harness.cluster.storage`). ``down``
deletes the cluster; dockerd keeps running for the next ``up`` (``harness cluster down --provider kind
--purge`` also stops it). Images are loaded with ``kind load image-archive``.

With ``DOCKER_HOST`` set (GitLab's Docker-in-Docker service, ``tcp://docker:2375``) the cluster is created on
that daemon: the API server is published on the daemon's host (:attr:`ExternalDaemon.api_server_address`),
its certificate names that host, and the kubeconfig's server is rewritten to it (kind writes the published
address, which is ``0.0.0.0`` there).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from harness.cluster import dns, docker_engine, kind_node, storage
from harness.cluster.base import Cluster, ComponentStatus
from harness.cluster.node_images import coredns_image
from harness.errors import HarnessError
from harness.images.reference import ImageRef
from harness.paths import state_root
from harness.toolchain import go_build, pinned
from harness.toolchain.progress import step
from harness.waiting import wait_until

CLUSTER_NAME = "cronharness"
# kubeadm's CoreDNS addon is skipped: its Corefile forwards what is outside the cluster domain to the
# node's resolver, and its image (registry.k8s.io/coredns/coredns) would be pulled. The harness installs
# the same DNS as on the local cluster instead (cluster.local only, our image, preloaded in the node).
# kind itself skips preflight (it would pull images); the patch replaces kind's list, so it names both.
_SKIP_PHASES = ["preflight", "addon/coredns"]


def kind_binary() -> Path:
    """The pinned kind, built from tools/go/kind on first use (cached).

    Raises:
        RuntimeError: when Go is missing or the build fails.
    """
    version = pinned("cluster", "kind")
    return go_build("kind", ["sigs.k8s.io/kind"], version=version, ldflags="-s -w") / "kind"


def kind_config(daemon: docker_engine.ExternalDaemon | None = None) -> dict[str, Any]:
    """The kind cluster config: one node, our CNI, ranges clear of the local cluster, and the API server
    published on 127.0.0.1 (the harness's dockerd) or on the host of the daemon DOCKER_HOST names."""
    patches: list[dict[str, Any]] = [{"kind": "InitConfiguration", "skipPhases": _SKIP_PHASES}]
    address = "127.0.0.1"
    if daemon is not None:
        address = daemon.api_server_address
        # kind's own SANs (localhost and the published address) plus the name the kubeconfig will use; the
        # list replaces kind's, so it repeats them.
        sans = list(dict.fromkeys(["localhost", address, daemon.host]))
        patches.append({"kind": "ClusterConfiguration", "apiServer": {"certSANs": sans}})
    return {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "networking": {
            "ipFamily": "ipv4",
            # Published by docker-proxy on that address only (a random port).
            "apiServerAddress": address,
            "podSubnet": kind_node.POD_SUBNET,
            "serviceSubnet": kind_node.SERVICE_SUBNET,
            # The node image carries a one-bridge CNI conflist (a single node needs no kindnetd).
            "disableDefaultCNI": True,
            "kubeProxyMode": "iptables",
        },
        "nodes": [{"role": "control-plane"}],
        "kubeadmConfigPatches": [yaml.safe_dump(patch) for patch in patches],
    }


def kubeconfig_for_daemon(text: str, daemon: docker_engine.ExternalDaemon | None) -> str:
    """kind's kubeconfig with each server's host replaced by the daemon's host (its port kept).

    kind writes the address it published the API server on; on a daemon elsewhere (``0.0.0.0`` in DinD) the
    job reaches that port at the daemon's host (``docker``). Unchanged for the harness's own dockerd.
    """
    if daemon is None:
        return text
    config = yaml.safe_load(text)
    for entry in config["clusters"]:
        server = urlsplit(entry["cluster"]["server"])
        host = f"[{daemon.host}]" if ":" in daemon.host else daemon.host
        entry["cluster"]["server"] = server._replace(netloc=f"{host}:{server.port}").geturl()
    return yaml.safe_dump(config, sort_keys=False)


class KindCluster(Cluster):
    """A kind cluster named ``cronharness`` with its kubeconfig under ``state_root()/kind``."""

    provider = "kind"

    def __init__(self, name: str = CLUSTER_NAME) -> None:
        self.name = name

    @property
    def kubeconfig(self) -> Path:
        return state_root() / "kind" / f"{self.name}.kubeconfig"

    @property
    def _config_file(self) -> Path:
        return self.kubeconfig.parent / f"{self.name}.kind.yaml"

    def _kind(self, *args: str, timeout: float = 600) -> str:
        try:
            done = subprocess.run([str(kind_binary()), *args], capture_output=True, text=True, check=False,
                                  timeout=timeout, env=docker_engine.docker_env())
        except subprocess.TimeoutExpired as exc:
            raise HarnessError(f"`kind {' '.join(args)}` did not finish within {timeout:.0f}s") from exc
        if done.returncode != 0:
            raise HarnessError(f"`kind {' '.join(args)}` failed: {done.stderr.strip()}")
        return done.stdout

    def _exists(self) -> bool:
        if not docker_engine.daemon_running():
            return False
        return self.name in self._kind("get", "clusters").split()

    def up(self) -> None:
        """Start Docker, build or reuse the node image, and create the cluster unless it exists.

        Raises:
            HarnessError: when Docker, the node image or kind fails (named in the message).
        """
        docker_engine.ensure_docker()
        daemon = docker_engine.external_daemon()
        self.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        if self._exists():
            self.kubeconfig.write_text(kubeconfig_for_daemon(self._kind("get", "kubeconfig", "--name", self.name),
                                                             daemon))
            try:
                self._install_addons()
            except HarnessError as exc:
                raise HarnessError(
                    f"{exc}\nthe kind cluster {self.name} may come from an earlier node image (without our DNS "
                    f"or storage images): delete it with `harness cluster down --provider kind` and run up again"
                ) from exc
            return
        image = kind_node.node_image_name()
        config = self._config_file
        config.write_text(yaml.safe_dump(kind_config(daemon), sort_keys=False))
        with step(f"kind create cluster {self.name} ({image})"):
            try:
                # --retain: a failed node stays long enough to export its logs (then it is deleted).
                self._kind("create", "cluster", "--name", self.name, "--image", image, "--config",
                           str(config), "--kubeconfig", str(self.kubeconfig), "--wait", "300s", "--retain",
                           timeout=900)
            except HarnessError as exc:
                logs = self.kubeconfig.parent / f"{self.name}-failed-logs"
                shutil.rmtree(logs, ignore_errors=True)
                with contextlib.suppress(HarnessError):
                    self._kind("export", "logs", str(logs), "--name", self.name)
                self.down()
                raise HarnessError(f"{exc}\nthe node's logs (journal, containerd, kubelet) are in {logs}") from exc
        self.kubeconfig.write_text(kubeconfig_for_daemon(self.kubeconfig.read_text(), daemon))
        # kind waits for the node to be Ready; pods can be created once the controller manager has made
        # the default ServiceAccount.
        wait_until(self._default_service_account, timeout=90,
                   what="the default ServiceAccount in namespace default")
        self._install_addons()

    def _install_addons(self) -> None:
        """The cluster DNS (applied here) and the storage provisioner (applied by ``kind create``), ready."""
        with step("  cluster DNS (CoreDNS, cluster.local only)"):
            dns.install(self, kind_node.DNS_IP, coredns_image()[0])
        with step(f"  storage (local-path-provisioner, default StorageClass {storage.STORAGE_CLASS})"):
            storage.wait_ready(self)

    def _default_service_account(self) -> bool:
        try:
            self.kubectl("get", "serviceaccount", "default", "--namespace", "default", "-o", "name", timeout=30)
        except HarnessError:
            return False
        return True

    def down(self, *, purge: bool = False) -> None:
        """Delete the kind cluster (its node containers and their volumes) and, once no other kind
        cluster uses it, the kind network; ``purge`` also stops the harness's dockerd (its data-root,
        holding the node image, stays; a daemon DOCKER_HOST names is left running)."""
        if self._exists():
            with step(f"kind delete cluster {self.name}"):
                self._kind("delete", "cluster", "--name", self.name)
        docker_engine.remove_kind_network()
        self.kubeconfig.unlink(missing_ok=True)
        self._config_file.unlink(missing_ok=True)
        if purge:
            docker_engine.stop_docker()

    def status(self) -> list[ComponentStatus]:
        """One row for the Docker daemon and one for the kind cluster (exists; its apiserver answers /readyz)."""
        running = docker_engine.daemon_running()
        external = docker_engine.external_daemon()
        detail = f"DOCKER_HOST={external.url}" if external else f"pid {docker_engine.layout().process.pid}"
        rows = [ComponentStatus("dockerd", running, running, detail)]
        if not self._exists():
            return [*rows, ComponentStatus(f"kind/{self.name}", False, False, "not created")]
        try:
            self.kubectl("get", "--raw", "/readyz", timeout=30)
        except HarnessError as exc:
            return [*rows, ComponentStatus(f"kind/{self.name}", True, False, str(exc))]
        return [*rows, ComponentStatus(f"kind/{self.name}", True, True, f"kubeconfig {self.kubeconfig}")]

    def load_image(self, archive: Path, image: ImageRef) -> ImageRef:
        """``kind load image-archive`` into the cluster's node: pods run it under the name it was built with.

        kind nodes are containers with their own loopback, so they cannot pull from the host's 127.0.0.1
        registry; loading puts the image straight into the node's containerd store.

        Raises:
            HarnessError: when kind fails.
        """
        self._kind("load", "image-archive", str(archive), "--name", self.name)
        return image
