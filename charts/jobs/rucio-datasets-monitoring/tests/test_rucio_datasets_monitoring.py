"""Success test of rucio-datasets-monitoring: Rucio avro + DBS CSV dumps in HDFS -> the job in the cluster ->
one OpenSearch document and one parquet row per (dataset, RSE).

The expected rows are computed here, in plain Python over the generators' records, from the rules the
README states (filters, the dataset of a file, the combined size and times, totals from DBS, production
locks, ids); nothing is imported from the job's code.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from harness.checks import hdfs as hdfs_checks
from harness.checks import logs, metrics, search
from harness.datagen import dbs, rucio
from harness.datagen.writers import HdfsSink
from harness.deploy import Deployment, without_credentials, without_kerberos
from harness.jobrun import JobResult
from harness.pytest.scope import DataScope
from harness.services.hdfs import webhdfs_client
from harness.services.incluster import ClusterHdfs, ClusterServices, Endpoint

pytestmark = pytest.mark.e2e

JOB = "rucio-datasets-monitoring"
# Seed and size chosen so the few hundred files cover every branch: all three IsLocked values, fully and
# partly replicated datasets, temp and test RSEs, sync and other production accounts, invalid files and
# datasets (the unknown-dataset rows), hidden file DIDs, replicas in other states, user-scope files.
SEED = 15
N_FILES = 400
UNKNOWN_DATASET = "UnknownDatasetNameOfFiles_MonitoringTag"
PROD_ACCOUNTS = {"transfer_ops", "wma_prod", "wmcore_output", "wmcore_pileup", "wmcore_transferor",
                 "crab_tape_recall", "crab_input", "sync"}
COLUMNS = ("Type", "Dataset", "RSE", "Tier", "Country", "RseKind", "SizeBytes", "LastAccess", "LastCreate",
           "IsFullyReplicated", "IsLocked", "FilePercentage", "FileCount", "AccessedFileCount", "BlockCount",
           "ProdLockedBlockCount", "ProdAccounts", "BlockRuleIDs", "timestamp")
MAPPING = {
    **{name: {"type": "keyword"} for name in ("Type", "Dataset", "RSE", "Tier", "Country", "RseKind", "IsLocked",
                                              "ProdAccounts", "BlockRuleIDs")},
    **{name: {"type": "date", "format": "epoch_second"} for name in ("LastAccess", "LastCreate", "timestamp")},
    **{name: {"type": "integer"} for name in ("FileCount", "AccessedFileCount", "BlockCount",
                                              "ProdLockedBlockCount")},
    "SizeBytes": {"type": "long"},
    "IsFullyReplicated": {"type": "boolean"},
    "FilePercentage": {"type": "float"},
}


# ---------------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Paths:
    """Where one test's dumps and outputs live (under its data scope)."""

    rucio: str
    dbs: str
    output: str
    prefix: str


def paths_of(scope: DataScope) -> Paths:
    return Paths(rucio=f"{scope.hdfs_root}{rucio.ROOT}", dbs=f"{scope.hdfs_root}{dbs.ROOT}",
                 output=f"{scope.hdfs_root}/cms/rucio_datasets_monitoring", prefix=scope.index(JOB))


def seed_dumps(hdfs: ClusterHdfs, paths: Paths, day: date) -> None:
    """The day's five Rucio tables (avro) and four DBS tables (gzipped CSV), one catalogue."""
    sink = HdfsSink(webhdfs_client(hdfs))
    rucio.write(sink, SEED, N_FILES, day, root=paths.rucio)
    dbs.write(sink, SEED, N_FILES, day, root=paths.dbs)


# ---------------------------------------------------------------------------------------------- expectations


def greatest(*values: int | None) -> int | None:
    """The largest of the values that are not None (None when all are), as SQL's greatest()."""
    present = [value for value in values if value is not None]
    return max(present) if present else None


def rse_kind(name: str) -> str:
    if name.endswith(("Temp", "temp", "TEMP")):
        return "temp"
    if name.endswith(("Test", "test", "TEST")):
        return "test"
    return "prod"


def doc_id(dataset: str, rse: str | None) -> str:
    """The README's id contract: sha1 of the compact JSON array [Dataset, RSE]."""
    return hashlib.sha1(json.dumps([dataset, rse], separators=(",", ":")).encode()).hexdigest()


@dataclass
class Lock:
    accounts: set[str] = field(default_factory=set)
    rules: set[str] = field(default_factory=set)
    blocks: set[str] = field(default_factory=set)


def expected_rows(day: date) -> dict[str, dict[str, Any]]:
    """Every output row by document id, with all columns (None where the README says null)."""
    def table(source: Any, name: str) -> list[dict[str, Any]]:
        return list(source.records(name, SEED, N_FILES, day))

    live = {r["ID"].hex(): r for r in table(rucio, "rses") if r["DELETED_AT"] is None}
    by_name = {r["RSE"]: r for r in live.values()}
    file_dids = {d["NAME"]: d for d in table(rucio, "dids") if d["DELETED_AT"] is None and d["HIDDEN"] == "0"
                 and d["SCOPE"] == "cms" and d["DID_TYPE"] == "F"}
    datasets = {d["DATASET_ID"]: d["DATASET"] for d in table(dbs, "DATASETS") if d["IS_DATASET_VALID"] == 1}
    file_dataset = {f["LOGICAL_FILE_NAME"]: f["DATASET_ID"] for f in table(dbs, "FILES")
                    if f["IS_FILE_VALID"] == 1 and f["DATASET_ID"] in datasets}
    block_dataset = {b["BLOCK_NAME"]: b["DATASET_ID"] for b in table(dbs, "BLOCKS") if b["DATASET_ID"] in datasets}
    total_files: dict[int, int] = defaultdict(int)
    total_blocks: dict[int, int] = defaultdict(int)
    for dataset_id in file_dataset.values():
        total_files[dataset_id] += 1
    for dataset_id in block_dataset.values():
        total_blocks[dataset_id] += 1

    # (RSE, dataset name) -> replicas as (file, size, accessed ms, created ms, dataset id)
    groups: dict[tuple[str | None, str], list[tuple[str, int | None, int | None, int, int | None]]] = \
        defaultdict(list)
    for rep in table(rucio, "replicas"):
        if rep["SCOPE"] != "cms" or rep["STATE"] != "A":
            continue
        did = file_dids.get(rep["NAME"], {})
        size = int(rep["BYTES"]) if rep["BYTES"] is not None else (int(did["BYTES"]) if did.get("BYTES") else None)
        created = greatest(did.get("CREATED_AT"), rep["CREATED_AT"])
        assert created is not None
        dataset_id = file_dataset.get(rep["NAME"])
        rse = live.get(rep["RSE_ID"].hex())
        groups[(rse["RSE"] if rse else None, datasets[dataset_id] if dataset_id else UNKNOWN_DATASET)].append(
            (rep["NAME"], size, greatest(did.get("ACCESSED_AT"), rep["ACCESSED_AT"]), created, dataset_id))

    locks: dict[tuple[str, int], Lock] = defaultdict(Lock)
    for lock in table(rucio, "dataset_locks"):
        account = "sync" if lock["ACCOUNT"].startswith("sync") else lock["ACCOUNT"]
        rse = live.get(lock["RSE_ID"].hex())
        dataset_id = block_dataset.get(lock["NAME"])
        if (lock["SCOPE"] != "cms" or lock["STATE"] != "O" or account not in PROD_ACCOUNTS or rse is None
                or dataset_id is None):
            continue
        entry = locks[(rse["RSE"], dataset_id)]
        entry.accounts.add(account)
        entry.rules.add("sync-rules" if account == "sync" else lock["RULE_ID"].hex())
        entry.blocks.add(lock["NAME"])

    midnight = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    rows: dict[str, dict[str, Any]] = {}
    for (rse_name, dataset), replicas in groups.items():
        files = len({name for name, *_ in replicas})
        dataset_id = replicas[0][4]
        has_totals = dataset_id is not None and total_files[dataset_id] > 0
        tot_files = total_files[dataset_id] if has_totals and dataset_id else None
        tot_blocks = total_blocks[dataset_id] if has_totals and dataset_id else None
        lock = locks.get((rse_name, dataset_id)) if rse_name and dataset_id else None
        locked = len(lock.blocks) if lock else 0
        accessed = [when for _, _, when, _, _ in replicas if when is not None]
        sizes = [size for _, size, _, _, _ in replicas if size is not None]
        rse = by_name.get(rse_name) if rse_name else None
        rows[doc_id(dataset, rse_name)] = {
            "Type": rse["RSE_TYPE"] if rse else None,
            "Dataset": dataset,
            "RSE": rse_name,
            "Tier": rse_name.split("_")[0] if rse_name else None,
            "Country": rse_name.split("_")[1] if rse_name and "_" in rse_name else None,
            "RseKind": rse_kind(rse_name) if rse_name else None,
            "SizeBytes": sum(sizes) if sizes else None,
            "LastAccess": max(accessed) // 1000 if accessed else 0,
            "LastCreate": max(created for _, _, _, created, _ in replicas) // 1000,
            "IsFullyReplicated": tot_files is not None and files == tot_files,
            "IsLocked": "FULLY" if lock and locked == tot_blocks else "PARTIAL" if locked >= 1 else "DYNAMIC",
            # 100 * files / total, half-up to 2 decimals, in integers (exact).
            "FilePercentage": (20000 * files + tot_files) // (2 * tot_files) / 100 if tot_files else None,
            "FileCount": files,
            "AccessedFileCount": len(accessed),
            "BlockCount": tot_blocks,
            "ProdLockedBlockCount": locked,
            "ProdAccounts": sorted(lock.accounts) if lock else None,
            "BlockRuleIDs": sorted(lock.rules) if lock else None,
            "timestamp": midnight,
        }
    return rows


def as_documents(rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Documents leave out null fields (README)."""
    return {key: {name: value for name, value in row.items() if value is not None} for key, row in rows.items()}


def ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: (row["Dataset"], row["RSE"] or ""))


# ---------------------------------------------------------------------------------------------- fixtures


Endpoints = tuple[ClusterHdfs, Endpoint, Endpoint]


@pytest.fixture
def endpoints(cluster_services: ClusterServices) -> Endpoints:
    """HDFS, OpenSearch and the Pushgateway in the cluster."""
    return cluster_services.hdfs(), cluster_services.get("opensearch"), cluster_services.get("pushgateway")


def run_values(hdfs: ClusterHdfs, engine: Endpoint, gateway: Endpoint, paths: Paths, day: date, push_job: str,
               **env: str) -> dict[str, Any]:
    """The test's values over values/dev: the in-cluster endpoints, its data scope, a small pod, no Kerberos."""
    return {
        "job": {"activeDeadlineSeconds": 900},
        "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "1536Mi"}},
        **without_kerberos(),
        "metrics": {"pushgateway": {"url": gateway.job_url, "job": push_job}},
        "env": {
            "HDFS_URL": hdfs.rpc_url,
            "DAY": day.isoformat(),
            "RUCIO_PATH": paths.rucio,
            "DBS_PATH": paths.dbs,
            "OUTPUT_PATH": paths.output,
            "INDEX_PREFIX": paths.prefix,
            "INDEX_REPLICAS": "0",
            "SINK_URL": engine.job_url,
            "SPARK_DRIVER_MEMORY": "768m",
            "SPARK_SHUFFLE_PARTITIONS": "2",
            **without_credentials("SINK_USERNAME", "SINK_PASSWORD"),
            **env,
        },
    }


def put_index(engine: Endpoint, name: str, docs: int) -> None:
    """An index left by an earlier run, with ``docs`` documents (0: an empty one)."""
    client = search.client(engine)
    client.indices.create(index=name, body={"settings": {"number_of_shards": 1, "number_of_replicas": 0}})
    for i in range(docs):
        client.index(index=name, id=f"old-{i}", body={"Dataset": f"/Old/Dataset-{i}/AOD", "RSE": "T2_CH_CERN"})
    client.indices.refresh(index=name)


def index_counts(engine: Endpoint, prefix: str) -> dict[str, int]:
    """Document count of every index of the prefix (empty ones included)."""
    client = search.client(engine)
    client.indices.refresh(index=f"{prefix}-*", params={"ignore_unavailable": "true", "allow_no_indices": "true"})
    return {name: int(client.count(index=name)["count"]) for name in search.indices(engine, f"{prefix}-*")}


# ---------------------------------------------------------------------------------------------- tests


def test_rucio_datasets_monitoring(endpoints: Endpoints, scope: DataScope,
                                   deploy_job: Callable[..., Deployment], run_job: Callable[..., JobResult],
                                   phase_timer: Any) -> None:
    """Seeded dumps -> exact documents in <prefix>-DAY and parquet rows in <out>/DAY; older outputs
    deleted, others kept; a re-run changes nothing."""
    hdfs, engine, gateway = endpoints
    day = datetime.now(UTC).date()
    paths = paths_of(scope)
    index = f"{paths.prefix}-{day}"
    started = time.monotonic()
    seed_dumps(hdfs, paths, day)
    rows = expected_rows(day)
    expected = as_documents(rows)
    # What earlier runs left: yesterday's index (non-empty), an empty older one, an index of the prefix that
    # is not a day (never touched), yesterday's parquet directory and a directory that is not a day.
    yesterday, older = day - timedelta(days=1), day - timedelta(days=2)
    put_index(engine, f"{paths.prefix}-{yesterday}", 3)
    put_index(engine, f"{paths.prefix}-{older}", 0)
    put_index(engine, f"{paths.prefix}-archive", 1)
    client = webhdfs_client(hdfs)
    client.write(f"{paths.output}/{yesterday}/part-00000.parquet", data=b"old", overwrite=True)
    client.write(f"{paths.output}/notes/readme.txt", data=b"kept", overwrite=True)
    phase_timer.add({"seed inputs": time.monotonic() - started})

    push_job = scope.push_job(JOB)
    pushed_after = time.time()
    deployment = deploy_job(JOB, env="dev", values=run_values(hdfs, engine, gateway, paths, day, push_job))
    first = run_job(deployment)
    assert first.succeeded, first.summary()
    assert first.exit_code == 0

    started = time.monotonic()
    after_first = search.documents(engine, f"{paths.prefix}-*")
    assert sorted(after_first) == sorted([index, f"{paths.prefix}-archive"])
    assert after_first[index] == expected
    assert search.mapping(engine, index) == MAPPING
    assert index_counts(engine, paths.prefix) == {index: len(expected), f"{paths.prefix}-archive": 1}
    parquet = hdfs_checks.read_parquet(hdfs, f"{paths.output}/{day}")
    assert ordered(parquet) == ordered(list(rows.values()))
    assert list(parquet[0]) == list(COLUMNS)
    assert hdfs_checks.files(hdfs, f"{paths.output}/{yesterday}") == []
    assert hdfs_checks.files(hdfs, f"{paths.output}/notes") == [f"{paths.output}/notes/readme.txt"]
    assert logs.event(first, "deleted older indices")["deleted"] == [f"{paths.prefix}-{older}",
                                                                     f"{paths.prefix}-{yesterday}"]
    assert logs.event(first, "deleted older directories")["deleted"] == [f"{paths.output}/{yesterday}"]
    pushed = metrics.pushed(gateway, push_job)
    assert pushed["push_time_seconds"] >= pushed_after  # this run's push, not an earlier session's
    assert pushed["cronjob_last_status"] == 1
    # records in: the replicas aggregated (one per file and RSE); records out: the documents.
    assert pushed["cronjob_records_in"] == sum(row["FileCount"] for row in rows.values())
    assert pushed["cronjob_records_out"] == len(expected)
    phase_timer.add({"checks": time.monotonic() - started})

    second = run_job(deployment)
    assert second.succeeded, second.summary()
    after_second = search.documents(engine, f"{paths.prefix}-*")
    assert after_second == after_first
    assert ordered(hdfs_checks.read_parquet(hdfs, f"{paths.output}/{day}")) == ordered(parquet)
    assert logs.event(second, "wrote index")["deleted"] == 0
    assert logs.event(second, "deleted older indices")["deleted"] == []


def test_missing_table_fails_and_keeps_older_outputs(endpoints: Endpoints,
                                                     scope: DataScope, deploy_job: Callable[..., Deployment],
                                                     run_job: Callable[..., JobResult]) -> None:
    """A dump without its dataset_locks table: exit 1 with a one-line reason; nothing written or deleted."""
    hdfs, engine, gateway = endpoints
    day = datetime.now(UTC).date()
    paths = paths_of(scope)
    seed_dumps(hdfs, paths, day)
    missing = rucio.table_dir("dataset_locks", day, paths.rucio)
    webhdfs_client(hdfs).delete(missing, recursive=True)
    previous = f"{paths.prefix}-{day - timedelta(days=1)}"
    put_index(engine, previous, 2)

    deployment = deploy_job(JOB, env="dev", values=run_values(hdfs, engine, gateway, paths, day, scope.push_job(JOB)))
    result = run_job(deployment)
    assert not result.succeeded
    assert result.exit_code == 1, result.summary()
    reason = (f"{JOB}: failed: input table dataset_locks of {day} is missing: no non-empty file matches "
              f"{missing}/part*.avro (1 of 7 tables missing: dataset_locks); nothing written")
    assert reason in result.summary().splitlines(), result.summary()
    assert index_counts(engine, paths.prefix) == {previous: 2}
    assert hdfs_checks.files(hdfs, paths.output) == []


def test_dry_run_writes_nothing(endpoints: Endpoints, scope: DataScope,
                                deploy_job: Callable[..., Deployment], run_job: Callable[..., JobResult]) -> None:
    """DRY_RUN=1 reads and computes, logs what it would write and delete, and changes nothing."""
    hdfs, engine, gateway = endpoints
    day = datetime.now(UTC).date()
    paths = paths_of(scope)
    seed_dumps(hdfs, paths, day)
    expected = expected_rows(day)
    previous = f"{paths.prefix}-{day - timedelta(days=1)}"
    put_index(engine, previous, 2)
    push_job = scope.push_job(JOB)

    deployment = deploy_job(JOB, env="dev", values=run_values(hdfs, engine, gateway, paths, day, push_job, DRY_RUN="1"))
    result = run_job(deployment)
    assert result.succeeded, result.summary()
    would_write = {fields["target"]: fields for fields in logs.events(result, "dry run: would write")}
    assert sorted(would_write) == [f"opensearch index {paths.prefix}-{day}", f"parquet {paths.output}/{day}"]
    assert would_write[f"opensearch index {paths.prefix}-{day}"]["records"] == len(expected)
    assert would_write[f"parquet {paths.output}/{day}"]["rows"] == len(expected)
    assert logs.event(result, "dry run: would delete indices")["deleted"] == [previous]
    assert index_counts(engine, paths.prefix) == {previous: 2}
    assert hdfs_checks.files(hdfs, paths.output) == []
    assert metrics.pushed(gateway, push_job) == {}
