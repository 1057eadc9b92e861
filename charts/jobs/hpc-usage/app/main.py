"""hpc-usage: daily core hours and running cores of the HPC centres CMS uses -> monthly CSV + HTML files.

From the HTCondor job records of the window (by default the first day of the previous month up to two
days ago), per HPC centre and day: the core hours of the jobs that completed and the average number of
cores running (12-minute bins). Each month of the window gets ``csv/YYYY-MM.csv`` and
``html/YYYY-MM.html`` under ``OUTPUT_DIR`` (EOS in production), replaced as a whole on every run.
Configuration comes from environment variables only (README.md); ``--test`` or ``DRY_RUN=1`` computes and
logs the files without writing them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hpc_usage import aggregate, records
from report import build, month_sinks

from jobkit.archive import ALLOW_MISSING_DAYS, MAX_MALFORMED_FRACTION, Window, late_days, read_partitions, window_of
from jobkit.config import Config, Var
from jobkit.errors import ConfigError, JobError
from jobkit.run import RunContext, run_job
from jobkit.sinks.base import maybe_dry
from jobkit.spark import SPARK_VARS, spark_session

JOB = "hpc-usage"
ARCHIVE_ROOT = "/project/monitoring/archive/condor/raw/metric"
OUTPUT_DIR = "/eos/user/c/cmsmonit/www/hpc_usage_cron"
# As in CMS (cron4hpc_usage.sh --iterative): data up to two days ago (exclusive), so the MONIT archive
# has the day complete; from the first day of the previous month, so a month is re-done until it is whole.
END_DAYS_AGO = 2
VARIABLES = (
    Var("INPUT_PATH", "str", default=ARCHIVE_ROOT, help="condor archive root holding YYYY/MM/DD directories"),
    Var("OUTPUT_DIR", "str", default=OUTPUT_DIR, help="report directory (must exist); csv/ and html/ go under it"),
    Var("END_DATE", "date", help=f"first day after the window (default: today UTC - {END_DAYS_AGO} days)"),
    Var("START_DATE", "date", help="first day of the window, YYYY-MM-01 (default: the first day of the month "
        "before the month of the window's last day)"),
    late_days(2),
    ALLOW_MISSING_DAYS,
    MAX_MALFORMED_FRACTION,
    *SPARK_VARS,
)
# The window is up to ~66 day directories: Spark would list more than 32 input paths with a distributed job
# (one task per path, slower than listing them from the driver), so list them on the driver.
SPARK_EXTRA = {"spark.sql.sources.parallelPartitionDiscovery.threshold": "1024"}


def first_of_previous_month(day: date) -> date:
    """The first day of the month before ``day``'s month."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def window_for(config: Config, today: date) -> Window:
    """The window from START_DATE/END_DATE: by default from the first day of the previous month (of the
    last window day) to ``today`` - 2 days (exclusive).

    Raises:
        ConfigError: when the window is empty, does not start on a first of a month, or ends after tomorrow.
    """
    window = window_of(config, today, today - timedelta(days=END_DAYS_AGO),
                       lambda end: first_of_previous_month(end - timedelta(days=1)))
    if window.start.day != 1:
        raise ConfigError(f"START_DATE={window.start} is not the first day of a month (each month's files are "
                          f"replaced as a whole); allowed: YYYY-MM-01")
    return window


def main(ctx: RunContext) -> None:
    """Read the window's condor partitions, sum per HPC site and day, replace each month's files."""
    config = ctx.config
    now = datetime.now(UTC)
    window = window_for(config, now.date())
    output_dir = Path(config.text("OUTPUT_DIR"))
    # A missing directory means the EOS volume is not mounted: creating it would hide the report on the node.
    if not output_dir.is_dir():
        raise JobError(f"OUTPUT_DIR {output_dir} does not exist or is not a directory; mount the report volume")
    ctx.log.info("window", start=str(window.start), end_exclusive=str(window.end), input=config.text("INPUT_PATH"),
                 output=str(output_dir))
    with spark_session(config, JOB, SPARK_EXTRA) as spark:
        parts = read_partitions(spark, config, window, config.integer("LATE_DAYS"), now.date(), ctx.log,
                                "report without them")
        sums, stats = aggregate(records(spark, parts.read), window)
    ctx.records_in = stats.lines - stats.malformed
    ctx.log.info("input read", lines=stats.lines, malformed=stats.malformed, hpc_records=stats.hpc_records,
                 site_days=len(sums))
    stats.require_well_formed(config.number("MAX_MALFORMED_FRACTION"), "condor input")
    for report in build(sums, window.days()):
        for sink, rows in month_sinks(output_dir, report):
            result = maybe_dry(sink, ctx.dry_run).write(rows)
            if not result.dry_run:  # a dry run has logged "dry run: would write" instead
                ctx.log.info("file written", target=result.target, rows=result.written)
        ctx.records_out += len(report.daily)


if __name__ == "__main__":
    run_job(main, JOB, VARIABLES)
