"""Prometheus ``query_range`` over HTTP (promxy speaks the same API), split into chunks, with retries.

A long range is asked for in chunks of at most :data:`CHUNK_SECONDS` (30 days, as the original job does:
promxy answered inconsistently for longer ranges). Chunks share one grid of evaluation times
(``start + k * step``) and never overlap, so every evaluation time is asked for exactly once.

Connection errors, timeouts, HTTP 429 and 5xx are transient and retried with jobkit's backoff; any other
HTTP error (400 ``bad_data`` for a malformed query, 422 for one that cannot be executed) and an answer
with ``status: error`` fail at once. Every failure is a :class:`QueryError` with a one-line reason.
"""

from __future__ import annotations

import functools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jobkit.errors import JobError
from jobkit.retry import DEFAULT_BACKOFF, Backoff, retry

CHUNK_SECONDS = 30 * 86_400
# A month of daily points takes milliseconds; minutes mean a stuck promxy backend.
REQUEST_TIMEOUT = 120.0
# How much of a non-JSON error body (an HTML page from a proxy) goes into the one-line reason.
BODY_EXCERPT = 200


class QueryError(JobError):
    """A range query failed; ``transient`` tells whether trying again may help."""

    def __init__(self, reason: str, transient: bool) -> None:
        super().__init__(reason)
        self.transient = transient


@dataclass(frozen=True)
class Chunk:
    """One query's range: evaluation times ``start``, ``start + step``, ... up to ``end`` (inclusive)."""

    start: int
    end: int


def chunks(start: int, end: int, step: int, span: int = CHUNK_SECONDS) -> list[Chunk]:
    """Split ``start``..``end`` (inclusive, epoch seconds) into non-overlapping chunks on one step grid.

    Args:
        start: first evaluation time.
        end: last evaluation time (inclusive; the grid stops at or before it).
        step: seconds between evaluation times (> 0).
        span: longest range of one chunk in seconds.

    Returns:
        The chunks in time order (empty when ``end < start``).
    """
    points = max(1, span // step)
    found = []
    first = start
    while first <= end:
        found.append(Chunk(first, min(first + (points - 1) * step, end)))
        first += points * step
    return found


@dataclass
class RangeAnswer:
    """The series of one or more chunk answers.

    Attributes:
        series: ``[{"metric": {...}, "values": [[t, "v"], ...]}, ...]``, one entry per series and chunk.
        warnings: the warnings the server sent (promxy reports unreachable backends here).
    """

    series: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _reason_of(error: urllib.error.URLError | OSError) -> str:
    cause = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return str(cause) or type(cause).__name__


def _error_of(status: int, body: bytes) -> QueryError:
    """The QueryError for an HTTP error answer (Prometheus' JSON error body when there is one)."""
    transient = status == 429 or status >= 500
    try:
        answer = json.loads(body)
        detail = f"{answer['errorType']}: {answer['error']}"
    except (ValueError, KeyError, TypeError):
        detail = " ".join(body.decode(errors="replace").split())[:BODY_EXCERPT] or "(empty body)"
    return QueryError(f"HTTP {status} {detail}", transient)


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, QueryError) and exc.transient


def fetch(url: str, params: dict[str, str], timeout: float = REQUEST_TIMEOUT) -> dict[str, Any]:
    """One GET of ``url`` with ``params``; the ``data`` of a successful matrix answer.

    Args:
        url: the query_range endpoint.
        params: query, start, end, step.
        timeout: seconds to wait for the answer.

    Returns:
        The answer's ``data`` plus its ``warnings`` (``{"result": [...], "warnings": [...]}``).

    Raises:
        QueryError: for an HTTP error, an unreachable server, a timeout, or an answer that is not a matrix.
    """
    request = urllib.request.Request(f"{url}?{urllib.parse.urlencode(params)}", headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            body = reply.read()
    except urllib.error.HTTPError as exc:
        raise _error_of(exc.code, exc.read()) from None
    except (urllib.error.URLError, OSError) as exc:
        raise QueryError(_reason_of(exc), transient=True) from None
    try:
        answer = json.loads(body)
    except ValueError:
        raise QueryError(f"answer is not JSON: {' '.join(body.decode(errors='replace').split())[:BODY_EXCERPT]}",
                         transient=False) from None
    if answer.get("status") != "success":
        raise QueryError(f"status {answer.get('status')!r} {answer.get('errorType')}: {answer.get('error')}",
                         transient=False)
    data = answer.get("data") or {}
    if data.get("resultType") != "matrix":
        raise QueryError(f"resultType is {data.get('resultType')!r}, not 'matrix' (is the URL a query_range "
                         f"endpoint and the query a range vector expression?)", transient=False)
    return {"result": data.get("result") or [], "warnings": list(answer.get("warnings") or [])}


def query_range(url: str, query: str, start: int, end: int, step: int, backoff: Backoff = DEFAULT_BACKOFF,
                sleep: Callable[[float], None] | None = None,
                on_chunk: Callable[[Chunk, dict[str, Any]], None] | None = None) -> RangeAnswer:
    """Evaluate ``query`` at ``start``, ``start + step``, ... ``end``, chunk by chunk, with retries.

    Args:
        url: the query_range endpoint (``http://host:port/api/v1/query_range``).
        query: the PromQL expression.
        start: first evaluation time, epoch seconds.
        end: last evaluation time (inclusive).
        step: seconds between evaluation times.
        backoff: retry schedule for transient failures.
        sleep: how to wait between retries (default ``time.sleep``).
        on_chunk: called with each chunk and its data (for progress logs).

    Returns:
        The series of every chunk and the warnings.

    Raises:
        QueryError: the first chunk that failed (after retries when transient); the reason names the attempts.
    """
    answer = RangeAnswer()
    for chunk in chunks(start, end, step):
        params = {"query": query, "start": str(chunk.start), "end": str(chunk.end), "step": str(step)}
        try:
            data = retry(functools.partial(fetch, url, params), _transient,
                         f"query_range {chunk.start}..{chunk.end}", backoff, sleep or time.sleep)
        except QueryError as exc:
            after = f" after {backoff.attempts} attempts" if exc.transient else ""
            raise QueryError(f"failed{after}: {exc}", exc.transient) from None
        if on_chunk is not None:
            on_chunk(chunk, data)
        answer.series.extend(data["result"])
        answer.warnings.extend(data["warnings"])
    return answer
