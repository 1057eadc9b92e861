"""Where the daily Rucio and DBS dumps of one day are, how to check they are all there, and how to read them.

Rucio tables are sqoop avro dumps (``<rucio root>/YYYY-MM-DD/<table>/part*.avro``: RAW ids as bytes, DATE
columns as epoch milliseconds, NUMBER columns as decimal strings); DBS tables are sqoop CSV dumps without a
header (``<dbs root>/YYYY-MM-DD/<TABLE>/part*``, gzip-compressed in production, ``null`` for nulls).
Every table is checked before Spark reads anything, so a dump that did not arrive fails the run with
one line naming the table instead of a Spark stack trace, or worse, documents computed without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import DataType, DoubleType, IntegerType, LongType, StringType, StructField, StructType

from jobkit.archive import matches_data

RUCIO_TABLES = ("rses", "replicas", "dids", "dataset_locks")
DBS_TABLES = ("DATASETS", "BLOCKS", "FILES")
RUCIO_PART = "part*.avro"
# Production part files are part-m-NNNNN.gz; an uncompressed dump (part-m-NNNNN) reads the same way.
DBS_PART = "part*"

_LONG, _INT, _DOUBLE, _STR = LongType(), IntegerType(), DoubleType(), StringType()
# Every column of each DBS table in dump order (a header-less CSV is read by position). Types follow the
# Oracle columns; FAILFAST turns a row that does not fit them into a failed run, as in the original.
_DBS_COLUMNS: dict[str, tuple[tuple[str, DataType], ...]] = {
    "DATASETS": (
        ("DATASET_ID", _LONG), ("DATASET", _STR), ("IS_DATASET_VALID", _INT), ("PRIMARY_DS_ID", _LONG),
        ("PROCESSED_DS_ID", _LONG), ("DATA_TIER_ID", _INT), ("DATASET_ACCESS_TYPE_ID", _INT),
        ("ACQUISITION_ERA_ID", _INT), ("PROCESSING_ERA_ID", _INT), ("PHYSICS_GROUP_ID", _INT),
        ("XTCROSSSECTION", _DOUBLE), ("PREP_ID", _STR), ("CREATION_DATE", _DOUBLE), ("CREATE_BY", _STR),
        ("LAST_MODIFICATION_DATE", _DOUBLE), ("LAST_MODIFIED_BY", _STR),
    ),
    "BLOCKS": (
        ("BLOCK_ID", _LONG), ("BLOCK_NAME", _STR), ("DATASET_ID", _LONG), ("OPEN_FOR_WRITING", _INT),
        ("ORIGIN_SITE_NAME", _STR), ("BLOCK_SIZE", _DOUBLE), ("FILE_COUNT", _LONG), ("CREATION_DATE", _DOUBLE),
        ("CREATE_BY", _STR), ("LAST_MODIFICATION_DATE", _DOUBLE), ("LAST_MODIFIED_BY", _STR),
    ),
    "FILES": (
        ("FILE_ID", _LONG), ("LOGICAL_FILE_NAME", _STR), ("IS_FILE_VALID", _INT), ("DATASET_ID", _LONG),
        ("BLOCK_ID", _LONG), ("FILE_TYPE_ID", _INT), ("CHECK_SUM", _STR), ("EVENT_COUNT", _LONG),
        ("FILE_SIZE", _DOUBLE), ("BRANCH_HASH_ID", _LONG), ("ADLER32", _STR), ("MD5", _STR),
        ("AUTO_CROSS_SECTION", _DOUBLE), ("CREATION_DATE", _DOUBLE), ("CREATE_BY", _STR),
        ("LAST_MODIFICATION_DATE", _DOUBLE), ("LAST_MODIFIED_BY", _STR),
    ),
}


@dataclass(frozen=True)
class Dumps:
    """The dump directories of one day.

    Attributes:
        day: the dump day (the ``YYYY-MM-DD`` directory).
        rucio_root: root of the Rucio dumps, e.g. ``/project/awg/cms/rucio``.
        dbs_root: root of the DBS dumps, e.g. ``/project/awg/cms/dbs/PROD_GLOBAL``.
    """

    day: date
    rucio_root: str
    dbs_root: str

    def directory(self, table: str) -> str:
        """``<root>/YYYY-MM-DD/<table>`` of a Rucio (lower case) or DBS (upper case) table."""
        root = self.rucio_root if table in RUCIO_TABLES else self.dbs_root
        return f"{root.rstrip('/')}/{self.day.isoformat()}/{table}"

    def glob(self, table: str) -> str:
        """The part files of ``table`` as a Hadoop glob."""
        return f"{self.directory(table)}/{RUCIO_PART if table in RUCIO_TABLES else DBS_PART}"


def missing_tables(spark: SparkSession, dumps: Dumps) -> list[str]:
    """The tables (in read order) whose directory holds no non-empty part file.

    Args:
        spark: the session (its Hadoop configuration names the file system).
        dumps: the day's dumps.

    Returns:
        Table names; empty when every dump is there.
    """
    return [table for table in (*RUCIO_TABLES, *DBS_TABLES) if not matches_data(spark, dumps.glob(table))]


def rucio_table(spark: SparkSession, dumps: Dumps, table: str) -> DataFrame:
    """One Rucio table of the day, as sqoop's avro schema types it.

    Args:
        spark: the session (spark-avro on its classpath).
        dumps: the day's dumps.
        table: one of :data:`RUCIO_TABLES`.

    Returns:
        The table (not yet read).
    """
    return spark.read.format("avro").load(dumps.glob(table))


def dbs_table(spark: SparkSession, dumps: Dumps, table: str) -> DataFrame:
    """One DBS table of the day, columns named and typed.

    Args:
        spark: the session.
        dumps: the day's dumps.
        table: one of :data:`DBS_TABLES`.

    Returns:
        The table (not yet read).
    """
    schema = StructType([StructField(name, kind, True) for name, kind in _DBS_COLUMNS[table]])
    # sqoop's dialect: quotes only around fields with a comma, quote or backslash, escaped with a backslash.
    return (spark.read.schema(schema).option("nullValue", "null").option("mode", "FAILFAST")
            .option("quote", '"').option("escape", "\\").csv(dumps.glob(table)))
