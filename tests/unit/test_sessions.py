"""SessionRegistry: the last live session out stops what sessions started; dead sessions do not count."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from harness.sessions import SessionRegistry


def dead_pid() -> int:
    """The PID of a process that has exited (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def recorder(log: list[str], name: str) -> tuple[str, Callable[[], None]]:
    return name, lambda: log.append(name)


def test_last_session_out_stops_marked_resources_in_order(tmp_path: Path) -> None:
    first, second = SessionRegistry(tmp_path, pid=os.getpid()), SessionRegistry(tmp_path, pid=os.getppid())
    first.join()
    second.join()
    first.mark_started("cluster-local")
    second.mark_started("service-hdfs")
    log: list[str] = []
    stoppers = [recorder(log, "service-hdfs"), recorder(log, "service-opensearch"), recorder(log, "cluster-local")]

    # The parent process is alive: the first session to leave stops nothing, whoever started what.
    assert first.leave(stoppers) == []
    assert log == []
    # The last one stops every marked resource (not the unmarked one), in the order given.
    assert second.leave(stoppers) == ["service-hdfs", "cluster-local"]
    assert log == ["service-hdfs", "cluster-local"]
    assert second.marked() == set()


def test_dead_sessions_do_not_keep_resources_running(tmp_path: Path) -> None:
    killed = SessionRegistry(tmp_path, pid=dead_pid())
    killed.join()
    killed.mark_started("cluster-local")
    log: list[str] = []
    me = SessionRegistry(tmp_path, pid=os.getpid())
    me.join()
    assert me.leave([recorder(log, "cluster-local")]) == ["cluster-local"]
    assert log == ["cluster-local"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock"]  # the dead session's file is gone too


def test_unmarked_resources_are_never_stopped(tmp_path: Path) -> None:
    """What was started by hand (`harness cluster up`) carries no mark, so no session stops it."""
    me = SessionRegistry(tmp_path, pid=os.getpid())
    me.join()
    log: list[str] = []
    assert me.leave([recorder(log, "cluster-local")]) == []
    assert log == []


def test_marks_without_a_stopper_stay_for_a_later_session(tmp_path: Path) -> None:
    me = SessionRegistry(tmp_path, pid=os.getpid())
    me.join()
    me.mark_started("service-new")
    assert me.leave([]) == []
    assert me.marked() == {"service-new"}
