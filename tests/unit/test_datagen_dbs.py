"""DBS dump generator: determinism, referential integrity, sqoop CSV dialect and nulls, corruption."""

from __future__ import annotations

import csv
import gzip
import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

from harness.datagen import dbs
from harness.datagen.writers import LocalDirSink

DAY = date(2026, 11, 20)
SNAPSHOT = int(datetime(2026, 11, 20, tzinfo=UTC).timestamp())
ROOT = "/project/awg/cms/dbs/PROD_GLOBAL/2026-11-20"


def _parse(text: str) -> list[list[str | None]]:
    """Read sqoop CSV the way Spark does with nullValue='null' (backslash escapes, optional quotes)."""
    reader = csv.reader(text.splitlines(), delimiter=",", quotechar='"', escapechar="\\", doublequote=False)
    return [[None if field == "null" else field for field in row] for row in reader]


def test_same_inputs_give_byte_identical_files(tmp_path: Path) -> None:
    digests = []
    for run in ("a", "b"):
        sink = LocalDirSink(tmp_path / run)
        digests.append(
            [hashlib.sha256(sink.local_path(p).read_bytes()).hexdigest() for p in dbs.write(sink, 9, 3000, DAY)]
        )
    assert digests[0] == digests[1]


def test_layout_is_the_daily_sqoop_dump(tmp_path: Path) -> None:
    paths = dbs.write(LocalDirSink(tmp_path), 1, 100, DAY)
    assert paths == [f"{ROOT}/{t}/part-m-00000.gz" for t in ("DATA_TIERS", "DATASETS", "BLOCKS", "FILES")]
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    expected = [
        f"{ROOT[1:]}/{t}/{name}"
        for t in ("DATA_TIERS", "DATASETS", "BLOCKS", "FILES")
        for name in ("_SUCCESS", "part-m-00000.gz")
    ]
    assert files == sorted(expected)
    plain = dbs.write(LocalDirSink(tmp_path / "plain"), 1, 100, DAY, compress=False)
    assert plain == [f"{ROOT}/{t}/part-m-00000" for t in ("DATA_TIERS", "DATASETS", "BLOCKS", "FILES")]


def test_files_parse_back_to_the_records_with_nulls(tmp_path: Path) -> None:
    sink = LocalDirSink(tmp_path)
    dbs.write(sink, 2, 2000, DAY)
    for table in dbs.TABLES:
        text = gzip.decompress(sink.local_path(f"{ROOT}/{table}/part-m-00000.gz").read_bytes()).decode()
        rows = _parse(text)
        expected = [[None if v is None else str(v) for v in rec.values()] for rec in dbs.records(table, 2, 2000, DAY)]
        assert rows == expected, table
        assert all(len(row) == len(dbs.COLUMNS[table]) for row in rows)
    files_text = gzip.decompress(sink.local_path(f"{ROOT}/FILES/part-m-00000.gz").read_bytes()).decode()
    assert ",null,null," in files_text and "None" not in files_text
    datasets_text = gzip.decompress(sink.local_path(f"{ROOT}/DATASETS/part-m-00000.gz").read_bytes()).decode()
    assert '"/DC=org/DC=terena/DC=tcs/C=BE/O=Universiteit Gent/CN=Doe, Jane jdoe@ugent.be"' in datasets_text


def test_csv_field_quotes_and_escapes_like_sqoop() -> None:
    assert dbs.csv_line([None, 1, 2.5, "a,b", 'say "hi"', "back\\slash", "plain"]) == (
        'null,1,2.5,"a,b","say \\"hi\\"","back\\\\slash",plain'
    )


def test_referential_integrity_and_block_totals() -> None:
    tiers = {r["DATA_TIER_ID"] for r in dbs.records("DATA_TIERS", 3, 20_000, DAY)}
    datasets = {r["DATASET_ID"]: r for r in dbs.records("DATASETS", 3, 20_000, DAY)}
    blocks = {r["BLOCK_ID"]: r for r in dbs.records("BLOCKS", 3, 20_000, DAY)}
    files = list(dbs.records("FILES", 3, 20_000, DAY))
    assert len(files) == 20_000
    assert {d["DATA_TIER_ID"] for d in datasets.values()} <= tiers
    for d in datasets.values():
        assert (
            str(d["DATASET"]).rsplit("/", 1)[1]
            == dict((r["DATA_TIER_ID"], r["DATA_TIER_NAME"]) for r in dbs.records("DATA_TIERS", 3, 1, DAY))[
                d["DATA_TIER_ID"]
            ]
        )
    assert {b["DATASET_ID"] for b in blocks.values()} <= set(datasets)
    sizes: dict[object, int] = {}
    counts: dict[object, int] = {}
    for f in files:
        block = blocks[f["BLOCK_ID"]]
        assert f["DATASET_ID"] == block["DATASET_ID"] in datasets
        assert str(block["BLOCK_NAME"]).startswith(str(datasets[f["DATASET_ID"]]["DATASET"]) + "#")
        assert isinstance(f["FILE_SIZE"], int) and isinstance(f["CREATION_DATE"], int)
        assert isinstance(f["LAST_MODIFICATION_DATE"], int)
        assert f["CREATION_DATE"] <= f["LAST_MODIFICATION_DATE"] < SNAPSHOT
        sizes[f["BLOCK_ID"]] = sizes.get(f["BLOCK_ID"], 0) + f["FILE_SIZE"]
        counts[f["BLOCK_ID"]] = counts.get(f["BLOCK_ID"], 0) + 1
        if not datasets[f["DATASET_ID"]]["IS_DATASET_VALID"]:
            assert f["IS_FILE_VALID"] == 0
    assert all(sizes[b] == blocks[b]["BLOCK_SIZE"] and counts[b] == blocks[b]["FILE_COUNT"] for b in blocks)
    assert len({f["LOGICAL_FILE_NAME"] for f in files}) == len(files)
    assert len({d["DATASET"] for d in datasets.values()}) == len(datasets)
    assert {f["IS_FILE_VALID"] for f in files} == {0, 1}


def test_smaller_catalogue_is_a_prefix_of_a_larger_one() -> None:
    small = [f["LOGICAL_FILE_NAME"] for f in dbs.records("FILES", 5, 300, DAY)]
    large = [f["LOGICAL_FILE_NAME"] for f in dbs.records("FILES", 5, 900, DAY)]
    assert large[:300] == small


def test_corrupt_rows_go_to_files_only_and_break_the_row_shape(tmp_path: Path) -> None:
    sink = LocalDirSink(tmp_path)
    dbs.write(sink, 6, 500, DAY, corrupt=6, compress=False)
    rows = _parse(sink.local_path(f"{ROOT}/FILES/part-m-00000").read_text())
    assert len(rows) == 506
    good = [r for r in rows if len(r) == 17 and str(r[8]).isdigit()]
    assert good == [[None if v is None else str(v) for v in rec.values()] for rec in dbs.records("FILES", 6, 500, DAY)]
    datasets = _parse(sink.local_path(f"{ROOT}/DATASETS/part-m-00000").read_text())
    assert len(datasets) == sum(1 for _ in dbs.records("DATASETS", 6, 500, DAY))
