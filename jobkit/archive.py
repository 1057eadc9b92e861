"""Day-partitioned archives on HDFS: the window of days a run covers and which day directories it reads.

MONIT archives records (condor, WMArchive) as JSON lines in one directory per arrival day,
``<root>/YYYY/MM/DD``; a day it has not compacted yet is still ``DD.tmp``. A record can arrive a little
after the day it describes, so a job reads ``late_days`` neighbour directories on each side of its window
and keeps the records whose own time falls inside it. A missing window day is an error the operator must
see (or allow); a missing neighbour is normal.

The pieces every archive job shares live here once: the window variables and their checks
(:func:`window_of`), the variable declarations (:data:`ALLOW_MISSING_DAYS`, :data:`MAX_MALFORMED_FRACTION`,
:func:`late_days`), and the JSON-lines reader that counts the lines it cannot use
(:func:`read_json_lines`, :func:`line_counts`, :meth:`LineCounts.require_well_formed`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from jobkit.config import Config, Var
from jobkit.errors import ConfigError, JobError
from jobkit.logs import JobLogger

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

# Where Spark's PERMISSIVE JSON reader puts a line it cannot parse into the schema.
CORRUPT = "_corrupt_record"
ALLOW_MISSING_DAYS = Var("ALLOW_MISSING_DAYS", "bool", default=False,
                         help="go on without window days that have no directory instead of failing")
MAX_MALFORMED_FRACTION = Var("MAX_MALFORMED_FRACTION", "float", default=0.05, minimum=0, maximum=1,
                             help="fail when a larger share of input lines is malformed")
# A field spec for read_json_lines: a Spark SQL type name, or a nested mapping for a struct.
FieldSpec = Mapping[str, "str | FieldSpec"]


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
    fs, hadoop_path = filesystem(spark, path)
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


def read_partitions(spark: SparkSession, config: Config, window: Window, late: int, today: date, log: JobLogger,
                    without: str, *, uncompacted: bool = False) -> Partitions:
    """The day directories under ``INPUT_PATH`` to read for ``window``, logged, and checked with ``require``.

    Args:
        spark: the session.
        config: a configuration with ``INPUT_PATH`` and :data:`ALLOW_MISSING_DAYS` declared.
        window: the run's window.
        late: neighbour days read on each side.
        today: the current UTC day.
        log: the job's logger (event ``partitions``).
        without: what the job does without missing days, for the hint (see :meth:`Partitions.require`).
        uncompacted: also read ``DD.tmp`` directories.

    Returns:
        The partitions.

    Raises:
        JobError: see :meth:`Partitions.require`.
    """
    root = config.text("INPUT_PATH")
    parts = find_partitions(spark, root, window, late, today, uncompacted=uncompacted)
    log.info("partitions", read=len(parts.read), missing_window_days=[path for _, path in parts.missing_window_days],
             missing_neighbours=parts.missing_neighbours)
    parts.require(window, root, config.flag("ALLOW_MISSING_DAYS"), without)
    return parts


def late_days(default: int) -> Var:
    """The ``LATE_DAYS`` declaration: neighbour day directories read on each side of the window."""
    return Var("LATE_DAYS", "int", default=default, minimum=0, unit="days",
               help="neighbour day directories read on each side for late records")


def window_of(config: Config, today: date, default_end: date, default_start: Callable[[date], date]) -> Window:
    """The window of ``START_DATE``/``END_DATE`` (END_DATE exclusive), with the job's defaults.

    Args:
        config: a configuration with ``START_DATE`` and ``END_DATE`` (kind ``date``) declared.
        today: the current UTC day.
        default_end: the end when END_DATE is unset.
        default_start: the start when START_DATE is unset, from the end.

    Returns:
        The window.

    Raises:
        ConfigError: when the window is empty or ends after tomorrow (exclusive end).
    """
    end = config.day("END_DATE") or default_end
    start = config.day("START_DATE") or default_start(end)
    if start >= end:
        raise ConfigError(f"START_DATE={start} is not before END_DATE={end} (END_DATE is exclusive); "
                          f"allowed: START_DATE < END_DATE")
    if end > today + timedelta(days=1):
        raise ConfigError(f"END_DATE={end} lies in the future; allowed: a day up to tomorrow (exclusive end)")
    return Window(start, end)


def filesystem(spark: SparkSession, path: str) -> tuple[Any, Any]:
    """Hadoop's FileSystem and Path of ``path``, through py4j: the client and configuration Spark reads with."""
    jvm: Any = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), hadoop_path


def matches_data(spark: SparkSession, glob: str) -> bool:
    """True when the Hadoop glob ``glob`` matches at least one non-empty file (the way Spark resolves it)."""
    fs, pattern = filesystem(spark, glob)
    statuses = fs.globStatus(pattern)
    return statuses is not None and any(status.isFile() and status.getLen() > 0 for status in statuses)


def _ddl(fields: FieldSpec) -> str:
    """The Spark DDL of ``fields`` (names quoted: a field may hold a dot, as EOS's ``sec.app``)."""
    return ", ".join(f"`{name}` {kind if isinstance(kind, str) else f'STRUCT<{_ddl(kind)}>'}"
                     for name, kind in fields.items())


def read_json_lines(spark: SparkSession, paths: Sequence[str], fields: FieldSpec, required: Sequence[str]) -> DataFrame:
    """One row per JSON line of ``paths``: ``malformed`` and the top-level ``fields``.

    Only the given fields are read: an explicit schema spares Spark an inference pass over the input, and a
    line that does not fit it (not JSON, cut JSON, a wrong type) is flagged instead of failing the read.

    Args:
        spark: the session.
        paths: files or directories of JSON lines.
        fields: the fields to read, e.g. ``{"data": {"GlobalJobId": "string", "RecordTime": "bigint"}}``.
        required: dotted paths of the fields a usable line must have (``data.GlobalJobId``).

    Returns:
        The rows (not yet computed); ``malformed`` is true for a line that did not parse or lacks a
        required field.
    """
    from pyspark.sql import functions as fn  # jobkit imports without pyspark; only Spark jobs get here

    raw = (spark.read.schema(f"{_ddl(fields)}, {CORRUPT} STRING").option("mode", "PERMISSIVE")
           .option("columnNameOfCorruptRecord", CORRUPT).json(list(paths)))
    malformed: Column = fn.col(CORRUPT).isNotNull()
    for path in required:
        malformed = malformed | fn.col(path).isNull()
    return raw.select(malformed.alias("malformed"), *fields)


def line_counts() -> list[Column]:
    """The aggregate columns ``lines`` and ``malformed`` of :func:`read_json_lines` rows (for one pass
    together with a job's own counts)."""
    from pyspark.sql import functions as fn

    return [fn.count(fn.lit(1)).alias("lines"), fn.sum(fn.col("malformed").cast("long")).alias("malformed")]


@dataclass(frozen=True)
class LineCounts:
    """How many input lines a run read and how many of them were malformed (jobs extend it)."""

    lines: int
    malformed: int

    @property
    def malformed_fraction(self) -> float:
        """Share of lines that were not usable (0 for an empty input)."""
        return self.malformed / self.lines if self.lines else 0.0

    def require_well_formed(self, limit: float, what: str) -> None:
        """Fail when a larger share than ``limit`` (MAX_MALFORMED_FRACTION) of the lines is malformed.

        Args:
            limit: the largest allowed share.
            what: the input, for the hint (``condor input`` -> "check the condor input format").

        Raises:
            JobError: one line with the counts, the share and the limit.
        """
        if self.malformed_fraction > limit:
            raise JobError(f"{self.malformed} of {self.lines} input lines are malformed "
                           f"({self.malformed_fraction:.1%} > MAX_MALFORMED_FRACTION {limit:.1%}); "
                           f"check the {what} format")


def counted(totals: Mapping[str, Any] | Any, *names: str) -> tuple[int, ...]:
    """The integer values of ``names`` in an aggregate row (a sum over no rows is null: 0)."""
    return tuple(int(totals[name] or 0) for name in names)
