"""harness.disk: the free-disk check (the filesystem's answer mocked where a full disk is needed)."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.disk import GIB, require_free_disk
from harness.errors import HarnessError


def test_enough_free_disk_passes_for_a_path_not_made_yet(tmp_path: Path) -> None:
    require_free_disk(tmp_path / "state" / "cluster", 1, "the local cluster")


def test_too_little_free_disk_names_who_how_much_and_what_to_do(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Path] = []

    def usage(path: Any) -> Any:
        asked.append(Path(path))
        return SimpleNamespace(total=100 * GIB, used=97 * GIB, free=3 * GIB)

    monkeypatch.setattr(shutil, "disk_usage", usage)
    with pytest.raises(HarnessError) as err:
        require_free_disk(tmp_path / "state" / "cluster", 10 * GIB, "the local cluster")
    assert asked == [tmp_path]  # the nearest existing parent is measured
    message = str(err.value)
    assert message.startswith(f"the local cluster needs at least 10 GB free on the filesystem of {tmp_path}, "
                              "which has 3.0 GB")
    assert "HARNESS_STATE_DIR" in message and "harness cluster down --purge" in message
