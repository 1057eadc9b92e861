"""Every job test gives the same verdict whatever day it runs on.

Job tests generate their inputs for the run's calendar date, so an assertion about the data (enough
re-deliveries, a join that misses) can hold on some dates only: test_cpueff once failed on 2026-12-06 for that
reason. A job test module states what its data must give in ``data_assumptions(today)``; it calls that itself
before seeding, and this test calls it for every day of a leap year and the coming weeks, without a cluster.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from harness.paths import REPO_ROOT

JOB_TESTS = sorted((REPO_ROOT / "charts" / "jobs").glob("*/tests/test_*.py"))
#: a whole leap year (29 February, month and year ends) and the weeks ahead of whoever runs this
DAYS = [date(2028, 1, 1) + timedelta(days=i) for i in range(366)] + [
    datetime.now(UTC).date() + timedelta(days=i) for i in range(14)]


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"job_test_dates_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses in the module look themselves up there
    spec.loader.exec_module(module)
    return module


def _assumptions() -> list[tuple[str, Callable[[date], None]]]:
    found = []
    for path in JOB_TESTS:
        check = getattr(_load(path), "data_assumptions", None)
        if check is not None:
            found.append((path.parent.parent.name, check))
    return found


@pytest.mark.parametrize(("job", "check"), _assumptions(), ids=lambda value: value if isinstance(value, str) else "")
def test_data_assumptions_hold_on_every_day(job: str, check: Callable[[date], None]) -> None:
    failures = []
    for day in DAYS:
        try:
            check(day)
        except AssertionError as broken:
            failures.append(f"{day}: {broken}")
    assert not failures, f"{job}: the test's data assumptions break on {len(failures)} days: {failures[:5]}"


def test_the_known_date_dependent_tests_state_their_assumptions() -> None:
    assert {job for job, _ in _assumptions()} >= {"cpueff", "rucio-daily"}
