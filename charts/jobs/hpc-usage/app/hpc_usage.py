"""The Spark part of hpc-usage: which day partitions to read, and the per (HPC site, day) sums.

HTCondor job records are archived by MONIT as JSON lines in one directory per arrival day
(``<root>/YYYY/MM/DD``). A record can be archived a little after its ``RecordTime``, so besides the days
of the window the job reads ``late_days`` partitions on each side (never after today) and keeps the
records whose ``RecordTime`` lies in the window, as CMSSpark's ``get_candidate_files(day_delta=2)`` does.

A record counts for an HPC site when its ``Status`` is Running or Completed and its ``Site`` (plus, for
HPC centres reached through a grid site, ``MachineAttrCMSSubSiteName0``) names one of the centres in
:data:`HPC_SITES` (the rules of :func:`hpc_site`). Lines that are not usable records (not JSON, cut JSON,
no ``GlobalJobId``/``RecordTime``/``Status``) are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as fn

from jobkit.archive import LineCounts, Window, counted, line_counts, read_json_lines

# The HPC centres of the report, in the original's stack order (the order of the report's rows).
HPC_SITES = ("ANL", "ANVIL", "BSC", "CINECA", "HOREKA", "NERSC", "OSG", "PSC", "RWTH", "SDSC", "TACC", "VEGA",
             "CHULA")
# CMS's condor producer runs every 12 minutes: a running job appears once per 12-minute bin.
BIN_SECONDS = 12 * 60
# CoreHr and RequestCpus are read as the exact decimals of their JSON text (a double prints with up to 17
# significant digits) and summed exactly: neither the order Spark adds in nor a cast of each value can move
# a rounding.
COREHR_SCALE = 18
# The daily sum is first rounded to this many places: that absorbs the binary noise the values were written
# with (a true 463.75 summed from doubles' texts may come out as 463.7499999999999998), so a sum that is
# exactly half-way rounds up as the original's Spark round() of its double sum does.
COREHR_NOISE_SCALE = 9
# Only the fields the report needs.
FIELDS = {"data": {"GlobalJobId": "string", "RecordTime": "bigint", "Status": "string", "Site": "string",
                   "CoreHr": f"decimal(38,{COREHR_SCALE})", "RequestCpus": f"decimal(38,{COREHR_SCALE})",
                   "MachineAttrCMSSubSiteName0": "string"}}
REQUIRED = ("data.GlobalJobId", "data.RecordTime", "data.Status")


@dataclass(frozen=True)
class InputStats(LineCounts):
    """What the input held; logged so an operator sees what was skipped."""

    hpc_records: int


@dataclass(frozen=True)
class DaySums:
    """Exact sums of one (HPC site, day), before the report rounds them.

    Attributes:
        site: the HPC centre (one of :data:`HPC_SITES`).
        day: the UTC day.
        core_hours: sum of ``CoreHr`` of the distinct Completed jobs, exact, at ``COREHR_NOISE_SCALE`` places.
        bin_cores: sum over the day's 12-minute bins of the cores of the jobs Running in the bin.
    """

    site: str
    day: date
    core_hours: Decimal
    bin_cores: Decimal


def hpc_site(site: Column, subsite: Column) -> Column:
    """The HPC centre a record ran at, or null when it is not an HPC record (CMSSpark's site rules).

    Centres known by the whole site: T3_US_ANL, T3_US_Anvil, T3_US_NERSC, T3_US_OSG, T3_US_PSC, T3_US_SDSC,
    T3_US_TACC. Centres reached through a grid site, known by the sub-site attribute: BSC (a site ending
    in ``_ES_PIC`` or ``_ES_PIC_BSC`` with ``PIC-BSC``), CINECA (T1_IT_CNAF with ``CNAF-CINECA`` or
    ``CNAF-LEONARDO``), HOREKA (T1_DE_KIT with ``KIT-HOREKA``), RWTH (T2_DE_RWTH with ``RWTH-HPC``), VEGA
    (T1_IT_CNAF with ``CNAF-VEGA``), CHULA (T1_IT_CNAF with a sub-site containing ``CHULA``).

    Args:
        site: the ``Site`` column.
        subsite: the ``MachineAttrCMSSubSiteName0`` column.

    Returns:
        A string column.
    """
    whole_sites = {"T3_US_ANL": "ANL", "T3_US_Anvil": "ANVIL", "T3_US_NERSC": "NERSC", "T3_US_OSG": "OSG",
                   "T3_US_PSC": "PSC", "T3_US_SDSC": "SDSC", "T3_US_TACC": "TACC"}
    cnaf = site == "T1_IT_CNAF"
    by_subsite = [
        ("BSC", (site.endswith("_ES_PIC") | site.endswith("_ES_PIC_BSC")) & (subsite == "PIC-BSC")),
        ("CINECA", cnaf & subsite.isin("CNAF-CINECA", "CNAF-LEONARDO")),
        ("HOREKA", (site == "T1_DE_KIT") & (subsite == "KIT-HOREKA")),
        ("RWTH", (site == "T2_DE_RWTH") & (subsite == "RWTH-HPC")),
        ("VEGA", cnaf & (subsite == "CNAF-VEGA")),
        ("CHULA", cnaf & subsite.contains("CHULA")),
    ]
    column: Any = fn
    for site_name, name in whole_sites.items():
        column = column.when(site == site_name, fn.lit(name))
    for name, condition in by_subsite:
        column = column.when(condition, fn.lit(name))
    result: Column = column
    return result


def records(spark: SparkSession, paths: Sequence[str]) -> DataFrame:
    """One narrow row per input line: malformed flag and the fields the report needs.

    Args:
        spark: the session.
        paths: the day directories.

    Returns:
        Rows ``malformed, job_id, record_ms, status, hpc_site, core_hours, cpus`` (not yet computed);
        ``cpus`` is ``RequestCpus`` or 1 when the record has none, as in the original.
    """
    raw = read_json_lines(spark, paths, FIELDS, REQUIRED)
    return raw.select(
        "malformed",
        fn.col("data.GlobalJobId").alias("job_id"),
        fn.col("data.RecordTime").alias("record_ms"),
        fn.col("data.Status").alias("status"),
        hpc_site(fn.col("data.Site"), fn.col("data.MachineAttrCMSSubSiteName0")).alias("hpc_site"),
        fn.col("data.CoreHr").alias("core_hours"),
        fn.coalesce(fn.col("data.RequestCpus"), fn.lit(1).cast(f"decimal(38,{COREHR_SCALE})")).alias("cpus"),
    )


def _utc_day(record_ms: Column) -> Column:
    """The UTC day of an epoch-milliseconds column (the session time zone is UTC)."""
    return fn.to_date(fn.from_unixtime(fn.floor(record_ms / 1000)))


def aggregate(rows: DataFrame, window: Window) -> tuple[list[DaySums], InputStats]:
    """The exact per (HPC site, day) sums of the window, and what the input held.

    - Core hours: the Completed records, each ``GlobalJobId`` once (its earliest Completed record in the
      window), ``CoreHr`` summed exactly per (site, day of ``RecordTime``) and rounded half-up to
      ``COREHR_NOISE_SCALE`` places; a record without ``CoreHr`` adds 0.
    - Running cores: the Running records binned by 12 minutes of ``RecordTime``; per (site, day, bin,
      ``GlobalJobId``) the largest ``RequestCpus`` (re-deliveries count once), summed per (site, day).

    Args:
        rows: output of :func:`records`.
        window: the days to report.

    Returns:
        The sums of the (site, day) pairs that have any record (the report fills the others with 0),
        and the input statistics.
    """
    start_ms, end_ms = window.bounds_ms()
    rows = rows.persist()
    try:
        hpc = (~fn.col("malformed") & fn.col("hpc_site").isNotNull() & fn.col("status").isin("Running", "Completed")
               & (fn.col("record_ms") >= start_ms) & (fn.col("record_ms") < end_ms))
        totals = rows.agg(*line_counts(), fn.sum(hpc.cast("long")).alias("hpc_records")).first()
        assert totals is not None  # a global aggregation always has one row
        selected = rows.where(hpc)
        first_completed = (
            selected.where(fn.col("status") == "Completed")
            .groupBy("job_id")
            .agg(fn.min(fn.struct("record_ms", "hpc_site", "core_hours")).alias("first"))
            .select(fn.col("first.hpc_site").alias("hpc_site"), _utc_day(fn.col("first.record_ms")).alias("day"),
                    fn.col("first.core_hours").alias("core_hours"))
        )
        core_hours = first_completed.groupBy("hpc_site", "day").agg(
            fn.round(fn.coalesce(fn.sum("core_hours"), fn.lit(0)), COREHR_NOISE_SCALE).alias("core_hours"))
        running = (
            selected.where(fn.col("status") == "Running")
            .withColumn("bin", fn.floor(fn.col("record_ms") / 1000 / BIN_SECONDS))
            .groupBy("hpc_site", _utc_day(fn.col("record_ms")).alias("day"), "bin", "job_id")
            .agg(fn.max("cpus").alias("cpus"))
            .groupBy("hpc_site", "day")
            .agg(fn.sum("cpus").alias("bin_cores"))
        )
        joined = core_hours.join(running, ["hpc_site", "day"], "full_outer")
        # Sorted here, not by Spark: a global sort costs an extra sampling pass for a few hundred rows.
        sums = sorted(
            (DaySums(row["hpc_site"], row["day"], row["core_hours"] or Decimal(0), row["bin_cores"] or Decimal(0))
             for row in joined.collect()),
            key=lambda s: (s.site, s.day),
        )
    finally:
        rows.unpersist()
    lines, malformed, hpc_records = counted(totals, "lines", "malformed", "hpc_records")
    return sums, InputStats(lines, malformed, hpc_records)
