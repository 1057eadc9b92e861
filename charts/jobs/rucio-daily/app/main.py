"""rucio-daily: one day's Rucio replicas joined with DBS files -> replica bytes per RSE and dataset on HDFS.

For the dump day ``DATE`` it reads Rucio's ``replicas`` table (sqoop avro) and DBS's ``FILES`` table
(sqoop CSV), matches replicas to DBS files by name, and writes parquet rows
``RSE_ID, f_dataset_id, SCOPE, tally_day, create_day, rep_size`` (sum of BYTES per group) to
``<OUTPUT_PATH>/rucio/YYYY/MM/DD``, replacing that directory as a whole, so a re-run gives the same rows.
Configuration comes from environment variables only (README.md); ``--test`` or ``DRY_RUN=1`` reads and
aggregates and writes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from replicas import OUTPUT_COLUMNS, SESSION_CONF, Dumps, counts, dbs_files, groups, reading
from replicas import replicas as read_replicas

from jobkit.config import Config, Var
from jobkit.errors import ConfigError, JobError
from jobkit.run import RunContext, run_job
from jobkit.sinks.spark_hdfs import day_path, write_parquet
from jobkit.spark import SPARK_VARS, spark_session

JOB = "rucio-daily"
VARIABLES = (
    Var("DATE", "date", help="dump day to process, YYYY-MM-DD (default: today UTC, as the CMS cron passes it)"),
    Var("RUCIO_PATH", "str", default="/project/awg/cms/rucio",
        help="root of the Rucio sqoop dumps (YYYY-MM-DD/replicas)"),
    Var("DBS_PATH", "str", default="/project/awg/cms/dbs/PROD_GLOBAL",
        help="root of the DBS sqoop dumps (YYYY-MM-DD/FILES)"),
    Var("OUTPUT_PATH", "str", default="/cms/rucio_daily",
        help="output root; the day goes to <OUTPUT_PATH>/rucio/YYYY/MM/DD"),
    *SPARK_VARS,
)


def check_paths(config: Config) -> None:
    """Reject relative paths before Spark starts.

    Raises:
        ConfigError: naming the variable, the value and what is allowed.
    """
    for name in ("RUCIO_PATH", "DBS_PATH", "OUTPUT_PATH"):
        value = config.text(name)
        if not value.startswith("/"):
            raise ConfigError(f"{name}={value!r} is not an absolute path; allowed: a path starting with /")


def dump_day(config: Config, today: date) -> date:
    """The day to process: DATE, or today (UTC).

    Raises:
        ConfigError: when DATE lies in the future (no dump can exist yet).
    """
    day = config.day("DATE") or today
    if day > today:
        raise ConfigError(f"DATE={day} lies in the future; allowed: a day up to today ({today})")
    return day


def main(ctx: RunContext) -> None:
    """Read the day's dumps, sum replica bytes per group, replace the day's parquet directory."""
    config = ctx.config
    check_paths(config)
    today = datetime.now(UTC).date()
    day = dump_day(config, today)
    dumps = Dumps.of(config.text("RUCIO_PATH"), config.text("DBS_PATH"), day)
    output = day_path(f"{config.text('OUTPUT_PATH').rstrip('/')}/rucio", day)
    ctx.log.info("inputs", day=str(day), replicas=dumps.replicas, dbs_files=dumps.files, output=output)
    with spark_session(config, JOB, SESSION_CONF) as spark:
        missing = dumps.missing(spark)
        if missing:
            raise JobError(f"input for {day} is missing: {'; '.join(missing)} (that day's sqoop import has not "
                           f"run or failed); nothing was written")
        with reading(dumps):
            grouped = groups(read_replicas(spark, dumps), dbs_files(spark, dumps)).persist()
            found = counts(grouped)
            ctx.records_in = found.replicas_in_dbs + found.replicas_not_in_dbs
            ctx.log.info("input read", replicas=ctx.records_in, replicas_in_dbs=found.replicas_in_dbs,
                         replicas_not_in_dbs=found.replicas_not_in_dbs, rows=found.rows)
            if not found.replicas_in_dbs:
                raise JobError(f"none of the {ctx.records_in} replicas of {day} names a file of the DBS FILES "
                               f"dump {dumps.files}; nothing to write (are both dumps of the same day?)")
        # The groups are cached by now, so a failure here is the write's own (its message says so).
        written = write_parquet(grouped.where("in_dbs").select(*OUTPUT_COLUMNS), output, dry_run=ctx.dry_run)
        ctx.records_out = written.written


if __name__ == "__main__":
    run_job(main, JOB, VARIABLES)
