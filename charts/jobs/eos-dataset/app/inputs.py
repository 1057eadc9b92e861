"""The inputs of eos-dataset: which EOS report days to read, the DBS dump, and the report rows.

EOS close reports are archived by MONIT as JSON lines in one directory per day (``<root>/YYYY/MM/DD``,
the day of ``metadata.timestamp``). Each report becomes one row of the dataset with the columns the
CMSSpark job ``dbs_hdfs_eos.py`` kept, under its names: ``path`` -> ``file_lfn``, ``td`` -> ``session``,
``sec.app`` -> ``application``, ``sec.name`` -> ``user``, ``sec.info`` -> ``user_dn``; values stay the
strings MONIT stores. Lines that are not usable reports (not JSON, cut JSON, no ``data.path`` or no
``metadata.timestamp``) are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as fn
from pyspark.sql.types import LongType, StringType, StructField, StructType

from jobkit.archive import LineCounts, counted, filesystem, line_counts, read_json_lines

# (report field, dataset column) in the dataset's column order; timestamp comes first, day last.
REPORT_COLUMNS = (
    ("rb_max", "rb_max"),
    ("td", "session"),
    ("path", "file_lfn"),
    ("sec.app", "application"),
    ("rt", "rt"),
    ("wt", "wt"),
    ("rb", "rb"),
    ("wb", "wb"),
    ("cts", "cts"),
    ("csize", "csize"),
    ("sec.name", "user"),
    ("sec.info", "user_dn"),
)
COLUMNS = ("timestamp", *(column for _, column in REPORT_COLUMNS))
# Only the fields the dataset keeps.
FIELDS = {"data": {field: "string" for field, _ in REPORT_COLUMNS}, "metadata": {"timestamp": "bigint"}}
REQUIRED = ("data.path", "metadata.timestamp")
# DBS dump columns (sqoop CSV, no header) up to the last one the join needs.
FILES_SCHEMA = StructType([
    StructField("FILE_ID", LongType()),
    StructField("LOGICAL_FILE_NAME", StringType()),
    StructField("IS_FILE_VALID", StringType()),
    StructField("DATASET_ID", LongType()),
])
DATASETS_SCHEMA = StructType([StructField("DATASET_ID", LongType()), StructField("DATASET", StringType())])
DBS_TABLES = ("FILES", "DATASETS")


def has_partitions(spark: SparkSession, path: str) -> bool:
    """True when the parquet dataset at ``path`` exists and has at least one ``day=`` partition."""
    fs, hadoop_path = filesystem(spark, path)
    if not fs.exists(hadoop_path):
        return False
    return any(status.isDirectory() and status.getPath().getName().startswith("day=")
               for status in fs.listStatus(hadoop_path))


def newest_dbs_dump(spark: SparkSession, root: str) -> date | None:
    """The newest dump day under ``root`` whose FILES and DATASETS tables are complete (``_SUCCESS``)."""
    fs, hadoop_path = filesystem(spark, root)
    if not fs.exists(hadoop_path):
        return None
    days = []
    for status in fs.listStatus(hadoop_path):
        try:
            day = date.fromisoformat(status.getPath().getName())
        except ValueError:
            continue  # not a dump directory
        if dbs_dump_complete(spark, root, day):
            days.append(day)
    return max(days, default=None)


def dbs_dump_complete(spark: SparkSession, root: str, day: date) -> bool:
    """True when the dump of ``day`` has FILES and DATASETS with their ``_SUCCESS`` markers."""
    for table in DBS_TABLES:
        fs, marker = filesystem(spark, f"{root.rstrip('/')}/{day.isoformat()}/{table}/_SUCCESS")
        if not fs.exists(marker):
            return False
    return True


def dbs_files(spark: SparkSession, root: str, day: date) -> DataFrame:
    """``(f_logical_file_name, d_dataset)`` of every file of the DBS dump of ``day`` (valid or not, as
    the original joins them)."""
    def table(name: str, schema: StructType) -> DataFrame:
        return (spark.read.schema(schema).option("nullValue", "null").option("escape", "\\")
                .csv(f"{root.rstrip('/')}/{day.isoformat()}/{name}"))

    files = table("FILES", FILES_SCHEMA).select(
        fn.col("LOGICAL_FILE_NAME").alias("f_logical_file_name"), fn.col("DATASET_ID").alias("f_dataset_id"))
    datasets = table("DATASETS", DATASETS_SCHEMA).select(
        fn.col("DATASET_ID").alias("d_dataset_id"), fn.col("DATASET").alias("d_dataset"))
    return files.join(datasets, fn.col("f_dataset_id") == fn.col("d_dataset_id")).select(
        "f_logical_file_name", "d_dataset")


def read_reports(spark: SparkSession, days: Sequence[tuple[date, str]]) -> tuple[DataFrame, LineCounts]:
    """The dataset rows of the given day directories, and what the lines held.

    Args:
        spark: the session.
        days: ``(day, directory)`` pairs to read.

    Returns:
        The rows (``COLUMNS`` plus ``day`` as ``yyyyMMdd``, computed from a cached parse of the lines that
        lives until the session stops) and the line counts.
    """
    frames = [read_json_lines(spark, [path], FIELDS, REQUIRED).withColumn("day", fn.lit(f"{day:%Y%m%d}"))
              for day, path in days]
    raw = frames[0]
    for frame in frames[1:]:
        raw = raw.unionByName(frame)
    flagged = raw.select(
        "malformed",
        fn.col("metadata.timestamp").alias("timestamp"),
        *(fn.col(f"data.`{field}`").alias(column) for field, column in REPORT_COLUMNS),
        "day",
    ).persist()
    totals = flagged.agg(*line_counts()).first()
    assert totals is not None  # a global aggregation always has one row
    stats = LineCounts(*counted(totals, "lines", "malformed"))
    return flagged.where(~fn.col("malformed")).select(*COLUMNS, "day"), stats
