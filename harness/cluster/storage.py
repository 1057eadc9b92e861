"""Dynamic volumes on the clusters the harness starts (local and kind): rancher's local-path-provisioner.

A PersistentVolumeClaim of the default StorageClass ``standard`` gets a directory on the node under
``base_path``: the provisioner (built from Go modules, node_images.local_path_provisioner_image) runs a
short-lived helper pod that creates it when the claim's first pod is scheduled (``WaitForFirstConsumer``),
and another that removes it when the claim is deleted (reclaim policy ``Delete``). The helper pods run
the busybox node image, which every node of ours has; nothing is pulled.

The class is named ``standard`` on both providers, as kind names its own default class, so a chart sees
the same default everywhere. On kind these objects replace kind's own storage manifest: the node image
carries them as ``/kind/manifests/default-storage.yaml``, which ``kind create`` applies (kind_node.py);
on the local cluster the harness applies them after the DNS (local.py).
"""

from __future__ import annotations

import json

import yaml

from harness.cluster import addon
from harness.cluster.base import Cluster

NAMESPACE = "local-path-storage"
NAME = "local-path-provisioner"
CONFIG = "local-path-config"
STORAGE_CLASS = "standard"
PROVISIONER = "rancher.io/local-path"
_LABELS = {"app.kubernetes.io/name": NAME}
# Applied to the directory the setup helper makes: pods of any user may write their claim.
_SETUP = '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n'
_TEARDOWN = '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n'


def _helper_pod(helper_image: str) -> dict[str, object]:
    """The template of the provisioner's helper pods (it adds the command, volumes and node itself)."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "helper-pod"},
        "spec": {
            "priorityClassName": "system-node-critical",
            "containers": [{
                "name": "helper-pod",
                "image": helper_image,
                "imagePullPolicy": "Never",
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}},
            }],
        },
    }


def manifests(image: str, helper_image: str, base_path: str) -> list[dict[str, object]]:
    """The provisioner's objects: namespace, RBAC, its configuration, the Deployment and the StorageClass.

    Args:
        image: the provisioner image, already in the node's store.
        helper_image: the image of the helper pods (needs ``sh``, ``mkdir``, ``rm``), already in the node.
        base_path: the directory on the node that holds the volumes.

    Returns:
        The objects, in the order to apply them.
    """
    meta = {"name": NAME, "namespace": NAMESPACE, "labels": _LABELS}
    config = {"nodePathMap": [{"node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": [base_path]}]}
    config_data = {
        "config.json": json.dumps(config, indent=2),
        "setup": _SETUP,
        "teardown": _TEARDOWN,
        "helperPod.yaml": yaml.safe_dump(_helper_pod(helper_image), sort_keys=False),
    }
    container = {
        "name": NAME,
        "image": image,
        "imagePullPolicy": "Never",
        "command": [
            "/local-path-provisioner", "--debug", "start",
            "--provisioner-name", PROVISIONER, "--namespace", NAMESPACE, "--configmap-name", CONFIG,
            "--service-account-name", NAME, "--helper-image", helper_image,
        ],
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
        # It only talks to the API server: no root, no capabilities, nothing written.
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": _LABELS}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": NAME, "labels": _LABELS},
            "rules": [
                {"apiGroups": [""], "resources": ["nodes", "persistentvolumeclaims"],
                 "verbs": ["get", "list", "watch"]},
                {"apiGroups": [""], "resources": ["persistentvolumes"],
                 "verbs": ["get", "list", "watch", "create", "patch", "update", "delete"]},
                {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
                {"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"], "verbs": ["get", "list", "watch"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": NAME, "labels": _LABELS},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
            "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}],
        },
        {
            # The helper pods and the configuration live in the provisioner's own namespace only.
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": meta,
            "rules": [
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch", "create", "delete"]},
                {"apiGroups": [""], "resources": ["pods/log", "configmaps"], "verbs": ["get"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": NAME},
            "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}],
        },
        {"apiVersion": "v1", "kind": "ConfigMap", "data": config_data,
         "metadata": {"name": CONFIG, "namespace": NAMESPACE, "labels": _LABELS}},
        # It reads its ConfigMap once at start: a changed one rolls the pod.
        addon.deployment(meta, _LABELS, ("cronharness.local/config-sha256", json.dumps(config_data, sort_keys=True)), {
            "serviceAccountName": NAME,
            "priorityClassName": "system-cluster-critical",
            "containers": [container],
        }),
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": STORAGE_CLASS, "labels": _LABELS,
                         "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": PROVISIONER,
            # The directory is made on the node the claim's first pod is scheduled to.
            "volumeBindingMode": "WaitForFirstConsumer",
            "reclaimPolicy": "Delete",
        },
    ]


def wait_ready(cluster: Cluster) -> None:
    """Wait until the provisioner runs (kind applies its objects without waiting for them).

    Raises:
        HarnessError: when it is not ready within two minutes.
    """
    cluster.wait_rollout(NAMESPACE, NAME)


def install(cluster: Cluster, image: str, helper_image: str, base_path: str) -> None:
    """Apply the provisioner's objects (unchanged ones are a no-op) and wait until it runs.

    Args:
        cluster: the cluster, up, with both images in its node.
        image: the provisioner image.
        helper_image: the helper pods' image.
        base_path: the directory on the node that holds the volumes.

    Raises:
        HarnessError: when the apply fails or the provisioner is not ready within two minutes.
    """
    cluster.apply(manifests(image, helper_image, base_path))
    wait_ready(cluster)
