"""Pins that must agree across files."""

from __future__ import annotations

import tomllib

from harness.paths import REPO_ROOT
from harness.toolchain.versions import pinned


def test_venv_pyspark_matches_the_spark_image() -> None:
    deps = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"pyspark=={pinned('images', 'pyspark')}" in deps


def test_spark_avro_matches_pyspark() -> None:
    """spark-avro goes into pyspark's own jars: a different Spark version would fail at run time."""
    assert pinned("images", "spark-avro") == pinned("images", "pyspark")
