"""Retries with exponential backoff for transient errors (connection errors, 429, 5xx).

The schedule is deterministic (no jitter): a cron job is the only writer of its outputs, so there is
no herd to spread out, and a fixed schedule is easy to test and to reason about in logs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from jobkit.logs import job_logger

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """How often and how long to wait between attempts.

    Attributes:
        attempts: total attempts (1 means no retry).
        base: the first wait in seconds.
        factor: each next wait is this many times longer.
        cap: no single wait is longer than this.
    """

    attempts: int = 5
    base: float = 1.0
    factor: float = 2.0
    cap: float = 30.0

    def delays(self) -> list[float]:
        """The waits between attempts, e.g. ``[1, 2, 4, 8]`` for 5 attempts."""
        return [min(self.cap, self.base * self.factor**n) for n in range(max(0, self.attempts - 1))]


# 5 attempts over 1 + 2 + 4 + 8 = 15 s: rides out a node restart or a burst of 429s.
DEFAULT_BACKOFF = Backoff()


def retry(
    call: Callable[[], T],
    is_transient: Callable[[BaseException], bool],
    what: str,
    backoff: Backoff = DEFAULT_BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``call``; on a transient error wait and try again, following ``backoff``.

    Args:
        call: the operation.
        is_transient: tells errors worth retrying from the rest (which propagate at once).
        what: the operation in words, for the log lines.
        backoff: the schedule.
        sleep: how to wait (injected so unit tests run with a fake clock).

    Returns:
        What ``call`` returned.

    Raises:
        Exception: the last transient error when every attempt failed, or the first other error.
    """
    log = job_logger()
    delays = backoff.delays()
    for attempt, delay in enumerate([*delays, None], start=1):
        try:
            return call()
        except Exception as exc:
            if delay is None or not is_transient(exc):
                raise
            log.warning(f"{what} failed, retrying", attempt=attempt, of=backoff.attempts,
                        wait_s=delay, error=f"{type(exc).__name__}: {exc}")
            sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")
