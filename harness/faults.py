"""Faults injected into a running pod's container, for the fault suite (docs/faults.md).

A container is killed through the node's container runtime (containerd's ``ctr tasks kill``), as the kernel's
OOM killer or a crashed process would end it: no preStop hook, no grace period, no chance to finish a write.
The kubelet then restarts it (a service's Deployment pod) or the Job controller counts a failed pod (a job's).
That needs the node's containerd socket, which the local provider has on this machine; on kind or an existing
cluster the functions say so instead.

A volume that runs out of space mid-write (as an EOS quota does) is a claim bound to a small tmpfs on the node
(:func:`quota_volume`) that the test fills from the host (:func:`fill`) while the job writes, then frees.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.cluster.base import Cluster
from harness.errors import HarnessError
from harness.jobrun import JobResult
from harness.kube import Kube
from harness.waiting import wait_until

if TYPE_CHECKING:
    from harness.cluster.local import LocalCluster


@dataclass(frozen=True)
class RunningContainer:
    """A pod's container as its status reports it.

    Attributes:
        pod: the pod's name.
        container: the container's name.
        container_id: the runtime's ID (``containerID`` without its ``containerd://`` prefix).
        restarts: its restart count.
    """

    pod: str
    container: str
    container_id: str
    restarts: int


def running_container(kube: Kube, namespace: str, selector: str) -> RunningContainer:
    """The first running container of the one pod that ``selector`` matches in ``namespace``.

    Raises:
        HarnessError: when no pod matches, more than one does, or its container is not running.
    """
    pods = kube.plain(kube.core.list_namespaced_pod(namespace, label_selector=selector))["items"]
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    if len(live) != 1:
        raise HarnessError(f"expected one pod matching {selector} in {namespace}, found "
                           f"{', '.join(p['metadata']['name'] for p in live) or 'none'}")
    pod = live[0]
    for status in pod["status"].get("containerStatuses") or []:
        if status.get("state", {}).get("running") and status.get("containerID"):
            return RunningContainer(pod["metadata"]["name"], status["name"],
                                    status["containerID"].split("://", 1)[-1], status.get("restartCount", 0))
    raise HarnessError(f"pod {pod['metadata']['name']} in {namespace} has no running container")


def _local(cluster: Cluster, needs: str) -> LocalCluster:
    """``cluster`` as the local provider, whose node is this machine.

    Raises:
        HarnessError: on any other provider, saying what the fault ``needs``.
    """
    from harness.cluster.local import LocalCluster

    if not isinstance(cluster, LocalCluster):
        raise HarnessError(f"{needs}; the {cluster.provider} provider's node is not reachable from here "
                           "(use the local provider)")
    return cluster


def kill(cluster: Cluster, container: RunningContainer, signal: str = "SIGKILL") -> float:
    """Send ``signal`` to ``container``'s processes through the node's containerd; when it was sent.

    Raises:
        HarnessError: on a provider whose node runtime is not reachable from here, or when ctr fails.
    """
    from harness.cluster.containerd import ctr

    local = _local(cluster, "killing a container needs the node's containerd socket")
    ctr(local.layout.containerd.socket, "tasks", "kill", "--all", "--signal", signal, container.container_id)
    return time.monotonic()


@contextmanager
def quota_volume(cluster: Cluster, namespace: str, claim: str, size_mib: int) -> Iterator[Path]:
    """Claim ``claim`` in ``namespace``, bound to a tmpfs of ``size_mib`` MiB on the node: a volume that can be
    filled up under a running job. Yields the tmpfs's directory on this machine; on leaving, the claim, its
    volume and the tmpfs are removed.

    Raises:
        HarnessError: on a provider whose node is not this machine.
    """
    local = _local(cluster, "a volume the test can fill needs the node's file system")
    area = local.layout.root / "fault-volumes" / f"{namespace}-{claim}"
    volume = f"fault-{namespace}-{claim}"[:63].rstrip("-")
    # What an interrupted earlier run of the same test left (its namespace is deleted by the namespace fixture):
    # a released volume bound to a claim that no longer exists, a tmpfs still mounted.
    cluster.kubectl("delete", "pv", volume, "--ignore-not-found", "--wait=true", timeout=120)
    _unmount(area)
    area.mkdir(parents=True, exist_ok=True)
    # mode 1777: the job writes as its own uid (10001 by default); a hostPath volume gets no fsGroup.
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}m,mode=1777", "cronharness-fault", str(area)],
                   check=True, capture_output=True, text=True)
    objects = [
        {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": volume},
         "spec": {"capacity": {"storage": f"{size_mib}Mi"}, "accessModes": ["ReadWriteOnce"],
                  "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "",
                  "hostPath": {"path": str(area), "type": "Directory"},
                  "claimRef": {"namespace": namespace, "name": claim}}},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": claim, "namespace": namespace},
         "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "", "volumeName": volume,
                  "resources": {"requests": {"storage": f"{size_mib}Mi"}}}},
    ]
    try:
        cluster.kubectl("apply", "-f", "-", input_text=json.dumps({"apiVersion": "v1", "kind": "List",
                                                                   "items": objects}))
        yield area
    finally:
        try:
            # Not waited for: the claim stays in use (its protection finalizer) until the test's namespace and the
            # job's pods in it are deleted, the volume until the claim is gone; then both go by themselves.
            cluster.kubectl("delete", "-n", namespace, "pvc", claim, "--ignore-not-found", "--wait=false")
            cluster.kubectl("delete", "pv", volume, "--ignore-not-found", "--wait=false")
        finally:
            _unmount(area)
            area.rmdir()


def _unmount(area: Path) -> None:
    """Unmount every tmpfs stacked on ``area``, lazily: a container that still has it open keeps its view."""
    while os.path.ismount(area):
        subprocess.run(["umount", "--lazy", str(area)], check=True, capture_output=True)


def fill(directory: Path) -> Path:
    """Fill the file system of ``directory`` to the last byte with one file, which is returned: deleting it
    gives the space back.

    Raises:
        OSError: when the file cannot be written for any reason but a full file system.
    """
    filler = directory / ".cronharness-fault-filler"
    chunk = b"\0" * (1 << 16)
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while True:
            try:
                os.write(fd, chunk)  # a short write is followed by ENOSPC on the next
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 1:
                    return filler
                chunk = chunk[:len(chunk) // 2]  # smaller and smaller, down to a byte: nothing is left
    finally:
        os.close(fd)


def wait_restarted(kube: Kube, namespace: str, selector: str, before: RunningContainer,
                   timeout: float = 300) -> RunningContainer:
    """``before``'s pod once its container has been restarted and the pod is Ready again.

    Raises:
        HarnessTimeout: when that does not happen within ``timeout`` seconds.
    """
    def restarted() -> RunningContainer | None:
        pod = kube.plain(kube.core.read_namespaced_pod(before.pod, namespace))
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions") or [])
        now = running_container(kube, namespace, selector) if ready else None
        return now if now is not None and now.restarts > before.restarts else None

    found: RunningContainer = wait_until(restarted, timeout=timeout, interval=1.0,
                                         what=f"pod {before.pod} in {namespace} to restart its container and be Ready")
    return found


def outcome_under_fault(result: JobResult, job: str, target: str) -> str:
    """How a run whose sink was killed under it ended, in words: ``succeeded through retries``, or ``failed:``
    with the job's one-line reason.

    Raises:
        HarnessError: when the run failed otherwise: not exit 1, or no one-line ``<job>: failed:`` reason that
            names ``target`` (what an operator reading the alert needs).
    """
    if result.succeeded:
        return "succeeded through retries"
    reasons = [line for line in result.summary().splitlines() if line.startswith(f"{job}: failed: ")]
    if result.exit_code != 1 or not reasons or target not in reasons[0]:
        raise HarnessError(f"the run failed without exit 1 and a one-line reason naming {target}:\n"
                           f"{result.summary()}")
    return f"failed: {reasons[0]}"
