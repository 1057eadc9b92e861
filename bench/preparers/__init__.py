"""Input preparers for bench_jobs.py: one module per job, ``bench/preparers/<job_with_underscores>.py``.

Each module defines ``JOB`` (the chart name) and ``prepare(pool, n, seed) -> Prepared``: seed about ``n``
input records into the real services under a bench-only root/prefix and return the chart values that
point the job at them, the number of records written, and a cleanup. Modules are found by name, so adding
a job's benchmark never edits a shared file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.services.pool import ServicePool


@dataclass(frozen=True)
class Prepared:
    """A seeded input: the chart values that point the job at it, and how to clean it up."""

    values: dict[str, Any]
    records: int
    cleanup: Callable[[], None]


Preparer = Callable[[ServicePool, int, int], Prepared]


def preparers() -> dict[str, Preparer]:
    """Every job with a preparer module here: {job: prepare}."""
    found: dict[str, Preparer] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found[module.JOB] = module.prepare
    return found
