"""``harness datagen`` command: what it writes where, and refusals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner

from harness.datagen import condor, dbs
from harness.datagen.cli import datagen
from harness.datagen.writers import LocalDirSink


def test_writes_every_source_at_the_production_layout(tmp_path: Path) -> None:
    args = ["--day", "2026-11-20", "--days", "2", "--size", "50", "--local", str(tmp_path)]
    result = CliRunner().invoke(datagen, args)
    assert result.exit_code == 0, result.output
    paths = result.stdout.split()
    assert len(paths) == 4 * 2 + 2 * 2 + 4 + 5 + 2 * 2 + 1  # condor, wmarchive, dbs, rucio, eos, used-space
    assert "/project/monitoring/archive/condor/raw/metric/2026/11/19/part-00000.json" in paths
    assert "/project/monitoring/archive/wmarchive/raw/metric/2026/11/20/part-00001.json" in paths
    assert "/project/awg/cms/dbs/PROD_GLOBAL/2026-11-20/FILES/part-m-00000.gz" in paths
    assert "/project/awg/cms/rucio/2026-11-20/replicas/part-m-00000.avro" in paths
    assert "/project/monitoring/archive/eos-report/logs/cms/2026/11/19/part-00000.json" in paths
    assert "/prometheus/used-space.om" in paths
    assert all((tmp_path / p.lstrip("/")).is_file() for p in paths)
    expected = LocalDirSink(tmp_path / "api")
    condor.write(expected, 1, 50, date(2026, 11, 19))
    dbs.write(expected, 1, 50, date(2026, 11, 20))
    for path in ("/project/monitoring/archive/condor/raw/metric/2026/11/19/part-00003.json",
                 "/project/awg/cms/dbs/PROD_GLOBAL/2026-11-20/BLOCKS/part-m-00000.gz"):  # fmt: skip
        assert (tmp_path / path.lstrip("/")).read_bytes() == expected.local_path(path).read_bytes()


def test_needs_exactly_one_destination_and_loopback_hdfs(tmp_path: Path) -> None:
    runner = CliRunner()
    neither = runner.invoke(datagen, ["--day", "2026-11-20"])
    assert neither.exit_code == 2 and "exactly one of --local DIR or --webhdfs URL" in neither.output
    remote = runner.invoke(datagen, ["--day", "2026-11-20", "--webhdfs", "http://namenode.example.org:9870"])
    assert remote.exit_code == 1 and "loopback only" in str(remote.exception)
    assert not any(tmp_path.iterdir())
