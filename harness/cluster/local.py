"""The local provider: upstream Kubernetes components as host processes (no Docker needed).

Like Kubernetes' own hack/local-up-cluster.sh, one node runs etcd, kube-apiserver,
kube-controller-manager, kube-scheduler, containerd, the kubelet and kube-proxy directly on the host
(with a socat relay that lets pods reach the loopback-only apiserver), and CoreDNS as a Deployment.
Each host process is a :class:`~harness.process.ManagedProcess` with its PID file and log under
``state_root()/cluster/``, so any later command (another shell, another pytest session) can see, reuse
or stop them. A cluster with ``networking=False`` (a second one beside the default) has neither
kube-proxy, relay nor DNS.

Job images reach the node through the machine's loopback registry (harness/registry.py), which ``up`` starts
and ``down`` stops: ``load_image`` pushes there and the kubelet pulls as on any cluster. The node's own images
(the pause sandbox, CoreDNS, busybox) are imported into containerd instead: they exist before anything could
pull.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from harness.cluster import cleanup, dns, hostnet, local_config, storage
from harness.cluster.base import Cluster, ComponentStatus
from harness.cluster.containerd import (
    check_socket_path,
    ctr,
    image_present,
    import_image,
    render_config,
    write_registry_host,
)
from harness.cluster.k8s_build import build_etcd, build_kubernetes
from harness.cluster.kubeconfig import write_kubeconfig
from harness.cluster.local_config import HOST, NODE_NAME, LocalLayout
from harness.cluster.node_images import busybox_image, coredns_image, local_path_provisioner_image, pause_image
from harness.cluster.pki import cluster_cert_specs, ensure_pki
from harness.disk import CLUSTER_MIN_FREE, require_free_disk
from harness.errors import HarnessError
from harness.images.reference import ImageRef
from harness.paths import state_root
from harness.process import ManagedProcess, require_free_port
from harness.registry import Registry, push_archive
from harness.toolchain import apt_ensure, pinned
from harness.toolchain.progress import say, step
from harness.toolchain.tools import ensure
from harness.waiting import wait_until

# Debian packages the node needs (names pinned in tools/versions.toml [cluster]); Service networking
# also needs iptables (kube-proxy) and socat (the apiserver relay).
_PACKAGES = ("containerd", "runc", "cni-plugins", "catatonit")
_NETWORK_PACKAGES = ("iptables", "socat")
_CNI_PLUGINS = ("bridge", "host-local", "loopback")


@dataclass(frozen=True)
class _Component:
    """A host process of the cluster: how to start it and how to tell it is healthy."""

    name: str
    ports: tuple[int, ...]
    argv: Callable[[], list[str]]
    healthy: Callable[[], bool]
    start_timeout: float


class LocalCluster(Cluster):
    """Single-node Kubernetes from host processes, state under ``state_root()/cluster``.

    Args:
        layout: where it keeps everything and which ports and ranges it uses (default: the machine's cluster).
        registry: the registry its containerd pulls job images from. Default: the machine registry for the
            machine's cluster (no ``layout`` given); a second cluster (tests, benchmarks) gets its own in
            ``<root>/registry`` on a free port, so it neither shares nor stops the machine's.
    """

    provider = "local"

    def __init__(self, layout: LocalLayout | None = None, registry: Registry | None = None) -> None:
        self.layout = layout or LocalLayout.at(state_root() / "cluster")
        self.registry = registry or (Registry() if layout is None else Registry(self.layout.root / "registry", port=0))
        self._bins: tuple[Path, Path] | None = None

    # --- paths and processes -----------------------------------------------------------------
    @property
    def kubeconfig(self) -> Path:
        return self.layout.admin_kubeconfig

    @property
    def pod_logs_dir(self) -> PurePosixPath:
        return PurePosixPath(self.layout.pod_logs)

    def process(self, name: str) -> ManagedProcess:
        """The managed host process of component ``name`` (etcd, containerd, kube-apiserver, ...)."""
        return ManagedProcess(name, self.layout.pid(name), self.layout.log(name))

    def _binaries(self) -> tuple[Path, Path]:
        """(Kubernetes bin dir, etcd binary), built on first use."""
        if self._bins is None:
            self._bins = (build_kubernetes(), build_etcd())
        return self._bins

    def _components(self) -> list[_Component]:
        layout, ports = self.layout, self.layout.ports

        def kube(name: str) -> Path:
            return self._binaries()[0] / name

        components = [
            _Component("etcd", (ports.etcd_client, ports.etcd_peer),
                       lambda: local_config.etcd_argv(self._binaries()[1], layout),
                       self._etcd_healthy, 60),
            _Component("containerd", (), lambda: local_config.containerd_argv(layout),
                       self._containerd_healthy, 60),
            _Component("kube-apiserver", (ports.apiserver,),
                       lambda: local_config.apiserver_argv(kube("kube-apiserver"), layout),
                       lambda: self._https_ok(ports.apiserver, "/readyz"), 180),
            _Component("kube-controller-manager", (ports.controller_manager,),
                       lambda: local_config.controller_manager_argv(kube("kube-controller-manager"), layout),
                       lambda: self._https_ok(ports.controller_manager, "/healthz"), 90),
            _Component("kube-scheduler", (ports.scheduler,),
                       lambda: local_config.scheduler_argv(kube("kube-scheduler"), layout),
                       lambda: self._https_ok(ports.scheduler, "/healthz"), 90),
            _Component("kubelet", (ports.kubelet, ports.kubelet_healthz),
                       lambda: local_config.kubelet_argv(kube("kubelet"), layout),
                       self._kubelet_healthy, 90),
        ]
        if layout.networking:
            components += [
                # The relay's port is the apiserver's, on the gateway address (checked free by socat).
                _Component("api-relay", (), lambda: local_config.api_relay_argv(layout),
                           self._api_relay_healthy, 30),
                _Component("kube-proxy", (ports.kube_proxy_healthz, ports.kube_proxy_metrics),
                           lambda: local_config.kube_proxy_argv(kube("kube-proxy"), layout),
                           lambda: self._http_ok(ports.kube_proxy_healthz, "/healthz"), 60),
            ]
        return components

    # --- health probes (cheap, never raise) --------------------------------------------------
    def _tls(self, client: str) -> ssl.SSLContext:
        pki = self.layout.pki
        context = ssl.create_default_context(cafile=str(pki.ca_cert))
        context.load_cert_chain(str(pki.cert(client)), str(pki.key(client)))
        return context

    def _get(self, url: str, client: str | None = "admin", timeout: float = 5) -> tuple[int, bytes]:
        context = self._tls(client) if client else None
        try:
            with urllib.request.urlopen(url, timeout=timeout, context=context) as resp:
                return int(resp.status), resp.read()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read()
        except (OSError, ssl.SSLError):
            return 0, b""

    def _https_ok(self, port: int, path: str) -> bool:
        return self._get(f"https://{HOST}:{port}{path}")[0] == 200

    def _etcd_healthy(self) -> bool:
        code, body = self._get(f"https://{HOST}:{self.layout.ports.etcd_client}/health",
                               client="apiserver-etcd-client")
        return code == 200 and b'"true"' in body

    def _containerd_healthy(self) -> bool:
        socket = self.layout.containerd.socket
        if not socket.exists():
            return False
        done = subprocess.run(["ctr", "--address", str(socket), "version"], capture_output=True,
                              check=False, timeout=10)
        return done.returncode == 0

    def _http_ok(self, port: int, path: str) -> bool:
        return self._get(f"http://{HOST}:{port}{path}", client=None)[0] == 200

    def _kubelet_healthy(self) -> bool:
        return self._http_ok(self.layout.ports.kubelet_healthz, "/healthz")

    def _api_relay_healthy(self) -> bool:
        # Listening is all the relay does itself; pods' clients check the apiserver's certificate through it.
        try:
            with socket.create_connection((self.layout.network.gateway, self.layout.ports.apiserver), timeout=5):
                return True
        except OSError:
            return False

    def _api_json(self, path: str) -> dict[str, object] | None:
        code, body = self._get(f"{self.layout.server}{path}")
        return json.loads(body) if code == 200 else None

    def _node_ready(self) -> bool:
        node = self._api_json(f"/api/v1/nodes/{NODE_NAME}")
        if node is None:
            return False
        status = node.get("status")
        conditions = status.get("conditions", []) if isinstance(status, dict) else []
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)

    def _default_service_account(self) -> bool:
        return self._api_json("/api/v1/namespaces/default/serviceaccounts/default") is not None

    # --- up ------------------------------------------------------------------------------------
    def _check_prerequisites(self) -> None:
        if os.geteuid() != 0:
            raise HarnessError(
                "the local cluster runs containerd and the kubelet, which need root; run as root, or "
                "use another provider (--cluster existing with a kubeconfig, or --cluster kind)"
            )
        packages = [pinned("cluster", name) for name in
                    (*_PACKAGES, *(_NETWORK_PACKAGES if self.layout.networking else ()))]
        apt_ensure(*packages)
        commands = ["containerd", "runc", "ctr", "ip", "umount"]
        commands += ["iptables", "socat"] if self.layout.networking else []
        missing = [p for p in _CNI_PLUGINS if not (local_config.CNI_BIN_DIR / p).exists()]
        missing += [cmd for cmd in commands if shutil.which(cmd) is None]
        if missing:
            raise HarnessError(
                f"missing after installing the node's packages: {', '.join(missing)}; "
                "reinstall them: apt-get install --reinstall " + " ".join(packages)
            )
        if self.layout.networking:
            self._require_sole_kube_proxy()
        with open("/proc/filesystems") as fh:
            if "overlay" not in fh.read():
                raise HarnessError("the kernel has no overlay filesystem, which containerd's snapshotter "
                                   "needs; load it with `modprobe overlay`")
        check_socket_path(self.layout.containerd.socket)

    def _require_sole_kube_proxy(self) -> None:
        """kube-proxy owns the host's global KUBE-* iptables chains: two would undo each other's rules."""
        others = hostnet.kube_proxy_pids(exclude=self.process("kube-proxy").pid)
        if others:
            raise HarnessError(
                f"kube-proxy (pid {', '.join(map(str, others))}) of another cluster already programs this "
                "machine's iptables, and only one cluster on a machine may run kube-proxy; stop that "
                "cluster, or start this one with networking=False (no kube-proxy, no cluster DNS)"
            )

    def _versions(self) -> dict[str, str]:
        return {"kubernetes": pinned("go", "kubernetes"), "etcd": pinned("cluster", "etcd")}

    def _check_stale(self) -> None:
        """Refuse data that this version of the cluster cannot use, naming the fix."""
        fix = "run `harness cluster down --purge` to delete it and start afresh"
        marker = self.layout.marker
        if marker.exists():
            recorded = json.loads(marker.read_text())
            if recorded != self._versions():
                raise HarnessError(
                    f"the cluster data in {self.layout.root} was made by {recorded}, not by the pinned "
                    f"{self._versions()}; {fix}"
                )
        elif self.layout.etcd_data.exists() and any(self.layout.etcd_data.iterdir()):
            raise HarnessError(f"{self.layout.etcd_data} holds etcd data of an unknown cluster; {fix}")
        if self.layout.etcd_data.exists() and not self.layout.pki.ca_cert.exists():
            raise HarnessError(
                f"{self.layout.etcd_data} holds a cluster whose certificates ({self.layout.pki.directory}) "
                f"are gone, so its service-account tokens and node identity no longer verify; {fix}"
            )

    def _write_files(self) -> None:
        """(Re)generate certificates (kept once made), kubeconfigs and component configs."""
        layout = self.layout
        layout.root.mkdir(parents=True, exist_ok=True)
        layout.save()
        pki = ensure_pki(layout.pki.directory, cluster_cert_specs(NODE_NAME, layout.network.service_ip))
        kubeconfigs = {
            layout.component_kubeconfig("controller-manager"): ("controller-manager", "controller-manager"),
            layout.component_kubeconfig("scheduler"): ("scheduler", "scheduler"),
            layout.component_kubeconfig("kubelet"): ("kubelet-client", "kubelet"),
            layout.admin_kubeconfig: ("admin", "cronharness-local"),
        }
        if layout.networking:
            kubeconfigs[layout.component_kubeconfig("kube-proxy")] = ("kube-proxy", "kube-proxy")
        for path, (cert, context) in kubeconfigs.items():
            write_kubeconfig(path, server=layout.server, ca_cert=pki.ca_cert, client_cert=pki.cert(cert),
                             client_key=pki.key(cert), context=context)
        layout.cni_conf_dir.mkdir(parents=True, exist_ok=True)
        (layout.cni_conf_dir / "10-cronharness.conflist").write_text(local_config.cni_conflist(layout))
        layout.containerd.directory.mkdir(parents=True, exist_ok=True)
        layout.containerd.config.write_text(render_config(
            layout.containerd, sandbox_image=pause_image()[0], cni_bin_dir=local_config.CNI_BIN_DIR,
            cni_conf_dir=layout.cni_conf_dir,
        ))
        layout.kubelet_dir.mkdir(parents=True, exist_ok=True)
        layout.pod_logs.mkdir(parents=True, exist_ok=True)
        cleanup.create_cgroup_root(layout.cgroup_root)
        local_config.write_component_configs(layout)
        if layout.networking:
            hostnet.bring_up(layout.network)
        layout.marker.write_text(json.dumps(self._versions()) + "\n")

    def _require_ports(self, components: list[_Component]) -> None:
        """Check every port of every component still to start, before starting any of them."""
        for component in components:
            if not self.process(component.name).running():
                for port in component.ports:
                    require_free_port(port, f"the local cluster's {component.name}")

    def _start(self, component: _Component) -> None:
        process = self.process(component.name)
        if not process.running():
            process.start(component.argv())

        def probe() -> bool:
            if not process.running():
                raise HarnessError(
                    f"{component.name} exited during start-up; last lines of {process.log_file}:\n"
                    f"{process.log_tail(15)}"
                )
            return component.healthy()

        wait_until(probe, timeout=component.start_timeout, what=f"{component.name} to become healthy",
                   describe=lambda: f"log tail:\n{process.log_tail(10)}")

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Serialize up/down across processes (parallel pytest workers share one cluster)."""
        self.layout.root.mkdir(parents=True, exist_ok=True)
        with open(self.layout.root / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def up(self) -> None:
        """Start every component that is not running, then wait for a Ready node and the default SA.

        Idempotent: running components are kept (and health-checked), stopped ones are started.
        Concurrent calls (from several processes) are serialized.

        Raises:
            HarnessError: for missing prerequisites, a port in use, stale data, or a component that
                exits or does not become healthy (with its log tail).
        """
        with self._exclusive():
            self._up()

    def _up(self) -> None:
        with step("local cluster: prerequisites (packages, Kubernetes and etcd binaries)"):
            require_free_disk(self.layout.root, CLUSTER_MIN_FREE, "the local cluster")
            self._check_prerequisites()
            self._binaries()
            ensure("kubectl")  # links it into .tools/bin, as the usage message says
        self._check_stale()
        components = self._components()
        if all(self.process(c.name).running() for c in components) and self._node_ready():
            # The kubelet's image garbage collection (under disk pressure) may have removed the imported pause
            # image, which nothing can pull back: without it no pod starts. Import it again when it is gone.
            self._import_pause_image()
            self._start_registry()
            if self.layout.networking:
                self._install_addons()
            say(self._usage())
            return
        self._require_ports(components)
        self._start_registry()
        with step(f"local cluster: starting in {self.layout.root}"):
            self._write_files()
            for component in components:
                with step(f"  {component.name}"):
                    self._start(component)
                if component.name == "containerd":
                    self._import_pause_image()
            wait_until(lambda: self._ensure_running(components) and self._node_ready(), timeout=120,
                       what=f"node {NODE_NAME} to be Ready",
                       describe=lambda: self.process("kubelet").log_tail(10))
            wait_until(self._default_service_account, timeout=90,
                       what="the default ServiceAccount in namespace default",
                       describe=lambda: self.process("kube-controller-manager").log_tail(10))
            if self.layout.networking:
                self._install_addons()
        say(self._usage())

    def _install_addons(self) -> None:
        """Apply the cluster DNS and the storage provisioner (unchanged objects are a no-op) and wait for them.

        Both need pods that reach the API server, so a cluster without networking has neither.
        """
        with step("  cluster DNS (CoreDNS, cluster.local only)"):
            image, archive = coredns_image()
            self.import_image(archive)
            dns.install(self, self.layout.network.dns_ip, image)
        with step(f"  storage (local-path-provisioner, default StorageClass {storage.STORAGE_CLASS})"):
            image, archive = local_path_provisioner_image()
            helper, helper_archive = busybox_image()
            self.import_image(archive)
            self.import_image(helper_archive)
            storage.install(self, image, helper, str(self.layout.volumes))

    def _ensure_running(self, components: list[_Component]) -> bool:
        """True while every component runs; raises (ending a wait at once) when one has exited."""
        for component in components:
            process = self.process(component.name)
            if not process.running():
                raise HarnessError(
                    f"{component.name} exited; last lines of {process.log_file}:\n{process.log_tail(15)}"
                )
        return True

    def _import_pause_image(self) -> None:
        name, archive = pause_image()
        if not image_present(self.layout.containerd.socket, name):
            import_image(self.layout.containerd.socket, archive)

    def _start_registry(self) -> None:
        """Start the registry (a no-op while it runs) and tell containerd it speaks plain HTTP.

        The hosts file is read at each pull, so writing it needs no containerd restart. (A containerd started
        without ``config_path`` still pulls from a loopback registry over HTTP, containerd's default for
        loopback; its next restart applies the explicit file.)
        """
        self.registry.start()
        write_registry_host(self.layout.containerd, self.registry.address)

    def _usage(self) -> str:
        return (
            f"local cluster is up (Kubernetes {pinned('go', 'kubernetes')}, node {NODE_NAME}).\n"
            f"  export KUBECONFIG={self.kubeconfig}\n"
            f"  kubectl get nodes      # kubectl is linked in .tools/bin\n"
            f"  images: push to the registry at {self.registry.address} (plain HTTP), e.g. skopeo copy "
            f"--dest-tls-verify=false docker-archive:<tar> docker://{self.registry.address}/<name>:<tag>\n"
            f"  stop it with `harness cluster down` (add --purge to delete its data)"
        )

    # --- down ----------------------------------------------------------------------------------
    def _stop_containers(self) -> list[str]:
        """Kill every container task so containerd's shims exit and release their mounts.

        Returns:
            The IDs of all containers (sandboxes included) containerd knows.
        """
        socket = self.layout.containerd.socket
        if not self.process("containerd").running() or not socket.exists():
            return []
        base = ["ctr", "--address", str(socket), "-n", "k8s.io", "tasks"]

        def remaining() -> list[str]:
            return ctr(socket, "tasks", "list", "--quiet").stdout.split()

        for task in remaining():
            subprocess.run([*base, "kill", "--signal", "SIGKILL", task], capture_output=True, check=False)

        def all_deleted() -> bool:
            for task in remaining():
                # Fails while the task is still exiting; the next probe retries it.
                subprocess.run([*base, "delete", task], capture_output=True, check=False)
            return not remaining()

        wait_until(all_deleted, timeout=30, what="the cluster's container tasks to stop",
                   describe=lambda: " ".join(remaining()))
        return ctr(socket, "containers", "list", "--quiet").stdout.split()

    def down(self, *, purge: bool = False) -> None:
        """Stop every process ``up`` started, unmount, remove the bridge; ``purge`` deletes the data.

        Raises:
            HarnessError: naming whatever is left (a process, a mount) with how to remove it.
        """
        if not self.layout.root.exists():
            return
        with self._exclusive():
            self._down(purge=purge)

    def _down(self, *, purge: bool) -> None:
        layout = self.layout
        with step(f"local cluster: stopping ({layout.root})"):
            if layout.networking:
                self._stop_kube_proxy()
            self.process("kubelet").stop()
            containers = self._stop_containers()
            for name in ("containerd", "kube-scheduler", "kube-controller-manager", "api-relay",
                         "kube-apiserver", "etcd"):
                self.process(name).stop()
            self.registry.stop()  # its pushed images stay (`harness registry down --purge` deletes them)
            shims = cleanup.kill_pids(cleanup.shim_pids(layout.containerd.socket))
            leftovers = [f"containerd shim pid {pid}" for pid in shims]
            # Containers whose shim died with containerd (a crash, a killed session) are orphans left
            # in the kubelet's cgroups: they are this node's pods, stop them too.
            orphans = cleanup.kill_pids(cleanup.kubepods_pids(layout.cgroup_root))
            leftovers += [f"container pid {pid}" for pid in orphans]
            leftovers += cleanup.unmount_all(layout.root)
            if layout.networking:
                hostnet.remove_guard_rules(layout.network)
            cleanup.delete_link(layout.network.bridge)
            cleanup.remove_container_log_links(layout.pod_logs)
            cleanup.remove_cni_results(layout.network.bridge, containers)
            for busy in cleanup.remove_kubepods_cgroups(layout.cgroup_root):
                say(f"  cgroup not removed (still busy): {busy}")
            # Leases of pods that no longer exist would otherwise exhaust the pod subnet over time.
            shutil.rmtree(layout.cni_ipam_dir, ignore_errors=True)
            if leftovers:
                raise HarnessError(
                    "the local cluster stopped, but these are left: " + "; ".join(leftovers) + " (kill the "
                    "processes by pid, `umount -l` the paths, then run `harness cluster down` again)"
                )
            if purge and layout.root.exists():
                shutil.rmtree(layout.root)
                say(f"deleted {layout.root}")

    def _stop_kube_proxy(self) -> None:
        """Stop kube-proxy and remove its iptables chains (it leaves them behind on exit by design)."""
        process = self.process("kube-proxy")
        if process.pid is None:
            return  # never started here (or already stopped and cleaned up)
        process.stop()
        if hostnet.kube_proxy_pids():
            return  # another kube-proxy owns the chains now; --cleanup would remove its rules too
        binary = self._binaries()[0] / "kube-proxy"
        done = subprocess.run([str(binary), "--cleanup", f"--config={self.layout.kube_proxy_config}"],
                              capture_output=True, text=True, check=False, timeout=60)
        if done.returncode != 0:
            say(f"  `kube-proxy --cleanup` failed (its iptables chains may remain): {done.stderr.strip()[-300:]}")

    # --- status and images ---------------------------------------------------------------------
    def status(self) -> list[ComponentStatus]:
        """Each component's process and health, and the node's readiness."""
        rows = []
        for component in self._components():
            process = self.process(component.name)
            running = process.running()
            healthy = running and component.healthy()
            detail = f"pid {process.pid}, log {process.log_file}" if running else "not running"
            rows.append(ComponentStatus(component.name, running, healthy, detail))
        api_up = rows[2].healthy
        ready = api_up and self._node_ready()
        rows.append(ComponentStatus(f"node/{NODE_NAME}", api_up, ready, "Ready" if ready else "not Ready"))
        return rows

    def load_image(self, archive: Path, image: ImageRef) -> ImageRef:
        """Push the image to the cluster's loopback registry; the kubelet pulls it from there.

        Raises:
            HarnessError: when the registry cannot start or the push fails.
        """
        self._start_registry()
        pushed = image.in_registry(self.registry.address)
        push_archive(archive, pushed)
        return pushed

    def import_image(self, archive: Path) -> None:
        """Import ``archive`` into containerd's k8s.io namespace (the CRI's): for the node's own images
        (sandbox, CoreDNS, busybox), which pods use under their names without pulling.

        Raises:
            HarnessError: when containerd is not running or the import fails.
        """
        if not self.process("containerd").running():
            raise HarnessError(
                "containerd of the local cluster is not running; start it with `harness cluster up`"
            )
        # Archive names carry their content digest (harness.cluster.node_images): one already imported into
        # this containerd (whose store a purge removes along with these markers) need not be imported again,
        # unless the kubelet's image garbage collection (under disk pressure) removed what it holds: the marker
        # lists the names it imported, and they must all still be there.
        marker = self.layout.containerd.root / "cronharness-imported" / archive.name
        names = marker.read_text().split() if marker.exists() else []
        if names and image_present(self.layout.containerd.socket, *names):
            return
        names = import_image(self.layout.containerd.socket, archive)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("\n".join(names))
