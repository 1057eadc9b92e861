"""Which charts exist and which values scenarios each is rendered with."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from harness.paths import REPO_ROOT

CHARTS_DIR = REPO_ROOT / "charts"
VALUES_DIR = REPO_ROOT / "values"
LIBRARY_CHART = CHARTS_DIR / "cronjob-common" / "Chart.yaml"


@dataclass(frozen=True)
class Scenario:
    """One way to render a chart: its values files in layering order (later files win)."""

    chart: Path
    name: str
    values_files: tuple[Path, ...] = field(default=())

    @property
    def label(self) -> str:
        return f"{self.chart.name}[{self.name}]"


def library_version() -> str:
    """The library chart's version: what a new job chart depends on."""
    return str(yaml.safe_load(LIBRARY_CHART.read_text())["version"])


def job_charts() -> list[Path]:
    return sorted(p.parent for p in (CHARTS_DIR / "jobs").glob("*/Chart.yaml"))


def environments() -> list[str]:
    return sorted(p.name for p in VALUES_DIR.iterdir() if p.is_dir()) if VALUES_DIR.is_dir() else []


def scenarios() -> list[Scenario]:
    """Every chart with its defaults, its ci/*-values.yaml scenarios, and (job charts) every environment.

    Environment layering: values/<env>/_env.yaml (shared by the environment), then values/<env>/<job>.yaml.
    """
    out: list[Scenario] = []
    test_chart = CHARTS_DIR / "cronjob-common" / "test-chart"
    for chart in [test_chart, *job_charts()]:
        out.append(Scenario(chart, "defaults"))
        for ci in sorted((chart / "ci").glob("*-values.yaml")):
            out.append(Scenario(chart, ci.name.removesuffix("-values.yaml"), (ci,)))
        if chart == test_chart:
            continue
        for env in environments():
            files = [VALUES_DIR / env / "_env.yaml", VALUES_DIR / env / f"{chart.name}.yaml"]
            out.append(Scenario(chart, env, tuple(f for f in files if f.exists())))
    return out
