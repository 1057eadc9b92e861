"""Verdict logic of harness.jobrun on Job/Pod objects as the API returns them (plain JSON)."""

from __future__ import annotations

import urllib3
from kubernetes.client.exceptions import ApiException

from harness import jobrun
from harness.kube import unavailable


def _job(*conditions: tuple[str, str]) -> dict[str, object]:
    return {"status": {"conditions": [{"type": t, "status": s, "reason": "R", "message": "M"} for t, s in conditions]}}


def test_conditions_are_read_by_type_and_status() -> None:
    assert jobrun._condition(_job(("Complete", "True")), jobrun.SUCCESS_CONDITIONS) is not None
    assert jobrun._condition(_job(("SuccessCriteriaMet", "True")), jobrun.SUCCESS_CONDITIONS) is not None
    assert jobrun._condition(_job(("FailureTarget", "True")), jobrun.FAILURE_CONDITIONS) is not None
    assert jobrun._condition(_job(("Failed", "False")), jobrun.FAILURE_CONDITIONS) is None
    assert jobrun._condition({"status": {}}, jobrun.SUCCESS_CONDITIONS) is None


def test_stuck_container_is_reported_with_reason() -> None:
    pod = {"metadata": {"name": "p"}, "status": {"containerStatuses": [
        {"name": "main", "state": {"waiting": {"reason": "ErrImageNeverPull", "message": "image not present"}}}]}}
    assert jobrun._stuck(pod) == "container main of pod p cannot start: ErrImageNeverPull: image not present"
    creating = {"metadata": {"name": "p"}, "status": {"containerStatuses": [
        {"name": "main", "state": {"waiting": {"reason": "ContainerCreating"}}}]}}
    assert jobrun._stuck(creating) is None


def test_a_cache_sync_timeout_is_waited_out_but_a_missing_secret_is_not() -> None:
    """The kubelet retries a Secret cache sync by itself (seen once in CI); a missing Secret needs a person."""
    def pod(message: str) -> dict[str, object]:
        return {"metadata": {"name": "p"}, "status": {"containerStatuses": [{"name": "main", "state": {"waiting": {
            "reason": "CreateContainerConfigError", "message": message}}}]}}

    assert jobrun._stuck(pod("failed to sync secret cache: timed out waiting for the condition")) is None
    assert jobrun._stuck(pod('secret "creds" not found')) == (
        'container main of pod p cannot start: CreateContainerConfigError: secret "creds" not found')


def test_a_hostpath_of_the_wrong_type_fails_but_an_unsynced_configmap_is_waited_out() -> None:
    pod = {"metadata": {"name": "p"}, "status": {"phase": "Pending"}}

    def event(name: str, message: str, reason: str = "FailedMount") -> dict[str, object]:
        return {"involvedObject": {"kind": "Pod", "name": name}, "reason": reason, "type": "Warning",
                "message": message}

    wrong_type = ('MountVolume.SetUp failed for volume "out" : hostPath type check failed: /data/out.csv is not '
                  "a directory")
    assert jobrun._mount_failure(pod, [event("p", wrong_type)]) == f"pod p cannot start: FailedMount: {wrong_type}"
    assert jobrun._mount_failure(pod, [event("other-pod", wrong_type)]) is None
    assert jobrun._mount_failure(pod, [event("p", wrong_type, reason="FailedScheduling")]) is None
    unsynced = 'MountVolume.SetUp failed for volume "cfg" : failed to sync configmap cache: timed out waiting'
    assert jobrun._mount_failure(pod, [event("p", unsynced)]) is None


def test_exit_code_of_main_container_from_newest_pod() -> None:
    pods = [
        {"status": {"containerStatuses": [{"name": "main", "state": {"terminated": {"exitCode": 3}}}]}},
        {"status": {"containerStatuses": [{"name": "sidecar", "state": {"terminated": {"exitCode": 0}}},
                                          {"name": "main", "state": {"terminated": {"exitCode": 2}}}]}},
    ]
    assert jobrun._main_exit_code(pods) == 2
    assert jobrun._main_exit_code([{"status": {}}]) is None


def test_summary_names_outcome_reason_and_log_tail() -> None:
    result = jobrun.JobResult(name="j", outcome="failed", reason="Failed: BackoffLimitExceeded: x", exit_code=2,
                              duration=3.0, pod_started=1.0, logs={"p/main": "a\nb\nc"})
    text = result.summary(log_lines=2)
    assert text.splitlines()[0] == "job j: failed in 3.0s (exit code 2): Failed: BackoffLimitExceeded: x"
    assert text.splitlines()[-2:] == ["b", "c"]


def test_an_unreachable_or_unserving_api_server_is_waited_out_but_an_answer_is_not() -> None:
    refused = urllib3.exceptions.MaxRetryError(None, "/apis/batch/v1", "Connection refused")  # type: ignore[arg-type]
    why = unavailable(refused)
    assert why is not None and why.startswith("MaxRetryError: ") and "Connection refused" in why
    assert unavailable(urllib3.exceptions.ReadTimeoutError(None, "/", "read timed out")) is not None  # type: ignore[arg-type]
    assert unavailable(ApiException(status=503, reason="Service Unavailable")) == "HTTP 503 Service Unavailable"
    assert unavailable(ApiException(status=429, reason="Too Many Requests")) == "HTTP 429 Too Many Requests"
    for answer in (404, 403, 422):
        assert unavailable(ApiException(status=answer, reason="x")) is None
    assert unavailable(ValueError("not an API error")) is None
