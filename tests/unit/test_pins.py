"""Pins that must agree across files."""

from __future__ import annotations

import importlib.metadata
import subprocess
import tomllib
from pathlib import Path

from harness.images.pyspark import pip_wheel_command
from harness.paths import REPO_ROOT
from harness.toolchain.versions import pinned, python_tool_pins


def test_venv_pyspark_matches_the_spark_image() -> None:
    deps = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"pyspark=={pinned('images', 'pyspark')}" in deps


def test_spark_avro_matches_pyspark() -> None:
    """spark-avro goes into pyspark's own jars: a different Spark version would fail at run time."""
    assert pinned("images", "spark-avro") == pinned("images", "pyspark")


def test_venv_has_the_pinned_packaging_tools() -> None:
    """`make setup` installs tools/python-tools.txt first: the machine's bundled pip is never what runs."""
    for name, version in python_tool_pins().items():
        assert importlib.metadata.version(name) == version, f"{name}: run `make setup`"


def test_pyspark_wheel_command_is_accepted_by_the_pinned_pip(tmp_path: Path) -> None:
    """Every flag of the pyspark wheel build must exist in the pinned pip (pip 23.2 had no `raw` progress bar).

    pip parses all options before it acts on ``--help``, so an unknown flag or choice fails here without
    downloading anything.
    """
    command = pip_wheel_command(pinned("images", "pyspark"), tmp_path)
    done = subprocess.run([*command, "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
