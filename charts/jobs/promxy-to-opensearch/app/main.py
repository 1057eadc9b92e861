"""promxy-to-opensearch: a daily Prometheus series (Rucio used space per RSE) -> one OpenSearch/ES index.

Asks promxy (any Prometheus ``query_range`` API) for ``PROM_QUERY`` at every ``STEP`` from START_DATE
00:00 UTC to END_DATE 00:00 UTC (both included; by default the last 30 days), turns each sample into a
document {timestamp, rse, rse_type, tier, country, rucioInstance, source, used_bytes} and upserts it into
``INDEX_NAME`` under the id ``sha1([rse, timestamp, rucioInstance, source])``, so a re-run overwrites.
Configuration comes from environment variables only (README.md); ``--test`` or ``DRY_RUN=1`` queries and
logs the documents without writing them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from documents import MAPPINGS, doc_id, flatten
from range_query import Chunk, QueryError, chunks, query_range

from jobkit.config import Config, Var
from jobkit.errors import ConfigError, JobError
from jobkit.run import RunContext, run_job
from jobkit.sinks.base import maybe_dry
from jobkit.sinks.search import IndexSink
from jobkit.sinks.search_backends import SEARCH_VARS, search_backend_from_config

JOB = "promxy-to-opensearch"
PROMXY_URL = "http://cms-monitoring.cern.ch:30082/api/v1/query_range"
PROM_QUERY = "avg_over_time:rucio_report_used_space:1d"
INDEX_NAME = "rucio-used-space-1d"
DAY_S = 86_400
# As the original: the last 30 days each run, so a day missed by one run is filled by the next ones.
WINDOW_DAYS = 30
VARIABLES = (
    Var("PROMXY_URL", "str", default=PROMXY_URL, help="the query_range endpoint of promxy or Prometheus"),
    Var("PROM_QUERY", "str", default=PROM_QUERY, help="PromQL expression evaluated over the window"),
    Var("STEP", "int", default=DAY_S, minimum=1, unit="seconds", help="seconds between evaluation times"),
    Var("END_DATE", "date", help="last evaluation day, at 00:00 UTC (default: today UTC)"),
    Var("START_DATE", "date", help=f"first evaluation day, at 00:00 UTC (default: END_DATE - {WINDOW_DAYS} days)"),
    Var("INDEX_NAME", "str", default=INDEX_NAME, help="the output index"),
    *SEARCH_VARS,
)
HTTP_SCHEMES = ("http", "https")
ENDPOINT = "/api/v1/query_range"


def check_url(config: Config) -> None:
    """Reject a PROMXY_URL that is not a query_range endpoint.

    Raises:
        ConfigError: naming the variable, the URL and what is allowed.
    """
    url = config.text("PROMXY_URL")
    parts = urlsplit(url)
    if parts.scheme not in HTTP_SCHEMES or not parts.hostname or not parts.path.endswith(ENDPOINT):
        raise ConfigError(f"PROMXY_URL={url!r} is not an http(s) URL of a query_range endpoint; "
                          f"allowed: http(s)://host:port[/prefix]{ENDPOINT}")


def window_of(config: Config, today: date) -> tuple[date, date]:
    """(first, last) evaluation day, both included: START_DATE/END_DATE, by default the last 30 days.

    Raises:
        ConfigError: when the window is reversed.
    """
    last = config.day("END_DATE") or today
    first = config.day("START_DATE") or (last - timedelta(days=WINDOW_DAYS))
    if first > last:
        raise ConfigError(f"START_DATE={first} is after END_DATE={last}; allowed: START_DATE <= END_DATE")
    return first, last


def midnight(day: date) -> int:
    """00:00 UTC of ``day`` in epoch seconds."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def main(ctx: RunContext) -> None:
    """Query the window, flatten the series into documents, upsert them into the index."""
    config = ctx.config
    check_url(config)
    first, last = window_of(config, datetime.now(UTC).date())
    url, query, step = config.text("PROMXY_URL"), config.text("PROM_QUERY"), config.integer("STEP")
    start, end = midnight(first), midnight(last)
    ctx.log.info("window", first=str(first), last=str(last), step=step, query=query, url=url,
                 queries=len(chunks(start, end, step)))

    def progress(chunk: Chunk, data: dict[str, Any]) -> None:
        ctx.log.info("queried", start=chunk.start, end=chunk.end, series=len(data["result"]),
                     samples=sum(len(item.get("values") or []) for item in data["result"]))

    try:
        answer = query_range(url, query, start, end, step, on_chunk=progress)
    except QueryError as exc:
        raise JobError(f"query_range of {query!r} at {url} {exc}") from None
    if answer.warnings:
        ctx.log.warning("query warnings (the data may be partial)", warnings=answer.warnings)
    flat = flatten(answer.series)
    ctx.records_in = flat.samples
    ctx.log.info("samples read", series=flat.series, samples=flat.samples, documents=len(flat.documents),
                 skipped_no_rse_series=flat.no_rse_series, skipped_no_rse_samples=flat.no_rse_samples,
                 skipped_non_finite=flat.non_finite)
    if not flat.documents:
        raise JobError(f"query_range of {query!r} at {url} returned no usable sample for {first}..{last} "
                       f"({flat.samples} samples); nothing to write")
    backend = search_backend_from_config(config)
    try:
        # upsert: the index holds the whole history; a run rewrites only its window's documents.
        sink = IndexSink(backend, config.text("INDEX_NAME"), doc_id, mode="upsert", mappings=MAPPINGS,
                         batch_size=config.integer("SINK_BATCH_SIZE"))
        ctx.records_out = maybe_dry(sink, ctx.dry_run).write(flat.documents).written
    finally:
        backend.close()


if __name__ == "__main__":
    run_job(main, JOB, VARIABLES)
