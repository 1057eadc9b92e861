"""The Spark part of rucio-datasets-monitoring: one row per (dataset, RSE) holding replicas of its files.

Rucio knows files, their replicas at each RSE and the rules (locks) that pin blocks there; DBS knows
which dataset each file and block belongs to and how many files and blocks a dataset has. Joining both
gives, per dataset and RSE, how much of the dataset is there, when it was last read and written, and
whether production rules keep it there. README.md states every column's rule.
"""

from __future__ import annotations

from inputs import Dumps, dbs_table, rucio_table
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as fn

# Files with replicas whose name DBS does not know as a valid file of a valid dataset are grouped per RSE
# under this name, as in the original, so their volume still shows up.
UNKNOWN_DATASET = "UnknownDatasetNameOfFiles_MonitoringTag"
# Accounts whose rules count as production locks. Every per-site sync account (sync_<site>) counts as
# "sync", and all its rules as one rule id, "sync-rules" (there are too many to list).
SYNC = "sync"
SYNC_RULES = "sync-rules"
PROD_ACCOUNTS = ("transfer_ops", "wma_prod", "wmcore_output", "wmcore_pileup", "wmcore_transferor",
                 "crab_tape_recall", "crab_input", SYNC)
# The output columns in document order, with their Spark types (the parquet schema).
COLUMNS = (
    ("Type", "string"), ("Dataset", "string"), ("RSE", "string"), ("Tier", "string"), ("Country", "string"),
    ("RseKind", "string"), ("SizeBytes", "long"), ("LastAccess", "long"), ("LastCreate", "long"),
    ("IsFullyReplicated", "boolean"), ("IsLocked", "string"), ("FilePercentage", "double"),
    ("FileCount", "int"), ("AccessedFileCount", "int"), ("BlockCount", "int"), ("ProdLockedBlockCount", "int"),
    ("ProdAccounts", "array<string>"), ("BlockRuleIDs", "array<string>"), ("timestamp", "long"),
)


def _hex_id(column: str) -> Column:
    """A RAW(16) id (avro bytes) as lower-case hex, the form Rucio shows."""
    return fn.lower(fn.hex(fn.col(column)))


def _suffix_in(column: Column, suffixes: tuple[str, ...]) -> Column:
    condition = column.endswith(suffixes[0])
    for suffix in suffixes[1:]:
        condition = condition | column.endswith(suffix)
    return condition


def rses(spark: SparkSession, dumps: Dumps) -> DataFrame:
    """Live RSEs: id, name, type (DISK/TAPE), tier and country (from the name), kind (temp, test, prod)."""
    name = fn.col("RSE")
    parts = fn.split(name, "_")
    kind = (fn.when(_suffix_in(name, ("Temp", "temp", "TEMP")), "temp")
            .when(_suffix_in(name, ("Test", "test", "TEST")), "test")
            .otherwise("prod"))
    return fn.broadcast(
        rucio_table(spark, dumps, "rses").where(fn.col("DELETED_AT").isNull()).select(
            _hex_id("ID").alias("rse_id"), name.alias("RSE"), fn.col("RSE_TYPE").alias("Type"),
            parts.getItem(0).alias("Tier"), parts.getItem(1).alias("Country"), kind.alias("RseKind"),
        )
    )


def file_replicas(spark: SparkSession, dumps: Dumps, live_rses: DataFrame) -> DataFrame:
    """Available replicas of cms files with size, last access and creation (replica and file DID combined).

    Returns:
        Rows ``f_name, RSE, f_size, accessed_at, created_at`` (times in epoch milliseconds).
    """
    replicas = rucio_table(spark, dumps, "replicas").where((fn.col("SCOPE") == "cms") & (fn.col("STATE") == "A"))
    dids = rucio_table(spark, dumps, "dids").where(
        fn.col("DELETED_AT").isNull() & (fn.col("HIDDEN") == "0") & (fn.col("SCOPE") == "cms")
        & (fn.col("DID_TYPE") == "F")
    ).select(
        fn.col("NAME").alias("f_name"), fn.col("BYTES").cast("long").alias("did_size"),
        fn.col("ACCESSED_AT").alias("did_accessed"), fn.col("CREATED_AT").alias("did_created"),
    )
    return (
        replicas.select(
            fn.col("NAME").alias("f_name"), _hex_id("RSE_ID").alias("rse_id"),
            fn.col("BYTES").cast("long").alias("rep_size"), fn.col("ACCESSED_AT").alias("rep_accessed"),
            fn.col("CREATED_AT").alias("rep_created"),
        )
        .join(dids, "f_name", "left")
        .join(live_rses.select("rse_id", "RSE"), "rse_id", "left")
        .select(
            "f_name", "RSE",
            fn.coalesce("rep_size", "did_size").alias("f_size"),
            # greatest() skips nulls: the later of the two times, or the one that exists.
            fn.greatest("did_accessed", "rep_accessed").alias("accessed_at"),
            fn.greatest("did_created", "rep_created").alias("created_at"),
        )
    )


def valid_datasets(spark: SparkSession, dumps: Dumps) -> DataFrame:
    """Valid DBS datasets: ``DATASET_ID, DATASET``."""
    return (dbs_table(spark, dumps, "DATASETS").where(fn.col("IS_DATASET_VALID") == 1)
            .select("DATASET_ID", "DATASET"))


def dataset_files(spark: SparkSession, dumps: Dumps, datasets: DataFrame) -> DataFrame:
    """Valid files of valid datasets: ``FILE_NAME, DATASET_ID, DATASET``."""
    files = (dbs_table(spark, dumps, "FILES").where(fn.col("IS_FILE_VALID") == 1)
             .select(fn.col("LOGICAL_FILE_NAME").alias("FILE_NAME"), "DATASET_ID"))
    return files.join(datasets, "DATASET_ID").select("FILE_NAME", "DATASET_ID", "DATASET")


def dataset_blocks(spark: SparkSession, dumps: Dumps, datasets: DataFrame) -> DataFrame:
    """Blocks of valid datasets (any block, whatever its files): ``BLOCK_NAME, DATASET_ID, DATASET``."""
    blocks = dbs_table(spark, dumps, "BLOCKS").select("BLOCK_NAME", "DATASET_ID")
    return blocks.join(datasets, "DATASET_ID").select("BLOCK_NAME", "DATASET_ID", "DATASET")


def dataset_totals(files: DataFrame, blocks: DataFrame) -> DataFrame:
    """Per dataset with at least one valid file: ``Dataset, total_files, total_blocks`` (DBS's view)."""
    file_totals = files.groupBy("DATASET").agg(fn.countDistinct("FILE_NAME").alias("total_files"))
    block_totals = blocks.groupBy("DATASET").agg(fn.countDistinct("BLOCK_NAME").alias("total_blocks"))
    return file_totals.join(block_totals, "DATASET").withColumnRenamed("DATASET", "Dataset")


def production_locks(spark: SparkSession, dumps: Dumps, blocks: DataFrame, live_rses: DataFrame) -> DataFrame:
    """Production-owned block locks per (RSE, dataset).

    Returns:
        Rows ``lock_rse, lock_dataset_id, ProdAccounts, BlockRuleIDs, ProdLockedBlockCount``: the accounts
        (sorted), the rule ids (sorted) and the number of distinct locked blocks.
    """
    account = fn.when(fn.col("ACCOUNT").startswith(SYNC), fn.lit(SYNC)).otherwise(fn.col("ACCOUNT"))
    locks = (
        rucio_table(spark, dumps, "dataset_locks")
        .where((fn.col("SCOPE") == "cms") & (fn.col("STATE") == "O"))
        .select(fn.col("NAME").alias("BLOCK_NAME"), _hex_id("RSE_ID").alias("rse_id"), account.alias("account"),
                _hex_id("RULE_ID").alias("rule_id"))
        .where(fn.col("account").isin(*PROD_ACCOUNTS))
        .withColumn("rule_id", fn.when(fn.col("account") == SYNC, fn.lit(SYNC_RULES)).otherwise(fn.col("rule_id")))
    )
    # A lock counts for the dataset DBS puts its block in, at the RSE it names (live RSEs only).
    return (
        locks.join(blocks.select("BLOCK_NAME", "DATASET_ID"), "BLOCK_NAME")
        .join(live_rses.select("rse_id", "RSE"), "rse_id")
        .groupBy(fn.col("RSE").alias("lock_rse"), fn.col("DATASET_ID").alias("lock_dataset_id"))
        .agg(
            fn.sort_array(fn.collect_set("account")).alias("ProdAccounts"),
            fn.sort_array(fn.collect_set("rule_id")).alias("BlockRuleIDs"),
            fn.countDistinct("BLOCK_NAME").alias("ProdLockedBlockCount"),
        )
    )


def datasets_in_rses(spark: SparkSession, dumps: Dumps, timestamp: int) -> DataFrame:
    """The output rows: one per (dataset, RSE), columns :data:`COLUMNS` in that order.

    Args:
        spark: the session.
        dumps: the day's dumps (all tables present).
        timestamp: the rows' ``timestamp`` (epoch seconds).

    Returns:
        The rows (not yet computed).
    """
    live_rses = rses(spark, dumps)
    datasets = valid_datasets(spark, dumps)
    files = dataset_files(spark, dumps, datasets)
    blocks = dataset_blocks(spark, dumps, datasets)

    per_rse = (
        file_replicas(spark, dumps, live_rses)
        .join(files, fn.col("f_name") == fn.col("FILE_NAME"), "left")
        .select("RSE", fn.coalesce("DATASET", fn.lit(UNKNOWN_DATASET)).alias("Dataset"), "DATASET_ID",
                "f_name", "f_size", "accessed_at", "created_at")
        .groupBy("RSE", "Dataset")
        .agg(
            fn.max("DATASET_ID").alias("dataset_id"),
            fn.countDistinct("f_name").alias("FileCount"),
            fn.count("accessed_at").alias("AccessedFileCount"),
            fn.sum("f_size").alias("SizeBytes"),
            fn.max("accessed_at").alias("last_access_ms"),
            fn.max("created_at").alias("last_create_ms"),
        )
    )
    totals = dataset_totals(files, blocks)
    locks = production_locks(spark, dumps, blocks, live_rses)
    locked = fn.col("ProdLockedBlockCount")
    # Half-up to two decimals in integer arithmetic: exact, whatever the sizes.
    percentage = fn.expr("((20000 * FileCount + total_files) div (2 * total_files)) / 100D")
    rows = (
        per_rse.join(totals, "Dataset", "left")
        .join(locks, (fn.col("dataset_id") == fn.col("lock_dataset_id")) & (fn.col("RSE") == fn.col("lock_rse")),
              "left")
        .join(live_rses.drop("rse_id"), "RSE", "left")
        .select(
            "Type", "Dataset", "RSE", "Tier", "Country", "RseKind", "SizeBytes",
            fn.coalesce(fn.expr("last_access_ms div 1000"), fn.lit(0)).alias("LastAccess"),
            fn.expr("last_create_ms div 1000").alias("LastCreate"),
            fn.coalesce(fn.col("FileCount") == fn.col("total_files"), fn.lit(False)).alias("IsFullyReplicated"),
            fn.when(fn.col("total_blocks") == locked, "FULLY").when(locked >= 1, "PARTIAL").otherwise("DYNAMIC")
            .alias("IsLocked"),
            percentage.alias("FilePercentage"),
            "FileCount", "AccessedFileCount",
            fn.col("total_blocks").alias("BlockCount"),
            fn.coalesce(locked, fn.lit(0)).alias("ProdLockedBlockCount"),
            "ProdAccounts", "BlockRuleIDs",
            fn.lit(timestamp).alias("timestamp"),
        )
    )
    return rows.select(*(fn.col(name).cast(kind).alias(name) for name, kind in COLUMNS))
