"""Compare a source CronJob with the one an imported chart renders, field by field.

Every leaf of the source (lists of named things matched by name, other lists compared whole) is looked up
at the same path in the render: identical, different or missing. Leaves only the render has are listed as
added. Each difference must be explained by an import Note; what no note explains is reported as such.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.importer.defaults import DERIVED_DEFAULTS, KUBERNETES_DEFAULTS
from harness.importer.notes import Kind, Note

# Lists whose items are matched by a key rather than by position.
KEYED_LISTS = {"containers": "name", "initContainers": "name", "env": "name", "volumes": "name",
               "volumeMounts": "name", "ports": "containerPort", "imagePullSecrets": "name"}
LIBRARY_METADATA = ("labels", "annotations")


@dataclass
class Field:
    path: str
    source: Any
    rendered: Any

    @property
    def identical(self) -> bool:
        return bool(self.source == self.rendered)


@dataclass
class Comparison:
    """Field-by-field result for one CronJob.

    Attributes:
        fields: every leaf of the source with its rendered value (``MISSING`` when absent).
        added: leaves only the render has, with their values.
        notes: the import's notes, used to explain differences.
    """

    fields: list[Field] = field(default_factory=list)
    added: list[Field] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def identical(self) -> list[Field]:
        return [f for f in self.fields if f.identical]

    @property
    def differences(self) -> list[Field]:
        return [f for f in self.fields if not f.identical]

    @property
    def percent_identical(self) -> float:
        return 100.0 * len(self.identical) / len(self.fields) if self.fields else 100.0

    def reason(self, path: str) -> Note | None:
        """The most specific note covering ``path``."""
        covering = [n for n in self.notes if n.covers(path)]
        return max(covering, key=lambda n: len(n.path)) if covering else None

    def unexplained(self) -> list[Field]:
        """Differences no note explains (a bug in the importer or the library)."""
        return [f for f in self.differences if self.reason(f.path) is None]

    def added_by_kind(self) -> dict[str, list[Field]]:
        """Added leaves grouped: by their note's kind, Kubernetes defaults made explicit, library metadata,
        and unexplained (no note, not a default, not metadata)."""
        groups: dict[str, list[Field]] = {"hardening": [], "changed": [], "kubernetes default": [],
                                          "library metadata": [], "unexplained": []}
        for f in self.added:
            note = self.reason(f.path)
            last = f.path.rsplit(".", 1)[-1].split("[", 1)[0]
            if note is not None:
                groups["hardening" if note.kind == Kind.HARDENING else "changed"].append(f)
            elif last in DERIVED_DEFAULTS or (last in KUBERNETES_DEFAULTS and KUBERNETES_DEFAULTS[last] == f.rendered):
                groups["kubernetes default"].append(f)
            elif any(f".{part}." in f".{f.path}." or f".{part}[" in f".{f.path}" for part in LIBRARY_METADATA):
                groups["library metadata"].append(f)
            else:
                groups["unexplained"].append(f)
        return groups

    def report(self, title: str) -> str:
        """A plain-text report: counts, each difference with its reason, added fields by group."""
        lines = [f"{title}: {len(self.fields)} source fields, {len(self.identical)} identical "
                 f"({self.percent_identical:.1f}%)"]
        for f in self.differences:
            note = self.reason(f.path)
            why = f"{note.kind.value}: {note.reason}" if note else "UNEXPLAINED"
            lines.append(f"  - {f.path}: {_show(f.source)} -> {_show(f.rendered)} [{why}]")
        for group, fields in self.added_by_kind().items():
            if group == "library metadata" and fields:
                lines.append(f"  added (library metadata): {len(fields)} standard labels and annotations")
            elif fields:
                lines.append(f"  added ({group}): " + ", ".join(f"{f.path}={_show(f.rendered)}" for f in fields))
        return "\n".join(lines)


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Missing)

    def __hash__(self) -> int:
        return 0


MISSING: Any = _Missing()


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every leaf; keyed lists become ``name[key]`` steps, empty maps/lists are leaves."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}" if path else str(key))
        return
    name = path.rsplit(".", 1)[-1]
    if isinstance(value, list) and value and name in KEYED_LISTS and all(isinstance(v, dict) for v in value):
        key = KEYED_LISTS[name]
        for item in value:
            yield from leaves(item, f"{path}[{item.get(key)}]")
        return
    yield path, value


def compare(source: dict[str, Any], rendered: dict[str, Any], notes: list[Note]) -> Comparison:
    """Compare ``source`` with ``rendered`` (both whole CronJob objects), spec and metadata name/labels."""
    scope = ("apiVersion", "metadata", "spec")
    src = dict(leaves({k: source[k] for k in scope if k in source}))
    out = dict(leaves({k: rendered[k] for k in scope if k in rendered}))
    result = Comparison(notes=notes)
    for path, value in src.items():
        result.fields.append(Field(path, value, out.get(path, MISSING)))
    for path, value in out.items():
        if path not in src and not path.startswith("metadata.namespace"):
            result.added.append(Field(path, MISSING, value))
    return result
