"""Benchmark: time to render and validate N job charts (Helm 3 + Helm 4 + offline schemas).

Usage: python bench/bench_render.py [N ...]   (default: 10 50)
Each chart is a copy of the library's test-chart with the full example values (the heaviest scenario),
so N charts cost N x (2 helm renders + validation of every object).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness.charts.discover import Scenario
from harness.charts.lint import check_scenario
from harness.paths import REPO_ROOT

TEST_CHART = REPO_ROOT / "charts" / "cronjob-common" / "test-chart"
FULL_VALUES = TEST_CHART / "ci" / "full-values.yaml"


def make_charts(root: Path, n: int) -> list[Path]:
    charts = []
    library = root / "charts" / "cronjob-common"
    shutil.copytree(REPO_ROOT / "charts" / "cronjob-common", library, ignore=shutil.ignore_patterns("test-chart"))
    for i in range(n):
        chart = root / "charts" / "jobs" / f"job-{i:03d}"
        shutil.copytree(TEST_CHART, chart, ignore=shutil.ignore_patterns("charts", "ci", "Chart.lock"))
        text = (chart / "Chart.yaml").read_text().replace("name: test-chart", f"name: job-{i:03d}")
        text = text.replace("repository: file://..", "repository: file://../../cronjob-common")
        (chart / "Chart.yaml").write_text(text)
        charts.append(chart)
    return charts


def run(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        charts = make_charts(Path(tmp), n)
        started = time.monotonic()
        per_chart = []
        for chart in charts:
            result = check_scenario(Scenario(chart, "full", (FULL_VALUES,)))
            if result.problems:
                raise SystemExit(f"{chart.name}: {result.problems}")
            per_chart.append(result.seconds)
        total = time.monotonic() - started
    print(f"N={n:3d}: total {total:6.1f}s, per chart median {statistics.median(per_chart):.2f}s "
          f"(min {min(per_chart):.2f}s, max {max(per_chart):.2f}s), {len(result.objects)} objects per chart")


def main() -> None:
    for n in [int(a) for a in sys.argv[1:]] or [10, 50]:
        run(n)


if __name__ == "__main__":
    main()
