"""Day-partitioned archives on HDFS: the window of days a run covers and which day directories it reads.

MONIT archives records (condor, WMArchive) as JSON lines in one directory per arrival day,
``<root>/YYYY/MM/DD``; a day it has not compacted yet is still ``DD.tmp``. A record can arrive a little
after the day it describes, so a job reads ``late_days`` neighbour directories on each side of its window
and keeps the records whose own time falls inside it. A missing window day is an error the operator must
see (or allow); a missing neighbour is normal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from jobkit.errors import JobError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class Window:
    """Days ``start`` (inclusive) to ``end`` (exclusive), UTC."""

    start: date
    end: date

    def days(self) -> list[date]:
        """Every day of the window, oldest first."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days)]

    def bounds(self) -> tuple[int, int]:
        """Unix seconds of the window's first instant and of the instant just after it."""
        return _midnight(self.start), _midnight(self.end)

    def bounds_ms(self) -> tuple[int, int]:
        """The same in milliseconds (condor's ``RecordTime``)."""
        low, high = self.bounds()
        return low * 1000, high * 1000


@dataclass(frozen=True)
class Partitions:
    """The day directories of one run.

    Attributes:
        read: existing directories to read (window days and their neighbours, ``.tmp`` ones included).
        missing_window_days: window days without a directory holding data: (day, path).
        missing_neighbours: neighbour days without one (normal: late records are rare).
    """

    read: list[str]
    missing_window_days: list[tuple[date, str]] = field(default_factory=list)
    missing_neighbours: list[str] = field(default_factory=list)

    def require(self, window: Window, root: str, allow_missing: bool, without: str) -> None:
        """Fail unless there is something to read and, unless allowed, every window day is there.

        Args:
            window: the run's window.
            root: the archive root (named in the error).
            allow_missing: ALLOW_MISSING_DAYS: go on without the missing window days.
            without: what the job would do without them, for the hint (e.g. "aggregate without them").

        Raises:
            JobError: with a one-line reason naming the first missing day and its directory.
        """
        if self.missing_window_days and not allow_missing:
            day, path = self.missing_window_days[0]
            raise JobError(f"input partition {path} for day {day} of the window {window.start}..{window.end} "
                           f"(exclusive) is missing or empty ({len(self.missing_window_days)} day(s) missing); "
                           f"set ALLOW_MISSING_DAYS=1 to {without}")
        if not self.read:
            raise JobError(f"no input partition for the window {window.start}..{window.end} (exclusive) under {root}")


def day_dir(root: str, day: date) -> str:
    """``<root>/YYYY/MM/DD``, the archive directory of one arrival day."""
    return f"{root.rstrip('/')}/{day:%Y/%m/%d}"


def has_data(spark: SparkSession, path: str) -> bool:
    """True when ``path`` is a directory holding at least one visible, non-empty file."""
    # Hadoop's FileSystem API through the py4j gateway: the same client (and configuration) Spark reads with.
    jvm: Any = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    if not fs.exists(hadoop_path) or not fs.getFileStatus(hadoop_path).isDirectory():
        return False
    # Spark skips names starting with _ or . (markers, partial files), so they do not count as data.
    return any(
        status.isFile() and status.getLen() > 0 and not status.getPath().getName().startswith(("_", "."))
        for status in fs.listStatus(hadoop_path)
    )


def find_partitions(spark: SparkSession, root: str, window: Window, late_days: int, today: date, *,
                    uncompacted: bool = False) -> Partitions:
    """Decide which day directories to read; never looks at days after ``today``.

    Args:
        spark: the session (its Hadoop configuration names the file system).
        root: the archive root.
        window: the days the run covers.
        late_days: neighbour days read on each side for records archived late (or early).
        today: the current UTC day.
        uncompacted: also read ``DD.tmp`` (a day MONIT has not compacted yet), as the originals that glob it.

    Returns:
        The directories to read and the missing ones.
    """
    window_days = set(window.days())
    first = window.start - timedelta(days=late_days)
    last = min(window.end - timedelta(days=1) + timedelta(days=late_days), today)
    suffixes = ("", ".tmp") if uncompacted else ("",)
    partitions = Partitions([])
    for i in range((last - first).days + 1):
        day = first + timedelta(days=i)
        path = day_dir(root, day)
        found = [path + suffix for suffix in suffixes if has_data(spark, path + suffix)]
        partitions.read.extend(found)
        if not found and day in window_days:
            partitions.missing_window_days.append((day, path))
        elif not found:
            partitions.missing_neighbours.append(path)
    return partitions
