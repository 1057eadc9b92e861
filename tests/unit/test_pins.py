"""Pins that must agree across files."""

from __future__ import annotations

import tomllib

from harness.paths import REPO_ROOT
from harness.toolchain.versions import pinned


def test_venv_pyspark_matches_the_spark_image() -> None:
    deps = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"pyspark=={pinned('images', 'pyspark')}" in deps
