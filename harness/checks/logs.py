"""The job's structured log lines (jobkit.logs: one JSON object per line with ``msg`` and ``fields``)."""

from __future__ import annotations

import json
from typing import Any

from harness.jobrun import JobResult


def events(result: JobResult, message: str) -> list[dict[str, Any]]:
    """The ``fields`` of each of the job's JSON log lines whose ``msg`` is ``message``, in order."""
    found = []
    for text in result.logs.values():
        for line in text.splitlines():
            if not line.startswith("{"):
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:  # a line that merely starts with "{" (e.g. Spark's own output)
                continue
            if event.get("msg") == message:
                found.append(dict(event.get("fields", {})))
    return found


def event(result: JobResult, message: str) -> dict[str, Any]:
    """The ``fields`` of the job's JSON log line ``message`` (the last one when repeated).

    Raises:
        AssertionError: when the log has no such line (with the run's summary, so the failure explains itself).
    """
    found = events(result, message)
    if not found:
        raise AssertionError(f"no {message!r} log line in:\n{result.summary()}")
    return found[-1]
