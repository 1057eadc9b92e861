"""The Spark part of crab-unique-users: which day partitions to read, and the distinct users per period.

HTCondor job records are archived by MONIT as JSON lines in one directory per arrival day
(``<root>/YYYY/MM/DD``; a day not yet compacted is ``<root>/YYYY/MM/DD.tmp``). As the original CMSSpark
job does, the run reads the window's days plus one neighbour day on each side (a record can be archived
on the day after its ``RecordTime``, or just before midnight) and keeps the records whose ``RecordTime``
lies in the window. Only completed CRAB (``Type == "analysis"``) jobs at the selected sites count.
Lines that are not job records (cut JSON, no ``GlobalJobId``/``RecordTime``/``Status``) are skipped and
counted; the original drops them silently through its filter.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as fn

from jobkit.archive import LineCounts, Window, line_counts

COUNT_COLUMN = "count_CRAB_UserHN"
# The day directories read on each side of the window, as the original's get_candidate_files(day_delta=1).
NEIGHBOUR_DAYS = 1
# Only the fields the job needs (a year of input: no schema inference pass).
FIELDS = {"data": {"GlobalJobId": "string", "RecordTime": "bigint", "Status": "string", "Type": "string",
                   "Site": "string", "CRAB_UserHN": "string"}}
REQUIRED = ("data.GlobalJobId", "data.RecordTime", "data.Status")


@dataclass(frozen=True)
class Selection:
    """Which records a user counts from.

    Attributes:
        window: the days of ``RecordTime``.
        include_sites: Java regular expression a ``Site`` must contain a match of.
        exclude_sites: Java regular expression a ``Site`` must not contain a match of.
    """

    window: Window
    include_sites: str
    exclude_sites: str


@dataclass(frozen=True)
class Result(LineCounts):
    """The rows of both groupings and what the input held.

    Attributes:
        rows: per grouping (``month``, ``weekofyear``), rows ``{year, <grouping>, count_CRAB_UserHN}``
            sorted by (year, period).
        lines: input lines read.
        malformed: lines that are not job records.
        selected: records that passed the selection (re-deliveries included).
        without_user: selected records without ``CRAB_UserHN`` (not counted as a user).
        users: distinct users over the whole window.
    """

    rows: dict[str, list[dict[str, int]]]
    selected: int
    without_user: int
    users: int


def count_users(rows: DataFrame, selection: Selection) -> Result:
    """Distinct ``CRAB_UserHN`` per month and per ISO week of the selected records.

    Selected: not malformed, ``Status == "Completed"``, ``Type == "analysis"``, ``Site`` matching
    ``include_sites`` and not ``exclude_sites``, ``RecordTime`` in the window. Months are calendar
    months of ``RecordTime`` (UTC); weeks are ISO weeks (Monday first) keyed by their ISO week-year.

    Spark reduces the input to one row per (day, user) in a single pass, together with the line counts;
    the driver then groups those few rows (a year is at most 366 x the active users) by month and week.

    Args:
        rows: the input lines read with :data:`FIELDS` and :data:`REQUIRED` (``jobkit.archive.read_json_lines``).
        selection: the window and the site expressions.

    Returns:
        The rows of both groupings and the input statistics.
    """
    rows = rows.select("malformed", "data.*")
    start_ms, end_ms = selection.window.bounds_ms()
    selected = (~fn.col("malformed") & (fn.col("Status") == "Completed") & (fn.col("Type") == "analysis")
                & fn.col("Site").rlike(selection.include_sites) & ~fn.col("Site").rlike(selection.exclude_sites)
                & (fn.col("RecordTime") >= start_ms) & (fn.col("RecordTime") < end_ms))
    selected = fn.coalesce(selected, fn.lit(False))
    # Lines that are not selected all fall into the (null, null) group, so one aggregation gives both the
    # (day, user) pairs and every count. Re-deliveries of a job (same GlobalJobId) carry the same user,
    # so they cannot change a distinct count: the original's dropDuplicates(GlobalJobId) is not needed.
    groups = (rows.groupBy(fn.when(selected, fn.to_date(fn.timestamp_millis("RecordTime"))).alias("day"),
                           fn.when(selected, fn.col("CRAB_UserHN")).alias("user"))
              .agg(*line_counts())
              .collect())
    users: dict[str, dict[tuple[int, int], set[str]]] = {"month": defaultdict(set), "weekofyear": defaultdict(set)}
    counts = {"lines": 0, "malformed": 0, "selected": 0, "without_user": 0}
    for group in groups:
        day, user, lines = group["day"], group["user"], int(group["lines"])
        counts["lines"] += lines
        counts["malformed"] += int(group["malformed"] or 0)
        if day is None:
            continue
        counts["selected"] += lines
        if user is None:
            counts["without_user"] += lines
            continue
        iso = day.isocalendar()
        users["month"][(day.year, day.month)].add(user)
        users["weekofyear"][(iso.year, iso.week)].add(user)
    result_rows = {
        grouping: [{"year": year, grouping: period, COUNT_COLUMN: len(names)}
                   for (year, period), names in sorted(periods.items())]
        for grouping, periods in users.items()
    }
    distinct = len({group["user"] for group in groups if group["day"] is not None and group["user"] is not None})
    return Result(rows=result_rows, users=distinct, **counts)
