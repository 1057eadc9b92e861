"""Where the rows go: the day's search index (explicit mapping, ids from (Dataset, RSE)) and the day's
parquet directory; and the clean-up that keeps only the newest of each once a run has written rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from jobkit.archive import filesystem
from jobkit.ids import record_id
from jobkit.logs import JobLogger
from jobkit.sinks.search import dated_indices
from jobkit.sinks.search_backends import SearchBackend

KEY = ("Dataset", "RSE")
# As the original's mapping, so existing dashboards keep working: times are epoch seconds, counts
# integers, names and the account and rule lists keywords (aggregatable).
_FIELD_TYPES = {
    "keyword": ("Type", "Dataset", "RSE", "Tier", "Country", "RseKind", "IsLocked", "ProdAccounts", "BlockRuleIDs"),
    "long": ("SizeBytes",),
    "epoch_second": ("LastAccess", "LastCreate", "timestamp"),
    "boolean": ("IsFullyReplicated",),
    "float": ("FilePercentage",),
    "integer": ("FileCount", "AccessedFileCount", "BlockCount", "ProdLockedBlockCount"),
}
MAPPINGS: Mapping[str, Any] = {"properties": {
    field: {"type": "date", "format": "epoch_second"} if kind == "epoch_second" else {"type": kind}
    for kind, fields in _FIELD_TYPES.items() for field in fields
}}
_DAY_DIR = re.compile(r"\d{4}-\d{2}-\d{2}")


def document_id(document: Mapping[str, Any]) -> str:
    """sha1 of the JSON array ``[Dataset, RSE]`` (RSE null for replicas at an RSE missing from ``rses``)."""
    return record_id({name: document.get(name) for name in KEY}, KEY)


def documents(rows: DataFrame) -> Iterator[dict[str, Any]]:
    """The rows as documents, streamed partition by partition; null fields are left out, as the original
    sends them (a missing field aggregates better in Grafana than a null one)."""
    for row in rows.toLocalIterator():
        yield {name: value for name, value in row.asDict(recursive=True).items() if value is not None}


def drop_older_indices(backend: SearchBackend, prefix: str, kept: str, log: JobLogger,
                       dry_run: bool = False) -> list[str]:
    """Delete every ``<prefix>-YYYY-MM-DD`` index older than ``kept`` (empty or not).

    Newer ones are left alone: a re-run for a past day must not delete a later day's output.

    Args:
        backend: the search backend.
        prefix: the index prefix.
        kept: this run's index (``<prefix>-<day>``).
        log: the job's logger.
        dry_run: only log what would be deleted.

    Returns:
        The deleted (or, in a dry run, doomed) indices, oldest first.
    """
    backend.refresh(f"{prefix}-*")
    counts = backend.doc_counts(f"{prefix}-*")
    # The date suffix sorts as the date does, so name order is age order.
    doomed = [name for name in dated_indices(counts, prefix, "daily") if name < kept]
    for name in doomed:
        if not dry_run:
            backend.delete_index(name)
    log.info("dry run: would delete indices" if dry_run else "deleted older indices", prefix=prefix, kept=kept,
             deleted=doomed, deleted_docs=sum(counts[name] for name in doomed))
    return doomed


def drop_older_days(spark: SparkSession, base: str, day: date, log: JobLogger, dry_run: bool = False) -> list[str]:
    """Delete the ``<base>/YYYY-MM-DD`` directories of days before ``day``.

    Args:
        spark: the session (its Hadoop configuration names the file system).
        base: the output root.
        day: this run's day (its directory and later ones are kept).
        log: the job's logger.
        dry_run: only log what would be deleted.

    Returns:
        The deleted (or doomed) directories, oldest first.
    """
    fs, root = filesystem(spark, base)
    statuses: Iterable[Any] = fs.listStatus(root) if fs.exists(root) else []
    older = sorted(
        (status.getPath().getName(), status.getPath()) for status in statuses
        if status.isDirectory() and _DAY_DIR.fullmatch(status.getPath().getName())
        and status.getPath().getName() < day.isoformat()
    )
    doomed = [str(path.toUri().getPath()) for _, path in older]
    for _, path in older:
        if not dry_run:
            fs.delete(path, True)
    log.info("dry run: would delete directories" if dry_run else "deleted older directories", base=base,
             deleted=doomed)
    return doomed
