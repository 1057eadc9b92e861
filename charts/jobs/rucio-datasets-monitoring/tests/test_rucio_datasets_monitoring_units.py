"""rucio-datasets-monitoring's own logic on small inputs, without a cluster: the day check, the per
(dataset, RSE) rules of the README, the documents and the clean-up of older outputs, and the run's outcomes
(Spark local; an in-memory search backend stands in for OpenSearch).

The Rucio tables are avro, and the dev environment's pyspark has no spark-avro (the spark base image adds
it): the tests give the job those tables as Spark reads them (RAW ids as bytes, NUMBER columns as decimal
strings, DATE columns as epoch milliseconds); the DBS tables are real CSV files.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from jobkit.config import load
from jobkit.errors import ConfigError, JobError
from tests.fakes import InMemorySearchBackendForUnitTest

DAY = date(2026, 11, 2)
SINK = {"SINK_KIND": "opensearch", "SINK_URL": "http://127.0.0.1:9200"}
DISK, TAPE, GONE = bytes.fromhex("01" * 16), bytes.fromhex("02" * 16), bytes.fromhex("03" * 16)
RULE = bytes.fromhex("0b" * 16)
T0 = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()) * 1000

RUCIO = {
    "rses": ("ID binary, RSE string, RSE_TYPE string, DELETED_AT long", [
        (DISK, "T2_US_Disk", "DISK", None), (TAPE, "T1_US_Tape_Temp", "TAPE", None),
        (GONE, "T3_XX_Gone", "DISK", T0)]),
    "replicas": ("SCOPE string, NAME string, RSE_ID binary, BYTES string, STATE string, ACCESSED_AT long, "
                 "CREATED_AT long", [
        ("cms", "/a1", DISK, "100", "A", T0 + 5000, T0),
        ("cms", "/a2", DISK, None, "A", None, T0 + 2000),     # size and times from the DID
        ("cms", "/a1", TAPE, "100", "A", None, T0),
        ("cms", "/x", DISK, "7", "A", None, T0),             # DBS does not know the file
        ("cms", "/a1", GONE, "100", "A", None, T0),          # deleted RSE: no RSE name
        ("user", "/a1", DISK, "100", "A", None, T0),         # user scope: left out
        ("cms", "/a2", TAPE, "50", "C", None, T0),           # being copied: left out
    ]),
    "dids": ("SCOPE string, NAME string, DID_TYPE string, HIDDEN string, BYTES string, ACCESSED_AT long, "
             "CREATED_AT long, DELETED_AT long", [
        ("cms", "/a1", "F", "0", "100", T0 + 9000, T0, None),
        ("cms", "/a2", "F", "0", "60", T0 + 3000, T0 + 4000, None)]),
    "dataset_locks": ("SCOPE string, NAME string, RSE_ID binary, ACCOUNT string, RULE_ID binary, STATE string", [
        ("cms", "/A#1", TAPE, "wma_prod", RULE, "O"),
        ("cms", "/A#1", TAPE, "sync_t1_us", RULE, "O"),
        ("cms", "/A#2", DISK, "someone", RULE, "O")]),      # not a production account
}
DBS = {
    "DATASETS": ["10,/A/B/RAW,1,1,1,1,1,1,1,1,null,null,0,u,0,u", "20,/Bad/B/RAW,0,1,1,1,1,1,1,1,null,null,0,u,0,u"],
    "BLOCKS": ["1,/A#1,10,0,site,0,1,0,u,0,u", "2,/A#2,10,0,site,0,1,0,u,0,u"],
    "FILES": ["1,/a1,1,10,1,1,c,1,100,null,a,null,null,0,u,0,u", "2,/a2,1,10,2,1,c,1,60,null,a,null,null,0,u,0,u",
              "3,/a3,1,10,2,1,c,1,60,null,a,null,null,0,u,0,u"],
}


def seed(tmp_path: Path, write_lines: Callable[..., Path], day: date = DAY) -> dict[str, str]:
    for table in RUCIO:
        write_lines(tmp_path / "rucio" / day.isoformat() / table, ["stand-in"], name="part-0.avro")
    for table, rows in DBS.items():
        write_lines(tmp_path / "dbs" / day.isoformat() / table, rows, name="part-m-00000")
    return {**SINK, "DAY": day.isoformat(), "RUCIO_PATH": str(tmp_path / "rucio"), "DBS_PATH": str(tmp_path / "dbs"),
            "OUTPUT_PATH": str(tmp_path / "out"), "INDEX_PREFIX": "rdm"}


@pytest.fixture
def tables(app: SimpleNamespace, spark: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Rucio tables as Spark reads their avro dumps."""
    frames = {name: spark.createDataFrame(rows, schema) for name, (schema, rows) in RUCIO.items()}
    monkeypatch.setattr(app.datasets, "rucio_table", lambda session, dumps, table: frames[table])


def test_day_check(app: SimpleNamespace) -> None:
    with pytest.raises(ConfigError) as info:
        app.main.check_config(load(app.main.VARIABLES, {**SINK, "DAY": "2026-11-05"}), DAY)
    assert str(info.value) == "DAY=2026-11-05 lies in the future; allowed: a dump day up to tomorrow (UTC)"
    with pytest.raises(ConfigError) as info:
        load(app.main.VARIABLES, {**SINK, "INDEX_REPLICAS": "-1"})
    assert str(info.value) == "INDEX_REPLICAS=-1 is negative; allowed: 0 or more"


def test_rows_follow_the_readme(app: SimpleNamespace, spark: Any, tables: None, tmp_path: Path,
                                write_lines: Callable[..., Path]) -> None:
    seed(tmp_path, write_lines)
    dumps = app.inputs.Dumps(DAY, str(tmp_path / "rucio"), str(tmp_path / "dbs"))
    rows = {(row["Dataset"], row["RSE"]): {k: v for k, v in row.asDict().items() if v is not None}
            for row in app.datasets.datasets_in_rses(spark, dumps, 123).collect()}
    assert rows[("/A/B/RAW", "T2_US_Disk")] == {
        "Type": "DISK", "Dataset": "/A/B/RAW", "RSE": "T2_US_Disk", "Tier": "T2", "Country": "US", "RseKind": "prod",
        "SizeBytes": 160, "LastAccess": (T0 + 9000) // 1000, "LastCreate": (T0 + 4000) // 1000,
        "IsFullyReplicated": False, "IsLocked": "DYNAMIC", "FilePercentage": 66.67, "FileCount": 2,
        "AccessedFileCount": 2, "BlockCount": 2, "ProdLockedBlockCount": 0, "timestamp": 123}
    assert rows[("/A/B/RAW", "T1_US_Tape_Temp")] == {
        "Type": "TAPE", "Dataset": "/A/B/RAW", "RSE": "T1_US_Tape_Temp", "Tier": "T1", "Country": "US",
        "RseKind": "temp", "SizeBytes": 100, "LastAccess": (T0 + 9000) // 1000, "LastCreate": T0 // 1000,
        "IsFullyReplicated": False, "IsLocked": "PARTIAL", "FilePercentage": 33.33, "FileCount": 1,
        "AccessedFileCount": 1, "BlockCount": 2, "ProdLockedBlockCount": 1, "ProdAccounts": ["sync", "wma_prod"],
        "BlockRuleIDs": ["0b" * 16, "sync-rules"], "timestamp": 123}
    unknown = rows[("UnknownDatasetNameOfFiles_MonitoringTag", "T2_US_Disk")]
    assert (unknown["SizeBytes"], unknown["LastAccess"], unknown["IsFullyReplicated"]) == (7, 0, False)
    assert "BlockCount" not in unknown and "FilePercentage" not in unknown
    assert ("/A/B/RAW", None) in rows  # a replica at a deleted RSE
    assert len(rows) == 4


def test_run_writes_replaces_and_drops_older_outputs(app: SimpleNamespace, run_main: Callable[..., Any],
                                                     tables: None, spark: Any, tmp_path: Path,
                                                     write_lines: Callable[..., Path],
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     job_events: Callable[[str], list[dict[str, Any]]]) -> None:
    backend = InMemorySearchBackendForUnitTest()
    backend.indices = {"rdm-2026-10-30": {"old": {}}, "rdm-2026-11-03": {"new": {}}, "other-2026-10-30": {}}
    monkeypatch.setattr(app.main, "search_backend_from_config", lambda config: backend)
    environ = seed(tmp_path, write_lines)
    (tmp_path / "out" / "2026-10-30").mkdir(parents=True)
    (tmp_path / "out" / "notes").mkdir()
    dry = run_main({**environ, "DRY_RUN": "1"})
    assert dry.records_out == 4 and "rdm-2026-11-02" not in backend.indices
    assert job_events("dry run: would delete indices")[0]["deleted"] == ["rdm-2026-10-30"]
    ctx = run_main(environ)
    assert (ctx.records_in, ctx.records_out) == (5, 4)
    documents = backend.indices["rdm-2026-11-02"]
    assert sorted(doc["FileCount"] for doc in documents.values()) == [1, 1, 1, 2]
    assert app.outputs.document_id({"Dataset": "/A/B/RAW", "RSE": "T2_US_Disk"}) in documents
    assert sorted(backend.indices) == ["other-2026-10-30", "rdm-2026-11-02", "rdm-2026-11-03"]
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["2026-11-02", "notes"]
    assert spark.read.parquet(str(tmp_path / "out" / "2026-11-02")).count() == 4


def test_failures(app: SimpleNamespace, run_main: Callable[..., Any], tables: None, tmp_path: Path,
                  write_lines: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    environ = seed(tmp_path, write_lines)
    (tmp_path / "rucio" / DAY.isoformat() / "dataset_locks" / "part-0.avro").unlink()
    with pytest.raises(JobError) as info:
        run_main(environ)
    assert str(info.value) == (f"input table dataset_locks of {DAY} is missing: no non-empty file matches "
                               f"{tmp_path}/rucio/{DAY}/dataset_locks/part*.avro (1 of 7 tables missing: "
                               f"dataset_locks); nothing written")
    environ = seed(tmp_path, write_lines)
    write_lines(tmp_path / "dbs" / DAY.isoformat() / "FILES", ["4,/a4,notanumber"], name="part-m-00001")
    with pytest.raises(JobError) as info:
        run_main(environ)
    assert str(info.value).startswith(f"reading the dumps of {DAY} failed: ")
    assert "\n" not in str(info.value) and len(str(info.value)) < 400
    (tmp_path / "dbs" / DAY.isoformat() / "FILES" / "part-m-00001").unlink()
    monkeypatch.setitem(RUCIO, "replicas", (RUCIO["replicas"][0], []))
    monkeypatch.setattr(app.datasets, "rucio_table", lambda session, dumps, table: session.createDataFrame(
        RUCIO[table][1], RUCIO[table][0]))
    with pytest.raises(JobError) as info:
        run_main(environ)
    assert str(info.value) == (f"no available replica of a cms file in the dumps of {DAY}; nothing written, "
                               f"older outputs kept")


def test_root_cause_of_a_python_side_error(app: SimpleNamespace) -> None:
    assert app.main.root_cause(ValueError("first line\nsecond")) == "first line"
    assert app.main.root_cause(ValueError()) == "ValueError"
