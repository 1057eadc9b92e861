"""Write each job chart's values.schema.json from the library's job-values schema.

Helm resolves a `$ref` to another file relative to the working directory (Helm 3 before 3.18) or not at
all for packaged charts, so a job chart cannot reliably point at the library's schema. Instead every
consumer carries a generated copy; `make lint` fails when a copy is stale (see tests/unit).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from harness.paths import REPO_ROOT

LIBRARY_SCHEMA = REPO_ROOT / "charts" / "cronjob-common" / "schema" / "values.schema.json"
GENERATED_NOTE = (
    "Generated from charts/cronjob-common/schema/values.schema.json by `make schemas`; do not edit."
)


def consumer_charts() -> list[Path]:
    """Every chart that includes the library: the test chart and each job chart."""
    jobs = sorted(p.parent for p in (REPO_ROOT / "charts" / "jobs").glob("*/Chart.yaml"))
    return [REPO_ROOT / "charts" / "cronjob-common" / "test-chart", *jobs]


def render() -> str:
    schema: dict[str, Any] = json.loads(LIBRARY_SCHEMA.read_text())
    schema["$comment"] = GENERATED_NOTE
    return json.dumps(schema, indent=2) + "\n"


def stale() -> list[Path]:
    """Consumer schemas that differ from what render() would write."""
    want = render()
    return [c / "values.schema.json" for c in consumer_charts()
            if not (c / "values.schema.json").exists() or (c / "values.schema.json").read_text() != want]


def main() -> None:
    if "--check" in sys.argv[1:]:
        paths = stale()
        if paths:
            sys.exit("stale values schemas (run `make schemas`): " + ", ".join(map(str, paths)))
        return
    content = render()
    for chart in consumer_charts():
        (chart / "values.schema.json").write_text(content)


if __name__ == "__main__":
    main()
