"""DataScope: every name a test's data lives under derives from its namespace (so teardown finds it)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from harness.pytest.scope import DataScope


def test_names_derive_from_the_namespace() -> None:
    scope = DataScope("t-gw1-0a1b2c3d")
    assert scope.hdfs_root == "/test/t-gw1-0a1b2c3d"
    assert scope.index_prefix == "t-gw1-0a1b2c3d-"
    assert scope.index("rucio-used-space-1d") == "t-gw1-0a1b2c3d-rucio-used-space-1d"
    assert scope.database == "t_gw1_0a1b2c3d"
    assert scope.push_job("cpueff") == "cpueff-t-gw1-0a1b2c3d"


def test_volume_is_created_world_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_STATE_DIR", str(tmp_path))
    volume = DataScope("t-gw0-00000000").volume
    assert volume == tmp_path / "volumes" / "t-gw0-00000000"
    assert stat.S_IMODE(volume.stat().st_mode) == 0o777
