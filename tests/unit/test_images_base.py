"""Base image keys: a base gets a new name exactly when something that goes into it changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.images import base
from harness.images.rootfs import PACKAGES, rootfs_dir

PINS = {"pyspark": "3.5.9", "java": "openjdk-17-jre-headless", "debian_suite": "bookworm", "python": "3.11"}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for kind in ("python", "spark"):
        (tmp_path / "images" / kind).mkdir(parents=True)
        (tmp_path / "images" / kind / "Dockerfile").write_text(f"# {kind}\n")
    (tmp_path / "jobkit").mkdir()
    (tmp_path / "jobkit" / "__init__.py").write_text("")
    monkeypatch.setattr(base, "IMAGES_DIR", tmp_path / "images")
    monkeypatch.setattr(base, "JOBKIT_DIR", tmp_path / "jobkit")
    monkeypatch.setattr(base, "pinned", lambda section, name: PINS[name])
    monkeypatch.setattr(base, "rootfs_dir", lambda: Path("/cache/images/debian-bookworm-000000000000"))
    return tmp_path


def test_refs_are_local_names_with_the_key(repo: Path) -> None:
    assert base.base_ref("python") == f"localhost/cronharness/python:{base.base_key('python')}"
    assert base.base_ref("spark") == f"localhost/cronharness/spark:{base.base_key('spark')}"
    assert base.base_key("python") != base.base_key("spark")


def test_python_key_follows_its_folder_and_jobkit(repo: Path) -> None:
    python, spark = base.base_key("python"), base.base_key("spark")
    (repo / "jobkit" / "sinks.py").write_text("def write(): ...\n")
    assert base.base_key("python") != python
    # spark is built on python, so it moves with it
    assert base.base_key("spark") != spark


def test_python_key_follows_requirements(repo: Path) -> None:
    python = base.base_key("python")
    (repo / "images" / "python" / "requirements.txt").write_text("requests==2.34.2\n")
    assert base.base_key("python") != python


def test_spark_key_follows_pins_but_python_key_does_not(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    python, spark = base.base_key("python"), base.base_key("spark")
    monkeypatch.setattr(base, "pinned", lambda section, name: {**PINS, "pyspark": "3.5.8"}[name])
    assert base.base_key("spark") != spark
    assert base.base_key("python") == python


def test_removing_jobkit_changes_the_key(repo: Path) -> None:
    with_jobkit = base.base_key("python")
    for child in (repo / "jobkit").iterdir():
        child.unlink()
    (repo / "jobkit").rmdir()
    assert base.base_key("python") != with_jobkit


def test_unknown_kind_is_refused(repo: Path) -> None:
    with pytest.raises(HarnessError, match="unknown base image 'ruby'; choose one of python, spark"):
        base.base_key("ruby")  # type: ignore[arg-type]


def test_rootfs_key_follows_suite_and_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.images import rootfs

    monkeypatch.setattr(rootfs, "pinned", lambda section, name: PINS[name])
    first = rootfs_dir()
    assert first.name.startswith("debian-bookworm-")
    monkeypatch.setattr(rootfs, "PACKAGES", (*PACKAGES, "procps"))
    assert rootfs_dir() != first
    monkeypatch.setattr(rootfs, "PACKAGES", PACKAGES)
    monkeypatch.setattr(rootfs, "pinned", lambda section, name: {**PINS, "debian_suite": "trixie"}[name])
    assert rootfs_dir().name.startswith("debian-trixie-")
