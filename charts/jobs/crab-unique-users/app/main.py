"""crab-unique-users: distinct CRAB users per month and per ISO week at T2 sites -> CSV and PNG files.

Reads the HTCondor job records MONIT archives on HDFS, keeps the completed analysis (CRAB) jobs at
the sites matching ``INCLUDE_SITES`` and not ``EXCLUDE_SITES`` (T2, not CERN) whose ``RecordTime``
lies in the window (by default the twelve whole months before the run's month), and counts distinct
``CRAB_UserHN`` per calendar month and per ISO week. Writes ``UniqueUsersBy_<month|weekofyear>_
<start>-<end>.{csv,png}`` and ``UniqueUsersBy_<...>_latest.{csv,png}`` links into ``OUTPUT_DIR``,
replacing earlier files of the same window. Configuration comes from environment variables only
(README.md); ``--test`` or ``DRY_RUN=1`` computes and logs the rows without writing a file.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from outputs import csv_renderer, plot_renderer, replace_link
from unique_users import COUNT_COLUMN, FIELDS, NEIGHBOUR_DAYS, REQUIRED, Result, Selection, count_users

from jobkit.archive import (
    ALLOW_MISSING_DAYS,
    MAX_MALFORMED_FRACTION,
    Window,
    read_json_lines,
    read_partitions,
    window_of,
)
from jobkit.config import Config, Var
from jobkit.errors import ConfigError, JobError
from jobkit.run import RunContext, run_job
from jobkit.sinks.base import maybe_dry
from jobkit.sinks.files import FileSink
from jobkit.spark import SPARK_VARS, spark_session

JOB = "crab-unique-users"
ARCHIVE_ROOT = "/project/monitoring/archive/condor/raw/metric"
OUTPUT_DIR = "/eos/user/c/cmsmonit/www/crab_uu"
# As in CMS (bin/cron4crab_unique_users.sh): a year of whole months, ending before the run's month.
WINDOW_MONTHS = 12
INCLUDE_SITES = "^T2_.*$"
EXCLUDE_SITES = ".*_CERN.*"
VARIABLES = (
    Var("INPUT_PATH", "str", default=ARCHIVE_ROOT, help="condor archive root holding YYYY/MM/DD directories"),
    Var("END_DATE", "date", help="first day after the window (default: the first day of this month, UTC)"),
    Var("START_DATE", "date", help="first day of the window (default: the first day of the month MONTHS "
                                   "before END_DATE's month)"),
    Var("MONTHS", "int", default=WINDOW_MONTHS, minimum=1, unit="months",
        help="length of the default window in months"),
    Var("INCLUDE_SITES", "str", default=INCLUDE_SITES, help="regular expression a Site must contain a match of"),
    Var("EXCLUDE_SITES", "str", default=EXCLUDE_SITES, help="regular expression a Site must not contain a match of"),
    Var("OUTPUT_DIR", "str", default=OUTPUT_DIR, help="directory the CSV and PNG files are written to"),
    ALLOW_MISSING_DAYS,
    MAX_MALFORMED_FRACTION,
    *SPARK_VARS,
)
# grouping -> (CSV period column, words for the chart title)
GROUPINGS = {"month": "month", "weekofyear": "ISO week"}


def first_of_month(day: date, months_back: int = 0) -> date:
    """The first day of the month ``months_back`` months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def window_for(config: Config, today: date) -> Window:
    """The window from START_DATE/END_DATE/MONTHS; by default the MONTHS whole months before this one.

    Raises:
        ConfigError: when the window is empty or ends after tomorrow.
    """
    return window_of(config, today, first_of_month(today), lambda end: first_of_month(end, config.integer("MONTHS")))


def check_config(config: Config) -> None:
    """Reject site expressions that are not regular expressions before Spark starts.

    Raises:
        ConfigError: naming the variable and what is allowed.
    """
    for name in ("INCLUDE_SITES", "EXCLUDE_SITES"):
        try:
            re.compile(config.text(name))
        except re.error as exc:
            raise ConfigError(f"{name}={config.text(name)!r} is not a regular expression ({exc}); "
                              f"allowed: a regular expression such as {INCLUDE_SITES}") from None


def check_output_dir(path: Path) -> None:
    """Create the output directory when missing and make sure the job can write there, before Spark runs.

    Raises:
        JobError: when it cannot be created or written.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise JobError(f"output directory {path} cannot be created ({exc.strerror}); "
                       f"mount a writable volume there or set OUTPUT_DIR") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise JobError(f"output directory {path} is not writable by uid {os.getuid()}; "
                       f"mount a writable volume there or set OUTPUT_DIR")


def write(ctx: RunContext, result: Result, window: Window) -> int:
    """Write the CSV and PNG of each grouping and point the ``_latest`` links at them; return the CSV rows."""
    directory = Path(ctx.config.text("OUTPUT_DIR"))
    last_day = window.end - timedelta(days=1)
    sites = f"sites matching {ctx.config.text('INCLUDE_SITES')} but not {ctx.config.text('EXCLUDE_SITES')}"
    written = 0
    for grouping, words in GROUPINGS.items():
        stem = f"UniqueUsersBy_{grouping}_{window.start:%Y%m%d}-{window.end:%Y%m%d}"
        title = (f"Distinct CRAB users per {words}, completed analysis jobs at {sites}, "
                 f"{window.start} to {last_day}")
        rows = result.rows[grouping]
        csv_sink = FileSink(directory / f"{stem}.csv", csv_renderer(("year", grouping, COUNT_COLUMN)))
        png_sink = FileSink(directory / f"{stem}.png", plot_renderer(grouping, title))
        written += maybe_dry(csv_sink, ctx.dry_run).write(rows).written
        maybe_dry(png_sink, ctx.dry_run).write(rows)
        if not ctx.dry_run:
            # Links last: they never point at a file that is not complete.
            for ext in ("csv", "png"):
                replace_link(directory / f"UniqueUsersBy_{grouping}_latest.{ext}", f"{stem}.{ext}")
    return written


def main(ctx: RunContext) -> None:
    """Read the window's condor partitions, count distinct CRAB users per period, write the files."""
    config = ctx.config
    check_config(config)
    window = window_for(config, datetime.now(UTC).date())
    ctx.log.info("window", start=str(window.start), end_exclusive=str(window.end), input=config.text("INPUT_PATH"),
                 output=config.text("OUTPUT_DIR"))
    if not ctx.dry_run:
        check_output_dir(Path(config.text("OUTPUT_DIR")))
    selection = Selection(window, config.text("INCLUDE_SITES"), config.text("EXCLUDE_SITES"))
    with spark_session(config, JOB) as spark:
        parts = read_partitions(spark, config, window, NEIGHBOUR_DAYS, datetime.now(UTC).date(), ctx.log,
                                "count without them", uncompacted=True)
        result = count_users(read_json_lines(spark, parts.read, FIELDS, REQUIRED), selection)
    ctx.records_in = result.lines - result.malformed
    ctx.log.info("input read", lines=result.lines, malformed=result.malformed, selected=result.selected,
                 without_user=result.without_user, users=result.users, months=len(result.rows["month"]),
                 weeks=len(result.rows["weekofyear"]))
    result.require_well_formed(config.number("MAX_MALFORMED_FRACTION"), "condor input")
    if not result.rows["month"]:
        raise JobError(f"no completed CRAB job with a user at the selected sites in the window "
                       f"{window.start}..{window.end} (exclusive) in {len(parts.read)} partition(s); nothing to write")
    ctx.records_out = write(ctx, result, window)


if __name__ == "__main__":
    run_job(main, JOB, VARIABLES)
