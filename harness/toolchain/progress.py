"""Progress output for long steps: say what runs, how far it is, and how long it took."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


def say(message: str) -> None:
    """Print a progress line to stderr (stdout stays clean for command output)."""
    print(message, file=sys.stderr, flush=True)


@contextmanager
def step(title: str) -> Iterator[None]:
    """Announce a long step, then report its duration (or that it failed) when it ends."""
    say(f"==> {title}")
    started = time.monotonic()
    try:
        yield
    except BaseException:
        say(f"<== {title}: failed after {time.monotonic() - started:.1f}s")
        raise
    say(f"<== {title}: done in {time.monotonic() - started:.1f}s")
