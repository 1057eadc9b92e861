"""jobkit.ids (deterministic ids) and jobkit.retry (backoff schedule, run with a fake clock)."""

from __future__ import annotations

import hashlib

import pytest

from jobkit.ids import key_id, record_id
from jobkit.retry import Backoff, retry


def test_record_id_is_sha1_of_the_key_as_json() -> None:
    record = {"day": "2026-11-01", "site": "T2_CH_CERN", "jobs": 3}
    expected = hashlib.sha1(b'["2026-11-01","T2_CH_CERN"]').hexdigest()
    assert record_id(record, ("day", "site")) == expected
    assert key_id("day", "site")(record) == expected


def test_record_id_ignores_other_fields_and_is_stable() -> None:
    a = {"day": "2026-11-01", "site": "T1", "jobs": 3}
    b = {"site": "T1", "jobs": 99, "day": "2026-11-01"}
    assert record_id(a, ("day", "site")) == record_id(b, ("day", "site"))


def test_record_id_depends_on_order_type_and_boundaries() -> None:
    rec = {"a": "x,y", "b": "z", "c": "x", "d": "y,z", "n": 1, "s": "1"}
    assert record_id(rec, ("a", "b")) != record_id(rec, ("c", "d"))
    assert record_id(rec, ("a", "b")) != record_id(rec, ("b", "a"))
    assert record_id(rec, ("n",)) != record_id(rec, ("s",))


def test_missing_key_field_is_an_error() -> None:
    with pytest.raises(KeyError, match="record has no key field 'site' \\(key: day, site\\)"):
        record_id({"day": "2026-11-01"}, ("day", "site"))
    with pytest.raises(ValueError, match="at least one key field"):
        key_id()


def test_backoff_delays() -> None:
    assert Backoff().delays() == [1.0, 2.0, 4.0, 8.0]
    assert Backoff(attempts=6, base=0.5, factor=3, cap=5).delays() == [0.5, 1.5, 4.5, 5, 5]
    assert Backoff(attempts=1).delays() == []


class FakeClockForUnitTest:
    """Records the waits instead of sleeping (unit test of our own retry loop only)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


class Flaky:
    """Fails with ``errors`` in turn, then returns "done"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def transient(exc: BaseException) -> bool:
    return isinstance(exc, ConnectionError)


def test_retry_waits_by_the_schedule_then_succeeds() -> None:
    clock = FakeClockForUnitTest()
    call = Flaky(ConnectionError("a"), ConnectionError("b"))
    assert retry(call, transient, "op", Backoff(), clock.sleep) == "done"
    assert (call.calls, clock.waits) == (3, [1.0, 2.0])


def test_retry_gives_up_after_all_attempts_with_the_last_error() -> None:
    clock = FakeClockForUnitTest()
    call = Flaky(*(ConnectionError(f"e{n}") for n in range(5)))
    with pytest.raises(ConnectionError, match=r"^e4$"):
        retry(call, transient, "op", Backoff(attempts=5), clock.sleep)
    assert (call.calls, clock.waits) == (5, [1.0, 2.0, 4.0, 8.0])


def test_retry_does_not_retry_other_errors() -> None:
    clock = FakeClockForUnitTest()
    call = Flaky(ValueError("bad document"))
    with pytest.raises(ValueError, match="bad document"):
        retry(call, transient, "op", Backoff(), clock.sleep)
    assert (call.calls, clock.waits) == (1, [])
