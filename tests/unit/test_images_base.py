"""Base image names: a base (and each stage under it) gets a new name exactly when something that
goes into it changes, and a jobkit edit leaves the heavy stages below it alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.images import base, rootfs
from harness.images.rootfs import PACKAGES, rootfs_dir

PINS = {"pyspark": "3.5.9", "spark-avro": "3.5.9", "java": "openjdk-17-jre-headless", "debian_suite": "bookworm",
        "python": "3.11", "kerberos-client": "krb5-user"}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for stage in ("python", "spark", "jobkit"):
        (tmp_path / "images" / stage).mkdir(parents=True)
        (tmp_path / "images" / stage / "Dockerfile").write_text(f"# {stage}\n")
    (tmp_path / "jobkit").mkdir()
    (tmp_path / "jobkit" / "__init__.py").write_text("")
    monkeypatch.setattr(base, "IMAGES_DIR", tmp_path / "images")
    monkeypatch.setattr(base, "JOBKIT_DIR", tmp_path / "jobkit")
    monkeypatch.setattr(base, "pinned", lambda section, name: PINS[name])
    monkeypatch.setattr(base, "rootfs_dir", lambda: Path("/cache/images/debian-bookworm-000000000000"))
    return tmp_path


def refs(kind: base.BaseKind) -> list[str]:
    return [ref for _, ref in base._chain(kind)]


def test_chains_and_names(repo: Path) -> None:
    python, spark = refs("python"), refs("spark")
    assert [stage for stage, _ in base._chain("spark")] == ["python", "spark", "jobkit"]
    assert python[0].startswith("localhost/cronharness/python-stage:")
    assert python[1].startswith("localhost/cronharness/python:")
    assert spark[1].startswith("localhost/cronharness/spark-stage:")
    assert spark[2].startswith("localhost/cronharness/spark:")
    # Both bases stand on the very same python stage.
    assert spark[0] == python[0]
    assert base.base_ref("python") == python[-1]
    assert base.base_ref("spark") == spark[-1]


def test_jobkit_edit_renames_the_bases_but_not_the_stages_below(repo: Path) -> None:
    python, spark = refs("python"), refs("spark")
    (repo / "jobkit" / "sinks.py").write_text("def write(): ...\n")
    assert refs("python")[:-1] == python[:-1]
    assert refs("spark")[:-1] == spark[:-1]
    assert refs("python")[-1] != python[-1]
    assert refs("spark")[-1] != spark[-1]


def test_requirements_edit_renames_everything_above_the_python_stage(repo: Path) -> None:
    spark = refs("spark")
    (repo / "images" / "python" / "requirements.txt").write_text("requests==2.34.2\n")
    assert all(new != old for new, old in zip(refs("spark"), spark, strict=True))


def test_pyspark_pin_renames_spark_but_not_python(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    python, spark = refs("python"), refs("spark")
    monkeypatch.setattr(base, "pinned", lambda section, name: {**PINS, "pyspark": "3.5.8"}[name])
    assert refs("python") == python
    assert refs("spark")[0] == spark[0]
    assert refs("spark")[1:] != spark[1:]


def test_rootfs_change_renames_everything(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spark = refs("spark")
    monkeypatch.setattr(base, "rootfs_dir", lambda: Path("/cache/images/debian-bookworm-111111111111"))
    assert all(new != old for new, old in zip(refs("spark"), spark, strict=True))


def test_missing_jobkit_still_builds_under_another_name(repo: Path) -> None:
    with_jobkit = refs("python")
    (repo / "jobkit" / "__init__.py").unlink()
    (repo / "jobkit").rmdir()
    assert refs("python")[0] == with_jobkit[0]
    assert refs("python")[1] != with_jobkit[1]


def test_unknown_kind_is_refused(repo: Path) -> None:
    with pytest.raises(HarnessError, match="unknown base image 'ruby'; choose one of python, spark"):
        base.base_ref("ruby")  # type: ignore[arg-type]


def test_rootfs_key_follows_suite_and_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rootfs, "pinned", lambda section, name: PINS[name])
    first = rootfs_dir()
    assert first.name.startswith("debian-bookworm-")
    monkeypatch.setattr(rootfs, "PACKAGES", (*PACKAGES, "procps"))
    assert rootfs_dir() != first
    monkeypatch.setattr(rootfs, "PACKAGES", PACKAGES)
    monkeypatch.setattr(rootfs, "pinned", lambda section, name: {**PINS, "debian_suite": "trixie"}[name])
    assert rootfs_dir().name.startswith("debian-trixie-")
