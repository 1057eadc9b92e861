"""The rendered PrometheusRule is valid for promtool and its alerts behave (promtool test rules)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from harness.paths import tools_bin
from tests.charts.conftest import Render

PROMTOOL_TESTS = Path(__file__).parent / "promtool"


def _write_rule_file(render: Render, path: Path) -> None:
    # The rule file Prometheus loads is the PrometheusRule's spec (groups), as prometheus-operator does.
    path.write_text(yaml.safe_dump(render()["PrometheusRule"]["spec"]))


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(tools_bin() / "promtool"), *args], capture_output=True, text=True, check=False)


def test_rules_pass_promtool_check(render: Render, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    _write_rule_file(render, rules)
    done = _promtool("check", "rules", str(rules))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 6 rules found" in done.stdout


def test_default_alerts_fire_and_stay_silent_as_specified(render: Render, tmp_path: Path) -> None:
    _write_rule_file(render, tmp_path / "rules.yaml")
    for test in PROMTOOL_TESTS.glob("*.test.yaml"):
        shutil.copy(test, tmp_path)
    done = _promtool("test", "rules", *sorted(str(p) for p in tmp_path.glob("*.test.yaml")))
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_a_user_can_add_keeps_runbook_requirement(render: Render) -> None:
    # The example job (ci/full-values.yaml) adds its own alert; it must carry a runbook too.
    full = Path(__file__).parents[2] / "charts/cronjob-common/test-chart/ci/full-values.yaml"
    values = yaml.safe_load(full.read_text())
    groups = render(values)["PrometheusRule"]["spec"]["groups"]
    alerts = [r for g in groups for r in g["rules"] if "alert" in r]
    assert alerts and all(r["annotations"].get("runbook_url", "").startswith("https://") for r in alerts)
