"""jobkit.sinks.search logic without a server: index names, which indices the keep-newest clean-up
deletes, bulk retries of single items and of whole requests (fake clock), replace vs upsert.

The backend here is an in-memory stand-in written for these unit tests of our own logic; the real
Elasticsearch/OpenSearch path is covered by tests/e2e/test_jobkit_sinks.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from jobkit.errors import SinkError
from jobkit.ids import key_id, record_id
from jobkit.retry import Backoff
from jobkit.sinks.base import DryRunSink, WriteResult, batched
from jobkit.sinks.search import IndexSink, daily_index, dated_indices, keep_newest_nonempty, monthly_index
from jobkit.sinks.search_backends import SearchBackend
from tests.fakes import InMemorySearchBackendForUnitTest


class FakeClockForUnitTest:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


RECORDS = [{"day": "2026-11-01", "host": f"agent{n}", "count": n} for n in range(5)]
ID = key_id("day", "host")


def sink(backend: SearchBackend, clock: FakeClockForUnitTest, **kwargs: Any) -> IndexSink:
    return IndexSink(backend, "wmarchive-agent-count-2026-11", ID, sleep=clock.sleep, **kwargs)


def test_index_names() -> None:
    assert daily_index("rucio-datasets-monitoring", date(2026, 1, 9)) == "rucio-datasets-monitoring-2026-01-09"
    assert monthly_index("wmarchive-agent-count", date(2026, 11, 30)) == "wmarchive-agent-count-2026-11"


def test_dated_indices_match_exact_names_only() -> None:
    names = ["x-2026-11-02", "x-2026-11-01", "x-archive", "x-y-2026-11-01", "x-2026-11", "xx-2026-11-03"]
    assert dated_indices(names, "x", "daily") == ["x-2026-11-01", "x-2026-11-02"]
    assert dated_indices(names, "x", "monthly") == ["x-2026-11"]


def test_keep_newest_nonempty_deletes_older_and_empty_newer() -> None:
    backend = InMemorySearchBackendForUnitTest()
    backend.indices = {"r-2026-11-01": {"a": {}}, "r-2026-11-02": {"a": {}, "b": {}}, "r-2026-11-03": {},
                       "r-keep": {}}
    result = keep_newest_nonempty(backend, "r")
    assert (result.kept, result.deleted) == ("r-2026-11-02", ["r-2026-11-01", "r-2026-11-03"])
    assert sorted(backend.indices) == ["r-2026-11-02", "r-keep"]


def test_keep_newest_nonempty_deletes_nothing_when_all_are_empty() -> None:
    backend = InMemorySearchBackendForUnitTest()
    backend.indices = {"r-2026-11-01": {}, "r-2026-11-02": {}}
    assert keep_newest_nonempty(backend, "r").kept is None
    assert backend.deleted == []


def test_keep_newest_nonempty_dry_run_deletes_nothing() -> None:
    backend = InMemorySearchBackendForUnitTest()
    backend.indices = {"r-2026-11-01": {"a": {}}, "r-2026-11-02": {"a": {}}}
    assert keep_newest_nonempty(backend, "r", dry_run=True).deleted == ["r-2026-11-01"]
    assert backend.deleted == []


def test_write_creates_index_with_mapping_and_uses_deterministic_ids() -> None:
    backend, clock = InMemorySearchBackendForUnitTest(), FakeClockForUnitTest()
    mappings = {"properties": {"host": {"type": "keyword"}}}
    result = sink(backend, clock, mappings=mappings, batch_size=2).write(RECORDS)
    assert result == WriteResult("memory index wmarchive-agent-count-2026-11", 5, 0)
    assert backend.mappings == {"wmarchive-agent-count-2026-11": mappings}
    assert backend.indices["wmarchive-agent-count-2026-11"] == {record_id(r, ("day", "host")): r for r in RECORDS}
    assert backend.bulk_sizes == [2, 2, 1]


def test_rewrite_replaces_and_deletes_stale_documents() -> None:
    backend, clock = InMemorySearchBackendForUnitTest(), FakeClockForUnitTest()
    sink(backend, clock).write(RECORDS)
    changed = [{**RECORDS[0], "count": 100}, *RECORDS[1:3]]
    assert sink(backend, clock).write(changed).deleted == 2
    assert backend.indices["wmarchive-agent-count-2026-11"] == {ID(r): r for r in changed}


def test_upsert_mode_keeps_other_documents() -> None:
    backend, clock = InMemorySearchBackendForUnitTest(), FakeClockForUnitTest()
    sink(backend, clock).write(RECORDS)
    assert sink(backend, clock, mode="upsert").write(RECORDS[:1]).deleted == 0
    assert len(backend.indices["wmarchive-agent-count-2026-11"]) == 5


def test_rejected_items_with_429_are_retried_alone_after_backoff() -> None:
    backend, clock = InMemorySearchBackendForUnitTest(), FakeClockForUnitTest()
    backend.item_statuses = [[201, 429, 201, 503, 201], [429, 201], [201]]
    sink(backend, clock).write(RECORDS)
    assert backend.bulk_sizes == [5, 2, 1]
    assert clock.waits == [1.0, 2.0]
    assert len(backend.indices["wmarchive-agent-count-2026-11"]) == 5


def test_transient_request_errors_are_retried() -> None:
    backend, clock = InMemorySearchBackendForUnitTest(), FakeClockForUnitTest()
    backend.request_errors = [ConnectionError("refused"), ConnectionError("refused")]
    assert sink(backend, clock).write(RECORDS).written == 5
    assert clock.waits == [1.0, 2.0]


def test_transient_request_errors_past_the_last_attempt_fail_naming_index_operation_and_attempts() -> None:
    backend, clock = InMemorySearchBackendForUnitTest(), FakeClockForUnitTest()
    backend.request_errors = [ConnectionError("refused")] * 3
    with pytest.raises(SinkError) as info:
        sink(backend, clock, backoff=Backoff(attempts=3)).write(RECORDS)
    assert str(info.value) == ("memory index wmarchive-agent-count-2026-11: bulk request failed after 3 attempts: "
                               "ConnectionError: refused")
    assert clock.waits == [1.0, 2.0]


def test_non_transient_item_error_fails_at_once_naming_the_document() -> None:
    backend, clock = InMemorySearchBackendForUnitTest(), FakeClockForUnitTest()
    backend.item_statuses = [[201, 400, 201, 201, 201]]
    with pytest.raises(SinkError) as info:
        sink(backend, clock).write(RECORDS)
    assert str(info.value) == (f"memory index wmarchive-agent-count-2026-11: 1 of 5 documents rejected; first: "
                               f"id {ID(RECORDS[1])} status 400: scripted_error: status 400")
    assert clock.waits == []


def test_items_still_rejected_after_all_attempts() -> None:
    backend, clock = InMemorySearchBackendForUnitTest(), FakeClockForUnitTest()
    backend.item_statuses = [[429] * 5, [429] * 5, [429] * 5]
    with pytest.raises(SinkError, match="5 documents still rejected after 3 attempts; last: status 429"):
        sink(backend, clock, backoff=Backoff(attempts=3)).write(RECORDS)
    assert clock.waits == [1.0, 2.0]


def test_record_without_key_field_is_a_sink_error() -> None:
    backend, clock = InMemorySearchBackendForUnitTest(), FakeClockForUnitTest()
    with pytest.raises(SinkError, match="record has no key field 'host'"):
        sink(backend, clock).write([{"day": "2026-11-01"}])


def test_dry_run_sink_counts_and_writes_nothing() -> None:
    backend, clock = InMemorySearchBackendForUnitTest(), FakeClockForUnitTest()
    result = DryRunSink(sink(backend, clock)).write(iter(RECORDS))
    assert result == WriteResult("memory index wmarchive-agent-count-2026-11", 5, dry_run=True)
    assert backend.indices == {}


def test_batched() -> None:
    assert [len(b) for b in batched(iter(RECORDS), 2)] == [2, 2, 1]
    assert list(batched([], 3)) == []


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="sink mode 'append' is unknown; allowed: replace, upsert"):
        IndexSink(InMemorySearchBackendForUnitTest(), "x", ID, mode="append")  # type: ignore[arg-type]
