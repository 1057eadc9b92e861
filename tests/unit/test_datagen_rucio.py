"""Rucio dump generator: avro round trip with fastavro, column types, integrity with DBS, corruption."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import fastavro
import pytest

from harness.datagen import dbs, rucio
from harness.datagen.writers import LocalDirSink

DAY = date(2026, 11, 20)
SNAPSHOT_MS = int(datetime(2026, 11, 20, tzinfo=UTC).timestamp()) * 1000
ROOT = "/project/awg/cms/rucio/2026-11-20"


def _read(sink: LocalDirSink, table: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with open(sink.local_path(f"{ROOT}/{table}/part-m-00000.avro"), "rb") as f:
        reader = fastavro.reader(f)
        rows = list(reader)
        assert reader.codec == "deflate"
        return reader.writer_schema, rows  # type: ignore[return-value]


def test_tables_have_the_columns_named_in_cms_jobs() -> None:
    named = {
        "replicas": {"SCOPE", "NAME", "RSE_ID", "BYTES", "STATE", "ACCESSED_AT", "CREATED_AT", "LOCK_CNT"},
        "contents": {"SCOPE", "NAME", "CHILD_NAME", "DID_TYPE", "CHILD_TYPE"},
        "rses": {"ID", "RSE", "RSE_TYPE", "DELETED_AT"},
        "dids": {"SCOPE", "NAME", "DID_TYPE", "HIDDEN", "BYTES", "DELETED_AT", "ACCESSED_AT", "CREATED_AT"},
        "dataset_locks": {"SCOPE", "NAME", "RULE_ID", "RSE_ID", "ACCOUNT", "STATE"},
    }
    assert set(rucio.TABLES) == set(named)
    for table, columns in named.items():
        assert columns <= set(rucio.COLUMNS[table]), table


def test_same_inputs_give_byte_identical_files(tmp_path: Path) -> None:
    digests = []
    for run in ("a", "b"):
        sink = LocalDirSink(tmp_path / run)
        paths = rucio.write(sink, 8, 3000, DAY)
        digests.append([hashlib.sha256(sink.local_path(p).read_bytes()).hexdigest() for p in paths])
    assert digests[0] == digests[1]


def test_layout_and_avro_round_trip_with_sqoop_types(tmp_path: Path) -> None:
    sink = LocalDirSink(tmp_path)
    paths = rucio.write(sink, 1, 2000, DAY)
    assert paths == [f"{ROOT}/{t}/part-m-00000.avro" for t in ("rses", "dids", "contents", "replicas", "dataset_locks")]
    for table in rucio.TABLES:
        assert sink.local_path(f"{ROOT}/{table}/_SUCCESS").read_bytes() == b""
        schema, rows = _read(sink, table)
        assert rows == list(rucio.records(table, 1, 2000, DAY)), table
        assert [f["name"] for f in schema["fields"]] == list(rucio.COLUMNS[table])
        types = {f["name"]: f["type"] for f in schema["fields"]}
        assert all(t[0] == "null" for t in types.values())
        for column, avro_type in types.items():
            if column in ("ID", "RSE_ID", "RULE_ID"):
                assert avro_type == ["null", "bytes"]
            elif column.endswith("_AT") or column == "TOMBSTONE":
                assert avro_type == ["null", "long"]
            else:
                assert avro_type == ["null", "string"]
    _, replicas = _read(sink, "replicas")
    assert all(len(r["RSE_ID"]) == 16 and r["CREATED_AT"] < SNAPSHOT_MS and int(r["BYTES"]) > 0 for r in replicas)


def test_replicas_and_locks_reference_existing_rses_and_dids() -> None:
    rses = {r["ID"]: r for r in rucio.records("rses", 4, 5000, DAY)}
    dids = {(d["SCOPE"], d["NAME"]): d for d in rucio.records("dids", 4, 5000, DAY)}
    replicas = list(rucio.records("replicas", 4, 5000, DAY))
    locks = list(rucio.records("dataset_locks", 4, 5000, DAY))
    for rep in replicas:
        assert rses[rep["RSE_ID"]]["DELETED_AT"] is None
        did = dids[(rep["SCOPE"], rep["NAME"])]
        assert did["DID_TYPE"] == "F" and did["BYTES"] == rep["BYTES"]
    for lock in locks:
        assert rses[lock["RSE_ID"]]["DELETED_AT"] is None
        assert dids[("cms", lock["NAME"])]["DID_TYPE"] == "D"
    names = {r["RSE"] for r in rses.values()}
    assert {
        "T1_DE_KIT_Disk",
        "T1_DE_KIT_Tape",
        "T2_US_Wisconsin",
        "T2_US_Purdue_Temp",
        "T2_DE_DESY_Test",
    } <= names
    assert {r["RSE_TYPE"] for r in rses.values()} == {"DISK", "TAPE"}
    assert sum(r["DELETED_AT"] is not None for r in rses.values()) == 1
    assert {lock["STATE"] for lock in locks} == {"O", "R", "S"}
    assert {r["STATE"] for r in replicas} >= {"A"}
    assert any(r["SCOPE"].startswith("user.") for r in replicas)


def test_every_time_is_before_the_snapshot_day() -> None:
    for table in rucio.TABLES:
        for row in rucio.records(table, 3, 2000, DAY):
            times = [v for k, v in row.items() if (k.endswith("_AT") or k == "TOMBSTONE") and v is not None]
            assert all(isinstance(t, int) and 1_262_304_000_000 < t < SNAPSHOT_MS for t in times), row


def test_contents_link_containers_blocks_and_files() -> None:
    dids = {d["NAME"]: d["DID_TYPE"] for d in rucio.records("dids", 5, 1000, DAY)}
    for row in rucio.records("contents", 5, 1000, DAY):
        assert (dids[row["NAME"]], dids[row["CHILD_NAME"]]) == (row["DID_TYPE"], row["CHILD_TYPE"])
        assert (row["DID_TYPE"], row["CHILD_TYPE"]) in {("C", "D"), ("D", "F")}


def test_rucio_and_dbs_describe_the_same_catalogue() -> None:
    dbs_files = {f["LOGICAL_FILE_NAME"] for f in dbs.records("FILES", 6, 4000, DAY)}
    dbs_blocks = {b["BLOCK_NAME"] for b in dbs.records("BLOCKS", 6, 4000, DAY)}
    dbs_datasets = {d["DATASET"] for d in dbs.records("DATASETS", 6, 4000, DAY)}
    cms = [d for d in rucio.records("dids", 6, 4000, DAY) if d["SCOPE"] == "cms"]
    assert {d["NAME"] for d in cms if d["DID_TYPE"] == "F"} == dbs_files
    assert {d["NAME"] for d in cms if d["DID_TYPE"] == "D"} == dbs_blocks
    assert {d["NAME"] for d in cms if d["DID_TYPE"] == "C"} == dbs_datasets
    replicated = {r["NAME"] for r in rucio.records("replicas", 6, 4000, DAY) if r["SCOPE"] == "cms"}
    # Files whose every replica is missing exist (blocks partly replicated everywhere), but are few.
    assert replicated <= dbs_files and len(replicated) > 0.9 * len(dbs_files)


def test_some_blocks_are_only_partly_replicated() -> None:
    blocks = {b["BLOCK_ID"]: b for b in dbs.records("BLOCKS", 7, 5000, DAY)}
    block_of = {f["LOGICAL_FILE_NAME"]: f["BLOCK_ID"] for f in dbs.records("FILES", 7, 5000, DAY)}
    present: dict[tuple[Any, bytes], int] = {}
    for rep in rucio.records("replicas", 7, 5000, DAY):
        if rep["SCOPE"] == "cms":
            key = (block_of[rep["NAME"]], rep["RSE_ID"])
            present[key] = present.get(key, 0) + 1
    complete = [count == blocks[block]["FILE_COUNT"] for (block, _), count in present.items()]
    assert any(complete) and not all(complete)


def test_corrupt_damages_replicas_block_markers_so_readers_fail(tmp_path: Path) -> None:
    whole, damaged = LocalDirSink(tmp_path / "whole"), LocalDirSink(tmp_path / "damaged")
    rucio.write(whole, 2, 500, DAY)
    rucio.write(damaged, 2, 500, DAY, corrupt=2)
    path = f"{ROOT}/replicas/part-m-00000.avro"
    good, bad = whole.local_path(path).read_bytes(), damaged.local_path(path).read_bytes()
    assert len(good) == len(bad)
    assert sum(a != b for a, b in zip(good, bad, strict=True)) == 2 * 16
    with pytest.raises(ValueError, match="sync"), open(damaged.local_path(path), "rb") as f:
        list(fastavro.reader(f))
    other = f"{ROOT}/dids/part-m-00000.avro"
    assert damaged.local_path(other).read_bytes() == whole.local_path(other).read_bytes()
