"""EOS report generator: determinism, the fields the eos-dataset job reads, the join with DBS, corruption."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from harness.datagen import dbs, eos
from harness.datagen.writers import LocalDirSink

DAY = date(2026, 11, 20)
DAY_START = int(datetime(2026, 11, 20, tzinfo=UTC).timestamp())


def test_same_inputs_give_byte_identical_files(tmp_path: Path) -> None:
    digests = []
    for run in ("a", "b"):
        sink = LocalDirSink(tmp_path / run)
        paths = eos.write(sink, 7, 1500, DAY, catalog_files=300, corrupt=5)
        digests.append([hashlib.sha256(sink.local_path(p).read_bytes()).hexdigest() for p in paths])
    assert digests[0] == digests[1]
    assert len(digests[0]) == 2
    other = LocalDirSink(tmp_path / "other-seed")
    paths = eos.write(other, 8, 1500, DAY, catalog_files=300, corrupt=5)
    assert [hashlib.sha256(other.local_path(p).read_bytes()).hexdigest() for p in paths] != digests[0]


def test_reports_have_the_fields_the_job_reads() -> None:
    recs = list(eos.records(3, 4000, DAY, catalog_files=500))
    assert len(recs) == 4000
    sessions: dict[str, tuple[str, str, str]] = {}
    for rec in recs:
        data, meta = rec["data"], rec["metadata"]
        assert all(isinstance(value, str) for value in data.values())
        assert data["path"].startswith("/eos/cms/store/")
        assert DAY_START <= int(data["ots"]) <= int(data["cts"]) < DAY_START + 86_400
        assert int(data["cts"]) * 1000 < meta["timestamp"] < (DAY_START + 86_400) * 1000
        assert int(data["rb_min"]) <= int(data["rb_max"]) <= int(data["rb"])
        assert float(data["rt"]) >= 0 and float(data["wt"]) >= 0
        assert data["td"].split(".")[0] == data["sec.name"]
        key = (data["sec.name"], data["sec.info"], data["sec.app"])
        assert sessions.setdefault(data["td"], key) == key  # a session is one client process
        assert meta["producer"] == "eos"
    assert len(sessions) < len(recs) // 2  # sessions read several files
    accounts = {rec["data"]["sec.name"] for rec in recs}
    assert any(a.startswith("cms") for a in accounts) and any(not a.startswith("cms") for a in accounts)
    assert {"", "fuse", "xrdcp", "cmsRun"} <= {rec["data"]["sec.app"] for rec in recs}
    assert any(int(rec["data"]["wb"]) > 0 for rec in recs)


def test_catalogue_paths_join_with_dbs_files() -> None:
    files = {row["LOGICAL_FILE_NAME"]: row["FILE_SIZE"] for row in dbs.records("FILES", 5, 400, DAY)}
    recs = list(eos.records(5, 3000, DAY, catalog_files=400))
    joined = [r for r in recs if r["data"]["path"].removeprefix("/eos/cms") in files]
    foreign = [r for r in recs if r["data"]["path"].removeprefix("/eos/cms") not in files]
    assert 0.78 * len(recs) <= len(joined) <= 0.92 * len(recs)
    for rec in joined:
        data = rec["data"]
        assert int(data["csize"]) == files[data["path"].removeprefix("/eos/cms")]
        assert data["wb"] == "0" and int(data["rb"]) > 0
    assert all("/store/mc/" not in r["data"]["path"] and "/store/data/" not in r["data"]["path"] for r in foreign)
    # Popular files: the most read catalogue file is read far more often than the median one.
    counts = sorted(Counter(r["data"]["path"] for r in joined).values())
    assert counts[-1] >= 5 * counts[len(counts) // 2]
    assert len({r["data"]["path"] for r in joined}) > 150


def test_no_foreign_files_when_rate_is_zero() -> None:
    files = {row["LOGICAL_FILE_NAME"] for row in dbs.records("FILES", 2, 50, DAY)}
    recs = list(eos.records(2, 200, DAY, catalog_files=50, foreign_rate=0.0))
    assert all(r["data"]["path"].removeprefix("/eos/cms") in files for r in recs)


def test_written_files_hold_exactly_the_records_plus_the_malformed_lines(tmp_path: Path) -> None:
    sink = LocalDirSink(tmp_path)
    paths = eos.write(sink, 4, 600, DAY, catalog_files=100, parts=3, corrupt=7)
    assert paths == [f"/project/monitoring/archive/eos-report/logs/cms/2026/11/20/part-{i:05d}.json" for i in range(3)]
    valid, cut, pathless, not_json = [], 0, 0, 0
    for path in paths:
        for line in sink.local_path(path).read_text().splitlines():
            if not line.startswith("{"):
                assert line.startswith("log=") and "&path=/eos/cms/" in line
                not_json += 1
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                cut += 1
                continue
            if "path" in rec["data"]:
                valid.append(rec)
            else:
                pathless += 1
    assert valid == list(eos.records(4, 600, DAY, catalog_files=100))
    assert (cut, pathless, not_json) == (3, 2, 2)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="n must be at least 1"):
        eos.records(1, 0, DAY)
    with pytest.raises(ValueError, match="catalog_files must be at least 1"):
        eos.records(1, 5, DAY, catalog_files=0)
    with pytest.raises(ValueError, match=r"foreign_rate must be in \[0, 1\]"):
        eos.records(1, 5, DAY, foreign_rate=1.5)
    with pytest.raises(ValueError, match="corrupt must be >= 0"):
        list(eos.lines(1, 5, DAY, corrupt=-1))
