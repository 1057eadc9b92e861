"""wma-agent-count: WMArchive reports per WMAgent host and day -> monthly OpenSearch/Elasticsearch index.

For each (day, host) of the window: how many distinct framework job reports the agent archived
(``count``), their average number of steps (``avg_steps_count``), the sites they ran at (``sites``)
and the day's midday as epoch seconds (``wmats_midday``). Documents go to ``<INDEX_PREFIX>-YYYY-MM``
of the document's day under the id ``sha1(["<day>","<host>"])``, so a re-run overwrites them.
Configuration comes from environment variables only (README.md); ``--test`` or ``DRY_RUN=1`` computes
and logs the documents without writing them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from agent_count import aggregate, reports

from jobkit.archive import Window, find_partitions
from jobkit.config import Config, Var
from jobkit.errors import ConfigError, JobError
from jobkit.ids import key_id
from jobkit.run import RunContext, run_job
from jobkit.sinks.base import maybe_dry
from jobkit.sinks.search import IndexSink, monthly_index
from jobkit.sinks.search_backends import SEARCH_VARS, search_backend_from_config
from jobkit.spark import SPARK_VARS, build_session

JOB = "wma-agent-count"
INDEX_PREFIX = "wmarchive-agent-count"
ARCHIVE_ROOT = "/project/monitoring/archive/wmarchive/raw/metric"
# As in CMS: a weekly run over days -10..-4 (end exclusive), leaving 3 days for late archiving.
END_DAYS_AGO = 3
WINDOW_DAYS = 7
VARIABLES = (
    Var("INPUT_PATH", "str", default=ARCHIVE_ROOT, help="WMArchive archive root holding YYYY/MM/DD directories"),
    Var("END_DATE", "date", help=f"first day after the window (default: today UTC - {END_DAYS_AGO} days)"),
    Var("START_DATE", "date", help=f"first day of the window (default: END_DATE - {WINDOW_DAYS} days)"),
    Var("LATE_DAYS", "int", default=2, help="neighbour day directories read on each side for late reports"),
    Var("ALLOW_MISSING_DAYS", "bool", default=False, help="skip window days without a directory instead of failing"),
    Var("MAX_MALFORMED_FRACTION", "float", default=0.05, help="fail when a larger share of lines is malformed"),
    Var("INDEX_PREFIX", "str", default=INDEX_PREFIX, help="output index prefix; the index is <prefix>-YYYY-MM"),
    *SEARCH_VARS,
    *SPARK_VARS,
)
# Explicit mapping: a dynamic one would map sites as text and avg_steps_count as long (truncated).
MAPPINGS = {
    "properties": {
        "wmats_midday": {"type": "date", "format": "epoch_second"},
        "day": {"type": "keyword", "ignore_above": 32},
        "host": {"type": "keyword", "ignore_above": 256},
        "count": {"type": "long"},
        "avg_steps_count": {"type": "double"},
        "sites": {"type": "keyword", "ignore_above": 256},
    }
}
# Allowed schemes per variable, each with the example shown in the error message.
URL_SCHEMES = {
    "SINK_URL": {"http": "http://host:port", "https": "https://host:port"},
    "HDFS_URL": {"hdfs": "hdfs://host:port", "viewfs": "viewfs://cluster", "file": "file:///"},
}


def check_urls(config: Config) -> None:
    """Reject sink and HDFS URLs with a wrong scheme or no host before any connection is tried.

    Raises:
        ConfigError: naming the variable, the URL and the allowed schemes.
    """
    urls = {"SINK_URL": config.items("SINK_URL"), "HDFS_URL": (config.text("HDFS_URL"),)}
    for name, values in urls.items():
        allowed = URL_SCHEMES[name]
        for url in filter(None, values):
            parts = urlsplit(url)
            if parts.scheme not in allowed or (parts.scheme != "file" and not parts.hostname):
                raise ConfigError(f"{name}={url!r} is not a URL with scheme {' or '.join(allowed)} and a host; "
                                  f"allowed: {', '.join(allowed.values())}")


def window_of(config: Config, today: datetime) -> Window:
    """The window from START_DATE/END_DATE, defaulting to days -10..-4 of ``today``.

    Raises:
        ConfigError: when the window is empty or ends after today.
    """
    end = config.day("END_DATE") or (today.date() - timedelta(days=END_DAYS_AGO))
    start = config.day("START_DATE") or (end - timedelta(days=WINDOW_DAYS))
    if start >= end:
        raise ConfigError(f"START_DATE={start} is not before END_DATE={end} (END_DATE is exclusive); "
                          f"allowed: START_DATE < END_DATE")
    if end > today.date() + timedelta(days=1):
        raise ConfigError(f"END_DATE={end} lies in the future; allowed: a day up to tomorrow (exclusive end)")
    return Window(start, end)


def check_numbers(config: Config) -> None:
    """Reject out-of-range numbers.

    Raises:
        ConfigError: naming the variable and the allowed range.
    """
    if config.integer("LATE_DAYS") < 0:
        raise ConfigError(f"LATE_DAYS={config.integer('LATE_DAYS')} is negative; allowed: 0 or more days")
    if not 0 <= config.number("MAX_MALFORMED_FRACTION") <= 1:
        raise ConfigError(f"MAX_MALFORMED_FRACTION={config.number('MAX_MALFORMED_FRACTION')} is outside [0, 1]; "
                          f"allowed: a number from 0 to 1")


def write(ctx: RunContext, docs: list[dict[str, Any]]) -> int:
    """Upsert the documents into the monthly index of their day; return how many were written."""
    by_index: dict[str, list[dict[str, Any]]] = defaultdict(list)
    prefix = ctx.config.text("INDEX_PREFIX")
    for doc in docs:
        by_index[monthly_index(prefix, datetime.strptime(doc["day"], "%Y-%m-%d").date())].append(doc)
    backend = search_backend_from_config(ctx.config)
    written = 0
    try:
        for index, group in sorted(by_index.items()):
            # upsert: a monthly index gathers several weekly runs; only this run's (day, host) ids change.
            sink = IndexSink(backend, index, key_id("day", "host"), mode="upsert", mappings=MAPPINGS)
            written += maybe_dry(sink, ctx.dry_run).write(group).written
    finally:
        backend.close()
    return written


def main(ctx: RunContext) -> None:
    """Read the window's WMArchive partitions, aggregate per (day, host), write the documents."""
    config = ctx.config
    check_urls(config)
    check_numbers(config)
    now = datetime.now(UTC)
    window = window_of(config, now)
    ctx.log.info("window", start=str(window.start), end_exclusive=str(window.end), input=config.text("INPUT_PATH"))
    # No progress bars: they are carriage-return noise in a pod log.
    spark = build_session(config, JOB, {"spark.ui.showConsoleProgress": "false"})
    try:
        parts = find_partitions(spark, config.text("INPUT_PATH"), window, config.integer("LATE_DAYS"), now.date())
        ctx.log.info("partitions", read=parts.read, missing_window_days=[p for _, p in parts.missing_window_days],
                     missing_neighbours=parts.missing_neighbours)
        parts.require(window, config.text("INPUT_PATH"), config.flag("ALLOW_MISSING_DAYS"), "aggregate without them")
        docs, stats = aggregate(reports(spark, parts.read), window)
    finally:
        spark.stop()
    ctx.records_in = stats.lines - stats.malformed
    ctx.log.info("input read", lines=stats.lines, malformed=stats.malformed, in_window=stats.in_window,
                 duplicates=stats.duplicates, documents=len(docs))
    limit = config.number("MAX_MALFORMED_FRACTION")
    if stats.malformed_fraction > limit:
        raise JobError(f"{stats.malformed} of {stats.lines} input lines are malformed "
                       f"({stats.malformed_fraction:.1%} > MAX_MALFORMED_FRACTION {limit:.1%}); "
                       f"check the WMArchive input format")
    if not docs:
        raise JobError(f"no WMArchive report inside the window {window.start}..{window.end} (exclusive) in "
                       f"{len(parts.read)} partition(s); nothing to write")
    ctx.records_out = write(ctx, docs)


if __name__ == "__main__":
    run_job(main, JOB, VARIABLES)
