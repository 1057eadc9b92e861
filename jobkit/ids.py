"""Deterministic document ids: the same record key gives the same id in every run.

Idempotent writes rest on this: a re-run for the same day writes the same ids, so documents are
overwritten instead of duplicated.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

IdFunc = Callable[[Mapping[str, Any]], str]


def record_id(record: Mapping[str, Any], key_fields: Sequence[str]) -> str:
    """The sha1 (hex) of the record's key fields, in the order given.

    The key is encoded as a JSON array, so ``("a,b", "c")`` and ``("a", "b,c")`` differ and the
    type of a value counts (``1`` and ``"1"`` differ).

    Args:
        record: the record.
        key_fields: the fields that identify it (order matters).

    Returns:
        40 lower-case hex characters.

    Raises:
        KeyError: when the record lacks a key field (a job bug; an id without it would collide).
    """
    missing = [name for name in key_fields if name not in record]
    if missing:
        raise KeyError(f"record has no key field {missing[0]!r} (key: {', '.join(key_fields)})")
    key = json.dumps([record[name] for name in key_fields], separators=(",", ":"), sort_keys=True, default=str)
    return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()


def key_id(*key_fields: str) -> IdFunc:
    """An id function for sinks: ``key_id("day", "site")(record)`` is :func:`record_id` of those fields.

    Args:
        key_fields: the fields that identify a record.

    Returns:
        The id function.

    Raises:
        ValueError: when no field is given.
    """
    if not key_fields:
        raise ValueError("key_id needs at least one key field")
    return lambda record: record_id(record, key_fields)
