"""cpueff: CPU efficiency of HTCondor jobs over the last 30 days -> MongoDB collections for the cpueff web service.

Reads the condor job records of the window (Completed, ``JobFailed`` 0, once per ``GlobalJobId``) and
replaces four collections of ``MONGO_DB``: ``condor_main`` (per type, workflow, request, outlier flag),
``condor_detailed`` (the same per site), ``condor_tiers`` (per tier and type) and ``source_timestamp``
(what was read). Each collection is swapped in whole (jobkit's replace mode), so a re-run leaves the same
documents. Configuration comes from environment variables only (README.md); ``--test`` or ``DRY_RUN=1``
computes and logs the documents without writing them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from cpueff import DETAILED_KEYS, FIELDS, MAIN_KEYS, REQUIRED, TIER_KEYS, Collections, InputStats, aggregate

from jobkit.archive import (
    ALLOW_MISSING_DAYS,
    MAX_MALFORMED_FRACTION,
    Partitions,
    Window,
    late_days,
    read_json_lines,
    read_partitions,
    window_of,
)
from jobkit.config import Config, Var
from jobkit.errors import ConfigError, JobError
from jobkit.ids import key_id
from jobkit.run import RunContext, run_job
from jobkit.sinks.base import maybe_dry
from jobkit.sinks.mongo import MONGO_VARS, CollectionSink, IndexSpec, mongo_database
from jobkit.spark import SPARK_VARS, spark_session

JOB = "cpueff"
ARCHIVE_ROOT = "/project/monitoring/archive/condor/raw/metric"
# As in CMS (cron4cpueff_goweb.sh): the 30 days before yesterday; yesterday itself is the exclusive end.
END_DAYS_AGO = 1
SOURCE_ID = "source_timestamp"
VARIABLES = (
    Var("INPUT_PATH", "str", default=ARCHIVE_ROOT, help="condor archive root holding YYYY/MM/DD directories"),
    Var("END_DATE", "date", help=f"first day after the window (default: today UTC - {END_DAYS_AGO} day)"),
    Var("START_DATE", "date", help="first day of the window (default: END_DATE - LAST_N_DAYS)"),
    Var("LAST_N_DAYS", "int", default=30, minimum=1, unit="days",
        help="window length in days when START_DATE is unset"),
    late_days(1),
    ALLOW_MISSING_DAYS,
    MAX_MALFORMED_FRACTION,
    *MONGO_VARS,
    Var("MONGO_USERNAME", "str", help="MongoDB user (empty: the URI's own credentials, if any)"),
    Var("MONGO_PASSWORD", "str", help="password of MONGO_USERNAME"),
    Var("MONGO_AUTH_DB", "str", default="admin", help="authentication database of MONGO_USERNAME"),
    *SPARK_VARS,
)
# The original's createindexes.js, without its text indexes (FerretDB 1.x has none; the web service's
# search falls back to the single-field indexes).
INDEXES = {
    "condor_main": (
        IndexSpec("_id_1_Workflow_1", (("_id", 1), ("Workflow", 1))),
        IndexSpec("_id_1_WmagentRequestName_1", (("_id", 1), ("WmagentRequestName", 1))),
        IndexSpec("Workflow_1", (("Workflow", 1),)),
        IndexSpec("WmagentRequestName_1", (("WmagentRequestName", 1),)),
    ),
    "condor_detailed": (
        IndexSpec("_id_1_Workflow_1", (("_id", 1), ("Workflow", 1))),
        IndexSpec("_id_1_WmagentRequestName_1", (("_id", 1), ("WmagentRequestName", 1))),
        IndexSpec("Workflow_1", (("Workflow", 1),)),
        IndexSpec("WmagentRequestName_1", (("WmagentRequestName", 1),)),
        IndexSpec("Site_1", (("Site", 1),)),
    ),
    "condor_tiers": (IndexSpec("Tier_1_Type_1", (("Tier", 1), ("Type", 1)), unique=True),),
    "source_timestamp": (),
}


def check_config(config: Config) -> None:
    """Reject a password without a user before Spark starts (the variables' own checks ran in ``load``).

    Raises:
        ConfigError: naming the variables and what is allowed.
    """
    if config.text("MONGO_PASSWORD") and not config.text("MONGO_USERNAME"):
        raise ConfigError("MONGO_PASSWORD is set without MONGO_USERNAME; allowed: both or neither")


def window_for(config: Config, today: date) -> Window:
    """The window from START_DATE/END_DATE/LAST_N_DAYS, by default the 30 days before yesterday.

    Raises:
        ConfigError: when the window is empty or ends after tomorrow.
    """
    last_n_days = timedelta(days=config.integer("LAST_N_DAYS"))
    return window_of(config, today, today - timedelta(days=END_DAYS_AGO), lambda end: end - last_n_days)


def mongo_uri(config: Config) -> str:
    """MONGO_URI with MONGO_USERNAME/MONGO_PASSWORD and MONGO_AUTH_DB put in, when a user is set."""
    uri, user = config.text("MONGO_URI"), config.text("MONGO_USERNAME")
    if not user:
        return uri
    parts = urlsplit(uri)
    host = parts.netloc.rpartition("@")[2]
    credentials = quote(user, safe="") + ":" + quote(config.text("MONGO_PASSWORD"), safe="")
    query = "&".join(filter(None, (parts.query, f"authSource={quote(config.text('MONGO_AUTH_DB'), safe='')}")))
    return urlunsplit((parts.scheme, f"{credentials}@{host}", parts.path or "/", query, ""))


def source_document(config: Config, window: Window, parts: Partitions, stats: InputStats) -> dict[str, Any]:
    """The ``source_timestamp`` document: the original's three dates plus what this run read."""
    return {
        "_id": SOURCE_ID,
        # The original's fields (the web service shows them): createdAt is the window's exclusive end.
        "createdAt": window.end.isoformat(),
        "startDate": window.start.isoformat(),
        "endDate": window.end.isoformat(),
        "inputPath": config.text("INPUT_PATH"),
        "partitions": len(parts.read),
        "missingDays": [day.isoformat() for day, _ in parts.missing_window_days],
        "lines": stats.lines,
        "malformed": stats.malformed,
        "inWindow": stats.in_window,
        "selected": stats.selected,
        "jobs": stats.jobs,
    }


def write(ctx: RunContext, collections: Collections, source: dict[str, Any]) -> int:
    """Replace the four collections; return how many documents were written."""
    database = mongo_database(mongo_uri(ctx.config), ctx.config.text("MONGO_DB"))
    outputs: list[tuple[str, list[dict[str, Any]], Any]] = [
        ("condor_main", collections.main, key_id(*MAIN_KEYS)),
        ("condor_detailed", collections.detailed, key_id(*DETAILED_KEYS)),
        ("condor_tiers", collections.tiers, key_id(*TIER_KEYS)),
        ("source_timestamp", [source], None),
    ]
    written = 0
    try:
        for name, docs, id_of in outputs:
            sink = CollectionSink(database, name, id_of, mode="replace", indexes=INDEXES[name],
                                  batch_size=ctx.config.integer("MONGO_BATCH_SIZE"))
            written += maybe_dry(sink, ctx.dry_run).write(docs).written
    finally:
        database.client.close()
    return written


def main(ctx: RunContext) -> None:
    """Read the window's condor partitions, aggregate, replace the collections."""
    config = ctx.config
    check_config(config)
    now = datetime.now(UTC)
    window = window_for(config, now.date())
    ctx.log.info("window", start=str(window.start), end_exclusive=str(window.end), input=config.text("INPUT_PATH"))
    with spark_session(config, JOB) as spark:
        parts = read_partitions(spark, config, window, config.integer("LATE_DAYS"), now.date(), ctx.log,
                                "aggregate without them", uncompacted=True)
        collections, stats = aggregate(read_json_lines(spark, parts.read, FIELDS, REQUIRED), window)
    ctx.records_in = stats.lines - stats.malformed
    ctx.log.info("input read", lines=stats.lines, malformed=stats.malformed, in_window=stats.in_window,
                 selected=stats.selected, jobs=stats.jobs, duplicates=stats.duplicates,
                 condor_main=len(collections.main), condor_detailed=len(collections.detailed),
                 condor_tiers=len(collections.tiers))
    stats.require_well_formed(config.number("MAX_MALFORMED_FRACTION"), "condor input")
    if not stats.jobs:
        # An empty page would replace a month of efficiencies: keep the previous collections instead.
        raise JobError(f"no Completed job with JobFailed=0 inside the window {window.start}..{window.end} "
                       f"(exclusive) in {len(parts.read)} partition(s); the collections are left as they were")
    ctx.records_out = write(ctx, collections, source_document(config, window, parts, stats))


if __name__ == "__main__":
    run_job(main, JOB, VARIABLES)
