"""Test sessions that share one cluster and one set of services: the last one out stops what sessions started.

Several pytest sessions (xdist workers, a `make test-job` next to a `make e2e`, two engineers) use the same
local cluster and services, which own fixed loopback ports. A session that started the cluster must not stop
it while another session is still using it, and the last session to leave must not leave running what a
session started. So:

- every session ``join()``s: a file ``<pid>`` in ``state_root()/sessions`` says it is alive;
- a session that starts a shared resource ``mark_started(resource)``: a file ``started-<resource>``;
- at its end a session ``leave(stoppers)``s: under one lock it removes its own file, forgets the files of
  dead sessions (a killed run never blocks the others), and only when no live session remains runs the
  stopper of every resource marked as started (then removes the marks).

Resources started by hand (``harness cluster up``, ``harness services up``) are never marked, so no test
session ever stops them. The lock makes join-vs-leave atomic: a session joining while the last one is
stopping waits, then starts what it needs again.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from harness.paths import state_root

_MARK_PREFIX = "started-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class SessionRegistry:
    """The live test sessions on this machine and the shared resources they started."""

    def __init__(self, root: Path | None = None, pid: int | None = None) -> None:
        self.root = root or state_root() / "sessions"
        self.pid = pid if pid is not None else os.getpid()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _live_others(self) -> list[int]:
        """PIDs of the other live sessions; files of dead ones are removed on the way."""
        live = []
        for entry in self.root.iterdir():
            if not entry.name.isdigit() or int(entry.name) == self.pid:
                continue
            if _alive(int(entry.name)):
                live.append(int(entry.name))
            else:
                entry.unlink(missing_ok=True)
        return live

    def join(self) -> None:
        """Register this session as alive (waits while a last session is stopping things)."""
        with self._locked():
            (self.root / str(self.pid)).write_text("")

    def mark_started(self, resource: str) -> None:
        """Record that a test session started ``resource`` (so the last session out stops it)."""
        with self._locked():
            (self.root / f"{_MARK_PREFIX}{resource}").write_text(str(self.pid))

    def marked(self) -> set[str]:
        """The resources marked as started by some session."""
        with self._locked():
            return {p.name.removeprefix(_MARK_PREFIX) for p in self.root.glob(f"{_MARK_PREFIX}*")}

    def leave(self, stoppers: Sequence[tuple[str, Callable[[], None]]]) -> list[str]:
        """Leave; if this was the last live session, stop the marked resources in the order given.

        Args:
            stoppers: ``(resource, stop)`` pairs, in stop order (services before the cluster). Marked
                resources without a stopper here stay marked for a later session that knows them.

        Returns:
            The resources stopped (empty when other sessions are still alive).
        """
        stopped: list[str] = []
        with self._locked():
            (self.root / str(self.pid)).unlink(missing_ok=True)
            if self._live_others():
                return stopped
            for resource, stop in stoppers:
                mark = self.root / f"{_MARK_PREFIX}{resource}"
                if mark.exists():
                    stop()
                    mark.unlink()
                    stopped.append(resource)
        return stopped
