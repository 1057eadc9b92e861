"""Run a long build command with progress: its milestones as they happen, a heartbeat in between.

debootstrap, pip and buildah can each be quiet for minutes or print thousands of lines. The full
output goes to a log file; the terminal gets the lines that mark progress (as ``show`` words them) and,
every ``HEARTBEAT`` seconds without one, the elapsed time and the latest output line.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from harness.errors import HarnessError
from harness.paths import state_root
from harness.toolchain.progress import say

HEARTBEAT = 20.0


def log_path(label: str) -> Path:
    """Where the full output of the step called ``label`` is kept (overwritten by the next run)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-")
    return state_root() / "images" / "logs" / f"{slug}.log"


def run_logged(
    cmd: Sequence[str],
    *,
    label: str,
    show: Callable[[str], str | None],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> str:
    """Run ``cmd``, showing progress, and return its whole output.

    Args:
        cmd: the command line.
        label: what is being done, for the progress lines, the log file name and errors.
        show: what to print for an output line that marks progress, None for the other lines.
        env: the command's full environment (inherited when None).
        cwd: its working directory.

    Returns:
        Everything it printed (stdout and stderr interleaved).

    Raises:
        HarnessError: when it exits non-zero, with its last lines and the log file to read.
    """
    log = log_path(label)
    log.parent.mkdir(parents=True, exist_ok=True)
    tail: deque[str] = deque(maxlen=25)
    lines: list[str] = []
    started = time.monotonic()
    last_shown = [started]
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(5.0):
            now = time.monotonic()
            if now - last_shown[0] >= HEARTBEAT:
                latest = tail[-1][:120] if tail else "(no output yet)"
                say(f"    {label}: still running ({now - started:.0f}s): {latest}")
                last_shown[0] = now

    ticker = threading.Thread(target=heartbeat, daemon=True)
    ticker.start()
    try:
        with (
            log.open("w") as sink,
            subprocess.Popen(
                list(cmd),
                cwd=cwd,
                env=dict(env) if env is not None else None,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            ) as proc,
        ):
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.rstrip()
                sink.write(raw)
                lines.append(line)
                if line.strip():
                    tail.append(line)
                shown = show(line)
                if shown is not None:
                    say(f"    {label}: {shown[:160]} ({time.monotonic() - started:.0f}s)")
                    last_shown[0] = time.monotonic()
            code = proc.wait()
    except FileNotFoundError as exc:
        raise HarnessError(f"{label}: {exc.filename} is not installed") from exc
    finally:
        done.set()
        ticker.join()
    if code != 0:
        raise HarnessError(
            f"{label} failed (exit {code}) running: {' '.join(cmd)}\n" + "\n".join(tail) + f"\n(full output: {log})"
        )
    return "\n".join(lines)
