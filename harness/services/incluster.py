"""Test services as workloads in the cluster under test: built, loaded, installed, reached.

Each service is an image (harness/images/service.py) run by the harness's chart (``harness/services/chart``)
as one Deployment + Service in the namespace ``cronharness-services``. Jobs reach a service by its Service DNS
name (``http://pushgateway.cronharness-services.svc:9091``); the test host reaches it through the Kubernetes
API only, with a ``kubectl port-forward`` this module starts and stops (:class:`PortForward`). Port-forward
rather than the API server's service proxy because it carries any TCP protocol (HDFS RPC as well as HTTP)
and gives host-side clients a plain ``http://127.0.0.1:<port>`` base URL, with no API credentials in every
request; both work unchanged on the local cluster, kind and an existing remote cluster, since neither needs
a route to a pod address.

Concurrent sessions on this machine share the one release: installs take a file lock and only ever add
services to what the release already runs; the last session to end uninstalls it (harness/sessions.py).
"""

from __future__ import annotations

import functools
import json
import re
import select
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.charts.render import helm_binary
from harness.cluster.base import Cluster
from harness.errors import HarnessError
from harness.images.job import JobImage
from harness.images.service import FILES_DIR, ServiceImageSpec, build_service_image
from harness.locking import cache_lock
from harness.paths import state_root
from harness.prerequisites import once
from harness.services.elasticsearch import CLUSTER_NAME, SearchNode
from harness.services.maven import jvm_options
from harness.services.pushgateway import pushgateway_command
from harness.toolchain import pinned, step
from harness.waiting import wait_until

NAMESPACE = "cronharness-services"
RELEASE = "cronharness-services"
CHART = Path(__file__).parent / "chart"
READY_TIMEOUT = "5m"


@dataclass(frozen=True)
class Workload:
    """A test service as the chart runs it.

    Attributes:
        image: what its image holds (called when the image is needed: it may resolve and compile).
        command: its command line in the pod (listening on all the pod's addresses).
        ports: role -> port, in the pod and on its Service.
        ready_path: HTTP path of its readiness probe on the first port; None probes a TCP connect.
        cpu: CPU request (all services together stay well inside the machine's 2 cores).
        memory: memory request; the limit is twice it.
        env: environment variables.
        scheme: URL scheme of its endpoints (``http``; ``mongodb`` for the MongoDB wire protocol).
        pod_dns: give the pod a host name every pod resolves (``<name>.<name>-pods.<namespace>.svc.cluster.local``)
            for a service that names itself by its host's canonical name.
    """

    image: Callable[[], ServiceImageSpec]
    command: tuple[str, ...]
    ports: Mapping[str, int]
    ready_path: str | None
    cpu: str
    memory: str
    env: Mapping[str, str] = field(default_factory=dict)
    scheme: str = "http"
    pod_dns: bool = False

    @property
    def main_role(self) -> str:
        """Its first port's role: what readiness probes and what ``get``/``job_url`` reach by default."""
        return next(iter(self.ports))

    def values(self, image: str) -> dict[str, Any]:
        """This workload's entry in the chart's ``services`` values, running ``image``."""
        readiness = {"port": self.main_role, **({"path": self.ready_path} if self.ready_path else {})}
        limit = re.sub(r"^(\d+)", lambda m: str(int(m.group(1)) * 2), self.memory)
        return {"image": image, "command": list(self.command), "env": dict(self.env), "ports": dict(self.ports),
                "readiness": readiness, **({"podDNS": True} if self.pod_dns else {}),
                "resources": {"requests": {"cpu": self.cpu, "memory": self.memory}, "limits": {"memory": limit}}}


def _search_workload(node: type[SearchNode]) -> Workload:
    """OpenSearch or Elasticsearch: bookworm's JRE, the node's Maven classpath and compiled launcher, bound to
    every address of the pod (``-Dcronharness.bind``); ready once the cluster is at least yellow."""

    def image() -> ServiceImageSpec:
        classes, lib = node().program()
        return ServiceImageSpec(node.name, packages=(pinned("images", "java"),),
                                files={"classes": classes, "lib": lib})

    options = ["-Dcronharness.bind=0.0.0.0", "-Djava.io.tmpdir=/tmp"]
    return Workload(
        image=image,
        command=("/usr/bin/java", *jvm_options(options=options), "-cp",
                 f"{FILES_DIR}/classes:{FILES_DIR}/lib/*", node.main_class, "/data", "9200", "9300", CLUSTER_NAME),
        ports={"http": 9200, "transport": 9300},
        ready_path="/_cluster/health?wait_for_status=yellow&timeout=1s",
        cpu="100m",
        memory="768Mi",
    )


HDFS_DNS = f"hdfs.{NAMESPACE}.svc"
# roles are Kubernetes port names (lower case letters, digits and '-', at most 15 characters)
HDFS_PORTS = {"http": 9870, "rpc": 8020, "dn-transfer": 9866, "dn-http": 9864, "dn-ipc": 9867}


def _hdfs_workload() -> Workload:
    """NameNode + DataNode (MiniDFSCluster) in one pod, every listener on the pod's addresses. Clients find the
    NameNode by its Service name and the DataNode at the pod's address (``$(POD_IP)``, which the chart sets
    from the downward API): block transfers need no client setting, as with a production HDFS. A fresh pod
    formats its emptyDir; a restarted container keeps its files (``auto``: the launcher formats only an empty
    one). Ready when the NameNode answers (the host waits for the DataNode too:
    :meth:`ClusterServices.hdfs`)."""
    from harness.services.hdfs import LAUNCHER_OPTIONS, Hdfs

    def image() -> ServiceImageSpec:
        classes, lib = Hdfs().program()
        return ServiceImageSpec("hdfs", packages=(pinned("images", "java"),), files={"classes": classes, "lib": lib})

    options = ["-Dcronharness.bind=0.0.0.0", "-Dcronharness.advertise=$(POD_IP)", "-Djava.io.tmpdir=/tmp",
               *LAUNCHER_OPTIONS]
    ports = [str(HDFS_PORTS[role]) for role in ("rpc", "http", "dn-transfer", "dn-http", "dn-ipc")]
    return Workload(
        image=image,
        command=("/usr/bin/java", *jvm_options(options=options), "-cp", f"{FILES_DIR}/classes:{FILES_DIR}/lib/*",
                 "HdfsLauncher", "/data", *ports, "auto"),
        ports=HDFS_PORTS,
        ready_path="/jmx?qry=Hadoop:service=NameNode,name=NameNodeStatus",
        cpu="100m",
        memory="768Mi",
        # uid 10001 has no passwd entry in the image: Hadoop's login would find no user name
        env={"HADOOP_USER_NAME": "hdfs"},
    )


YARN_DNS = f"yarn.{NAMESPACE}.svc"


def _yarn_workload() -> Workload:
    """ResourceManager + NodeManager (harness/services/yarn.py) in one pod of the spark base image, every listener
    on the pod's addresses. Clients find the ResourceManager by its Service name; the NodeManager registers under
    the pod's DNS name, where Spark's driver reaches the executors it starts. It stages nothing itself: Spark's
    containers are localized from HDFS (by Service name). Ready when the ResourceManager's web service answers (the
    host waits for the NodeManager too: :meth:`ClusterServices.yarn`)."""
    from harness.services import yarn

    def image() -> ServiceImageSpec:
        classes, lib = yarn.program()
        return ServiceImageSpec("yarn", packages=(), files={"classes": classes, "lib": lib}, base="spark")

    options = ["-Dcronharness.bind=0.0.0.0", "-Dcronharness.advertise=$(POD_IP)", "-Djava.io.tmpdir=/tmp",
               *yarn.LAUNCHER_OPTIONS]
    return Workload(
        image=image,
        # BASE_DIR first: the launcher writes the core-site.xml the NodeManager's localizer reads there
        command=("/usr/bin/java", *jvm_options(options=options), "-cp",
                 f"{yarn.BASE_DIR}:{FILES_DIR}/classes:{FILES_DIR}/lib/*", "YarnLauncher", yarn.BASE_DIR,
                 f"hdfs://{HDFS_DNS}:{HDFS_PORTS['rpc']}", str(yarn.NODE_MEMORY_MB),
                 str(yarn.NODE_VCORES),
                 *(f"{k}={v}" for k, v in yarn.name_service(f"{HDFS_DNS}:{HDFS_PORTS['rpc']}").items())),
        ports=yarn.PORTS,
        ready_path="/ws/v1/cluster/info",
        cpu="100m",
        # the daemons' JVM and the containers it starts (an application master, two executors); limit twice it
        memory="2Gi",
        # The NodeManager registers under its address's canonical name, the pod's host name; Spark's driver dials
        # executors' block managers by it (large task results), so it must resolve outside the pod too.
        pod_dns=True,
    )


KDC_DNS = f"kdc.{NAMESPACE}.svc"


def _kdc_workload() -> Workload:
    """An MIT Kerberos KDC (harness/services/kdc.py): Debian's krb5-kdc and kadmin.local, started by
    tools/kdc/kdc-start, which makes the realm and its principals' keytabs in the pod's emptyDir. Ready when it takes
    TCP connections."""
    from harness.services import kdc

    return Workload(
        image=lambda: ServiceImageSpec("kdc", packages=(pinned("services-mongo-monitoring", "kdc"),
                                                        pinned("services-mongo-monitoring", "kdc-admin")),
                                       files={"bin/kdc-start": kdc.START_SCRIPT}),
        command=("kdc-start",),
        ports={"kerberos": kdc.PORT},
        ready_path=None,
        cpu="10m",
        memory="32Mi",
        env={"KDC_REALM": kdc.REALM, "KDC_PORT": str(kdc.PORT), "KDC_PRINCIPALS": " ".join(kdc.PRINCIPALS)},
    )


def _ferretdb_image() -> ServiceImageSpec:
    """FerretDB's static binary (the host service's Go build) alone on the base rootfs."""
    from harness.services.ferretdb import FerretDB

    service = FerretDB()
    service.prepare()
    return ServiceImageSpec("ferretdb", packages=(), files={"bin": service.program.parent})


def workloads() -> dict[str, Workload]:
    """The services that run in the cluster, by name (their Service and Deployment name)."""
    from harness.services.elasticsearch import Elasticsearch
    from harness.services.opensearch import OpenSearch

    return {
        "hdfs": _hdfs_workload(),
        "yarn": _yarn_workload(),
        "kdc": _kdc_workload(),
        "opensearch": _search_workload(OpenSearch),
        "elasticsearch": _search_workload(Elasticsearch),
        "ferretdb": Workload(
            image=_ferretdb_image,
            # one SQLite file per database in the pod's emptyDir
            command=(f"{FILES_DIR}/bin/ferretdb", "--listen-addr=:27017", "--sqlite-url=file:/data/"),
            ports={"mongo": 27017},
            ready_path=None,
            cpu="10m",
            memory="64Mi",
            scheme="mongodb",
        ),
        "pushgateway": Workload(
            image=lambda: ServiceImageSpec("pushgateway",
                                           packages=(pinned("services-mongo-monitoring", "pushgateway"),)),
            command=tuple(pushgateway_command(":9091", "/data/metrics.db")),
            ports={"http": 9091},
            ready_path="/-/ready",
            cpu="10m",
            memory="64Mi",
        ),
    }


def workload(name: str) -> Workload:
    """The workload ``name``.

    Raises:
        HarnessError: for a service that does not run in the cluster (naming those that do).
    """
    known = workloads()
    if name not in known:
        raise HarnessError(f"service {name!r} does not run in the cluster; in-cluster services: {', '.join(known)}")
    return known[name]


def job_url(name: str, role: str | None = None) -> str:
    """The URL a job pod reaches service ``name``'s port ``role`` at: its Service DNS name."""
    spec = workload(name)
    return f"{spec.scheme}://{name}.{NAMESPACE}.svc:{spec.ports[role or spec.main_role]}"


class PortForward:
    """``kubectl port-forward service/<name> :<port>`` in the Service's namespace, bound to 127.0.0.1.

    Started by :meth:`start`, which returns the local port kubectl chose; stopped by :meth:`stop`.
    """

    def __init__(self, cluster: Cluster, name: str, port: int, namespace: str = NAMESPACE) -> None:
        self.cluster, self.name, self.port, self.namespace = cluster, name, port, namespace
        self._proc: subprocess.Popen[str] | None = None
        self.local_port = 0

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 30.0) -> int:
        """Start forwarding (a no-op while it runs) and return the local port.

        Raises:
            HarnessError: when kubectl exits or names no port within ``timeout`` (with what it printed).
        """
        if self.alive:
            return self.local_port
        from harness.toolchain.tools import ensure

        self._proc = subprocess.Popen(
            [str(ensure("kubectl")), "--kubeconfig", str(self.cluster.kubeconfig), "port-forward",
             "--address", "127.0.0.1", "--namespace", self.namespace, f"service/{self.name}", f":{self.port}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self._proc.stdout is not None
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self._proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            line = self._proc.stdout.readline() if ready else ""
            if not line and self._proc.poll() is not None:
                break
            seen.append(line.strip())
            found = re.match(r"Forwarding from 127\.0\.0\.1:(\d+) ->", line)
            if found:
                self.local_port = int(found.group(1))
                return self.local_port
        self.stop()
        raise HarnessError(f"kubectl port-forward to service/{self.name} in {self.namespace} did not start within "
                           f"{timeout:.0f}s: {' '.join(s for s in seen if s) or '(no output)'}")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
        self._proc = None


@dataclass
class Endpoint:
    """A service running in the cluster, as the test host and the jobs reach it.

    Attributes:
        name: the service (its Service's name).
        job_url: base URL for job pods (Service DNS name).
        url: base URL for the test host (a port-forward on 127.0.0.1).
    """

    name: str
    job_url: str
    url: str


@dataclass(frozen=True)
class ClusterHdfs:
    """HDFS in the cluster as the host's WebHDFS client (``webhdfs_client``) and the jobs reach it.

    Attributes:
        webhdfs_url: the NameNode's HTTP port, forwarded to the host.
        datanode_redirects: the DataNode's HTTP port -> its port-forward (WebHDFS redirects are rewritten).
    """

    webhdfs_url: str
    datanode_redirects: Mapping[int, str]
    name: str = "hdfs"
    #: ``fs.defaultFS`` for jobs: the NameNode's RPC port by Service name
    rpc_url: str = f"hdfs://{HDFS_DNS}:{HDFS_PORTS['rpc']}"


@dataclass(frozen=True)
class ClusterYarn:
    """YARN in the cluster as the host and the jobs reach it.

    Attributes:
        cluster: the cluster it runs in.
        web_url: the ResourceManager's web service, forwarded to the host.
        node_web_url: the NodeManager's web service, forwarded to the host.
        client_conf: the Hadoop client configuration files jobs mount as ``HADOOP_CONF_DIR`` (by Service names).
    """

    cluster: Cluster
    web_url: str
    node_web_url: str
    client_conf: Mapping[str, str]

    def containers_of(self, app_id: str) -> dict[str, float]:
        """The containers application ``app_id`` had on the NodeManager and when each was launched (epoch seconds),
        from their log directories (kept three hours after the application ends; the NodeManager's web service
        forgets finished containers at once). The pod shares the test host's clock.

        Raises:
            HarnessError: when kubectl exec fails (no such application: its directory is missing).
        """
        from harness.services.yarn import NODE_LOG_DIR

        listing = self.cluster.kubectl("exec", "--namespace", NAMESPACE, "deployment/yarn", "--",
                                       "find", f"{NODE_LOG_DIR}/{app_id}", "-mindepth", "1", "-maxdepth", "1",
                                       "-printf", "%f %T@\\n")
        return {name: float(when) for name, when in (line.split() for line in listing.splitlines() if line.strip())}


@dataclass(frozen=True)
class ClusterKdc:
    """The Kerberos KDC in the cluster as jobs reach it.

    Attributes:
        cluster: the cluster it runs in.
        krb5_conf: the ``krb5.conf`` jobs mount (the KDC by its Service name).
    """

    cluster: Cluster
    krb5_conf: str

    def keytab(self, principal: str) -> bytes:
        """``principal``'s keytab, copied out of the KDC's pod (valid until the pod restarts).

        Raises:
            HarnessError: when kubectl exec fails (e.g. a principal the KDC was not started with).
        """
        import base64

        from harness.services.kdc import keytab_path

        encoded = self.cluster.kubectl("exec", "--namespace", NAMESPACE, "deployment/kdc", "--",
                                       "base64", "-w0", keytab_path(principal))
        return base64.b64decode(encoded)

    def tickets_issued(self, principal: str) -> int:
        """How many initial tickets the KDC has issued to ``principal`` (its log's ``AS_REQ ... ISSUE`` lines).

        Raises:
            HarnessError: when kubectl cannot read the log.
        """
        log = self.cluster.kubectl("logs", "--namespace", NAMESPACE, "deployment/kdc")
        return sum(1 for line in log.splitlines()
                   if "AS_REQ" in line and "ISSUE:" in line and f" {principal} for krbtgt/" in line)


def release_values(cluster: Cluster) -> dict[str, Any]:
    """The ``services`` values the release runs now ({} when it is not installed)."""
    done = subprocess.run([helm_binary(3), "get", "values", RELEASE, "--namespace", NAMESPACE, "--output", "json",
                           "--kubeconfig", str(cluster.kubeconfig)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {}
    services: dict[str, Any] = (json.loads(done.stdout or "{}") or {}).get("services") or {}
    return services


def _build_image(spec: Workload) -> JobImage:
    return build_service_image(spec.image())


def install(cluster: Cluster, names: list[str]) -> bool:
    """Make sure services ``names`` run, ready, in the cluster (building and loading their images first).

    The release keeps what it already runs; it is upgraded only when a service is added or changed.

    Returns:
        Whether the release was installed or upgraded (False: it already ran them all, as they are).

    Raises:
        HarnessError: when an image cannot be built or loaded, or helm refuses or times out (helm's message).
    """
    wanted = {name: workload(name) for name in names}
    images = {}
    for name, spec in wanted.items():
        built = once(f"the {name} service image", functools.partial(_build_image, spec))
        images[name] = str(cluster.load_image(built.archive, built.ref))
    with cache_lock(state_root() / "services" / ".in-cluster.lock"):
        running = release_values(cluster)
        values = {**running, **{name: spec.values(images[name]) for name, spec in wanted.items()}}
        changed = values != running
        if changed:
            _helm_install(cluster, values)
    for name in wanted:
        try:
            cluster.kubectl("rollout", "status", f"deployment/{name}", "--namespace", NAMESPACE,
                            f"--timeout={READY_TIMEOUT}", timeout=330)
        except HarnessError as exc:
            raise HarnessError(f"test service {name} did not become ready: {exc}\n{_pods_report(cluster)}") from exc
    return changed


def _helm_install(cluster: Cluster, services: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp, step(f"helm upgrade --install {RELEASE} in {NAMESPACE}: "
                                                     f"{', '.join(sorted(services))}"):
        values = Path(tmp) / "values.yaml"
        values.write_text(yaml.safe_dump({"services": services}))
        done = subprocess.run(
            [helm_binary(3), "upgrade", "--install", RELEASE, str(CHART), "--namespace", NAMESPACE,
             "--create-namespace", "--kubeconfig", str(cluster.kubeconfig), "--values", str(values), "--wait",
             "--timeout", READY_TIMEOUT], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise HarnessError(f"helm could not install the test services ({', '.join(sorted(services))}): "
                           f"{done.stderr.strip()}\n{_pods_report(cluster)}")


def _pods_report(cluster: Cluster) -> str:
    """The services' pods and the last log lines of each that is not ready (for an install that timed out)."""
    try:
        pods = cluster.kubectl("get", "pods", "--namespace", NAMESPACE, "-o", "wide")
        lines = [pods]
        for name in cluster.kubectl("get", "pods", "--namespace", NAMESPACE, "-o",
                                    "jsonpath={range .items[?(@.status.containerStatuses[0].ready==false)]}"
                                    '{.metadata.name}{" "}{end}').split():
            try:
                tail = cluster.kubectl("logs", "--namespace", NAMESPACE, name, "--tail=15")
            except HarnessError as exc:  # not started yet: say so and go on with the others
                tail = str(exc)
            lines.append(f"last log lines of {name}:\n{tail}")
        return "\n".join(lines)
    except HarnessError as exc:
        return f"(could not list the pods in {NAMESPACE}: {exc})"


def uninstall(cluster: Cluster) -> None:
    """Remove the release and its namespace (what the last session leaves behind: nothing).

    Raises:
        HarnessError: when helm or kubectl fails.
    """
    done = subprocess.run([helm_binary(3), "uninstall", RELEASE, "--namespace", NAMESPACE, "--ignore-not-found",
                           "--wait", "--kubeconfig", str(cluster.kubeconfig)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise HarnessError(f"helm could not uninstall {RELEASE} from {NAMESPACE}: {done.stderr.strip()}")
    cluster.kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=true", timeout=180)


class ClusterServices:
    """The in-cluster services of one test session: installed on first use, forwarded to the host.

    ``get(name)`` returns an :class:`Endpoint`; ``close()`` stops this session's port-forwards (the services
    keep running for other sessions).
    """

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._forwards: dict[str, PortForward] = {}
        self._endpoints: dict[str, Endpoint] = {}
        self._hdfs: ClusterHdfs | None = None
        self.installed = False

    def get(self, name: str, role: str | None = None) -> Endpoint:
        """Service ``name`` running and ready in the cluster, with a live port-forward to its port ``role``
        (default: its first).

        Raises:
            HarnessError: when it cannot be installed or forwarded.
        """
        spec = workload(name)
        role = role or spec.main_role
        key = f"{name}/{role}"
        if key not in self._forwards:
            try:
                # A release this session changed is this session's to remove; one it found as wanted is not
                # (e.g. installed by `harness services install`).
                self.installed |= once(f"the {name} service in the cluster", lambda: install(self.cluster, [name]))
            except Exception:
                self.installed = True  # the session's end removes what a failed install left
                raise
            self._forwards[key] = PortForward(self.cluster, name, spec.ports[role])
        local = self._forwards[key].start()
        self._endpoints[key] = Endpoint(name, job_url(name, role), f"{spec.scheme}://127.0.0.1:{local}")
        return self._endpoints[key]

    def hdfs(self) -> ClusterHdfs:
        """HDFS in the cluster, its NameNode out of safe mode with its DataNode alive.

        Raises:
            HarnessError: when it cannot be installed or forwarded.
            HarnessTimeout: when the DataNode does not register within two minutes.
        """
        from harness.services.hdfs import namenode_ready

        namenode, datanode = self.get("hdfs", "http"), self.get("hdfs", "dn-http")
        wait_until(lambda: namenode_ready(namenode.url), timeout=120, what="the in-cluster HDFS DataNode to register")
        self._hdfs = ClusterHdfs(webhdfs_url=namenode.url,
                                 datanode_redirects={HDFS_PORTS["dn-http"]: datanode.url.removeprefix("http://")})
        return self._hdfs

    def yarn(self) -> ClusterYarn:
        """YARN in the cluster (with the HDFS it stages on), its NodeManager registered and healthy.

        Raises:
            HarnessError: when it cannot be installed or forwarded.
            HarnessTimeout: when the NodeManager does not register within two minutes.
        """
        from harness.services import yarn

        hdfs = self.hdfs()
        web = self.get("yarn", "web")
        wait_until(lambda: yarn.node_ready(web.url), timeout=120, what="the in-cluster YARN NodeManager to register")
        return ClusterYarn(cluster=self.cluster, web_url=web.url, node_web_url=self.get("yarn", "nm-web").url,
                           client_conf=yarn.client_conf(YARN_DNS, hdfs.rpc_url.removeprefix("hdfs://")))

    def kdc(self) -> ClusterKdc:
        """The Kerberos KDC in the cluster, taking connections.

        Raises:
            HarnessError: when it cannot be installed.
        """
        from harness.services.kdc import client_krb5_conf

        self.get("kdc")
        return ClusterKdc(cluster=self.cluster, krb5_conf=client_krb5_conf(KDC_DNS))

    def used_hdfs(self) -> ClusterHdfs | None:
        """HDFS, when this session reached it and its port-forwards still run (it may hold its tests' data)."""
        alive = all(f.alive for key, f in self._forwards.items() if key.startswith("hdfs/"))
        return self._hdfs if self._hdfs is not None and alive else None

    def endpoints(self) -> list[Endpoint]:
        """The services this session reached (those that can hold its tests' data)."""
        return [endpoint for key, endpoint in self._endpoints.items() if self._forwards[key].alive]

    def close(self) -> None:
        """Stop this session's port-forwards."""
        for forward in self._forwards.values():
            forward.stop()
        self._forwards.clear()
        self._endpoints.clear()
        self._hdfs = None
