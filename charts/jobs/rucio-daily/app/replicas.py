"""The Spark part of rucio-daily: find one day's dumps, read them, and sum replica bytes per group.

Inputs are the sqoop dumps of one day (``YYYY-MM-DD``): Rucio's ``replicas`` table as avro
(``<RUCIO_PATH>/<day>/replicas/part*.avro``) and DBS's ``FILES`` table as header-less CSV with ``null``
for nulls (``<DBS_PATH>/<day>/FILES/*.gz``). Each replica is matched to its DBS file by name
(``NAME`` = ``LOGICAL_FILE_NAME``) to learn its dataset; replicas are then grouped by (RSE, dataset,
scope, tally day, creation day) and their ``BYTES`` summed, as CMSSpark's ``rucio_daily.py`` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote, urlsplit

from py4j.protocol import Py4JJavaError
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as fn
from pyspark.sql.types import DoubleType, IntegerType, LongType, StringType, StructField, StructType

from jobkit.archive import matches_data
from jobkit.errors import JobError

REPLICAS_GLOB = "part*.avro"
FILES_GLOB = "*.gz"
GROUP_KEYS = ("RSE_ID", "f_dataset_id", "SCOPE", "tally_day", "create_day")
OUTPUT_COLUMNS = (*GROUP_KEYS, "rep_size")
# DBS FILES columns in dump order (the CSV has no header), with CMSSpark's f_ names and types.
_FILES_COLUMNS = (
    ("f_file_id", LongType()), ("f_logical_file_name", StringType()), ("f_is_file_valid", IntegerType()),
    ("f_dataset_id", LongType()), ("f_block_id", LongType()), ("f_file_type_id", IntegerType()),
    ("f_check_sum", StringType()), ("f_event_count", LongType()), ("f_file_size", LongType()),
    ("f_branch_hash_id", LongType()), ("f_adler32", StringType()), ("f_md5", StringType()),
    ("f_auto_cross_section", DoubleType()), ("f_creation_date", LongType()), ("f_create_by", StringType()),
    ("f_last_modification_date", LongType()), ("f_last_modified_by", StringType()),
)
FILES_SCHEMA = StructType([StructField(name, kind) for name, kind in _FILES_COLUMNS])
# The original reads DBS FILES with mode FAILFAST; with Spark's default CSV column pruning only the two
# selected columns are parsed, so rows with too few columns or a bad number elsewhere slipped through and
# were joined (double-counting a file). Parsing every column makes FAILFAST reject them.
SESSION_CONF = {"spark.sql.csv.parser.columnPruning.enabled": "false"}
# Spark names the file it failed on in this message (FileScanRDD); the root cause is further down.
_FAILED_FILE = re.compile(r"Encountered error while reading file (\S+?)\. Details")


@dataclass(frozen=True)
class Dumps:
    """The input globs of one day.

    Attributes:
        day: the dump day.
        replicas: glob of the Rucio replicas avro part files.
        files: glob of the DBS FILES CSV part files.
    """

    day: date
    replicas: str
    files: str

    @classmethod
    def of(cls, rucio_root: str, dbs_root: str, day: date) -> Dumps:
        """The dumps of ``day`` under the two roots (sqoop's ``<root>/YYYY-MM-DD/<table>`` layout)."""
        return cls(day, f"{rucio_root.rstrip('/')}/{day.isoformat()}/replicas/{REPLICAS_GLOB}",
                   f"{dbs_root.rstrip('/')}/{day.isoformat()}/FILES/{FILES_GLOB}")

    def missing(self, spark: SparkSession) -> list[str]:
        """Descriptions of the inputs whose glob matches no non-empty file (empty list: all present)."""
        absent = []
        for what, glob in (("Rucio replicas", self.replicas), ("DBS FILES", self.files)):
            if not matches_data(spark, glob):
                absent.append(f"{what} dump {glob} matches no file")
        return absent


def replicas(spark: SparkSession, dumps: Dumps) -> DataFrame:
    """The replica rows with the columns the aggregation needs.

    RSE_ID (RAW(16), avro bytes) becomes lower-case hex; BYTES (a decimal string in sqoop's avro) a long;
    ``create_day`` is the UTC day of CREATED_AT (ms) as ``yyyyMMdd``; ``tally_day`` the dump day as
    ``yyyyMMdd`` (the original takes it from the dump's directory name, which is the same day).

    Raises:
        JobError: when Spark has no avro data source (the job must run on the spark base image).
    """
    try:
        raw = spark.read.format("avro").load(dumps.replicas)
    except AnalysisException as exc:
        if "avro" in str(exc).lower() and "data source" in str(exc).lower():
            raise JobError(f"Spark has no avro reader ({one_line(str(exc))}); run the job on the spark base "
                           f"image, which puts spark-avro into pyspark's jars") from None
        raise
    return replica_columns(raw, dumps.day)


def replica_columns(raw: DataFrame, day: date) -> DataFrame:
    """The columns :func:`replicas` describes, from the replicas table as read (``day``: the dump day)."""
    return raw.select(
        fn.lower(fn.hex("RSE_ID")).alias("RSE_ID"),
        fn.col("NAME"),
        fn.col("SCOPE"),
        fn.col("BYTES").cast(LongType()).alias("BYTES"),
        fn.lit(day.strftime("%Y%m%d")).alias("tally_day"),
        fn.date_format(fn.timestamp_millis("CREATED_AT"), "yyyyMMdd").alias("create_day"),
    )


def dbs_files(spark: SparkSession, dumps: Dumps) -> DataFrame:
    """(f_logical_file_name, f_dataset_id) of every DBS file; a malformed row fails the read (FAILFAST).

    FAILFAST only sees malformed rows when every column is parsed: the session must run with
    :data:`SESSION_CONF` (CSV column pruning off), or a row with missing columns would still be joined.
    """
    return (spark.read.format("csv").schema(FILES_SCHEMA).option("nullValue", "null").option("mode", "FAILFAST")
            .load(dumps.files).select("f_logical_file_name", "f_dataset_id"))


def groups(replica_rows: DataFrame, files: DataFrame) -> DataFrame:
    """Bytes and replica count per group; replicas without a DBS file form groups with ``in_dbs`` false.

    The original joins (inner) on the file name and drops replicas without a DBS file (user scopes); a
    left join with an ``in_dbs`` flag gives the same groups for ``in_dbs`` and lets one pass over the
    input also count what the inner join drops.

    Returns:
        Columns :data:`GROUP_KEYS`, ``in_dbs``, ``rep_size`` (sum of BYTES) and ``replicas`` (rows).
    """
    joined = replica_rows.join(files, replica_rows["NAME"] == files["f_logical_file_name"], "left")
    return (
        joined.withColumn("in_dbs", fn.col("f_logical_file_name").isNotNull())
        .groupBy(*GROUP_KEYS, "in_dbs")
        .agg(fn.sum("BYTES").alias("rep_size"), fn.count(fn.lit(1)).alias("replicas"))
    )


@dataclass(frozen=True)
class Counts:
    """What one day's input held, from the groups of :func:`groups`.

    Attributes:
        replicas_in_dbs: replica rows whose file is in DBS (these make the output).
        replicas_not_in_dbs: replica rows without a DBS file (user scopes), dropped as in the original.
        rows: output rows (groups of replicas in DBS).
    """

    replicas_in_dbs: int
    replicas_not_in_dbs: int
    rows: int


def counts(grouped: DataFrame) -> Counts:
    """Count replicas and groups with and without a DBS file (one small aggregation over the groups)."""
    found = {
        row["in_dbs"]: (int(row["replicas"]), int(row["rows"]))
        for row in grouped.groupBy("in_dbs")
        .agg(fn.sum("replicas").alias("replicas"), fn.count(fn.lit(1)).alias("rows"))
        .collect()
    }
    (in_dbs, rows), (not_in_dbs, _) = found.get(True, (0, 0)), found.get(False, (0, 0))
    return Counts(in_dbs, not_in_dbs, rows)


def one_line(text: str) -> str:
    """The first line of ``text``, stripped (Spark messages carry plans and stack traces below it)."""
    return text.strip().splitlines()[0].strip() if text.strip() else ""


def _java_chain(exc: Py4JJavaError) -> list[tuple[str, str]]:
    """(class name, message) of the Java exception and each of its causes, outermost first."""
    chain: list[tuple[str, str]] = []
    java = exc.java_exception
    while java is not None and len(chain) < 20:
        chain.append((str(java.getClass().getName()), str(java.getMessage() or "")))
        java = java.getCause()
    return chain


def read_failure(exc: Py4JJavaError, dumps: Dumps) -> JobError:
    """A one-line JobError for a Spark job that failed while reading the inputs.

    It names the dump, the file Spark failed on (or the dump's glob when Spark does not say, as for a
    malformed CSV row) and the root cause, e.g. ``java.io.IOException: Invalid sync!`` for a damaged
    avro file or ``[MALFORMED_CSV_RECORD] Malformed CSV record: <row>`` for a bad DBS row.
    """
    chain = _java_chain(exc)
    cause_class, cause = chain[-1] if chain else ("", str(exc))
    reason = _shorten(f"{cause_class}: {one_line(cause)}" if cause_class else one_line(cause))
    failed = next((match for _, message in chain if (match := _FAILED_FILE.search(message))), None)
    if failed is not None:
        path = unquote(urlsplit(failed.group(1)).path)
        what = "Rucio replicas" if path.endswith(".avro") else "DBS FILES"
    elif any("MALFORMED_CSV_RECORD" in message for _, message in chain):
        path, what = dumps.files, "DBS FILES"
    else:
        return JobError(f"Spark failed reading the dumps of {dumps.day}: {reason}")
    return JobError(f"cannot read the {what} dump of {dumps.day}: file {path}: {reason}; the file is damaged "
                    f"or not a {what} dump, re-import it (nothing was written)")


def _shorten(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters (a malformed row can be long)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


@contextmanager
def reading(dumps: Dumps) -> Iterator[None]:
    """Turn a Spark failure while reading ``dumps`` into a one-line JobError naming the file."""
    try:
        yield
    except Py4JJavaError as exc:
        raise read_failure(exc, dumps) from None
