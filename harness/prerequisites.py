"""Shared prerequisites of tests (the cluster, base images, job images, services), failed at most once.

Many tests need the same expensive thing. When building it fails, the first test that asked reports the
error as it was (the builder's message names its log file); every later request in the same process gets
``PrerequisiteFailed`` without a new attempt, and the pytest plugin reports those tests as skipped:
"prerequisite X failed (see the first error)". A session with a broken base image therefore fails once,
clearly, instead of rebuilding it for every test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from harness.errors import HarnessError

T = TypeVar("T")

#: prerequisite name -> the first line of its failure, for this process
_failed: dict[str, str] = {}
#: ids of the original failures, reported once each (pytest re-raises a session fixture's cached error)
_originals: dict[int, str] = {}


class PrerequisiteFailed(HarnessError):
    """A prerequisite that already failed in this session was asked for again."""


def once(name: str, build: Callable[[], T]) -> T:
    """``build()``, unless prerequisite ``name`` failed before in this process.

    Raises:
        PrerequisiteFailed: when it failed before (nothing is attempted).
        Exception: the builder's own error, the first time it fails.
    """
    if name in _failed:
        raise PrerequisiteFailed(f"prerequisite {name} failed (see the first error: {_failed[name]})")
    try:
        return build()
    except Exception as exc:
        _failed[name] = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        _originals[id(exc)] = name
        raise


def skip_reason(exc: BaseException, first_report: set[int]) -> str | None:
    """Why a test that raised ``exc`` is skipped rather than failed, or None when it must fail.

    ``first_report`` holds the original failures already reported (the caller keeps it for the session).
    """
    if isinstance(exc, PrerequisiteFailed):
        return str(exc)
    name = _originals.get(id(exc))
    if name is None:
        return None
    if id(exc) not in first_report:
        first_report.add(id(exc))
        return None
    return f"prerequisite {name} failed (see the first error: {_failed[name]})"
