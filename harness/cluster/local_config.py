"""The local cluster's layout on disk and each component's command line and config files.

Kept apart from the lifecycle (local.py) so what runs, with which flags and why, reads in one place.
Every host listener binds 127.0.0.1, except the apiserver relay on the pod gateway address. Pods get
routes to the pod and Service ranges only; docs/network.md says what can reach what and why nothing
leaves the machine.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from harness.cluster.containerd import ContainerdLayout
from harness.cluster.pki import Pki
from harness.process import distinct_free_ports

HOST = "127.0.0.1"
# The node is named by its address, as in hack/local-up-cluster.sh: the kubelet refuses a loopback
# --node-ip, but takes a hostname override that is an IP as its InternalIP, so the apiserver reaches
# the kubelet (logs, exec) on 127.0.0.1 and never on the machine's other addresses.
NODE_NAME = HOST
ETCD_MEMBER = "cronharness"
CNI_BIN_DIR = Path("/usr/lib/cni")  # Debian's containernetworking-plugins
CLUSTER_DOMAIN = "cluster.local"


@dataclass(frozen=True)
class LocalPorts:
    """Loopback TCP ports of the components (Kubernetes' usual defaults)."""

    apiserver: int = 6443
    etcd_client: int = 2379
    etcd_peer: int = 2380
    controller_manager: int = 10257
    scheduler: int = 10259
    kubelet: int = 10250
    kubelet_healthz: int = 10248
    kube_proxy_healthz: int = 10256
    kube_proxy_metrics: int = 10249


def free_ports() -> LocalPorts:
    """Ports for a second cluster on the machine: every one a currently free loopback port."""
    return LocalPorts(*distinct_free_ports(len(dataclasses.fields(LocalPorts))))


@dataclass(frozen=True)
class LocalNetwork:
    """In-node addressing: Service ClusterIPs and the pod bridge (routed nowhere off this machine).

    The bridge name doubles as the CNI network's name, so each cluster on the machine has its own.
    """

    service_cidr: str = "10.96.0.0/24"
    pod_subnet: str = "10.88.0.0/24"
    bridge: str = "cronharness0"

    def _host(self, cidr: str, index: int) -> str:
        return str(ipaddress.ip_network(cidr)[index])

    @property
    def service_ip(self) -> str:
        """The ``kubernetes`` Service's ClusterIP (first address of the service CIDR)."""
        return self._host(self.service_cidr, 1)

    @property
    def dns_ip(self) -> str:
        """The cluster DNS Service's fixed ClusterIP (the tenth address, as kubeadm chooses)."""
        return self._host(self.service_cidr, 10)

    @property
    def gateway(self) -> str:
        """The bridge's own address (first of the pod subnet): the host as the pods see it."""
        return self._host(self.pod_subnet, 1)

    @property
    def gateway_cidr(self) -> str:
        """The bridge's address with the pod subnet's prefix length (``10.88.0.1/24``)."""
        return f"{self.gateway}/{ipaddress.ip_network(self.pod_subnet).prefixlen}"


@dataclass(frozen=True)
class LocalLayout:
    """Where the local cluster keeps everything (one directory; ``down --purge`` deletes it)."""

    root: Path
    ports: LocalPorts = field(default_factory=LocalPorts)
    network: LocalNetwork = field(default_factory=LocalNetwork)
    #: parent cgroup of the kubelet's ``kubepods`` tree; a second cluster on the machine (tests) uses
    #: its own so that neither kubelet nor ``down`` touches the other's pods
    cgroup_root: str = "/"
    #: Service networking: kube-proxy, cluster DNS, the bridge as the pods' gateway to the Service range.
    #: kube-proxy programs the host's global iptables chains, so only one cluster on a machine may have
    #: it; a second cluster beside the default one (tests, benchmarks) runs with ``networking=False``:
    #: pods on an address-less bridge with no route beyond their subnet, as before Service networking.
    networking: bool = True

    @property
    def pki(self) -> Pki:
        return Pki(self.root / "pki")

    @property
    def admin_kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    def component_kubeconfig(self, component: str) -> Path:
        return self.root / "kubeconfigs" / f"{component}.kubeconfig"

    @property
    def kube_proxy_config(self) -> Path:
        return self.root / "kube-proxy-config.yaml"

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd"

    @property
    def containerd(self) -> ContainerdLayout:
        return ContainerdLayout(self.root / "containerd")

    @property
    def kubelet_dir(self) -> Path:
        return self.root / "kubelet"

    @property
    def kubelet_config(self) -> Path:
        return self.root / "kubelet-config.yaml"

    @property
    def pod_logs(self) -> Path:
        return self.root / "pod-logs"

    @property
    def volumes(self) -> Path:
        """Where the storage provisioner makes the directories of PersistentVolumes (``down --purge`` deletes it)."""
        return self.root / "volumes"

    @property
    def cni_conf_dir(self) -> Path:
        return self.root / "cni" / "net.d"

    @property
    def cni_ipam_dir(self) -> Path:
        return self.root / "cni" / "ipam"

    @property
    def marker(self) -> Path:
        """Records the versions that created the data, to detect a stale data directory."""
        return self.root / "cluster.json"

    @property
    def record(self) -> Path:
        """Records this layout (all but ``root``), so later commands find a non-default cluster's."""
        return self.root / "layout.json"

    def save(self) -> None:
        """Write :attr:`record` (``up`` does, each time)."""
        fields = {"ports": dataclasses.asdict(self.ports), "network": dataclasses.asdict(self.network),
                  "cgroup_root": self.cgroup_root, "networking": self.networking}
        self.record.write_text(json.dumps(fields, indent=2) + "\n")

    @classmethod
    def at(cls, root: Path) -> LocalLayout:
        """The layout the cluster in ``root`` was made with (the defaults if none was made there yet).

        So ``harness`` commands and test sessions run with ``HARNESS_STATE_DIR`` pointing at a second
        cluster's state dir (own ports, bridge, ranges) use that cluster, not the default one.
        """
        default = cls(root)
        if not default.record.exists():
            return default
        fields = json.loads(default.record.read_text())
        return cls(root, ports=LocalPorts(**fields["ports"]), network=LocalNetwork(**fields["network"]),
                   cgroup_root=fields["cgroup_root"], networking=fields["networking"])

    def log(self, component: str) -> Path:
        return self.root / "logs" / f"{component}.log"

    def pid(self, component: str) -> Path:
        return self.root / "run" / f"{component}.pid"

    @property
    def server(self) -> str:
        return f"https://{HOST}:{self.ports.apiserver}"


def etcd_argv(etcd: Path, layout: LocalLayout) -> list[str]:
    """etcd: one member, TLS with client certificates on the client port, peer port on loopback."""
    pki, ports = layout.pki, layout.ports
    client = f"https://{HOST}:{ports.etcd_client}"
    peer = f"http://{HOST}:{ports.etcd_peer}"
    return [
        str(etcd),
        f"--name={ETCD_MEMBER}",
        f"--data-dir={layout.etcd_data}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster={ETCD_MEMBER}={peer}",
        f"--cert-file={pki.cert('etcd-server')}",
        f"--key-file={pki.key('etcd-server')}",
        f"--trusted-ca-file={pki.ca_cert}",
        "--client-cert-auth=true",
        "--log-level=warn",
    ]


def apiserver_argv(binary: Path, layout: LocalLayout) -> list[str]:
    """kube-apiserver on 127.0.0.1 with Node,RBAC authorization and client-certificate authentication."""
    pki, ports, net = layout.pki, layout.ports, layout.network
    return [
        str(binary),
        f"--bind-address={HOST}",
        f"--secure-port={ports.apiserver}",
        f"--etcd-servers=https://{HOST}:{ports.etcd_client}",
        f"--etcd-cafile={pki.ca_cert}",
        f"--etcd-certfile={pki.cert('apiserver-etcd-client')}",
        f"--etcd-keyfile={pki.key('apiserver-etcd-client')}",
        f"--client-ca-file={pki.ca_cert}",
        f"--tls-cert-file={pki.cert('apiserver')}",
        f"--tls-private-key-file={pki.key('apiserver')}",
        f"--kubelet-client-certificate={pki.cert('apiserver-kubelet-client')}",
        f"--kubelet-client-key={pki.key('apiserver-kubelet-client')}",
        f"--kubelet-certificate-authority={pki.ca_cert}",
        # The node registers with InternalIP 127.0.0.1 (see NODE_NAME): logs/exec use loopback.
        "--kubelet-preferred-address-types=InternalIP",
        f"--service-account-key-file={pki.sa_public}",
        f"--service-account-signing-key-file={pki.sa_private}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-cluster-ip-range={net.service_cidr}",
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        "--allow-privileged=true",
        *_apiserver_endpoint_flags(layout),
        "--profiling=false",
    ]


def _apiserver_endpoint_flags(layout: LocalLayout) -> list[str]:
    """What the ``kubernetes`` Service's endpoint is: the relay on the pod gateway, or none."""
    if layout.networking:
        # Pods reach the apiserver (which binds loopback only) through the relay on the bridge address
        # (api_relay_argv); the apiserver writes that address into the `kubernetes` EndpointSlice.
        return [f"--advertise-address={layout.network.gateway}"]
    # Endpoints may not hold loopback addresses, and 127.0.0.1 is the only address this cluster has:
    # the `kubernetes` Service gets no endpoints (nothing routes ClusterIPs without Service networking).
    return [f"--advertise-address={HOST}", "--endpoint-reconciler-type=none"]


def controller_manager_argv(binary: Path, layout: LocalLayout) -> list[str]:
    """kube-controller-manager: a single instance (no leader election, which only delays start)."""
    pki, net = layout.pki, layout.network
    kubeconfig = layout.component_kubeconfig("controller-manager")
    return [
        str(binary),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        f"--bind-address={HOST}",
        f"--secure-port={layout.ports.controller_manager}",
        f"--tls-cert-file={pki.cert('controller-manager-serving')}",
        f"--tls-private-key-file={pki.key('controller-manager-serving')}",
        f"--client-ca-file={pki.ca_cert}",
        f"--service-account-private-key-file={pki.sa_private}",
        f"--root-ca-file={pki.ca_cert}",
        "--use-service-account-credentials=true",
        f"--service-cluster-ip-range={net.service_cidr}",
        f"--cluster-signing-cert-file={pki.ca_cert}",
        f"--cluster-signing-key-file={pki.ca_key}",
        "--leader-elect=false",
        "--profiling=false",
    ]


def scheduler_argv(binary: Path, layout: LocalLayout) -> list[str]:
    """kube-scheduler: a single instance (no leader election)."""
    pki = layout.pki
    kubeconfig = layout.component_kubeconfig("scheduler")
    return [
        str(binary),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        f"--bind-address={HOST}",
        f"--secure-port={layout.ports.scheduler}",
        f"--tls-cert-file={pki.cert('scheduler-serving')}",
        f"--tls-private-key-file={pki.key('scheduler-serving')}",
        f"--client-ca-file={pki.ca_cert}",
        "--leader-elect=false",
        "--profiling=false",
    ]


def kubelet_config(layout: LocalLayout) -> dict[str, object]:
    """The KubeletConfiguration for this host (each deviation from the defaults says why)."""
    pki, ports = layout.pki, layout.ports
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": HOST,
        "port": ports.kubelet,
        "readOnlyPort": 0,
        "healthzBindAddress": HOST,
        "healthzPort": ports.kubelet_healthz,
        "tlsCertFile": str(pki.cert("kubelet-serving")),
        "tlsPrivateKeyFile": str(pki.key("kubelet-serving")),
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(pki.ca_cert)},
        },
        "authorization": {"mode": "Webhook"},
        "containerRuntimeEndpoint": f"unix://{layout.containerd.socket}",
        # No systemd on these hosts; containerd's runc is configured with SystemdCgroup = false to match.
        "cgroupDriver": "cgroupfs",
        "cgroupRoot": layout.cgroup_root,
        # Developer machines may have swap on; the cluster is a test fixture, not a production node.
        "failSwapOn": False,
        # The node's imported images (sandbox, CoreDNS, busybox) cannot be pulled again: never garbage-collect
        # them, and do not evict pods merely because a shared build machine's disk is fairly full.
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "evictionHard": {"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%"},
        "podLogsDir": str(layout.pod_logs),
        "serializeImagePulls": False,
        "registerNode": True,
        **_pod_dns(layout),
    }


def _pod_dns(layout: LocalLayout) -> dict[str, object]:
    """What pods' resolv.conf names: the cluster DNS only, never the host's (outside) resolver.

    ClusterFirst pods, and hostNetwork pods with ClusterFirstWithHostNet (the library chart's choice
    for them), get the cluster DNS; ``resolvConf: ""`` gives pods with dnsPolicy Default (and
    hostNetwork pods with ClusterFirst) no nameserver instead of the host's. Without networking there
    is no cluster DNS, and pods get the host's resolver configuration as before.
    """
    if not layout.networking:
        return {"resolvConf": "/etc/resolv.conf"}
    return {"resolvConf": "", "clusterDNS": [layout.network.dns_ip], "clusterDomain": CLUSTER_DOMAIN}


def kubelet_argv(binary: Path, layout: LocalLayout) -> list[str]:
    """kubelet: config file plus the few settings that exist only as flags."""
    return [
        str(binary),
        f"--config={layout.kubelet_config}",
        f"--kubeconfig={layout.component_kubeconfig('kubelet')}",
        f"--root-dir={layout.kubelet_dir}",
        f"--hostname-override={NODE_NAME}",
    ]


def containerd_argv(layout: LocalLayout) -> list[str]:
    """containerd (Debian's, on PATH) with the config written for this cluster."""
    return ["containerd", f"--config={layout.containerd.config}"]


def cni_conflist(layout: LocalLayout) -> str:
    """The pod network: one bridge, host-local addresses, no default route and no masquerading.

    The plugin never makes the bridge a gateway (``isGateway``/``isDefaultGateway`` false: it would
    turn on the host's global ip_forward) and never masquerades (``ipMasq`` false). With networking,
    the harness gives the bridge its address itself (harness.cluster.hostnet) and each pod gets
    exactly two routes: its own subnet (the link's route, from its address) and the Service range via
    the bridge, where kube-proxy's rules translate ClusterIPs. Without networking the bridge has no
    address and pods have no route beyond their subnet. containerd's CRI adds the loopback itself.
    """
    net = layout.network
    address_range: dict[str, str] = {"subnet": net.pod_subnet}
    ipam: dict[str, object] = {"type": "host-local", "dataDir": str(layout.cni_ipam_dir)}
    if layout.networking:
        address_range["gateway"] = net.gateway
        ipam["routes"] = [{"dst": net.service_cidr, "gw": net.gateway}]
    ipam["ranges"] = [[address_range]]
    conf = {
        "cniVersion": "1.0.0",
        "name": net.bridge,
        "plugins": [
            {
                "type": "bridge",
                "bridge": net.bridge,
                "isGateway": False,
                "isDefaultGateway": False,
                "ipMasq": False,
                # A pod may reach itself through a Service: the bridge sends such frames back its port.
                "hairpinMode": layout.networking,
                "ipam": ipam,
            }
        ],
    }
    return json.dumps(conf, indent=2) + "\n"


def kube_proxy_config(layout: LocalLayout) -> dict[str, object]:
    """The KubeProxyConfiguration: iptables mode, loopback listeners, host sysctls left alone.

    ``clusterCIDR`` is the pod subnet: traffic to a ClusterIP from outside it (a host process) is
    marked for kube-proxy's MASQUERADE, so the reply comes back to the bridge address; nothing else is
    masqueraded (``masqueradeAll`` false). NodePorts are served on the bridge address only, never on
    the machine's other interfaces, and never on 127.0.0.1 (``localhostNodePorts`` would set the global
    route_localnet sysctl). The conntrack values 0 leave the host's conntrack table sizes and timeouts
    as they are.
    """
    ports, net = layout.ports, layout.network
    return {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "iptables",
        "clientConnection": {"kubeconfig": str(layout.component_kubeconfig("kube-proxy"))},
        "hostnameOverride": NODE_NAME,
        "bindAddress": HOST,
        "healthzBindAddress": f"{HOST}:{ports.kube_proxy_healthz}",
        "metricsBindAddress": f"{HOST}:{ports.kube_proxy_metrics}",
        "clusterCIDR": net.pod_subnet,
        "detectLocalMode": "ClusterCIDR",
        "nodePortAddresses": [f"{net.gateway}/32"],
        "iptables": {"masqueradeAll": False, "localhostNodePorts": False},
        "conntrack": {"maxPerCore": 0, "min": 0, "tcpEstablishedTimeout": "0s", "tcpCloseWaitTimeout": "0s"},
    }


def kube_proxy_argv(binary: Path, layout: LocalLayout) -> list[str]:
    """kube-proxy with its config file (:func:`kube_proxy_config`)."""
    return [str(binary), f"--config={layout.kube_proxy_config}"]


def api_relay_argv(layout: LocalLayout) -> list[str]:
    """socat relaying the apiserver's port from the pod gateway address to 127.0.0.1.

    The apiserver binds loopback only (so nothing off the machine can reach it); pods reach it as the
    ``kubernetes`` Service, whose endpoint is this relay (see :func:`apiserver_argv`). TLS passes
    through unchanged: clients still verify the apiserver's certificate for the Service's ClusterIP.
    """
    port, gateway = layout.ports.apiserver, layout.network.gateway
    return ["socat", f"TCP-LISTEN:{port},bind={gateway},reuseaddr,fork", f"TCP:{HOST}:{port}"]


def write_component_configs(layout: LocalLayout) -> None:
    """Write :func:`kubelet_config` and (with networking) :func:`kube_proxy_config` as YAML."""
    layout.kubelet_config.write_text(yaml.safe_dump(kubelet_config(layout), sort_keys=False))
    if layout.networking:
        layout.kube_proxy_config.write_text(yaml.safe_dump(kube_proxy_config(layout), sort_keys=False))
