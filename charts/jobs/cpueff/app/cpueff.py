"""The Spark part of cpueff: which day partitions to read, the job filter and the three aggregations.

HTCondor job records are archived by MONIT as JSON lines, one directory per day
(``<root>/YYYY/MM/DD``; ``DD.tmp`` while MONIT has not compacted the day yet). A record can be archived
a little after its ``RecordTime``, so the job also reads ``late_days`` directories on each side of the
window and keeps the records whose ``RecordTime`` lies inside it. Lines that are not records (cut JSON,
no ``GlobalJobId``/``RecordTime``/``Status``) are skipped and counted: the original job lost them
silently in the same filter. Of the rest, jobs with ``Status`` Completed and ``JobFailed`` 0 count,
once per ``GlobalJobId`` (MONIT re-delivers records unchanged).

Every aggregate follows the original (dmwm/CMSMonitoring ``cpueff-goweb/spark/cpueff_condor_goweb.py``),
including Spark's null rules: a sum of only nulls is null, a ratio with a null or zero divisor is null,
and a null field is left out of the document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as fn

from jobkit.archive import LineCounts, Window, counted, line_counts

T1_T2 = ("T1", "T2")
# The fields the aggregations read, typed as the original reads them.
FIELDS = {"data": {
    "GlobalJobId": "string", "Workflow": "string", "WMAgent_RequestName": "string", "ScheddName": "string",
    "WMAgent_JobID": "string", "RecordTime": "bigint", "JobFailed": "bigint", "Status": "string", "Site": "string",
    "Tier": "string", "Type": "string", "WallClockHr": "double", "CpuTimeHr": "double", "CommittedCoreHr": "double",
    "CommittedWallClockHr": "double", "MaxWallTimeMins": "double", "RequestCpus": "double",
    "ChirpCMSSWReadTimeMsecs": "double", "ChirpCMSSWElapsed": "double", "CpuEffOutlier": "int",
}}
REQUIRED = ("data.GlobalJobId", "data.RecordTime", "data.Status")
MAIN_KEYS = ("Type", "Workflow", "WmagentRequestName", "CpuEffOutlier")
DETAILED_KEYS = ("Type", "Workflow", "WmagentRequestName", "Site", "Tier", "CpuEffOutlier")
TIER_KEYS = ("Tier", "Type")
JOBS = "_jobs"


@dataclass(frozen=True)
class InputStats(LineCounts):
    """What the input held (logged, and written to ``source_timestamp``).

    Attributes:
        lines: input lines read.
        malformed: lines that are not condor records.
        in_window: records whose ``RecordTime`` lies in the window.
        selected: of those, Completed with ``JobFailed`` 0 (re-deliveries included).
        jobs: distinct ``GlobalJobId`` among the selected records.
    """

    in_window: int
    selected: int
    jobs: int

    @property
    def duplicates(self) -> int:
        """Selected records that re-delivered a job already counted."""
        return self.selected - self.jobs


@dataclass(frozen=True)
class Collections:
    """The documents of the three aggregate collections (without ``_id``)."""

    main: list[dict[str, Any]]
    detailed: list[dict[str, Any]]
    tiers: list[dict[str, Any]]


def _jobs(rows: DataFrame, window: Window) -> tuple[DataFrame, Column, Column]:
    """The counted jobs with the derived columns, and the in-window and selection conditions."""
    start_ms, end_ms = window.bounds_ms()
    in_window = ~fn.col("malformed") & (fn.col("RecordTime") >= start_ms) & (fn.col("RecordTime") < end_ms)
    selected = in_window & (fn.col("Status") == "Completed") & (fn.col("JobFailed") == 0)
    cpus = fn.coalesce(fn.col("RequestCpus"), fn.lit(1.0))
    jobs = (
        rows.where(selected)
        .dropDuplicates(["GlobalJobId"])
        .select(
            "Type", "Workflow", "Site", "CpuEffOutlier", "ScheddName", "WMAgent_JobID", "CpuTimeHr", "WallClockHr",
            "CommittedCoreHr", "CommittedWallClockHr", "ChirpCMSSWReadTimeMsecs", "ChirpCMSSWElapsed",
            fn.coalesce(fn.col("WMAgent_RequestName"), fn.lit("NULL")).alias("WmagentRequestName"),
            fn.upper(fn.col("Tier")).alias("Tier"),
            cpus.alias("RequestCpus"),
            (fn.col("WallClockHr") * cpus).alias("CoreTimeHr"),
            (cpus * fn.col("WallClockHr") - fn.col("CpuTimeHr")).alias("WastedCpuTimeHr"),
            (60 * fn.col("CommittedWallClockHr") / fn.col("MaxWallTimeMins")).alias("CommittedOverMaxWallTime"),
        )
    )
    return jobs, in_window, selected


def _percent(numerator: Column, denominator: Column) -> Column:
    """100 * numerator / denominator; null when either is null or the denominator is 0 (Spark's division)."""
    return 100 * numerator / denominator


def _efficiencies() -> list[Column]:
    """The aggregates condor_main and condor_detailed share."""
    s = fn.sum
    return [
        _percent(s("CpuTimeHr"), s("CoreTimeHr")).alias("CpuEff"),
        _percent(s("CpuTimeHr"), s("CommittedCoreHr")).alias("NonEvictionEff"),
        _percent(s("CommittedWallClockHr"), s("WallClockHr")).alias("ScheduleEff"),
        _percent(s("ChirpCMSSWReadTimeMsecs") / 1000, s("ChirpCMSSWElapsed")).alias("CmsswReadTimePercentage"),
        s("RequestCpus").alias("Cpus"),
        s("CpuTimeHr").alias("CpuTimeHr"),
        s("WallClockHr").alias("WallClockHr"),
        s("CoreTimeHr").alias("CoreTimeHr"),
        s("CommittedCoreHr").alias("CommittedCoreHr"),
        s("CommittedWallClockHr").alias("CommittedWallClockHr"),
        s("WastedCpuTimeHr").alias("WastedCpuTimeHr"),
        fn.avg("CommittedOverMaxWallTime").alias("CommittedOverMaxWallTimeAvg"),
    ]


def _t1_t2() -> list[Column]:
    """condor_main's sums over the jobs that ran at T1 or T2 sites only."""
    def at_t1_t2(name: str) -> Column:
        return fn.sum(fn.when(fn.col("Tier").isin(*T1_T2), fn.col(name)))

    return [
        _percent(at_t1_t2("CpuTimeHr"), at_t1_t2("CoreTimeHr")).alias("CpuEffT1T2"),
        at_t1_t2("RequestCpus").alias("CpusT1T2"),
        at_t1_t2("CpuTimeHr").alias("CpuTimeHrT1T2"),
        at_t1_t2("WallClockHr").alias("WallClockHrT1T2"),
        at_t1_t2("CoreTimeHr").alias("CoreTimeHrT1T2"),
        at_t1_t2("WastedCpuTimeHr").alias("WastedCpuTimeHrT1T2"),
    ]


def _documents(frame: DataFrame, keys: Sequence[str]) -> list[dict[str, Any]]:
    """The frame's rows as documents sorted by their keys: key fields always present, other null fields
    left out. Sorted here rather than by Spark: a distributed sort costs a sampling job per collection."""
    docs = [
        {name: value for name, value in row.asDict(recursive=True).items() if value is not None or name in keys}
        for row in frame.collect()
    ]
    return sorted(docs, key=lambda doc: [(doc[k] is not None, doc[k]) for k in keys])


def aggregate(rows: DataFrame, window: Window) -> tuple[Collections, InputStats]:
    """condor_main, condor_detailed and condor_tiers of the jobs inside ``window``, and the input statistics.

    Args:
        rows: the input lines read with :data:`FIELDS` and :data:`REQUIRED` (``jobkit.archive.read_json_lines``).
        window: the days to aggregate.

    Returns:
        The documents of each collection (sorted by their keys) and what the input held.
    """
    rows = rows.select("malformed", "data.*").persist()
    try:
        jobs, in_window, selected = _jobs(rows, window)
        jobs = jobs.persist()
        totals = rows.agg(
            *line_counts(),
            fn.sum(in_window.cast("long")).alias("in_window"),
            fn.sum(selected.cast("long")).alias("selected"),
        ).first()
        assert totals is not None  # a global aggregation always has one row
        eviction_diff = (fn.col("NonEvictionEff") - fn.col("CpuEff")).alias("EvictionAwareEffDiff")
        # JOBS counts the jobs of each group: their total is the number of distinct jobs without
        # another pass over the data.
        main = jobs.groupBy(*MAIN_KEYS).agg(*_efficiencies(), *_t1_t2(), fn.count(fn.lit(1)).alias(JOBS))
        main_docs = _documents(main.select("*", eviction_diff), MAIN_KEYS)
        distinct_jobs = sum(doc.pop(JOBS) for doc in main_docs)
        detailed = (
            jobs.groupBy(*DETAILED_KEYS)
            .agg(
                *_efficiencies(),
                # Sorted (the original's set order varies between runs, which would change the document).
                fn.sort_array(fn.collect_set("ScheddName")).alias("Schedds"),
                fn.array_max(fn.collect_set("WMAgent_JobID")).alias("MaxWmagentJobId"),
            )
            .select("*", eviction_diff)
        )
        tiers = (
            jobs.where(fn.col("Tier") != "UNKNOWN")
            .groupBy(*TIER_KEYS)
            .agg(
                _percent(fn.sum("CpuTimeHr"), fn.sum("CoreTimeHr")).alias("TierCpuEff"),
                fn.sum("RequestCpus").alias("TierCpus"),
                fn.sum("CpuTimeHr").alias("TierCpuTimeHr"),
                fn.sum("WallClockHr").alias("TierWallClockHr"),
            )
        )
        result = Collections(main_docs, _documents(detailed, DETAILED_KEYS), _documents(tiers, TIER_KEYS))
        jobs.unpersist()
    finally:
        rows.unpersist()
    lines, malformed, in_window_n, selected_n = counted(totals, "lines", "malformed", "in_window", "selected")
    return result, InputStats(lines, malformed, in_window_n, selected_n, distinct_jobs)
