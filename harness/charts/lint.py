"""Render every chart x scenario with Helm 3 and Helm 4, check both agree, and validate the objects.

"Agree" means the same parsed objects: the two Helm majors differ only in whitespace between documents.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.charts.discover import Scenario
from harness.charts.render import RenderError, build_dependencies, helm_binary, render_chart
from harness.charts.validate import validate_objects
from harness.paths import REPO_ROOT, tools_bin

CHECKOV_CONFIG = REPO_ROOT / ".checkov.yaml"
# Rendered into a named namespace, as deployments are (checkov rightly flags the default namespace).
LINT_NAMESPACE = "cms-monitoring"


@dataclass
class Result:
    scenario: Scenario
    objects: list[dict[str, Any]]
    problems: list[str]
    seconds: float


def _key(obj: dict[str, Any]) -> tuple[str, str, str]:
    return (str(obj.get("apiVersion")), str(obj.get("kind")), str(obj.get("metadata", {}).get("name")))


def check_scenario(scenario: Scenario) -> Result:
    """Render with both Helm majors, compare, validate; every problem is returned, none raised."""
    started = time.monotonic()
    rendered: dict[int, list[dict[str, Any]]] = {}
    problems: list[str] = []
    for major in (3, 4):
        try:
            rendered[major] = sorted(render_chart(scenario.chart, values_files=scenario.values_files,
                                                  namespace=LINT_NAMESPACE, helm_major=major), key=_key)
        except RenderError as exc:
            problems.append(f"helm {major}: {exc}")
    if len(rendered) == 2 and rendered[3] != rendered[4]:
        differing = [_key(a) for a, b in zip(rendered[3], rendered[4], strict=False) if a != b]
        problems.append(f"Helm 3 and Helm 4 render differently: {differing or 'object lists differ'}")
    objects = rendered.get(3, [])
    problems += validate_objects(objects)
    return Result(scenario, objects, problems, time.monotonic() - started)


def helm_lint(chart: Path) -> list[str]:
    problems = []
    for major in (3, 4):
        build_dependencies(chart, helm_binary(major))  # a fresh clone has no charts/*.tgz yet
        done = subprocess.run([helm_binary(major), "lint", "--strict", str(chart)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            problems.append(f"helm {major} lint {chart.name}: {done.stdout.strip()} {done.stderr.strip()}")
    return problems


def security_scan(results: list[Result]) -> list[str]:
    """checkov over every rendered object; accepted findings (with reasons) live in .checkov.yaml."""
    with tempfile.TemporaryDirectory() as tmp:
        for i, result in enumerate(results):
            Path(tmp, f"{i:03d}-{result.scenario.label}.yaml").write_text(yaml.safe_dump_all(result.objects))
        done = subprocess.run(
            [str(tools_bin() / "checkov"), "--config-file", str(CHECKOV_CONFIG), "-d", tmp],
            capture_output=True, text=True, check=False,
        )
    if done.returncode != 0:
        return [f"checkov findings:\n{done.stdout.strip()}\n{done.stderr.strip()}"]
    return []
