"""Every relative link and every repository path the docs name exists (README.md files and docs/).

A link ``[text](target)`` is checked relative to the document; a path in backticks that starts with a
top-level folder of the repository (``harness/sessions.py``, ``tests/charts/invalid/``) is checked relative
to the document's folder (a job's README names ``tests/test_<job>.py``), then to the repository root.
Paths with a placeholder (``<job>``, ``*``, ``YYYY``, ``{...}``, ``$VAR``) name a pattern, not a file,
and are left out.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def tracked(*patterns: str) -> list[str]:
    """The files git tracks (matching ``patterns``), relative to the repository root."""
    return subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.split()


# Tracked folders only: an ignored output folder (reports/ after `make test-job`) is not the repository's,
# and the paths a doc names under it exist only after some command ran.
_FOLDERS = {name.split("/", 1)[0] for name in tracked() if "/" in name}
TOP_LEVEL = sorted(name for name in _FOLDERS if not name.startswith(".") or name == ".ci")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\s]+)`")
PLACEHOLDER = re.compile(r"[<>*{}$]|YYYY|\.\.\.|NNN")


def documents() -> list[Path]:
    """The tracked Markdown docs: every README.md and everything under docs/."""
    return sorted(ROOT / name for name in tracked("*.md") if name.endswith("README.md") or name.startswith("docs/"))


def missing_targets(doc: Path) -> list[str]:
    text = doc.read_text()
    missing = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue  # a web address (not followed: traffic stays local) or an anchor in the same page
        path = target.split("#", 1)[0]
        if not (doc.parent / path).exists():
            missing.append(f"link {target}")
    for span in CODE.findall(text):
        first = span.split("/", 1)[0]
        if "/" not in span or first not in TOP_LEVEL or PLACEHOLDER.search(span):
            continue
        path = span.split(":", 1)[0]  # file.py::test or file.py:123 name a place in a file
        if not (doc.parent / path).exists() and not (ROOT / path).exists():
            missing.append(f"path {span}")
    return missing


def test_there_are_documents_to_check() -> None:
    names = {doc.relative_to(ROOT).as_posix() for doc in documents()}
    assert {"README.md", "jobkit/README.md", "docs/alerting.md"} <= names


@pytest.mark.parametrize("doc", documents(), ids=lambda doc: doc.relative_to(ROOT).as_posix())
def test_links_and_paths_exist(doc: Path) -> None:
    assert missing_targets(doc) == []
