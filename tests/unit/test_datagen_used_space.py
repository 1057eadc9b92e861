"""Used-space series generator: determinism, what is written equals records(), the documented quirks."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from harness.datagen import used_space
from harness.datagen.rucio import rses
from harness.datagen.writers import LocalDirSink

FIRST, LAST = date(2026, 10, 1), date(2026, 11, 9)  # 40 days
DAYS = (LAST - FIRST).days + 1
LINE = re.compile(r'^(?P<name>[a-z_:0-9]+)\{(?P<labels>[^}]*)\} (?P<value>\S+) (?P<ts>\d+)$')


def midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def parse(lines: list[str]) -> list[dict[str, Any]]:
    """The samples of OpenMetrics lines, as records() gives them."""
    found: list[dict[str, Any]] = []
    for line in lines:
        if line.startswith("#"):
            continue
        match = LINE.match(line)
        assert match, line
        assert match["name"] == used_space.METRIC
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match["labels"]))
        found.append({"labels": labels, "timestamp": int(match["ts"]), "value": float(match["value"])})
    return found


def test_same_inputs_give_identical_text() -> None:
    assert list(used_space.openmetrics(5, FIRST, LAST)) == list(used_space.openmetrics(5, FIRST, LAST))
    assert list(used_space.openmetrics(5, FIRST, LAST)) != list(used_space.openmetrics(6, FIRST, LAST))


def test_text_is_exactly_the_records() -> None:
    lines = list(used_space.openmetrics(3, FIRST, LAST))
    assert lines[0].startswith(f"# HELP {used_space.METRIC} ")
    assert lines[1] == f"# TYPE {used_space.METRIC} gauge"
    assert lines[-1] == "# EOF"
    written, generated = parse(lines), list(used_space.records(3, FIRST, LAST))
    assert len(written) == len(generated)
    for got, want in zip(written, generated, strict=True):
        assert got["labels"] == want["labels"] and got["timestamp"] == want["timestamp"]
        assert math.isnan(want["value"]) if math.isnan(got["value"]) else got["value"] == want["value"]


def test_write_puts_the_text_at_the_path(tmp_path: Path) -> None:
    sink = LocalDirSink(tmp_path)
    path = used_space.write(sink, 3, FIRST, LAST, path="/prom/x.om")
    assert sink.local_path(path).read_text().splitlines() == list(used_space.openmetrics(3, FIRST, LAST))


def test_samples_sit_at_midnight_inside_the_range_in_time_order() -> None:
    grid = {midnight(FIRST + timedelta(days=k)) for k in range(DAYS)}
    for series in used_space.series(1, FIRST, LAST):
        times = [ts for ts, _ in series.samples]
        assert times == sorted(set(times))
        assert set(times) <= grid
        assert list(series.labels) == sorted(series.labels)


def test_series_per_rse_source_and_instance() -> None:
    found = used_space.series(1, FIRST, LAST)
    identities = Counter((s.labels.get("rse"), s.labels["rucioInstance"], s.labels["source"]) for s in found)
    assert max(identities.values()) == 1
    active = rses(1)
    disk = [r for r in active if r.rse_type == "DISK"]
    assert len(found) == len(active) + len(disk) + len(used_space.INT_RSES) + 1
    for series in found:
        labels = series.labels
        if "rse" in labels:
            assert labels["country"] == labels["rse"].split("_")[1]
            assert labels["rse_type"] in ("DISK", "TAPE")
            assert labels["rucioInstance"] in used_space.INSTANCES
        assert labels["source"] in ("rucio", "srr")


def test_documented_quirks() -> None:
    found = {(s.labels.get("rse"), s.labels["rucioInstance"], s.labels["source"]): s
             for s in used_space.series(7, FIRST, LAST)}
    third = DAYS // 3
    retired = [ts for ts, _ in found[(used_space.RETIRED_RSE, "prod", "rucio")].samples]
    late = [ts for ts, _ in found[(used_space.LATE_RSE, "prod", "rucio")].samples]
    assert max(retired) <= midnight(FIRST + timedelta(days=third))
    assert min(late) >= midnight(FIRST + timedelta(days=2 * third))
    nans = [(key, ts) for key, s in found.items() for ts, v in s.samples if math.isnan(v)]
    assert len(nans) == 1
    (rse, instance, source), ts = nans[0]
    assert rse is not None and rse.startswith("T2_") and (instance, source) == ("prod", "srr")
    assert ts == midnight(FIRST + timedelta(days=DAYS // 2))
    total = found[(None, "prod", "rucio")]
    assert total.labels["rse_type"] == "ALL" and len(total.samples) == DAYS
    samples = sum(len(s.samples) for key, s in found.items() if key[0] not in (None, used_space.RETIRED_RSE,
                                                                              used_space.LATE_RSE))
    full = (len(found) - 3) * DAYS
    assert 0.95 * full <= samples < full  # about 2 % missing
    finite = [v for s in found.values() for _, v in s.samples if not math.isnan(v)]
    assert min(finite) > 1e14 and max(finite) < 1e18


def test_overlapping_ranges_agree_on_shared_days() -> None:
    def values(first: date, last: date) -> dict[tuple[object, ...], float]:
        return {(tuple(r["labels"].items()), r["timestamp"]): r["value"]
                for r in used_space.records(2, first, last) if "rse" in r["labels"] and not math.isnan(r["value"])}

    wide, narrow = values(FIRST, LAST), values(FIRST + timedelta(days=10), LAST)
    shared = set(wide) & set(narrow)
    assert len(shared) > 500
    assert all(wide[key] == narrow[key] for key in shared)


def test_reversed_range_is_refused() -> None:
    with pytest.raises(ValueError, match="before first day"):
        used_space.series(1, LAST, FIRST)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian package prometheus) not installed")
def test_write_blocks_backfills_every_sample(tmp_path: Path) -> None:
    promtool = Path(shutil.which("promtool") or "promtool")
    used_space.write_blocks(promtool, tmp_path / "tsdb", 4, FIRST, FIRST + timedelta(days=5))
    listing = subprocess.run([str(promtool), "tsdb", "list", str(tmp_path / "tsdb")], capture_output=True,
                             text=True, check=True).stdout.splitlines()
    assert listing[0].split()[7:9] == ["NUM", "SAMPLES"]
    # Columns of a row: ULID, min time, max time, duration, samples, ...
    total = sum(int(row.split()[4]) for row in listing[1:])
    assert total == len(list(used_space.records(4, FIRST, FIRST + timedelta(days=5))))
    assert not (tmp_path / "tsdb.om").exists()
