"""Read the pinned versions from tools/versions.toml (the single place to bump a component)."""

from __future__ import annotations

import tomllib
from functools import cache
from typing import Any

from harness.paths import REPO_ROOT

VERSIONS_FILE = REPO_ROOT / "tools" / "versions.toml"


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
