"""WMArchive report generator: determinism, shape of harness/datagen/wmarchive.py, corruption, archive layout."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

from harness.datagen import wmarchive
from harness.datagen.sites import SITES
from harness.datagen.writers import LocalDirSink

DAY = date(2026, 11, 12)
DAY_START = int(datetime(2026, 11, 12, tzinfo=UTC).timestamp())
SITE_NAMES = {s.name for s in SITES}


def test_same_inputs_give_byte_identical_files(tmp_path: Path) -> None:
    digests = []
    for run in ("a", "b"):
        sink = LocalDirSink(tmp_path / run)
        paths = wmarchive.write(sink, 11, 2000, DAY, corrupt=4)
        digests.append([hashlib.sha256(sink.local_path(p).read_bytes()).hexdigest() for p in paths])
    assert digests[0] == digests[1]
    assert len(digests[0]) == 2


def test_reports_have_the_fields_the_jobs_read() -> None:
    recs = list(wmarchive.records(2, 5000, DAY))
    hosts, jobtypes = set(), set()
    for rec in recs:
        data = rec["data"]
        assert len(data["wmaid"]) == 32 and int(data["wmaid"], 16) >= 0
        assert DAY_START <= data["wmats"] < DAY_START + 86_400
        assert DAY_START * 1000 <= rec["metadata"]["timestamp"] < (DAY_START + 86_400) * 1000
        meta = data["meta_data"]
        assert meta["host"] in wmarchive.AGENTS
        assert meta["ts"] <= data["wmats"]
        hosts.add(meta["host"])
        jobtypes.add(meta["jobtype"])
        steps = data["steps"]
        sites = {s["site"] for s in steps if s["site"] is not None}
        assert len(sites) == 1 and sites <= SITE_NAMES
        assert steps[0]["name"] == "cmsRun1" and steps[0]["site"] is not None
        assert meta["jobstate"] == ("success" if all(s["status"] == 0 for s in steps) else "jobfailed")
    assert hosts == set(wmarchive.AGENTS)
    assert {"Processing", "Production", "Merge"} <= jobtypes
    assert {r["data"]["meta_data"]["jobstate"] for r in recs} == {"success", "jobfailed"}
    assert any(s["site"] is None for r in recs for s in r["data"]["steps"])


def test_duplicates_share_wmaid_and_data() -> None:
    recs = list(wmarchive.records(3, 3000, DAY, duplicate_rate=0.03))
    by_id: dict[str, object] = {}
    for rec in recs:
        assert by_id.setdefault(rec["data"]["wmaid"], rec["data"]) == rec["data"]
    assert 40 <= len(recs) - len(by_id) <= 140


def test_written_files_hold_exactly_the_records_plus_the_malformed_lines(tmp_path: Path) -> None:
    sink = LocalDirSink(tmp_path)
    paths = wmarchive.write(sink, 4, 500, DAY, parts=3, corrupt=7)
    assert paths == [f"/project/monitoring/archive/wmarchive/raw/metric/2026/11/12/part-{i:05d}.json" for i in range(3)]
    valid, bad = [], 0
    for path in paths:
        for line in sink.local_path(path).read_text().splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            if "wmaid" in rec["data"]:
                valid.append(rec)
            else:
                bad += 1
    assert valid == list(wmarchive.records(4, 500, DAY))
    assert bad == 7
