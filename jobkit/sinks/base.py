"""The sink interface: ``write(records)`` with deterministic ids and replace semantics.

A sink owns one target (an index, a collection, a file). ``write`` makes the target hold exactly the
given records, each under the id its key gives (``mode="replace"``), or adds/overwrites them and keeps
the others (``mode="upsert"``, for targets that accumulate, such as one shared daily-series index).
Either way a re-run with the same input leaves the same target: nothing duplicated, nothing lost.
"""

from __future__ import annotations

import itertools
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from jobkit.errors import SinkError
from jobkit.logs import job_logger
from jobkit.retry import Backoff, retry

Record = Mapping[str, Any]
Mode = Literal["replace", "upsert"]
MODES: tuple[Mode, ...] = ("replace", "upsert")
DRY_RUN_SAMPLES = 3


@dataclass(frozen=True)
class WriteResult:
    """What one ``write`` did.

    Attributes:
        target: the target written (index, collection, path).
        written: records written (in a dry run: records that would have been written).
        deleted: records removed because the new input no longer has them (replace mode).
        dry_run: true when nothing was written.
    """

    target: str
    written: int
    deleted: int = 0
    dry_run: bool = False


class Sink(ABC):
    """One output target written idempotently."""

    @property
    @abstractmethod
    def target(self) -> str:
        """The target in words, e.g. ``opensearch index rucio-datasets-monitoring-2026-11-01``."""

    @abstractmethod
    def write(self, records: Iterable[Record]) -> WriteResult:
        """Write ``records`` to the target (see the module docstring for the modes).

        Args:
            records: the records; may be a generator (sinks stream them in batches).

        Returns:
            What was written and deleted.

        Raises:
            SinkError: when the write failed after retries, or for a reason retrying cannot fix.
        """


class BatchedSink(Sink):
    """A sink that writes in batches and retries what its client calls transient."""

    def __init__(self, mode: Mode, batch_size: int, backoff: Backoff, sleep: Callable[[float], None] | None) -> None:
        """Keep the settings every batched sink has (see the subclasses for their meaning)."""
        self.mode = check_mode(mode)
        self.batch_size = batch_size
        self.backoff = backoff
        self.sleep = sleep or time.sleep

    @abstractmethod
    def is_transient(self, exc: BaseException) -> bool:
        """True when ``exc`` is worth retrying."""

    def _retry(self, call: Callable[[], Any], what: str) -> Any:
        """``call`` retried on transient errors; when every attempt failed, a SinkError naming the target, the
        operation and the attempts (the job's one-line reason), not the client's bare exception."""
        try:
            return retry(call, self.is_transient, f"{what} ({self.target})", self.backoff, self.sleep)
        except Exception as exc:
            if not self.is_transient(exc):
                raise
            raise SinkError(f"{self.target}: {what} failed after {self.backoff.attempts} attempts: "
                            f"{type(exc).__name__}: {exc}") from exc


class DryRunSink(Sink):
    """Stands in for a sink in a ``--test`` run: counts and logs what would be written, writes nothing."""

    def __init__(self, sink: Sink) -> None:
        """Wrap ``sink`` (its client is never used).

        Args:
            sink: the sink the real run would write to.
        """
        self._sink = sink

    @property
    def target(self) -> str:
        return self._sink.target

    def write(self, records: Iterable[Record]) -> WriteResult:
        """Consume ``records``, log their count and the first few, write nothing.

        Args:
            records: the records.

        Returns:
            The count as ``written`` with ``dry_run`` set.
        """
        iterator = iter(records)
        samples = list(itertools.islice(iterator, DRY_RUN_SAMPLES))
        count = len(samples) + sum(1 for _ in iterator)
        job_logger().info(
            "dry run: would write", target=self.target, records=count,
            samples=[json.loads(json.dumps(dict(r), default=str)) for r in samples],
        )
        return WriteResult(self.target, count, dry_run=True)


def maybe_dry(sink: Sink, dry_run: bool) -> Sink:
    """``sink`` itself, or a :class:`DryRunSink` around it when ``dry_run``.

    Args:
        sink: the real sink.
        dry_run: whether this is a ``--test`` run.

    Returns:
        The sink to write to.
    """
    return DryRunSink(sink) if dry_run else sink


def check_mode(mode: str) -> Mode:
    """``mode`` when it is ``replace`` or ``upsert``.

    Raises:
        ValueError: for any other mode (a job bug, named with the allowed values).
    """
    for known in MODES:
        if mode == known:
            return known
    raise ValueError(f"sink mode {mode!r} is unknown; allowed: {', '.join(MODES)}")


def batched(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """``records`` in lists of at most ``size`` (the last may be shorter).

    Args:
        records: the records.
        size: the batch size (> 0).

    Returns:
        An iterator of batches.
    """
    iterator = iter(records)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
