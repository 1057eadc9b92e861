"""Spark DataFrames written as parquet on HDFS, replacing what a previous run wrote for the same date.

Two layouts, as the CMS jobs use them:

- A directory per day (``<base>/YYYY/MM/DD``, rucio-daily), replaced as a whole. Spark's own overwrite deletes
  the directory before it writes, so a run killed mid-write would leave a reader nothing, or half a day. Here the
  new files go to a hidden sibling, ``.<name>.jobkit-new`` (Hadoop and Spark readers skip names starting with
  ``.``), which two renames then swap in: ``<name>`` -> ``.<name>.jobkit-old``, staging -> ``<name>``. A reader
  sees the complete old directory or the complete new one; only between the two renames is ``<name>`` absent.
  A run killed before the swap leaves the previous output untouched (its staging directory is overwritten by
  the next run); one killed between the renames leaves it under ``.<name>.jobkit-old``, which the next run
  puts back before it starts.
- Partition columns under one base (``<base>/day=20261101``, eos-dataset), where a re-run overwrites only the
  partitions its data has (dynamic partition overwrite), so other days are kept. Spark stages the files under
  ``.spark-staging-<job>`` and moves each partition in at the job's commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from jobkit.errors import SinkError
from jobkit.logs import job_logger
from jobkit.sinks.base import WriteResult

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


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
        try:
            if partition_by:
                writer.partitionBy(*partition_by).parquet(path)
            else:
                swap = DirectorySwap(frame.sparkSession, path)
                swap.recover()
                writer.parquet(swap.staging_path)
                swap.swap_in()
        except SinkError:
            raise
        except Exception as exc:  # e.g. HDFS gone mid-write: Spark's error is a Java stack trace, not a reason
            raise SinkError(f"{target}: write failed: {root_cause(exc)}") from exc
        log.info("wrote parquet", target=target, rows=rows, partitions=partitions)
        return WriteResult(target, rows)
    finally:
        frame.unpersist()


def root_cause(exc: BaseException) -> str:
    """The innermost cause of ``exc`` in one line: for an error raised in the JVM (py4j's ``java_exception``),
    its deepest Java cause (``java.net.ConnectException: Connection refused``), not the whole stack trace."""
    java = getattr(exc, "java_exception", None)
    if java is not None:
        cause = java
        while cause.getCause() is not None:
            cause = cause.getCause()
        return str(cause.toString())
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


class DirectorySwap:
    """A directory replaced by a complete new copy written beside it (see the module docstring)."""

    def __init__(self, spark: SparkSession, path: str) -> None:
        """The swap of ``path`` on its Hadoop file system (HDFS, or the local one in tests).

        Args:
            spark: the session (its JVM and Hadoop configuration).
            path: the directory that is replaced.
        """
        jvm: Any = spark._jvm  # py4j: how Python reaches Hadoop's FileSystem
        make = jvm.org.apache.hadoop.fs.Path
        self.target = make(path)
        parent, name = self.target.getParent(), self.target.getName()
        self.staging = make(parent, f".{name}.jobkit-new")
        self.old = make(parent, f".{name}.jobkit-old")
        self.fs = self.target.getFileSystem(spark._jsc.hadoopConfiguration())

    @property
    def staging_path(self) -> str:
        """Where the new files are written."""
        return str(self.staging.toString())

    def recover(self) -> None:
        """Put back the previous output that a run killed between the two renames left under the old name, and
        remove an old copy a finished swap did not get to delete."""
        if not self.fs.exists(self.target) and self.fs.exists(self.old):
            self._rename(self.old, self.target)
            job_logger().warning("restored the output a killed run left mid-swap", path=str(self.target.toString()))
        self.fs.delete(self.old, True)

    def swap_in(self) -> None:
        """Move the staging directory to the target's place, and delete the previous output.

        Raises:
            SinkError: when the file system refuses a rename (it answers false rather than saying why).
        """
        if self.fs.exists(self.target):
            self._rename(self.target, self.old)
        self._rename(self.staging, self.target)
        self.fs.delete(self.old, True)

    def _rename(self, source: Any, destination: Any) -> None:
        if not self.fs.rename(source, destination):
            raise SinkError(f"parquet {self.target.toString()}: could not rename {source.toString()} to "
                            f"{destination.toString()}")
