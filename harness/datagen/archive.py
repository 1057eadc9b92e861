"""The MONIT HDFS archive layout shared by JSON-lines sources: ``<root>/YYYY/MM/DD/part-NNNNN.json``."""

from __future__ import annotations

import json
import random
from collections import deque
from collections.abc import Callable, Iterator
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


def with_redeliveries(
    rng: random.Random,
    n: int,
    rate: float,
    make: Callable[[int], dict[str, Any]],
    copy: Callable[[dict[str, Any]], dict[str, Any]],
    recent: int = 32,
) -> Iterator[dict[str, Any]]:
    """Yield ``n`` payloads: new ones from ``make(i)`` (i counts distinct payloads), and with probability
    ``rate`` a ``copy`` of one of the last ``recent`` new ones, as producers re-send reports in production.

    Args:
        rng: The source's seeded generator (the draws are part of its deterministic stream).
        n: Payloads to yield.
        rate: Probability of a re-delivery.
        make: Builds the i-th distinct payload.
        copy: Copies a payload for a re-delivery (deep enough that it shares nothing mutable).
        recent: How many recent distinct payloads a re-delivery is drawn from.

    Returns:
        Iterator over the payloads.
    """
    window: deque[dict[str, Any]] = deque(maxlen=recent)
    distinct = 0
    for _ in range(n):
        if window and rng.random() < rate:
            yield copy(rng.choice(window))
        else:
            data = make(distinct)
            distinct += 1
            window.append(data)
            yield data


def to_line(record: dict[str, Any]) -> str:
    """Serialise a record the way every generated file does (compact JSON, key order kept)."""
    return json.dumps(record, separators=(",", ":"))


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
