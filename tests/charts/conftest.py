"""Fixtures for the library chart tests: render the test-chart with the real helm binaries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.charts.render import render_chart
from harness.paths import REPO_ROOT

TEST_CHART = REPO_ROOT / "charts" / "cronjob-common" / "test-chart"
Render = Callable[..., dict[str, dict[str, Any]]]


@pytest.fixture
def render(tmp_path: Path) -> Render:
    """render(values_dict, helm_major=3) -> {kind: object} of the test-chart (one object per kind)."""

    def _render(values: dict[str, Any] | None = None, helm_major: int = 3, **kwargs: Any) -> dict[str, dict[str, Any]]:
        files = []
        if values:
            path = tmp_path / f"values-{len(list(tmp_path.iterdir()))}.yaml"
            path.write_text(yaml.safe_dump(values))
            files.append(path)
        kwargs.setdefault("release", "t")
        objects = render_chart(TEST_CHART, values_files=files, helm_major=helm_major, **kwargs)
        return {obj["kind"]: obj for obj in objects}

    return _render


def pod_spec(objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = objects["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return spec


def main_container(objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    container: dict[str, Any] = pod_spec(objects)["containers"][0]
    return container
