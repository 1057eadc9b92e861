"""Input preparers for bench_jobs.py: one module per job, ``bench/preparers/<job_with_underscores>.py``.

Each module defines ``JOB`` (the chart name) and ``prepare(services, n, seed) -> Prepared``: seed about ``n``
input records into the real services under a bench-only root/prefix and return the chart values that
point the job at them, the number of records written, and a cleanup. Modules are found by name, so adding
a job's benchmark never edits a shared file.

A preparer uses the services in the cluster (``services.cluster``, the job's pods on the pod network, as in the
job tests) or, not moved yet, host processes (``services.host``, the job's pods on the host network). Only the
former can run on executors as pods: a module lists the Spark engines it runs on in ``ENGINES``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.services.incluster import ClusterServices
from harness.services.pool import ServicePool


@dataclass(frozen=True)
class BenchServices:
    """The services a preparer seeds: host processes, or workloads in the cluster (installed on first use)."""

    host: ServicePool
    cluster: ClusterServices


@dataclass(frozen=True)
class Prepared:
    """A seeded input: the chart values that point the job at it, and how to clean it up."""

    values: dict[str, Any]
    records: int
    cleanup: Callable[[], None]


Preparer = Callable[[BenchServices, int, int], Prepared]


@dataclass(frozen=True)
class JobBench:
    """One job's preparer and the Spark engines it runs on (harness.deploy.SPARK_ENGINES)."""

    prepare: Preparer
    engines: tuple[str, ...]


def preparers() -> dict[str, JobBench]:
    """Every job with a preparer module here: {job: its preparer and engines}."""
    found: dict[str, JobBench] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found[module.JOB] = JobBench(module.prepare, tuple(getattr(module, "ENGINES", ("local",))))
    return found
