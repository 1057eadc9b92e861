"""rucio-datasets-monitoring: per (dataset, RSE) replica statistics from the daily Rucio and DBS dumps.

Reads the day's Rucio tables (rses, replicas, dids, dataset_locks; avro) and DBS tables (DATASETS, BLOCKS,
FILES; CSV), computes one row per dataset and RSE (size, file and block counts, last access and creation,
whether it is complete and locked by production rules), writes them as parquet to ``<OUTPUT_PATH>/<DAY>``
and as documents to the search index ``<INDEX_PREFIX>-<DAY>`` (ids from (Dataset, RSE)); then, since
something was written, deletes the older daily indices and directories. README.md states the rules.
Configuration comes from environment variables only; ``--test`` or ``DRY_RUN=1`` computes and logs
without writing or deleting anything.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from datasets import datasets_in_rses
from inputs import DBS_TABLES, RUCIO_TABLES, Dumps, missing_tables
from outputs import MAPPINGS, document_id, documents, drop_older_days, drop_older_indices
from py4j.protocol import Py4JJavaError
from pyspark.errors import PySparkException
from pyspark.sql import functions as fn

from jobkit.config import Config, Var
from jobkit.errors import ConfigError, JobError
from jobkit.run import RunContext, run_job
from jobkit.sinks.base import maybe_dry
from jobkit.sinks.search import IndexSink, daily_index
from jobkit.sinks.search_backends import SEARCH_VARS, search_backend_from_config
from jobkit.sinks.spark_hdfs import write_parquet
from jobkit.spark import SPARK_VARS, spark_session

JOB = "rucio-datasets-monitoring"
TABLES = (*RUCIO_TABLES, *DBS_TABLES)
# A failure reason is one line for people; the JVM's messages can be pages long.
MAX_REASON = 300
VARIABLES = (
    Var("DAY", "date", help="dump day to read, YYYY-MM-DD (default: today UTC, as the daily dumps are named)"),
    Var("RUCIO_PATH", "str", default="/project/awg/cms/rucio", help="Rucio dump root holding YYYY-MM-DD/<table>"),
    Var("DBS_PATH", "str", default="/project/awg/cms/dbs/PROD_GLOBAL",
        help="DBS dump root holding YYYY-MM-DD/<TABLE>"),
    Var("OUTPUT_PATH", "str", default="/cms/rucio_datasets_monitoring",
        help="parquet output root; the day's rows go to <OUTPUT_PATH>/YYYY-MM-DD"),
    Var("INDEX_PREFIX", "str", default=JOB, help="index prefix; the index is <prefix>-YYYY-MM-DD"),
    Var("INDEX_REPLICAS", "int", default=1, minimum=0, help="number_of_replicas of a newly created index"),
    *SEARCH_VARS,
    *SPARK_VARS,
)


def check_config(config: Config, today: date) -> None:
    """Reject a future day before Spark starts.

    Raises:
        ConfigError: naming the variable, the value and what is allowed.
    """
    day = config.day("DAY")
    if day is not None and day > today + timedelta(days=1):
        raise ConfigError(f"DAY={day} lies in the future; allowed: a dump day up to tomorrow (UTC)")


def root_cause(exc: Exception) -> str:
    """The first line of the innermost Java exception behind a Spark failure (a malformed CSV row, a
    damaged avro block), instead of the whole JVM stack trace."""
    java: Any = getattr(exc, "java_exception", None)
    if java is None:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    while java.getCause() is not None:
        java = java.getCause()
    return str(java.toString()).splitlines()[0][:MAX_REASON]


def main(ctx: RunContext) -> None:
    """Check the day's dumps, compute the rows, write parquet and index, then drop older outputs."""
    config, log = ctx.config, ctx.log
    today = datetime.now(UTC).date()
    check_config(config, today)
    day = config.day("DAY") or today
    dumps = Dumps(day, config.text("RUCIO_PATH"), config.text("DBS_PATH"))
    index = daily_index(config.text("INDEX_PREFIX"), day)
    output = f"{config.text('OUTPUT_PATH').rstrip('/')}/{day.isoformat()}"
    log.info("run", day=str(day), rucio=dumps.rucio_root, dbs=dumps.dbs_root, index=index, parquet=output)
    # Parse every CSV column, not only the ones used: otherwise FAILFAST lets a row with missing or
    # malformed columns through, and a short DBS FILES row would be joined as a second copy of a file.
    with spark_session(config, JOB, {"spark.sql.csv.parser.columnPruning.enabled": "false"}) as spark:
        missing = missing_tables(spark, dumps)
        if missing:
            raise JobError(f"input table {missing[0]} of {day} is missing: no non-empty file matches "
                           f"{dumps.glob(missing[0])} ({len(missing)} of {len(TABLES)} tables missing: "
                           f"{', '.join(missing)}); nothing written")
        # timestamp: the dump day's midnight, not the wall clock, so a re-run writes identical documents.
        midnight = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        try:
            rows = datasets_in_rses(spark, dumps, midnight).persist()
            totals = rows.agg(fn.count(fn.lit(1)).alias("rows"), fn.sum("FileCount").alias("replicas")).first()
        except (Py4JJavaError, PySparkException) as exc:
            raise JobError(f"reading the dumps of {day} failed: {root_cause(exc)}") from None
        assert totals is not None  # a global aggregation always has one row
        count, ctx.records_in = int(totals["rows"]), int(totals["replicas"] or 0)
        log.info("rows computed", rows=count, replicas=ctx.records_in)
        if count == 0:
            raise JobError(f"no available replica of a cms file in the dumps of {day}; nothing written, "
                           f"older outputs kept")
        write_parquet(rows, output, dry_run=ctx.dry_run)
        backend = search_backend_from_config(config)
        try:
            settings = {"number_of_shards": 1, "number_of_replicas": config.integer("INDEX_REPLICAS")}
            sink = IndexSink(backend, index, document_id, mode="replace", mappings=MAPPINGS, settings=settings,
                             batch_size=config.integer("SINK_BATCH_SIZE"))
            ctx.records_out = maybe_dry(sink, ctx.dry_run).write(documents(rows)).written
            # Only after this run's rows are in place: a failed or empty run never removes the last good day.
            drop_older_indices(backend, config.text("INDEX_PREFIX"), index, log, dry_run=ctx.dry_run)
        finally:
            backend.close()
        drop_older_days(spark, config.text("OUTPUT_PATH"), day, log, dry_run=ctx.dry_run)


if __name__ == "__main__":
    run_job(main, JOB, VARIABLES)
