"""One generic wait against a monotonic deadline (never counted sleeps)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from harness.errors import HarnessTimeout

T = TypeVar("T")


def wait_until(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.5,
    describe: Callable[[], str] | None = None,
) -> T:
    """Call ``probe`` until it returns something truthy, and return that.

    ``probe`` may raise to fail fast (e.g. a process died or a Job reported Failed): the exception
    propagates at once instead of waiting for the deadline.

    Args:
        probe: returns a truthy value when the condition holds, a falsy one to keep waiting.
        timeout: seconds until the deadline.
        what: description of the awaited condition, for the timeout message.
        interval: seconds between probes (the last sleep is cut short at the deadline).
        describe: optional callable giving the current state, appended to the timeout message.

    Raises:
        HarnessTimeout: when the deadline passes with the condition still false.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            state = f"; last state: {describe()}" if describe else ""
            raise HarnessTimeout(f"timed out after {timeout:.0f}s waiting for {what}{state}")
        time.sleep(min(interval, remaining))
