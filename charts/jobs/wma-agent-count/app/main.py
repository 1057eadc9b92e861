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
from datetime import UTC, date, datetime, timedelta
from typing import Any

from agent_count import aggregate, reports

from jobkit.archive import ALLOW_MISSING_DAYS, MAX_MALFORMED_FRACTION, Window, late_days, read_partitions, window_of
from jobkit.config import Config, Var
from jobkit.errors import JobError
from jobkit.ids import key_id
from jobkit.run import RunContext, run_job
from jobkit.sinks.base import maybe_dry
from jobkit.sinks.search import IndexSink, monthly_index
from jobkit.sinks.search_backends import SEARCH_VARS, search_backend_from_config
from jobkit.spark import SPARK_VARS, spark_session

JOB = "wma-agent-count"
# As in CMS: a weekly run over days -10..-4 (end exclusive), leaving 3 days for late archiving.
END_DAYS_AGO = 3
WINDOW_DAYS = 7
INDEX_PREFIX = "wmarchive-agent-count"
ARCHIVE_ROOT = "/project/monitoring/archive/wmarchive/raw/metric"
VARIABLES = (
    Var("INPUT_PATH", "str", default=ARCHIVE_ROOT, help="WMArchive archive root holding YYYY/MM/DD directories"),
    Var("END_DATE", "date", help=f"first day after the window (default: today UTC - {END_DAYS_AGO} days)"),
    Var("START_DATE", "date", help=f"first day of the window (default: END_DATE - {WINDOW_DAYS} days)"),
    late_days(2),
    ALLOW_MISSING_DAYS,
    MAX_MALFORMED_FRACTION,
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


def window_for(config: Config, today: date) -> Window:
    """The window from START_DATE/END_DATE, by default days -10..-4 of ``today`` (END_DATE exclusive).

    Raises:
        ConfigError: when the window is empty or ends after tomorrow.
    """
    return window_of(config, today, today - timedelta(days=END_DAYS_AGO), lambda end: end - timedelta(days=WINDOW_DAYS))


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
            sink = IndexSink(backend, index, key_id("day", "host"), mode="upsert", mappings=MAPPINGS,
                             batch_size=ctx.config.integer("SINK_BATCH_SIZE"))
            written += maybe_dry(sink, ctx.dry_run).write(group).written
    finally:
        backend.close()
    return written


def main(ctx: RunContext) -> None:
    """Read the window's WMArchive partitions, aggregate per (day, host), write the documents."""
    config = ctx.config
    now = datetime.now(UTC)
    window = window_for(config, now.date())
    ctx.log.info("window", start=str(window.start), end_exclusive=str(window.end), input=config.text("INPUT_PATH"))
    # No progress bars: they are carriage-return noise in a pod log.
    with spark_session(config, JOB, {"spark.ui.showConsoleProgress": "false"}) as spark:
        parts = read_partitions(spark, config, window, config.integer("LATE_DAYS"), now.date(), ctx.log,
                                "aggregate without them")
        docs, stats = aggregate(reports(spark, parts.read), window)
    ctx.records_in = stats.lines - stats.malformed
    ctx.log.info("input read", lines=stats.lines, malformed=stats.malformed, in_window=stats.in_window,
                 duplicates=stats.duplicates, documents=len(docs))
    stats.require_well_formed(config.number("MAX_MALFORMED_FRACTION"), "WMArchive input")
    if not docs:
        raise JobError(f"no WMArchive report inside the window {window.start}..{window.end} (exclusive) in "
                       f"{len(parts.read)} partition(s); nothing to write")
    ctx.records_out = write(ctx, docs)


if __name__ == "__main__":
    run_job(main, JOB, VARIABLES)
