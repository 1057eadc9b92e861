"""`harness import`: read the source (manifest file, or crontab line + script), map it, write the chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from harness.charts.lint import helm_lint
from harness.charts.render import LIBRARY_DIR, render_chart
from harness.charts.validate import validate_objects
from harness.errors import HarnessError
from harness.importer.compare import Comparison, compare
from harness.importer.crontab import crontab_manifest
from harness.importer.manifest import Imported, cronjobs_in, import_manifest
from harness.importer.notes import Kind
from harness.importer.write import write_chart
from harness.paths import REPO_ROOT


def environment_env_names(root: Path) -> dict[str, set[str]]:
    """Per environment, the env variable names its values/<env>/_env.yaml sets."""
    out: dict[str, set[str]] = {}
    for env_file in sorted((root / "values").glob("*/_env.yaml")):
        data = yaml.safe_load(env_file.read_text()) or {}
        out[env_file.parent.name] = set((data.get("env") or {}).keys())
    return out


def load_source(source: str, script: Path | None, name: str | None, image: str | None,
                time_zone: str) -> tuple[list[Any], str]:
    """The documents to import and a label of where they came from.

    Raises:
        HarnessError: unreadable YAML, or a crontab line without its script, name and image.
    """
    if script is None:
        path = Path(source)
        if not path.is_file():
            raise HarnessError(f"{source}: no such manifest; for a crontab line pass --script, --name and --image")
        try:
            documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
        except yaml.YAMLError as exc:
            raise HarnessError(f"{source}: not valid YAML: {exc}") from exc
        if not cronjobs_in(documents):
            raise HarnessError(f"{source}: no CronJob in the manifest")
        return documents, path.name
    if not (name and image):
        raise HarnessError("a crontab line needs --name and --image (the image that has what the script calls)")
    if not script.is_file():
        raise HarnessError(f"--script {script}: no such file")
    return crontab_manifest(source, script, name, image, time_zone), f"crontab line `{source}` + {script.name}"


def import_job(source: str, name: str | None = None, script: Path | None = None, image: str | None = None,
               env: str | None = None, time_zone: str = "", root: Path = REPO_ROOT,
               force: bool = False) -> tuple[Imported, list[Path]]:
    """Import ``source`` into ``root``/charts/jobs/<name> (and values/<env>/<name>.yaml)."""
    documents, label = load_source(source, script, name, image, time_zone)
    imported = import_manifest(documents, name=name, env=env, env_overrides=environment_env_names(root))
    for unknown in [e for e in imported.env_values if not (root / "values" / e).is_dir()]:
        del imported.env_values[unknown]
        imported.note("environment", Kind.DROPPED, f"the manifest is for environment {unknown!r}, which has no "
                      "values/<env>/ folder: no environment file written (pass --env with an existing one)")
    return imported, write_chart(imported, label, root=root, force=force)


def check_import(source: str, workdir: Path, **options: Any) -> tuple[Imported, Comparison, list[str]]:
    """Import ``source`` into ``workdir`` (a scratch repository root), render the chart with the real helm,
    and compare its CronJob with the source's; also `helm lint --strict` and validate the objects.

    Returns:
        the import, the field comparison, and lint or validation problems (empty when clean).
    """
    library = workdir / "charts" / "cronjob-common"
    if not library.exists():
        library.parent.mkdir(parents=True, exist_ok=True)
        library.symlink_to(LIBRARY_DIR)
    imported, _ = import_job(source, root=workdir, force=True, **options)
    chart = workdir / "charts" / "jobs" / imported.name
    namespace = (imported.cronjob.get("metadata") or {}).get("namespace") or "default"
    objects = render_chart(chart, release=imported.name, namespace=namespace)
    rendered = next(o for o in objects if o.get("kind") == "CronJob")
    problems = helm_lint(chart) + validate_objects(objects)
    return imported, compare(imported.cronjob, rendered, imported.notes), problems
