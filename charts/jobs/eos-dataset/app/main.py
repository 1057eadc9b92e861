"""eos-dataset: EOS file-access reports -> day partitions of a parquet dataset on HDFS + dataset totals CSVs.

For every day of ``DATE`` (a day, or a month: by default the previous month, as the CMS cron runs on the
24th), the day's EOS close reports become the partition ``day=yyyyMMdd`` of the dataset at
``PARQUET_LOCATION`` (dynamic partition overwrite: a re-run replaces its days and keeps the others). Then
the totals per (dataset, application) of the period and of the rolling year ending with it, joined with
the newest DBS dump, are written as CSV files to ``OUTPUT_DIR``. Configuration comes from environment
variables only (README.md); ``--test`` or ``DRY_RUN=1`` reads and computes and writes nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from inputs import dbs_dump_complete, dbs_files, newest_dbs_dump, read_reports
from totals import Period, dataset_totals, period_rows, rolling_year, write_csv

from jobkit.archive import MAX_MALFORMED_FRACTION, day_dir, has_data
from jobkit.config import Config, Var
from jobkit.errors import ConfigError, JobError
from jobkit.run import RunContext, run_job
from jobkit.sinks.spark_hdfs import write_parquet
from jobkit.spark import SPARK_VARS, spark_session

JOB = "eos-dataset"
EOS_ROOT = "/project/monitoring/archive/eos-report/logs/cms"
DBS_ROOT = "/project/awg/cms/dbs/PROD_GLOBAL"
PARQUET_LOCATION = "/cms/eos/full.parquet"
VARIABLES = (
    Var("DATE", "str", help="YYYY-MM-DD (one day) or YYYY-MM (a month) to (re)build; default: the previous month"),
    Var("EOS_PATH", "str", default=EOS_ROOT, help="EOS report archive root holding YYYY/MM/DD directories"),
    Var("DBS_PATH", "str", default=DBS_ROOT, help="DBS dump root holding YYYY-MM-DD/<TABLE> directories"),
    Var("DBS_DATE", "date", help="DBS dump day to join with (default: the newest complete dump)"),
    Var("PARQUET_LOCATION", "str", default=PARQUET_LOCATION, help="the parquet dataset (partitioned by day)"),
    Var("OUTPUT_DIR", "str", required=True, help="directory of the dataset totals CSV files"),
    Var("ALLOW_MISSING_DAYS", "bool", default=False, help="skip days without a directory instead of failing"),
    MAX_MALFORMED_FRACTION,
    *SPARK_VARS,
)
ROLLING_YEAR_CSV = "dataset_totals_rolling_year.csv"


def period_of(config: Config, today: date) -> Period:
    """The days of ``DATE``: one day, or a month up to yesterday; default the previous month.

    Raises:
        ConfigError: when DATE is neither form, or starts after today.
    """
    text = config.text("DATE")
    if not text:
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        text = f"{first:%Y-%m}"
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            period = Period(day, day)
        elif re.fullmatch(r"\d{4}-\d{2}", text):
            first = date.fromisoformat(f"{text}-01")
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            period = Period(first, min(last, today - timedelta(days=1)))
        else:
            raise ValueError(text)
    except ValueError:
        raise ConfigError(f"DATE={text!r} is not a day or a month; allowed: YYYY-MM-DD or YYYY-MM") from None
    if period.start > period.end or period.start > today:
        raise ConfigError(f"DATE={text!r} lies in the future; allowed: a day up to today or a month up to "
                          f"the current one (whose days up to yesterday are read)")
    return period


def check_config(config: Config) -> None:
    """Reject a relative output directory before Spark starts.

    Raises:
        ConfigError: naming the variable and what is allowed.
    """
    if not Path(config.text("OUTPUT_DIR")).is_absolute():
        raise ConfigError(f"OUTPUT_DIR={config.text('OUTPUT_DIR')!r} is not an absolute path; "
                          f"allowed: an absolute directory path")


def main(ctx: RunContext) -> None:
    """Read the period's reports, replace their day partitions, write the totals CSVs."""
    config = ctx.config
    check_config(config)
    period = period_of(config, datetime.now(UTC).date())
    output_dir = Path(config.text("OUTPUT_DIR"))
    if not ctx.dry_run and not output_dir.is_dir():
        raise JobError(f"OUTPUT_DIR {output_dir} is not a directory; mount the totals volume there")
    eos_root, dbs_root, location = (config.text(name) for name in ("EOS_PATH", "DBS_PATH", "PARQUET_LOCATION"))
    ctx.log.info("period", start=str(period.start), end=str(period.end), input=eos_root, dataset=location)
    outputs: dict[str, list[dict[str, Any]]] = {}
    with spark_session(config, JOB) as spark:
        present = [(day, day_dir(eos_root, day)) for day in period.days()]
        missing = [(day, path) for day, path in present if not has_data(spark, path)]
        present = [item for item in present if item not in missing]
        if missing and not config.flag("ALLOW_MISSING_DAYS"):
            day, path = missing[0]
            raise JobError(f"no EOS reports for {day}: {path} is missing or empty "
                           f"({len(missing)} of {len(period.days())} day(s) missing); "
                           f"set ALLOW_MISSING_DAYS=1 to process the other days")
        if not present:
            raise JobError(f"no EOS reports for {period.start}..{period.end} under {eos_root}")
        dbs_day = config.day("DBS_DATE") or newest_dbs_dump(spark, dbs_root)
        if dbs_day is None or not dbs_dump_complete(spark, dbs_root, dbs_day):
            which = f"of {dbs_day}" if dbs_day else "at all"
            raise JobError(f"no complete DBS dump {which} under {dbs_root} (FILES and DATASETS with _SUCCESS)")
        ctx.log.info("inputs", days=[str(day) for day, _ in present], missing=[path for _, path in missing],
                     dbs_dump=str(dbs_day))

        rows, stats = read_reports(spark, present)
        ctx.records_in = stats.lines - stats.malformed
        ctx.log.info("input read", lines=stats.lines, malformed=stats.malformed, days=len(present))
        stats.require_well_formed(config.number("MAX_MALFORMED_FRACTION"), "EOS report")

        # Totals first, from the stored partitions plus this run's rows: they must be collected before
        # the write replaces files they read, and a dry run computes the same totals as a real run.
        dbs = dbs_files(spark, dbs_root, dbs_day).persist()
        replaced = [day for day, _ in present]
        spans = {f"dataset_totals_{period.label}.csv": period, ROLLING_YEAR_CSV: rolling_year(period.end)}
        for name, span in spans.items():
            outputs[name] = dataset_totals(period_rows(spark, rows, location, replaced, span), dbs)
            ctx.log.info("totals", file=name, start=str(span.start), end=str(span.end), rows=len(outputs[name]))

        ctx.records_out = write_parquet(rows, location, partition_by=("day",), dry_run=ctx.dry_run).written
    for name, totals in outputs.items():
        target = f"csv {output_dir / name}"
        if ctx.dry_run:
            ctx.log.info("dry run: would write", target=target, rows=len(totals))
        else:
            ctx.log.info("wrote csv", target=target, rows=write_csv(output_dir / name, totals))


if __name__ == "__main__":
    run_job(main, JOB, VARIABLES)
