"""The local cluster's layout on disk and each component's command line and config files.

Kept apart from the lifecycle (local.py) so what runs, with which flags and why, reads in one place.
Every listener binds 127.0.0.1; the service and pod CIDRs are only addresses inside the node (there is
no kube-proxy and pods get no route off their bridge), nothing outside this machine is ever reached.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from harness.cluster.containerd import ContainerdLayout
from harness.cluster.pki import Pki

HOST = "127.0.0.1"
# The node is named by its address, as in hack/local-up-cluster.sh: the kubelet refuses a loopback
# --node-ip, but takes a hostname override that is an IP as its InternalIP, so the apiserver reaches
# the kubelet (logs, exec) on 127.0.0.1 and never on the machine's other addresses.
NODE_NAME = HOST
ETCD_MEMBER = "cronharness"
CNI_BIN_DIR = Path("/usr/lib/cni")  # Debian's containernetworking-plugins


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


@dataclass(frozen=True)
class LocalNetwork:
    """In-node addressing: Service ClusterIPs and the pod bridge (never routed anywhere).

    The bridge name doubles as the CNI network's name, so each cluster on the machine has its own.
    """

    service_cidr: str = "10.96.0.0/24"
    pod_subnet: str = "10.88.0.0/24"
    bridge: str = "cronharness0"

    @property
    def service_ip(self) -> str:
        """The ``kubernetes`` Service's ClusterIP (first address of the service CIDR)."""
        return str(next(ipaddress.ip_network(self.service_cidr).hosts()))


@dataclass(frozen=True)
class LocalLayout:
    """Where the local cluster keeps everything (one directory; ``down --purge`` deletes it)."""

    root: Path
    ports: LocalPorts = field(default_factory=LocalPorts)
    network: LocalNetwork = field(default_factory=LocalNetwork)
    #: parent cgroup of the kubelet's ``kubepods`` tree; a second cluster on the machine (tests) uses
    #: its own so that neither kubelet nor ``down`` touches the other's pods
    cgroup_root: str = "/"

    @property
    def pki(self) -> Pki:
        return Pki(self.root / "pki")

    @property
    def admin_kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    def component_kubeconfig(self, component: str) -> Path:
        return self.root / "kubeconfigs" / f"{component}.kubeconfig"

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
    def cni_conf_dir(self) -> Path:
        return self.root / "cni" / "net.d"

    @property
    def cni_ipam_dir(self) -> Path:
        return self.root / "cni" / "ipam"

    @property
    def marker(self) -> Path:
        """Records the versions that created the data, to detect a stale data directory."""
        return self.root / "cluster.json"

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
        f"--advertise-address={HOST}",
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
        # Endpoints may not hold loopback addresses, and 127.0.0.1 is the only address we advertise:
        # the `kubernetes` Service gets no endpoints (nothing routes ClusterIPs here anyway).
        "--endpoint-reconciler-type=none",
        "--profiling=false",
    ]


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
        # The node's imported images (sandbox, busybox) cannot be pulled again: never garbage-collect
        # them, and do not evict pods merely because a shared build machine's disk is fairly full.
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "evictionHard": {"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%"},
        "podLogsDir": str(layout.pod_logs),
        # No cluster DNS runs; pods get the host's resolver configuration.
        "resolvConf": "/etc/resolv.conf",
        "serializeImagePulls": False,
        "registerNode": True,
    }


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
    """The pod network: one bridge, host-local addresses, and deliberately no gateway.

    ``isGateway: false`` leaves the bridge without an address and the pods without a default route,
    so pod traffic cannot leave the bridge (and the host's ip_forward is not touched); pods that need
    the host's test services use hostNetwork. containerd's CRI adds the loopback interface itself.
    """
    conf = {
        "cniVersion": "1.0.0",
        "name": layout.network.bridge,
        "plugins": [
            {
                "type": "bridge",
                "bridge": layout.network.bridge,
                "isGateway": False,
                "ipMasq": False,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": layout.network.pod_subnet}]],
                    "dataDir": str(layout.cni_ipam_dir),
                },
            }
        ],
    }
    return json.dumps(conf, indent=2) + "\n"


def write_kubelet_config(layout: LocalLayout) -> None:
    """Write :func:`kubelet_config` as YAML where ``--config`` points."""
    layout.kubelet_config.write_text(yaml.safe_dump(kubelet_config(layout), sort_keys=False))
