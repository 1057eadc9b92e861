"""The life of a PersistentVolumeClaim on a cluster the harness starts, shared by the local and kind tests.

A claim of the default StorageClass is bound when its first pod is scheduled; that pod writes files, a
reader pod (harness.checks.volume) reads them back through the API, and deleting the claim removes the
volume and its directory on the node. The directory is looked at by a pod with a hostPath of the
provisioner's base directory, so the check reads the node the same way on both providers.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from harness.checks.volume import claim_reader
from harness.cluster import storage
from harness.cluster.base import Cluster
from harness.cluster.node_images import busybox_image

GREETING = "written by the writer pod\n"
# Bytes that text handling would change: every byte value, a CR LF and no final newline.
BINARY = bytes(range(256)) + b"\r\n\x00end"


@dataclass(frozen=True)
class ClaimFigures:
    """How long the claim took to bind and to be removed, in seconds."""

    bind: float
    removal: float


def _pod(name: str, command: str, volume: dict[str, object], mount: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "main", "image": busybox_image()[0], "imagePullPolicy": "Never",
                            "command": ["sh", "-c", command],
                            "volumeMounts": [{"name": "data", "mountPath": mount}]}],
            "volumes": [{"name": "data", **volume}],
        },
    }


def _run_to_completion(cluster: Cluster, namespace: str, pod: dict[str, object]) -> str:
    name = pod["metadata"]["name"]  # type: ignore[index]
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input_text=json.dumps(pod))
    cluster.kubectl("wait", "-n", namespace, f"pod/{name}", "--for=jsonpath={.status.phase}=Succeeded",
                    "--timeout=120s", timeout=150)
    logs = cluster.kubectl("logs", "-n", namespace, f"pod/{name}")
    cluster.kubectl("delete", "-n", namespace, "pod", name, "--wait=true")
    return logs


def _bound(cluster: Cluster, namespace: str, claim: str) -> bool:
    phase = cluster.kubectl("get", "-n", namespace, "pvc", claim, "-o", "jsonpath={.status.phase}")
    return phase == "Bound"


def check_claim_lifecycle(cluster: Cluster, namespace: str) -> ClaimFigures:
    """Bind, write, read back, delete; asserts each step's exact outcome.

    Returns:
        The figures (bind: from the writer pod's creation to the claim Bound; removal: from the claim's
        deletion to its PersistentVolume gone).
    """
    claim = "output"
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input_text=json.dumps({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": claim},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "64Mi"}}},
    }))
    # WaitForFirstConsumer: nothing is provisioned before a pod uses the claim.
    assert not _bound(cluster, namespace, claim)
    started = time.monotonic()
    octal = "".join(f"\\{byte:03o}" for byte in BINARY)  # printf's escapes: no quoting problem in sh
    writer = _pod("writer", f"mkdir -p /out/reports && printf '{GREETING.strip()}\\n' > /out/reports/greeting.txt"
                            f" && printf '{octal}' > /out/data.bin && echo wrote",
                  {"persistentVolumeClaim": {"claimName": claim}}, "/out")
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input_text=json.dumps(writer))
    deadline = time.monotonic() + 120
    while not _bound(cluster, namespace, claim):
        assert time.monotonic() < deadline, cluster.kubectl("describe", "-n", namespace, "pvc", claim)
        time.sleep(0.5)
    bind = time.monotonic() - started
    cluster.kubectl("wait", "-n", namespace, "pod/writer", "--for=jsonpath={.status.phase}=Succeeded",
                    "--timeout=120s", timeout=150)
    assert cluster.kubectl("logs", "-n", namespace, "pod/writer") == "wrote\n"
    cluster.kubectl("delete", "-n", namespace, "pod", "writer", "--wait=true")

    pvc = json.loads(cluster.kubectl("get", "-n", namespace, "pvc", claim, "-o", "json"))
    assert pvc["spec"]["storageClassName"] == storage.STORAGE_CLASS
    volume = pvc["spec"]["volumeName"]
    pv = json.loads(cluster.kubectl("get", "pv", volume, "-o", "json"))
    assert pv["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == storage.PROVISIONER
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
    path = pv["spec"]["hostPath"]["path"]
    base, directory = path.rsplit("/", 1)
    assert directory == f"{volume}_{namespace}_{claim}"

    with claim_reader(cluster, namespace, claim) as reader:
        assert reader.files() == ["data.bin", "reports/greeting.txt"]
        assert reader.text("reports/greeting.txt") == GREETING
        assert reader.read("data.bin") == BINARY

    listing: dict[str, object] = {"hostPath": {"path": base, "type": "Directory"}}
    assert directory in _run_to_completion(cluster, namespace, _pod("before", "ls /base", listing, "/base")).split()
    started = time.monotonic()
    cluster.kubectl("delete", "-n", namespace, "pvc", claim, "--wait=true", timeout=120)
    cluster.kubectl("wait", "--for=delete", f"pv/{volume}", "--timeout=120s", timeout=150)
    removal = time.monotonic() - started
    assert directory not in _run_to_completion(cluster, namespace, _pod("after", "ls /base", listing, "/base")).split()
    return ClaimFigures(bind=bind, removal=removal)
