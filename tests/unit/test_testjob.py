"""harness test-job's pytest command line (subprocess and the summary mocked: no pytest child is run)."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from rich.console import Console

from harness import testjob


def test_the_job_loop_leaves_out_fault_and_gitops_cases_unless_the_user_says_otherwise(
        monkeypatch: pytest.MonkeyPatch) -> None:
    commands: list[list[str]] = []

    def run(cmd: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        commands.append(cmd)
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr("harness.testjob.subprocess.run", run)
    monkeypatch.setattr(testjob, "_summary", lambda *_: None)
    assert testjob.run_test_job("wma-agent-count", ["-m", "gitops"], Console(quiet=True)) == 0
    (cmd,) = commands
    assert cmd[cmd.index("-m", 3) + 1] == "not fault and not gitops and not matrix"
    # the user's own -m comes last, and pytest takes the last one
    assert cmd[-2:] == ["-m", "gitops"]
