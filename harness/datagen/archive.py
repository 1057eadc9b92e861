"""The MONIT HDFS archive layout shared by JSON-lines sources: ``<root>/YYYY/MM/DD/part-NNNNN.json``."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from itertools import islice
from typing import Any

from harness.datagen.writers import Sink, text_lines


def day_dir(root: str, day: date) -> str:
    """Return the archive directory of one day.

    Args:
        root: Archive root, e.g. ``/project/monitoring/archive/condor/raw/metric``.
        day: Day.

    Returns:
        ``<root>/YYYY/MM/DD``.
    """
    return f"{root}/{day:%Y/%m/%d}"


def to_line(record: dict[str, Any]) -> str:
    """Serialise a record the way every generated file does (compact JSON, key order kept)."""
    return json.dumps(record, separators=(",", ":"))


def mixed_lines(
    valid: Iterable[dict[str, Any]],
    n: int,
    corrupt: int,
    placement: random.Random,
    malformed: Callable[[int], str],
) -> Iterator[str]:
    """Yield the JSON lines of ``n`` valid records with ``corrupt`` malformed lines at seeded positions.

    Args:
        valid: The n valid records, in order.
        n: Their number.
        corrupt: How many malformed lines to mix in.
        placement: Random stream that chooses the positions.
        malformed: Returns the i-th malformed line (i counts from 0).

    Yields:
        ``n + corrupt`` lines, without newline.

    Raises:
        ValueError: If corrupt < 0.
    """
    if corrupt < 0:
        raise ValueError(f"corrupt must be >= 0, got {corrupt}")
    positions = set(placement.sample(range(n + corrupt), corrupt))
    records = iter(valid)
    bad = 0
    for position in range(n + corrupt):
        if position in positions:
            yield malformed(bad)
            bad += 1
        else:
            yield to_line(next(records))


def write_day(sink: Sink, directory: str, lines: Iterator[str], total: int, parts: int) -> list[str]:
    """Write ``total`` lines as up to ``parts`` files ``part-00000.json``... in ``directory``.

    Lines are split into contiguous, near-equal slices, so reading the parts in name order gives the lines
    in order.

    Args:
        sink: Where to write.
        directory: The day directory.
        lines: The lines.
        total: Their number.
        parts: Number of part files (fewer when there are fewer lines).

    Returns:
        The paths written, in order.

    Raises:
        ValueError: If parts < 1.
    """
    if parts < 1:
        raise ValueError(f"parts must be at least 1, got {parts}")
    parts = min(parts, total)
    paths = []
    for part in range(parts):
        size = (part + 1) * total // parts - part * total // parts
        path = f"{directory}/part-{part:05d}.json"
        sink.put(path, text_lines(islice(lines, size)))
        paths.append(path)
    return paths
