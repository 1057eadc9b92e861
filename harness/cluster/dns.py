"""The cluster DNS of the clusters the harness starts (local and kind): CoreDNS in kube-system, answering
for ``cluster.local`` and nothing else.

CoreDNS runs as a Deployment from the locally built image (node_images.coredns_image),
reads Services and EndpointSlices through the ``kubernetes`` Service like any in-cluster client, and
sits behind the ``kube-dns`` Service at the fixed ClusterIP the kubelet writes into every pod's
resolv.conf (``clusterDNS``). Its Corefile has one server block, for the cluster domain: there is no
``forward`` (no upstream resolver), so a name outside ``cluster.local`` is answered REFUSED by CoreDNS
itself and no query ever leaves the machine.

On kind, kubeadm's own CoreDNS addon is skipped (its Corefile forwards to the node's resolver and its
image would be pulled): the same objects are applied there, at kubeadm's DNS address.
"""

from __future__ import annotations

from harness.cluster import addon
from harness.cluster.base import Cluster
from harness.cluster.local_config import CLUSTER_DOMAIN

NAMESPACE = "kube-system"
NAME = "coredns"
SERVICE = "kube-dns"  # the name kubeadm and most tools expect for the cluster DNS Service
_LABELS = {"k8s-app": "kube-dns"}
_HEALTH_PORT = 8080
_READY_PORT = 8181


def corefile(domain: str = CLUSTER_DOMAIN) -> str:
    """CoreDNS's configuration: the cluster domain from the Kubernetes API, cached; nothing forwarded.

    Args:
        domain: the cluster domain (the kubelet's ``clusterDomain``).

    Returns:
        The Corefile text.
    """
    return (
        f"{domain}:53 {{\n"
        "    errors\n"
        f"    health :{_HEALTH_PORT}\n"
        f"    ready :{_READY_PORT}\n"
        f"    kubernetes {domain} {{\n"
        "        pods insecure\n"
        "    }\n"
        "    cache 30\n"
        "}\n"
    )


def manifests(dns_ip: str, image: str) -> list[dict[str, object]]:
    """The objects of the cluster DNS: RBAC, the Corefile, the Deployment and its Service.

    Args:
        dns_ip: the ClusterIP of the DNS Service: the address the kubelet writes into pods' resolv.conf.
        image: the CoreDNS image, already in the node's store.

    Returns:
        The objects, in the order to apply them.
    """
    meta = {"name": NAME, "namespace": NAMESPACE, "labels": _LABELS}
    container = {
        "name": NAME,
        "image": image,
        "imagePullPolicy": "Never",
        "args": ["-conf", "/etc/coredns/Corefile"],
        "ports": [
            {"name": "dns", "containerPort": 53, "protocol": "UDP"},
            {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
        ],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "170Mi"}},
        "livenessProbe": {"httpGet": {"path": "/health", "port": _HEALTH_PORT}, "periodSeconds": 10,
                          "failureThreshold": 5},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": _READY_PORT}, "periodSeconds": 2},
        # Port 53 needs NET_BIND_SERVICE (the binary runs as root in the container, as upstream's).
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
        },
        "volumeMounts": [{"name": "config", "mountPath": "/etc/coredns", "readOnly": True}],
    }
    pod_spec = {
        "serviceAccountName": NAME,
        "priorityClassName": "system-cluster-critical",
        # CoreDNS is the resolver: its own resolv.conf names only itself, never the host's.
        "dnsPolicy": "None",
        "dnsConfig": {"nameservers": ["127.0.0.1"]},
        "containers": [container],
        "volumes": [{"name": "config", "configMap": {"name": NAME}}],
    }
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": f"system:{NAME}", "labels": _LABELS},
            "rules": [
                {"apiGroups": [""], "resources": ["services", "pods", "namespaces"], "verbs": ["list", "watch"]},
                {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "watch"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": f"system:{NAME}", "labels": _LABELS},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": f"system:{NAME}"},
            "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}],
        },
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"Corefile": corefile()}},
        # CoreDNS reads its Corefile once: a changed one rolls the pod.
        addon.deployment(meta, _LABELS, ("cronharness.local/corefile-sha256", corefile()), pod_spec),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": SERVICE, "namespace": NAMESPACE, "labels": _LABELS},
            "spec": {
                "clusterIP": dns_ip,
                "selector": _LABELS,
                "ports": [
                    {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                    {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                ],
            },
        },
    ]


def install(cluster: Cluster, dns_ip: str, image: str) -> None:
    """Apply the cluster DNS's objects (unchanged ones are a no-op) and wait until CoreDNS is ready.

    Args:
        cluster: the cluster, up.
        dns_ip: the DNS Service's ClusterIP (the kubelet's ``clusterDNS``).
        image: the CoreDNS image, already in the node's store.

    Raises:
        HarnessError: when the apply fails or CoreDNS is not ready within two minutes.
    """
    cluster.apply(manifests(dns_ip, image))
    cluster.wait_rollout(NAMESPACE, NAME)
