"""Independent, reproducible random streams derived from one user seed."""

from __future__ import annotations

import random


def derive_rng(seed: int, *scope: object) -> random.Random:
    """Return a generator for one named part of a dataset.

    Each (seed, scope) pair gets its own stream, so adding records to one table or day never shifts the
    values of another. String seeds are hashed with SHA-512 by ``random.Random``, which does not depend on
    PYTHONHASHSEED, so streams are identical across processes and machines.

    Args:
        seed: The user's seed.
        scope: Names that identify the stream (source, table, day...); joined with ``:``.

    Returns:
        A fresh ``random.Random``.
    """
    return random.Random(":".join([str(seed), *map(str, scope)]))
