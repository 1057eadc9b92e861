"""The Spark part of wma-agent-count: which day partitions to read, and the per (day, host) aggregation.

WMArchive framework job reports are archived by MONIT as JSON lines in one directory per arrival day
(``<root>/YYYY/MM/DD``). A report can arrive a little after the job it describes, so besides the days of
the window the job also reads ``late_days`` partitions on each side and keeps the reports whose ``wmats``
(seconds) falls inside the window. Lines that are not reports (cut JSON, no ``wmaid``/``wmats``/host) are
skipped and counted, as the original CMSSpark job skips them; re-delivered reports (same ``wmaid``) count
once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as fn

from jobkit.archive import LineCounts, Window, counted, line_counts, read_json_lines

UNKNOWN_SITE = "UNKNOWN"
DAY_S = 86_400
# Only the fields the aggregation needs.
FIELDS = {"data": {"wmaid": "string", "wmats": "bigint", "meta_data": {"host": "string"},
                   "steps": "array<struct<site: string>>"}}
REQUIRED = ("data.wmaid", "data.wmats", "data.meta_data.host")


@dataclass(frozen=True)
class InputStats(LineCounts):
    """What the input held; pushed and logged so an operator sees what was skipped."""

    in_window: int
    duplicates: int


def reports(spark: SparkSession, paths: Sequence[str]) -> DataFrame:
    """One narrow row per input line: malformed flag, wmaid, wmats, host, steps count, site.

    The site of a report is the site of its last step that names one (steps that never started have
    none), or ``UNKNOWN``; the steps count is the number of steps, 0 when there are none.

    Args:
        spark: the session.
        paths: the day directories.

    Returns:
        The rows (not yet computed).
    """
    raw = read_json_lines(spark, paths, FIELDS, REQUIRED)
    steps = fn.col("data.steps")
    sites_named = fn.filter(steps.getField("site"), lambda site: site.isNotNull())
    return raw.select(
        "malformed",
        fn.col("data.wmaid").alias("wmaid"),
        fn.col("data.wmats").alias("wmats"),
        fn.col("data.meta_data.host").alias("host"),
        fn.when(steps.isNull(), fn.lit(0)).otherwise(fn.size(steps)).alias("steps_count"),
        fn.coalesce(fn.element_at(sites_named, -1), fn.lit(UNKNOWN_SITE)).alias("site"),
    )


def aggregate(rows: DataFrame, window: Window) -> tuple[list[dict[str, Any]], InputStats]:
    """Per (day, host) documents of the reports inside ``window``, and what the input held.

    Args:
        rows: output of :func:`reports`.
        window: the days to aggregate.

    Returns:
        Documents ``{wmats_midday, day, host, count, avg_steps_count, sites}`` sorted by (day, host),
        and the input statistics.
    """
    start_s, end_s = window.bounds()
    rows = rows.persist()
    try:
        inside = ~fn.col("malformed") & (fn.col("wmats") >= start_s) & (fn.col("wmats") < end_s)
        totals = rows.agg(*line_counts(), fn.sum(inside.cast("long")).alias("in_window")).first()
        assert totals is not None  # a global aggregation always has one row
        per_day_host = (
            rows.where(inside)
            .dropDuplicates(["wmaid"])
            .withColumn("day_start", fn.col("wmats") - fn.col("wmats") % DAY_S)
            .groupBy("day_start", "host")
            .agg(
                fn.count(fn.lit(1)).alias("count"),
                fn.avg("steps_count").alias("avg_steps_count"),
                fn.sort_array(fn.collect_set("site")).alias("sites"),
            )
            .select(
                (fn.col("day_start") + DAY_S // 2).alias("wmats_midday"),
                fn.from_unixtime("day_start", "yyyy-MM-dd").alias("day"),
                "host", "count", "avg_steps_count", "sites",
            )
            .orderBy("day", "host")
        )
        docs = [row.asDict(recursive=True) for row in per_day_host.collect()]
    finally:
        rows.unpersist()
    lines, malformed, in_window = counted(totals, "lines", "malformed", "in_window")
    stats = InputStats(lines, malformed, in_window, in_window - sum(doc["count"] for doc in docs))
    return docs, stats
