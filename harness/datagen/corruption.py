"""Mixing malformed lines into a stream of valid ones, for negative tests."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator


def interleave(
    valid: Iterable[str],
    n: int,
    corrupt: int,
    placement: random.Random,
    malformed: Callable[[int], str],
) -> Iterator[str]:
    """Yield ``n`` valid lines with ``corrupt`` malformed lines at seeded positions.

    The valid lines keep their order, so dropping the malformed ones gives back exactly ``valid``.

    Args:
        valid: The n valid lines, in order.
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
    lines = iter(valid)
    bad = 0
    for position in range(n + corrupt):
        if position in positions:
            yield malformed(bad)
            bad += 1
        else:
            yield next(lines)
