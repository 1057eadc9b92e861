"""What an import changed, added on purpose, or could not carry over: one Note per source field path."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """Why a rendered field differs from the source (or a source field is missing from the render)."""

    CHANGED = "changed"  # carried with a different value or shape; the reason says why
    HARDENING = "hardening"  # added or tightened on purpose; behaviour may differ, the reason says how
    DROPPED = "not carried"  # the library cannot express it; the user must decide


@dataclass(frozen=True)
class Note:
    """One difference between the source manifest and the imported chart.

    Attributes:
        path: dotted path of the source field (lists by item name: ``containers[rucio].env[X]``).
        kind: changed, hardening or not carried.
        reason: what happened and what to do about it.
    """

    path: str
    kind: Kind
    reason: str

    def covers(self, path: str) -> bool:
        """True when this note explains ``path`` (the same field or one inside it; a trailing * matches any
        continuation)."""
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path or path.startswith((self.path + ".", self.path + "["))
