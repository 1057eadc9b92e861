"""Dataset totals of a period, as the CMSSpark report ``run_report_totals`` computes them, and their CSV.

Per (dataset, application): the distinct client sessions (``nevents``), the bytes read and written in MiB
(``total_rb``, ``total_wb``) and the read and write times in seconds (``total_rt``, ``total_wt``) of the
reports whose file is in DBS (``file_lfn = '/eos/cms' + LOGICAL_FILE_NAME``) and whose account does not
start with ``cms`` (production accounts are left out, as in the original). ``data_tier`` is the last
part of the dataset name.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

from inputs import COLUMNS, has_partitions
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as fn

from jobkit.archive import Window
from jobkit.sinks.files import replace_file

EOS_PREFIX = "/eos/cms"
UNKNOWN_DATASET = "/Unknown"
MIB = 1024 * 1024
# Decimal places kept of a read/write time's text: more than MONIT writes, so a cast rounds no value.
TIME_SCALE = 9
# The original wrote the pandas frame with its index: an unnamed first column numbering the rows.
HEADER = ("", "d_dataset", "application", "nevents", "total_rb", "total_wb", "total_rt", "total_wt", "data_tier")
_TIER = re.compile(r".*/([^/]*)$")


class Period(NamedTuple):
    """Days ``start`` to ``end``, both inclusive."""

    start: date
    end: date

    @property
    def label(self) -> str:
        """``yyyyMMdd_yyyyMMdd``, as the original's file names carry a period."""
        return f"{self.start:%Y%m%d}_{self.end:%Y%m%d}"

    def days(self) -> list[date]:
        """Every day of the period, oldest first."""
        return Window(self.start, self.end + timedelta(days=1)).days()


def rolling_year(end: date) -> Period:
    """The year that ends with ``end``: from the day after ``end`` one year earlier (as ``date -d "-1 year"``)."""
    try:
        year_before = end.replace(year=end.year - 1)
    except ValueError:  # 29 February: GNU date rolls over to 1 March
        year_before = date(end.year - 1, 3, 1)
    return Period(year_before + timedelta(days=1), end)


def _day_number(day: date) -> int:
    """The partition value of a day as Spark reads it back (``day=20261120`` -> 20261120)."""
    return int(f"{day:%Y%m%d}")


def period_rows(spark: SparkSession, new_rows: DataFrame, location: str, replaced: Sequence[date],
                period: Period) -> DataFrame:
    """The dataset's rows of ``period`` once this run's partitions are in: the new rows of the period, and
    the stored rows of its other days (so a dry run sees what a real run would leave).

    Args:
        spark: the session.
        new_rows: this run's rows (``day`` as ``yyyyMMdd`` text).
        location: the parquet dataset.
        replaced: the days this run replaces.
        period: the days to keep.

    Returns:
        The rows, ``day`` as an integer.
    """
    low, high = _day_number(period.start), _day_number(period.end)
    new = new_rows.withColumn("day", fn.col("day").cast("int")).where(fn.col("day").between(low, high))
    if not has_partitions(spark, location):
        return new
    stored = (spark.read.option("basePath", location).parquet(location)
              .where(fn.col("day").between(low, high) & ~fn.col("day").isin([_day_number(d) for d in replaced]))
              .select(*COLUMNS, fn.col("day").cast("int").alias("day")))
    return stored.unionByName(new)


def dataset_totals(rows: DataFrame, dbs: DataFrame) -> list[dict[str, Any]]:
    """The totals per (dataset, application), sorted by dataset then application.

    Sums are exact (bytes as integers, times as the decimals of their text) and divided exactly at the
    end, rounded once to a float, so the result does not depend on how Spark splits the work.

    Args:
        rows: dataset rows (``COLUMNS``).
        dbs: ``(f_logical_file_name, d_dataset)`` of the DBS dump.

    Returns:
        One dict per (dataset, application) with the ``HEADER`` columns after the first.
    """
    joined = rows.join(dbs, rows["file_lfn"] == fn.concat(fn.lit(EOS_PREFIX), dbs["f_logical_file_name"]))
    # NOT LIKE, as in the original: a null account is left out too.
    people = joined.where(~fn.col("user").like("cms%"))
    grouped = people.groupBy("d_dataset", "application").agg(
        fn.countDistinct("session").alias("nevents"),
        fn.sum(fn.col("rb").cast("long")).alias("rb"),
        fn.sum(fn.col("wb").cast("long")).alias("wb"),
        # Each time is taken as the exact decimal of its text (no per-value rounding) and summed exactly.
        fn.sum(fn.col("rt").cast(f"decimal(38,{TIME_SCALE})")).alias("rt"),
        fn.sum(fn.col("wt").cast(f"decimal(38,{TIME_SCALE})")).alias("wt"),
    )
    totals = []
    for row in grouped.collect():
        dataset = row["d_dataset"] if row["d_dataset"] is not None else UNKNOWN_DATASET
        tier = _TIER.match(dataset)
        totals.append({
            "d_dataset": dataset,
            "application": row["application"],
            "nevents": int(row["nevents"]),
            "total_rb": _ratio(row["rb"], MIB),
            "total_wb": _ratio(row["wb"], MIB),
            "total_rt": _ratio(row["rt"], 1000),
            "total_wt": _ratio(row["wt"], 1000),
            "data_tier": tier.group(1) if tier else "",
        })
    return sorted(totals, key=lambda t: (t["d_dataset"], t["application"] or ""))


def _ratio(total: int | Decimal | None, unit: int) -> float | None:
    """``total / unit`` as the float nearest to the exact quotient (None when every summand was null).

    Divided exactly, then rounded once: ``float(total) / unit`` rounds twice, so an exact sum of
    10110681.78 ms became 10110.681779999999 s instead of 10110.68178.
    """
    return None if total is None else float(Fraction(total) / unit)


def write_csv(path: Path, totals: Iterable[dict[str, Any]]) -> int:
    """Replace ``path`` with the totals as CSV (header ``HEADER``, rows numbered from 0), atomically.

    Args:
        path: the CSV file.
        totals: output of :func:`dataset_totals`.

    Returns:
        Rows written.

    Raises:
        JobError: when the file cannot be written.
    """
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(HEADER)
    rows = 0
    for rows, total in enumerate(totals, start=1):
        writer.writerow([rows - 1, *(total[column] for column in HEADER[1:])])
    replace_file(path, text.getvalue().encode())
    return rows
