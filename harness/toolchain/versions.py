"""Read the pinned versions from tools/versions.toml (the single place to bump a component)."""

from __future__ import annotations

import tomllib
from functools import cache
from typing import Any

from harness.paths import REPO_ROOT

VERSIONS_FILE = REPO_ROOT / "tools" / "versions.toml"
#: pip, setuptools and wheel of every venv the project makes (a requirements file, read by pip itself)
PYTHON_TOOLS = REPO_ROOT / "tools" / "python-tools.txt"


@cache
def _table() -> dict[str, Any]:
    with VERSIONS_FILE.open("rb") as fh:
        return tomllib.load(fh)


def pinned(section: str, name: str) -> str:
    """Return the pinned version of ``name`` in ``section`` of tools/versions.toml.

    Raises:
        KeyError: with the file and key to add, when the component is not pinned.
    """
    try:
        return str(_table()[section][name])
    except KeyError:
        raise KeyError(f"{VERSIONS_FILE}: no [{section}] {name} = \"...\" pin; add one") from None


def python_tool_pins() -> dict[str, str]:
    """The venv tools pinned in tools/python-tools.txt, as ``{name: version}``."""
    pins = {}
    for line in PYTHON_TOOLS.read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            name, _, version = requirement.partition("==")
            pins[name] = version
    return pins
