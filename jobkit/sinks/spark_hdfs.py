"""Spark DataFrames written as parquet on HDFS, replacing what a previous run wrote for the same date.

Two layouts, as the CMS jobs use them: a directory per day (``<base>/YYYY/MM/DD``, rucio-daily),
overwritten as a whole; and partition columns under one base (``<base>/day=20261101``, eos-dataset),
where a re-run overwrites only the partitions its data has (dynamic partition overwrite), so other
days are kept. Spark writes into a staging directory and commits at the end, so a failed write leaves
the previous files.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from jobkit.logs import job_logger
from jobkit.sinks.base import WriteResult

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def day_path(base: str, day: date) -> str:
    """``<base>/YYYY/MM/DD`` (the rucio-daily layout), e.g. ``/out/rucio/2026/11/01``."""
    return f"{base.rstrip('/')}/{day:%Y/%m/%d}"


def write_parquet(frame: DataFrame, path: str, partition_by: Sequence[str] = (), dry_run: bool = False) -> WriteResult:
    """Write ``frame`` as parquet at ``path``, replacing the earlier output of the same partitions.

    Without ``partition_by`` the directory ``path`` is replaced as a whole. With it, only the partitions
    present in ``frame`` are replaced (``partitionOverwriteMode=dynamic``); other partitions stay.

    Args:
        frame: the data.
        path: the output directory (``hdfs://...`` or a path on the default file system).
        partition_by: partition columns (empty: no partitioning).
        dry_run: count and log, write nothing.

    Returns:
        Rows written (in a dry run: rows that would have been written).
    """
    log = job_logger()
    # Counted from the cached frame, so the write does not compute the input a second time.
    frame = frame.persist()
    try:
        rows = frame.count()
        partitions = sorted(
            "/".join(f"{col}={row[col]}" for col in partition_by)
            for row in frame.select(*partition_by).distinct().collect()
        ) if partition_by else []
        target = f"parquet {path}"
        if dry_run:
            log.info("dry run: would write", target=target, rows=rows, partitions=partitions)
            return WriteResult(target, rows, dry_run=True)
        writer = frame.write.mode("overwrite").option("partitionOverwriteMode", "dynamic")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.parquet(path)
        log.info("wrote parquet", target=target, rows=rows, partitions=partitions)
        return WriteResult(target, rows)
    finally:
        frame.unpersist()
