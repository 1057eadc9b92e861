"""Write an Imported job as charts/jobs/<name> (chart, values, schema copy, README stub) and values/<env>/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from harness.charts.discover import library_version
from harness.errors import HarnessError
from harness.generate.schemas import render as render_schema
from harness.importer.manifest import Imported
from harness.importer.notes import Kind
from harness.paths import REPO_ROOT

JOB_TEMPLATE = '{{ include "cronjob-common.loader.all" . }}\n'
NOTES_TEMPLATE = '{{- include "cronjob-common.loader.notes" . }}\n'


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as literal blocks (scripts stay readable)."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=120)


def write_chart(imported: Imported, source: str, root: Path = REPO_ROOT, force: bool = False) -> list[Path]:
    """Write the chart and environment files; return the paths written.

    Raises:
        HarnessError: when the chart exists and ``force`` is not set.
    """
    target = root / "charts" / "jobs" / imported.name
    if target.exists() and not force:
        raise HarnessError(f"{target} already exists; pass --force to overwrite or --name to choose another")
    (target / "templates").mkdir(parents=True, exist_ok=True)
    chart = {
        "apiVersion": "v2", "name": imported.name,
        "description": f"{imported.name} cron job, imported from {source} by `harness import` (values only; "
                       "templates from cronjob-common).",
        "type": "application", "version": "0.1.0", "appVersion": str(imported.values["image"].get("tag") or "0.1.0"),
        "dependencies": [{"name": "cronjob-common", "version": library_version(),
                          "repository": "file://../../cronjob-common"}],
    }
    files = {
        target / "Chart.yaml": dump(chart),
        target / "values.yaml": f"# {imported.name}: imported from {source} by `harness import`.\n"
                                "# Every setting keeps the source's behaviour; README.md lists what changed and why.\n"
                                + dump(imported.values),
        target / "values.schema.json": render_schema(),
        target / "templates" / "job.yaml": JOB_TEMPLATE,
        target / "templates" / "NOTES.txt": NOTES_TEMPLATE,
        target / ".helmignore": "app/\ntests/\nREADME.md\n",
        target / "README.md": readme(imported, source),
    }
    for env, values in imported.env_values.items():
        header = (f"# {imported.name} in {env}: imported from {source}.\n"
                  + ("# Re-asserts the source's values of variables values/" + env + "/_env.yaml also sets.\n"
                     if values else "# Nothing in the source differs from the chart's values for this environment.\n"))
        files[root / "values" / env / f"{imported.name}.yaml"] = header + (dump(values) if values else "{}\n")
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return list(files)


def readme(imported: Imported, source: str) -> str:
    """README stub: what was imported, what changed and why, what was not carried, what to harden."""
    sections = {
        Kind.CHANGED: "## Changed on import (same behaviour)",
        Kind.HARDENING: "## Hardening: added on purpose, or to do",
        Kind.DROPPED: "## Not carried over (decide what to do)",
    }
    lines = [f"# {imported.name}", "",
             f"Imported from `{source}` (CronJob `{imported.source_name}`) by `harness import`. The values keep the "
             "source's behaviour: where the library's defaults differ from Kubernetes' (concurrencyPolicy Forbid, "
             "backoffLimit 0, startingDeadlineSeconds 300, a ServiceAccount per job, secure security contexts, "
             "a /tmp volume, read-only secret mounts with mode 0400) the source's or Kubernetes' value is set "
             "explicitly.", "",
             "Next: write `tests/test_" + imported.name.replace("-", "_") + ".py` (seed inputs, run, check "
             "outputs; see docs/migration.md), then `make test-job NAME=" + imported.name + "`.", ""]
    for kind, title in sections.items():
        notes = [n for n in imported.notes if n.kind == kind]
        lines += [title, ""]
        lines += [f"- `{n.path}`: {n.reason}" for n in notes] or ["- nothing"]
        lines.append("")
    return "\n".join(lines)
