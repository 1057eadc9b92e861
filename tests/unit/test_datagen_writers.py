"""Sinks and encoders: local layout, HDFS client calls, deterministic gzip."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from harness.datagen import condor
from harness.datagen.writers import HdfsSink, LocalDirSink, gzipped, text_lines


class RecordingHdfsClient:
    """Records the calls an ``hdfs.InsecureClient`` would receive (unit test only; e2e uses real HDFS)."""

    def __init__(self) -> None:
        self.dirs: list[str] = []
        self.files: dict[str, bytes] = {}

    def makedirs(self, hdfs_path: str) -> None:
        self.dirs.append(hdfs_path)

    def write(self, hdfs_path: str, data: Any = None, overwrite: bool = False) -> None:
        assert overwrite is True
        self.files[hdfs_path] = data.read()


def test_local_sink_maps_production_paths_under_its_root(tmp_path: Path) -> None:
    sink = LocalDirSink(tmp_path)
    sink.put("/project/a/b/part-0", text_lines(["x", "y"]))
    assert (tmp_path / "project/a/b/part-0").read_text() == "x\ny\n"
    assert [p.name for p in (tmp_path / "project/a/b").iterdir()] == ["part-0"]
    for bad in ("relative/path", "/project/../etc/passwd"):
        with pytest.raises(ValueError):
            sink.local_path(bad)


def test_hdfs_sink_uploads_the_same_bytes_as_the_local_sink(tmp_path: Path) -> None:
    client = RecordingHdfsClient()
    day = date(2026, 11, 20)
    hdfs_paths = condor.write(HdfsSink(client, spool_dir=tmp_path), 1, 300, day, parts=2)
    local = LocalDirSink(tmp_path / "local")
    assert condor.write(local, 1, 300, day, parts=2) == hdfs_paths
    assert client.dirs == ["/project/monitoring/archive/condor/raw/metric/2026/11/20"] * 2
    assert client.files == {p: local.local_path(p).read_bytes() for p in hdfs_paths}
    assert [p.name for p in tmp_path.iterdir()] == ["local"]


def test_gzip_output_is_byte_identical_and_decompresses(tmp_path: Path) -> None:
    outputs = []
    for name in ("a.gz", "b.gz"):
        with open(tmp_path / name, "wb") as out:
            gzipped(text_lines(str(i) for i in range(5000)))(out)
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    assert gzip.decompress(outputs[0]).decode().splitlines() == [str(i) for i in range(5000)]


def test_text_lines_writes_in_batches() -> None:
    writes: list[int] = []

    class Counting:
        def write(self, data: bytes) -> int:
            writes.append(len(data))
            return len(data)

    produce = text_lines("line" for _ in range(4500))
    produce(Counting())  # type: ignore[arg-type]
    assert len(writes) == 3 and sum(writes) == 4500 * 5
