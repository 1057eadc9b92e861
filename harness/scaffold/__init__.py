"""`harness new-job NAME`: a new job folder that lints clean and whose test fails until it is written."""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from harness.charts.discover import library_version
from harness.errors import HarnessError
from harness.generate.schemas import render as render_schema
from harness.paths import REPO_ROOT

TEMPLATES = Path(__file__).parent / "templates"
NAME = re.compile(r"^[a-z][a-z0-9-]{1,40}[a-z0-9]$")


def new_job(name: str, root: Path = REPO_ROOT) -> list[Path]:
    """Create charts/jobs/<name>/ from the templates and return the files written.

    Raises:
        HarnessError: when the name is not a DNS label or the job already exists.
    """
    if not NAME.match(name):
        raise HarnessError(f"job name {name!r} must be 3-42 lower-case letters, digits and -, starting with a letter")
    target = root / "charts" / "jobs" / name
    if target.exists():
        raise HarnessError(f"{target} already exists; choose another name or edit it")
    module = name.replace("-", "_")
    written = []
    for template in sorted(TEMPLATES.rglob("*.tmpl")):
        relative = template.relative_to(TEMPLATES).as_posix().removesuffix(".tmpl").replace("JOB", module)
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(template.read_text()).substitute(name=name, module=module,
                                                                  library_version=library_version()))
        written.append(path)
    schema = target / "values.schema.json"
    schema.write_text(render_schema())
    return [*written, schema]
