"""harness.faults without a cluster: how a run whose sink was killed under it is judged, and how a volume is filled."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Literal

import pytest

from harness.errors import HarnessError
from harness.faults import fill, outcome_under_fault
from harness.jobrun import JobResult

TARGET = "opensearch index t-used-space"


def result(outcome: Literal["succeeded", "failed"], exit_code: int, log: str) -> JobResult:
    return JobResult(name="j-1", outcome=outcome, reason="", exit_code=exit_code, duration=3.0, pod_started=1.0,
                     logs={"pod/j-1-abc": log}, events=[])


def test_a_success_rode_the_fault_out() -> None:
    assert outcome_under_fault(result("succeeded", 0, "done\n"), "job", TARGET) == "succeeded through retries"


def test_a_failure_with_its_one_line_reason_naming_the_target_is_reported_with_it() -> None:
    line = f"job: failed: {TARGET}: bulk request failed after 5 attempts: ConnectionError: refused"
    assert outcome_under_fault(result("failed", 1, f"{{}}\n{line}\n"), "job", TARGET) == f"failed: {line}"


@pytest.mark.parametrize(("exit_code", "log"), [
    (1, "Traceback (most recent call last):\nConnectionError: refused\n"),  # no one-line reason
    (1, "job: failed: ConnectionError: refused\n"),  # a reason that does not name the target
    (137, f"job: failed: {TARGET}: refused\n"),  # killed, not failed
])
def test_any_other_failure_is_an_error_showing_the_run(exit_code: int, log: str) -> None:
    with pytest.raises(HarnessError, match=f"without exit 1 and a one-line reason naming {TARGET}"):
        outcome_under_fault(result("failed", exit_code, log), "job", TARGET)


def test_fill_writes_until_not_one_more_byte_fits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fill's loop against a fake file system with 100,003 bytes free (os.write mocked; no tmpfs needed)."""
    free = [100_003]
    real_write = os.write

    def write(fd: int, data: bytes) -> int:
        if free[0] == 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        taken = real_write(fd, data[:free[0]])
        free[0] -= taken
        return taken

    monkeypatch.setattr("harness.faults.os.write", write)
    filler = fill(tmp_path)
    assert filler.parent == tmp_path and filler.name.startswith(".")
    assert filler.stat().st_size == 100_003


def test_fill_lets_other_write_errors_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def write(fd: int, data: bytes) -> int:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("harness.faults.os.write", write)
    with pytest.raises(OSError, match="Input/output error"):
        fill(tmp_path)
