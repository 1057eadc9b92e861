"""`harness new-job`: the scaffold lints clean (helm 3/4, schemas, ruff) and its test fails until written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.charts.discover import Scenario
from harness.charts.lint import check_scenario
from harness.errors import HarnessError
from harness.paths import REPO_ROOT
from harness.scaffold import new_job


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(REPO_ROOT / "charts" / "cronjob-common", tmp_path / "charts" / "cronjob-common",
                    ignore=shutil.ignore_patterns("test-chart"))
    return tmp_path


def test_scaffold_renders_validates_and_lints(repo: Path) -> None:
    files = new_job("site-usage", root=repo)
    chart = repo / "charts" / "jobs" / "site-usage"
    assert {p.relative_to(chart).as_posix() for p in files} == {
        "Chart.yaml", "values.yaml", ".helmignore", "README.md", "templates/job.yaml", "app/Dockerfile",
        "app/main.py", "tests/test_site_usage.py", "values.schema.json"}
    result = check_scenario(Scenario(chart, "defaults"))
    assert result.problems == []
    assert {o["kind"] for o in result.objects} == {"CronJob", "ServiceAccount", "PrometheusRule", "ConfigMap"}
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--config", str(REPO_ROOT / "pyproject.toml"),
                           str(chart)], capture_output=True, text=True, check=False)
    assert ruff.returncode == 0, ruff.stdout


def test_scaffold_test_fails_until_written(repo: Path) -> None:
    new_job("site-usage", root=repo)
    test_file = repo / "charts" / "jobs" / "site-usage" / "tests" / "test_site_usage.py"
    done = subprocess.run([sys.executable, "-m", "pytest", str(test_file), "-q", "-p", "no:cacheprovider",
                           "--rootdir", str(repo)], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 1
    assert "NotImplementedError: charts/jobs/site-usage/tests/test_site_usage.py: seed inputs" in done.stdout


def test_scaffold_refuses_bad_names_and_existing_jobs(repo: Path) -> None:
    with pytest.raises(HarnessError, match="must be 3-42 lower-case"):
        new_job("Bad_Name", root=repo)
    new_job("site-usage", root=repo)
    with pytest.raises(HarnessError, match="already exists"):
        new_job("site-usage", root=repo)
