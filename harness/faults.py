"""Faults injected into a running pod's container, for the fault suite (docs/faults.md).

A container is killed through the node's container runtime (containerd's ``ctr tasks kill``), as the kernel's
OOM killer or a crashed process would end it: no preStop hook, no grace period, no chance to finish a write.
The kubelet then restarts it (a service's Deployment pod) or the Job controller counts a failed pod (a job's).
That needs the node's containerd socket, which the local provider has on this machine; on kind or an existing
cluster the functions say so instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from harness.cluster.base import Cluster
from harness.errors import HarnessError
from harness.jobrun import JobResult
from harness.kube import Kube
from harness.waiting import wait_until


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


def kill(cluster: Cluster, container: RunningContainer, signal: str = "SIGKILL") -> float:
    """Send ``signal`` to ``container``'s processes through the node's containerd; when it was sent.

    Raises:
        HarnessError: on a provider whose node runtime is not reachable from here, or when ctr fails.
    """
    from harness.cluster.containerd import ctr
    from harness.cluster.local import LocalCluster

    if not isinstance(cluster, LocalCluster):
        raise HarnessError(f"killing a container needs the node's containerd socket; the {cluster.provider} "
                           "provider's node runtime is not reachable from here (use the local provider)")
    ctr(cluster.layout.containerd.socket, "tasks", "kill", "--all", "--signal", signal, container.container_id)
    return time.monotonic()


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
