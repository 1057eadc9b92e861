"""Run a CronJob now and wait for its verdict: `kubectl create job --from=cronjob/...` semantics plus a
wait that reads every Job condition and fails fast.

Success is a Complete or SuccessCriteriaMet condition; failure is Failed or FailureTarget (Kubernetes
1.31+ sets FailureTarget as soon as the failure is decided, before pods are cleaned up). A pod that can
never start (image pull errors, bad config, a volume that cannot be mounted) also fails the run at once
instead of waiting for a deadline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from kubernetes.client.exceptions import ApiException

from harness.errors import HarnessError
from harness.kube import API_ERRORS, PROBE_REQUEST_TIMEOUT, Kube, unavailable
from harness.waiting import wait_until

Outcome = Literal["succeeded", "failed"]
SUCCESS_CONDITIONS = ("Complete", "SuccessCriteriaMet")
FAILURE_CONDITIONS = ("Failed", "FailureTarget")
# Waiting reasons of a container that will not start without a change by a person.
STUCK_REASONS = ("ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName",
                 "CreateContainerConfigError", "CreateContainerError", "RunContainerError")
# ...except these messages: the kubelet's Secret/ConfigMap watch for a namespace it has just started to serve
# was not synced in time; it retries by itself and the container starts (seen in a fresh test namespace).
TRANSIENT_MESSAGES = ("failed to sync secret cache", "failed to sync configmap cache")
# FailedMount events no retry of the kubelet can fix: a hostPath of the wrong type (a file where the pod
# asks for a directory, or the reverse). Other mount failures (a Secret or ConfigMap not synced yet, a
# claim still binding) clear by themselves and are waited out.
PERMANENT_MOUNT_MESSAGES = ("hostPath type check failed", "is not a directory")
# What `kubectl create job --from=cronjob/...` puts on the Job; the library's alerts label a run with it
# `run: manual` (kube-state-metrics exports it through its annotation allowlist).
MANUAL_ANNOTATION = ("cronjob.kubernetes.io/instantiate", "manual")
Obj = dict[str, Any]


@dataclass
class JobResult:
    """What happened to one run.

    Attributes:
        name: the Job's name.
        outcome: succeeded or failed.
        reason: the deciding condition's reason and message (or the stuck container's), one line.
        exit_code: the main container's exit code, when it terminated.
        duration: seconds from trigger to verdict (monotonic).
        pod_started: seconds from trigger until the first pod was Running (None if it never ran).
        logs: the last lines of each pod container's log, keyed by ``<pod>/<container>``.
        events: one line per event of the Job and its pods, oldest first.
    """

    name: str
    outcome: Outcome
    reason: str
    exit_code: int | None
    duration: float
    pod_started: float | None
    logs: dict[str, str] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.outcome == "succeeded"

    def summary(self, log_lines: int = 20) -> str:
        """A few lines for a person: verdict, reason, exit code, last log lines."""
        head = f"job {self.name}: {self.outcome} in {self.duration:.1f}s"
        if self.exit_code is not None:
            head += f" (exit code {self.exit_code})"
        if self.reason:
            head += f": {self.reason}"
        lines = [head]
        for source, text in self.logs.items():
            tail = text.splitlines()[-log_lines:]
            lines.append(f"--- last {len(tail)} log lines of {source}")
            lines.extend(tail)
        return "\n".join(lines)


def trigger(kube: Kube, namespace: str, cronjob: str, name: str | None = None) -> str:
    """Create a Job from the CronJob's jobTemplate now and return its name.

    Like ``kubectl create job --from=cronjob/<cronjob>``: the manual-instantiation annotation (so alerts
    about the run say ``run: manual``), and an ownerReference to the CronJob so its history limits, its
    lastSuccessfulTime and kube-state-metrics' owner labels see the run as one of its own.

    Raises:
        HarnessError: when the CronJob does not exist.
    """
    try:
        cj: Obj = kube.plain(kube.batch.read_namespaced_cron_job(cronjob, namespace))
    except ApiException as exc:
        raise HarnessError(f"CronJob {namespace}/{cronjob} not found ({exc.reason}); is its chart deployed?") from exc
    template = cj["spec"]["jobTemplate"]
    metadata = template.get("metadata", {})
    job_name = name or f"{cronjob}-manual-{int(time.time() * 1000) % 10**10}"[:63]
    job: Obj = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name,
            "namespace": namespace,
            "labels": metadata.get("labels", {}),
            "annotations": {**metadata.get("annotations", {}), MANUAL_ANNOTATION[0]: MANUAL_ANNOTATION[1]},
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cronjob,
                                 "uid": cj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}],
        },
        "spec": template["spec"],
    }
    kube.batch.create_namespaced_job(namespace, job)  # type: ignore[arg-type]  # the client accepts plain JSON
    return job_name


def _condition(job: Obj, types: tuple[str, ...]) -> Obj | None:
    for cond in job.get("status", {}).get("conditions", []):
        if cond["type"] in types and cond["status"] == "True":
            return dict(cond)
    return None


def _pods(kube: Kube, namespace: str, job_name: str) -> list[Obj]:
    pods = kube.core.list_namespaced_pod(namespace, label_selector=f"job-name={job_name}",
                                         _request_timeout=PROBE_REQUEST_TIMEOUT)
    return list(kube.plain(pods)["items"])


def _stuck(pod: Obj) -> str | None:
    status = pod.get("status", {})
    for container in [*status.get("initContainerStatuses", []), *status.get("containerStatuses", [])]:
        waiting = container.get("state", {}).get("waiting", {})
        transient = any(text in waiting.get("message", "") for text in TRANSIENT_MESSAGES)
        if waiting.get("reason") in STUCK_REASONS and not transient:
            return (f"container {container['name']} of pod {pod['metadata']['name']} cannot start: "
                    f"{waiting['reason']}: {waiting.get('message', '')}")
    return None


def _mount_failure(pod: Obj, events: list[Obj]) -> str | None:
    """The message of a FailedMount event of ``pod`` that will not clear by itself, if there is one."""
    name = pod["metadata"]["name"]
    for event in events:
        message = str(event.get("message", ""))
        if (event.get("reason") == "FailedMount" and event["involvedObject"].get("name") == name
                and any(text in message for text in PERMANENT_MOUNT_MESSAGES)):
            return f"pod {name} cannot start: FailedMount: {message}"
    return None


def _main_exit_code(pods: list[Obj]) -> int | None:
    for pod in reversed(pods):
        for container in pod.get("status", {}).get("containerStatuses", []):
            terminated = container.get("state", {}).get("terminated")
            if container["name"] == "main" and terminated is not None:
                return int(terminated["exitCode"])
    return None


def _logs(kube: Kube, namespace: str, pods: list[Obj], lines: int | None) -> dict[str, str]:
    logs = {}
    for pod in pods:
        spec = pod["spec"]
        for container in [c["name"] for c in [*spec.get("initContainers", []), *spec["containers"]]]:
            try:
                text = kube.core.read_namespaced_pod_log(pod["metadata"]["name"], namespace,
                                                         container=container, tail_lines=lines)
            except ApiException:
                continue  # never started: nothing to read
            if text:
                logs[f"{pod['metadata']['name']}/{container}"] = str(text)
    return logs


def _events(kube: Kube, namespace: str, names: set[str]) -> list[str]:
    items: list[Obj] = kube.plain(kube.core.list_namespaced_event(namespace))["items"]
    ours = [e for e in items if e["involvedObject"].get("name") in names]
    ours.sort(key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or e["metadata"]["creationTimestamp"]))
    return [f"{e['involvedObject']['kind']}/{e['involvedObject']['name']}: {e.get('type')} {e.get('reason')}: "
            f"{e.get('message', '')}".rstrip() for e in ours]


def wait(kube: Kube, namespace: str, job_name: str, *, timeout: float, log_lines: int | None = None,
         started: float | None = None) -> JobResult:
    """Wait for the Job's verdict and collect its evidence.

    Args:
        kube: API access.
        namespace: the Job's namespace.
        job_name: the Job (from :func:`trigger`).
        timeout: seconds until HarnessTimeout (only when neither success nor failure is decided).
        log_lines: lines of each container log to keep (None: all of it — a test reads the job's structured
            log events from it, and a DEBUG run, as dev's LOG_LEVEL, can write thousands of lines before them).
        started: monotonic time of the trigger (defaults to now).

    Raises:
        HarnessTimeout: with the Job's state and the pods' phases when no verdict comes in time.
    """
    t0 = started if started is not None else time.monotonic()
    pod_started: list[float] = []
    verdict: dict[str, str] = {}
    # An API server that restarts or is overloaded while we wait is waited out (the deadline still holds);
    # since when and why it does not answer goes into the timeout message.
    unanswered: dict[str, Any] = {}

    def probe() -> bool:
        try:
            decided = verdict_now()
        except API_ERRORS as exc:
            why = unavailable(exc)
            if why is None:
                raise
            unanswered.setdefault("since", time.monotonic())
            unanswered["why"] = why
            return False
        unanswered.clear()
        return decided

    def verdict_now() -> bool:
        job: Obj = kube.plain(kube.batch.read_namespaced_job(job_name, namespace,
                                                             _request_timeout=PROBE_REQUEST_TIMEOUT))
        pods = _pods(kube, namespace, job_name)
        if not pod_started and any(p.get("status", {}).get("phase") in ("Running", "Succeeded", "Failed")
                                   for p in pods):
            pod_started.append(time.monotonic() - t0)
        if _condition(job, SUCCESS_CONDITIONS) is not None:
            verdict.update(outcome="succeeded", reason="")
            return True
        if (cond := _condition(job, FAILURE_CONDITIONS)) is not None:
            verdict.update(outcome="failed",
                           reason=f"{cond['type']}: {cond.get('reason', '')}: {cond.get('message', '')}")
            return True
        for pod in pods:
            if (stuck := _stuck(pod)) is not None:
                verdict.update(outcome="failed", reason=stuck)
                return True
        pending = [p for p in pods if p.get("status", {}).get("phase") == "Pending"]
        if pending:
            # A pod whose volume cannot be mounted stays Pending with no container status: only its events tell.
            events = kube.plain(kube.core.list_namespaced_event(namespace, field_selector="reason=FailedMount",
                                                                _request_timeout=PROBE_REQUEST_TIMEOUT))
            for pod in pending:
                if (failed := _mount_failure(pod, events["items"])) is not None:
                    verdict.update(outcome="failed", reason=failed)
                    return True
        return False

    def describe() -> str:
        if unanswered:
            return (f"job {namespace}/{job_name}: the API server has not answered for "
                    f"{time.monotonic() - unanswered['since']:.0f}s ({unanswered['why']})")
        pods = _pods(kube, namespace, job_name)
        phases = ", ".join(f"{p['metadata']['name']}={p.get('status', {}).get('phase')}" for p in pods)
        return f"job {namespace}/{job_name}, pods: {phases or 'none'}"

    wait_until(probe, timeout=timeout, what=f"job {namespace}/{job_name} to complete or fail",
               interval=0.5, describe=describe)
    duration = time.monotonic() - t0
    pods = _pods(kube, namespace, job_name)
    return JobResult(
        name=job_name,
        outcome="succeeded" if verdict["outcome"] == "succeeded" else "failed",
        reason=verdict["reason"],
        exit_code=_main_exit_code(pods),
        duration=duration,
        pod_started=pod_started[0] if pod_started else None,
        logs=_logs(kube, namespace, pods, log_lines),
        events=_events(kube, namespace, {job_name, *(p["metadata"]["name"] for p in pods)}),
    )


def run(kube: Kube, namespace: str, cronjob: str, *, timeout: float = 900) -> JobResult:
    """Trigger the CronJob now and wait for its verdict (see :func:`trigger` and :func:`wait`)."""
    started = time.monotonic()
    name = trigger(kube, namespace, cronjob)
    return wait(kube, namespace, name, timeout=timeout, started=started)
