"""harness.waiting and harness.process against real time and real processes."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

from harness import process
from harness.errors import HarnessError, HarnessTimeout
from harness.process import ManagedProcess, free_port, port_is_free, require_free_port
from harness.waiting import wait_until


def test_wait_until_returns_the_probe_value() -> None:
    calls = iter([None, 0, "ready"])
    assert wait_until(lambda: next(calls), timeout=5, what="x", interval=0.01) == "ready"


def test_wait_until_times_out_with_state() -> None:
    started = time.monotonic()
    with pytest.raises(HarnessTimeout, match=r"waiting for the thing; last state: still off"):
        wait_until(lambda: False, timeout=0.3, what="the thing", interval=0.05, describe=lambda: "still off")
    assert 0.3 <= time.monotonic() - started < 2


def test_wait_until_fails_fast_when_probe_raises() -> None:
    def probe() -> bool:
        raise HarnessError("job failed")

    started = time.monotonic()
    with pytest.raises(HarnessError, match="job failed"):
        wait_until(probe, timeout=60, what="x")
    assert time.monotonic() - started < 1


def test_port_in_use_gives_clear_message() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not port_is_free(port)
        with pytest.raises(HarnessError, match=rf"needs 127.0.0.1:{port} but something already listens"):
            require_free_port(port, "etcd")
    assert port_is_free(free_port())


def test_ports_handed_to_one_owner_are_distinct(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mocked draw: the random sample repeats a port (unbound ports all look free); the second draw must skip
    the port the first one handed out (two roles of one OpenSearch once got the same port)."""
    class RepeatingDraw:
        def sample(self, population: range, k: int) -> list[int]:
            return [25000] * 3 + [25001] * (k - 3)

    monkeypatch.setattr("random.Random", RepeatingDraw)
    monkeypatch.setattr(process, "port_is_free", lambda port, host="127.0.0.1": True)
    assert process.distinct_free_ports(2) == [25000, 25001]
    assert process.free_port(taken={25000}) == 25001


def test_managed_process_start_stop_by_pid(tmp_path: Path) -> None:
    proc = ManagedProcess("sleeper", tmp_path / "pid", tmp_path / "log")
    pid = proc.start([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"])
    assert proc.running() and proc.pid == pid
    with pytest.raises(HarnessError, match="already running"):
        proc.start([sys.executable, "-c", "pass"])
    wait_until(lambda: "up" in proc.log_tail(), timeout=10, what="output")
    proc.stop(grace=5)
    assert not proc.running() and not (tmp_path / "pid").exists()
