"""An index on Elasticsearch or OpenSearch as a sink, plus index naming and clean-up helpers.

Documents go in with bulk requests under explicit ids (from the record's key), so a re-run
overwrites instead of duplicating. Whole-request failures that are transient (connection errors,
timeouts, 429, 5xx) are retried with exponential backoff; so are single bulk items rejected with 429
or 5xx. Any other rejected item fails the write at once, naming the document and the reason. In
``replace`` mode, documents of the index that this write did not produce are deleted afterwards, so
the index holds exactly the last run's output.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from jobkit.errors import SinkError
from jobkit.ids import IdFunc
from jobkit.logs import job_logger
from jobkit.retry import DEFAULT_BACKOFF, Backoff
from jobkit.sinks.base import BatchedSink, Mode, Record, WriteResult, batched
from jobkit.sinks.search_backends import BulkOp, SearchBackend, transient_status

Period = Literal["daily", "monthly"]
SUFFIX = {"daily": r"\d{4}-\d{2}-\d{2}", "monthly": r"\d{4}-\d{2}"}
BATCH_SIZE = 1000
# Small shards for small daily outputs: one primary, no replica (a single-node test cluster stays green).
DEFAULT_SETTINGS: Mapping[str, Any] = {"number_of_shards": 1, "number_of_replicas": 0}


def daily_index(prefix: str, day: date) -> str:
    """``<prefix>-YYYY-MM-DD``, e.g. ``rucio-datasets-monitoring-2026-11-01``."""
    return f"{prefix}-{day:%Y-%m-%d}"


def monthly_index(prefix: str, day: date) -> str:
    """``<prefix>-YYYY-MM`` of the month ``day`` is in, e.g. ``wmarchive-agent-count-2026-11``."""
    return f"{prefix}-{day:%Y-%m}"


def dated_indices(names: Iterable[str], prefix: str, period: Period) -> list[str]:
    """The names that are exactly ``<prefix>-<date of period>``, oldest first.

    Args:
        names: index names.
        prefix: the prefix.
        period: daily or monthly.

    Returns:
        The matching names, sorted by their date (the suffix sorts as the date does).
    """
    pattern = re.compile(re.escape(prefix) + "-" + SUFFIX[period])
    return sorted(name for name in names if pattern.fullmatch(name))


@dataclass(frozen=True)
class CleanupResult:
    """What :func:`keep_newest_nonempty` did.

    Attributes:
        kept: the index kept (None when no index of the prefix has documents; then none is deleted).
        deleted: the indices deleted, oldest first.
    """

    kept: str | None
    deleted: list[str] = field(default_factory=list)


def keep_newest_nonempty(backend: SearchBackend, prefix: str, period: Period = "daily",
                         dry_run: bool = False) -> CleanupResult:
    """Keep only the newest index of ``prefix`` that has documents; delete its older and empty siblings.

    Only names that are exactly ``<prefix>-<date>`` are considered, so an index such as
    ``<prefix>-archive`` or ``<prefix>-x-2026-01-01`` is never touched. When no index has documents,
    nothing is deleted: an empty output must not wipe the last good one.

    Args:
        backend: the search backend.
        prefix: the index prefix.
        period: daily or monthly names.
        dry_run: log what would be deleted, delete nothing.

    Returns:
        The kept index and the deleted ones.
    """
    log = job_logger()
    backend.refresh(f"{prefix}-*")
    counts = backend.doc_counts(f"{prefix}-*")
    names = dated_indices(counts, prefix, period)
    nonempty = [name for name in names if counts[name] > 0]
    if not nonempty:
        log.warning("no non-empty index to keep; nothing deleted", prefix=prefix, indices=names)
        return CleanupResult(None)
    kept = nonempty[-1]
    doomed = [name for name in names if name != kept]
    for name in doomed:
        if not dry_run:
            backend.delete_index(name)
    log.info("dry run: would delete indices" if dry_run else "deleted indices", prefix=prefix, kept=kept,
             deleted=doomed, kept_docs=counts[kept])
    return CleanupResult(kept, doomed)


class IndexSink(BatchedSink):
    """One index, written with bulk requests under deterministic ids."""

    def __init__(
        self,
        backend: SearchBackend,
        index: str,
        id_of: IdFunc,
        mode: Mode = "replace",
        mappings: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
        batch_size: int = BATCH_SIZE,
        backoff: Backoff = DEFAULT_BACKOFF,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """Describe the target; nothing is sent before :meth:`write`.

        Args:
            backend: the search backend.
            index: the index name.
            id_of: gives each record's id (see :func:`jobkit.ids.key_id`).
            mode: ``replace`` (the index holds exactly the last write) or ``upsert`` (others kept).
            mappings: the mapping used when the index has to be created.
            settings: index settings used at creation (default: 1 shard, 0 replicas).
            batch_size: documents per bulk request.
            backoff: retry schedule for transient errors.
            sleep: how to wait between retries (default ``time.sleep``; a fake clock in unit tests).
        """
        super().__init__(mode, batch_size, backoff, sleep)
        self.backend = backend
        self.index = index
        self.id_of = id_of
        self.mappings = mappings or {}
        self.settings = DEFAULT_SETTINGS if settings is None else settings

    @property
    def target(self) -> str:
        return f"{self.backend.kind} index {self.index}"

    def is_transient(self, exc: BaseException) -> bool:
        return self.backend.is_transient(exc)

    def ensure_index(self) -> bool:
        """Create the index with the mapping when it does not exist.

        Returns:
            True when it was created.
        """
        if self._retry(lambda: self.backend.index_exists(self.index), "index check"):
            return False
        self._retry(lambda: self.backend.create_index(self.index, self.mappings, self.settings), "index creation")
        job_logger().info("created index", target=self.target, fields=sorted(self.mappings.get("properties", {})))
        return True

    def bulk(self, operations: Sequence[BulkOp]) -> None:
        """Send ``operations``, retrying transient failures of the request and of single items.

        Args:
            operations: index or delete operations.

        Raises:
            SinkError: when an item is rejected for a non-transient reason, or still fails after retries.
        """
        delays = self.backoff.delays()
        pending = list(operations)
        for attempt in range(self.backoff.attempts):
            results = self._retry(functools.partial(self.backend.bulk, pending), "bulk request")
            rejected = [(op, status, error) for op, (status, error) in zip(pending, results, strict=True) if error]
            hard = [(op, status, error) for op, status, error in rejected if not transient_status(status)]
            if hard:
                op, status, error = hard[0]
                raise SinkError(f"{self.target}: {len(hard)} of {len(pending)} documents rejected; first: "
                                f"id {next(iter(op[0].values()))['_id']} status {status}: {error}")
            if not rejected:
                return
            if attempt == len(delays):
                raise SinkError(f"{self.target}: {len(rejected)} documents still rejected after "
                                f"{self.backoff.attempts} attempts; last: status {rejected[0][1]}: {rejected[0][2]}")
            job_logger().warning("bulk items rejected, retrying them", target=self.target, items=len(rejected),
                                 status=rejected[0][1], wait_s=delays[attempt])
            self.sleep(delays[attempt])
            pending = [op for op, _, _ in rejected]

    def write(self, records: Iterable[Record]) -> WriteResult:
        """Write ``records`` under their ids; in replace mode delete the documents not written now.

        Args:
            records: the records.

        Returns:
            Distinct documents written and stale documents deleted.

        Raises:
            SinkError: see :meth:`bulk`; also when a record lacks a key field.
        """
        self.ensure_index()
        written: set[str] = set()
        for batch in batched(records, self.batch_size):
            operations: list[BulkOp] = []
            for record in batch:
                try:
                    doc_id = self.id_of(record)
                except KeyError as exc:
                    raise SinkError(f"{self.target}: {exc.args[0]}") from None
                written.add(doc_id)
                operations.append(({"index": {"_index": self.index, "_id": doc_id}}, dict(record)))
            self.bulk(operations)
        self._retry(lambda: self.backend.refresh(self.index), "refresh")
        deleted = self._delete_stale(written) if self.mode == "replace" else 0
        job_logger().info("wrote index", target=self.target, mode=self.mode, docs=len(written), deleted=deleted)
        return WriteResult(self.target, len(written), deleted)

    def _delete_stale(self, keep: set[str]) -> int:
        stale = [doc_id for doc_id in self._retry(lambda: list(self.backend.ids(self.index)), "id scan")
                 if doc_id not in keep]
        for chunk in batched(({"_id": doc_id} for doc_id in stale), self.batch_size):
            self.bulk([({"delete": {"_index": self.index, "_id": item["_id"]}}, None) for item in chunk])
        if stale:
            self._retry(lambda: self.backend.refresh(self.index), "refresh")
        return len(stale)
