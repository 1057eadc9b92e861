"""Condor record generator: determinism, field rules of harness/datagen/condor.py, corruption, archive layout."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from harness.datagen import condor
from harness.datagen.writers import LocalDirSink

DAY = date(2026, 11, 20)
DAY_START_MS = int(datetime(2026, 11, 20, tzinfo=UTC).timestamp()) * 1000
REQUIRED = (
    "GlobalJobId", "RecordTime", "Status", "Type", "Site", "Tier", "Country", "JobFailed", "CpuEff", "CoreHr",
    "CpuTimeHr", "WallClockHr", "CommittedCoreHr", "CommittedWallClockHr", "HS06CpuTimeHr", "RequestCpus",
    "Workflow", "ScheddName",
)  # fmt: skip
HPC_SUBSITES = {
    "KIT-HOREKA",
    "PIC-BSC",
    "RWTH-HPC",
    "CNAF-CINECA",
    "CNAF-LEONARDO",
    "CNAF-VEGA",
    "CNAF-CHULA",
}


def _tree_digest(root: Path) -> dict[str, str]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_same_inputs_give_byte_identical_files(tmp_path: Path) -> None:
    for run in ("a", "b"):
        condor.write(LocalDirSink(tmp_path / run), 7, 3000, DAY, corrupt=5)
    assert _tree_digest(tmp_path / "a") == _tree_digest(tmp_path / "b")
    assert len(_tree_digest(tmp_path / "a")) == 4


def test_other_seed_or_day_gives_other_records() -> None:
    first = [r["data"]["GlobalJobId"] for r in condor.records(1, 200, DAY)]
    assert first != [r["data"]["GlobalJobId"] for r in condor.records(2, 200, DAY)]
    assert not set(first) & {r["data"]["GlobalJobId"] for r in condor.records(1, 200, date(2026, 11, 21))}


def test_records_follow_the_documented_rules() -> None:
    recs = list(condor.records(3, 20_000, DAY))
    assert len(recs) == 20_000
    statuses, types = set(), set()
    for rec in recs:
        data, meta = rec["data"], rec["metadata"]
        assert all(key in data for key in REQUIRED), data
        assert {"_id", "timestamp", "producer", "topic", "type", "hostname"} <= set(meta)
        assert meta["producer"] == "condor" and meta["topic"] == "condor_raw_metric" and meta["type"] == "metric"
        assert ("ChirpCMSSWReadBytes" in data) == (data["WallClockHr"] > 0)
        assert DAY_START_MS <= data["RecordTime"] < meta["timestamp"] < DAY_START_MS + 86_400_000
        statuses.add(data["Status"])
        types.add(data["Type"])
        if data["Status"] == "Idle":
            assert (data["Site"], data["Tier"], data["Country"], data["CoreHr"]) == ("Unknown",) * 3 + (0.0,)
        else:
            tier, country = data["Site"].split("_")[:2]
            assert (data["Tier"], data["Country"]) == (tier, country)
        assert data["JobFailed"] == int(data["Status"] == "Removed" or data["ExitCode"] != 0)
        assert data["WallClockHr"] == data["RemoteWallClockTime"] / 3600
        assert data["CoreHr"] == data["RequestCpus"] * data["RemoteWallClockTime"] / 3600
        assert data["CpuTimeHr"] == (data["RemoteUserCpu"] + data["RemoteSysCpu"]) / 3600
        if data["CoreHr"] > 0:
            assert data["CpuEff"] == 100 * data["CpuTimeHr"] / data["CoreHr"]
        else:
            assert data["CpuEff"] == 0
        assert data["CpuEffOutlier"] == int(data["CoreHr"] == 0 or data["CpuEff"] > 100)
        assert data["CommittedCoreHr"] <= data["CoreHr"]
        assert data["CommittedWallClockHr"] <= data["WallClockHr"]
        if data["Type"] == "analysis":
            assert data["CRAB_UserHN"] and data["CRAB_Workflow"].endswith(data["Workflow"])
            pd, proc, tier_block = data["CRAB_DataBlock"].split("/")[1:]
            assert pd and proc and "#" in tier_block
            assert "WMAgent_RequestName" not in data
        else:
            assert data["WMAgent_RequestName"] == data["Workflow"] and "CRAB_UserHN" not in data
        if "MachineAttrCMSSubSiteName0" in data:
            assert data["MachineAttrCMSSubSiteName0"] in HPC_SUBSITES
            assert data["Site"] in {"T1_DE_KIT", "T1_ES_PIC", "T1_IT_CNAF", "T2_DE_RWTH"}
    assert statuses == {"Completed", "Running", "Idle", "Removed", "Held"}
    assert types == {"analysis", "production"}
    assert {r["data"]["MachineAttrCMSSubSiteName0"] for r in recs if "MachineAttrCMSSubSiteName0" in r["data"]} == (
        HPC_SUBSITES
    )
    assert any(r["data"]["Site"] == "T3_US_NERSC" for r in recs)
    completed_ok = [r for r in recs if r["data"]["Status"] == "Completed" and r["data"]["JobFailed"] == 0]
    assert len(completed_ok) > len(recs) // 2


def test_duplicates_repeat_earlier_data_only_at_the_requested_rate() -> None:
    recs = list(condor.records(4, 5000, DAY, duplicate_rate=0.02))
    ids = [r["data"]["GlobalJobId"] for r in recs]
    first_by_id: dict[str, Any] = {}
    for rec in recs:
        first_by_id.setdefault(rec["data"]["GlobalJobId"], rec["data"])
        assert rec["data"] == first_by_id[rec["data"]["GlobalJobId"]]
    assert 50 <= len(ids) - len(set(ids)) <= 150
    assert len({r["metadata"]["_id"] for r in recs}) == len(recs)
    no_dupes = [r["data"]["GlobalJobId"] for r in condor.records(4, 5000, DAY, duplicate_rate=0)]
    assert len(set(no_dupes)) == 5000


def test_written_files_hold_exactly_the_records_plus_the_malformed_lines(tmp_path: Path) -> None:
    sink = LocalDirSink(tmp_path)
    paths = condor.write(sink, 5, 1001, DAY, parts=4, corrupt=6)
    day_dir = "/project/monitoring/archive/condor/raw/metric/2026/11/20"
    assert paths == [f"{day_dir}/part-{i:05d}.json" for i in range(4)]
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        p.lstrip("/") for p in paths
    ]
    lines = [line for p in paths for line in sink.local_path(p).read_text().splitlines()]
    assert len(lines) == 1007
    valid: list[Any] = []
    malformed: list[Any] = []
    for line in lines:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            malformed.append(line)
            continue
        (valid if "GlobalJobId" in rec["data"] else malformed).append(rec)
    assert valid == list(condor.records(5, 1001, DAY))
    assert len(malformed) == 6


def test_write_days_writes_one_directory_per_day(tmp_path: Path) -> None:
    days = [date(2026, 10, 31), date(2026, 11, 1)]
    paths = condor.write_days(LocalDirSink(tmp_path), 1, 10, days, parts=2)
    assert [p.rsplit("/", 4)[1:4] for p in paths] == [["2026", "10", "31"]] * 2 + [["2026", "11", "01"]] * 2


@pytest.mark.parametrize(("n", "options"), [(0, {}), (5, {"duplicate_rate": 1.0}), (5, {"corrupt": -1})])
def test_bad_arguments_are_rejected(n: int, options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        list(condor.lines(1, n, DAY, **options))
