"""jobkit's MongoDB sink when the connection drops mid-replace, on an in-memory database (a mock for this unit
test of our own logic; tests/e2e/test_jobkit_mongo.py runs the sink against FerretDB): every step of the replace
is retried, a step whose reply was lost is not done twice, and a failure that outlasts the retries is one
SinkError naming the collection."""

from __future__ import annotations

from typing import Any

import pytest

from jobkit.errors import SinkError
from jobkit.ids import key_id
from jobkit.retry import Backoff
from jobkit.sinks.base import WriteResult
from jobkit.sinks.mongo import OLD, STAGING, CollectionSink, IndexSpec
from tests.fakes import InMemoryMongoDatabaseForUnitTest

ID = key_id("site")
OLD_RECORDS = [{"site": "T1_US_FNAL", "jobs": 1}, {"site": "T2_CH_CERN", "jobs": 2}]
NEW_RECORDS = [{"site": "T2_CH_CERN", "jobs": 5}, {"site": "T2_DE_DESY", "jobs": 3}]
TARGET = "mongodb collection db.condor_main"


def sink(database: InMemoryMongoDatabaseForUnitTest, attempts: int = 3) -> CollectionSink:
    return CollectionSink(database, "condor_main", ID, indexes=[IndexSpec("site", (("site", 1),))],  # type: ignore[arg-type]
                          backoff=Backoff(attempts=attempts), sleep=lambda _: None)


def documents(database: InMemoryMongoDatabaseForUnitTest, name: str) -> dict[Any, dict[str, Any]]:
    return {key: {k: v for k, v in doc.items() if k != "_id"} for key, doc in database.collections[name].items()}


@pytest.fixture
def database() -> InMemoryMongoDatabaseForUnitTest:
    database = InMemoryMongoDatabaseForUnitTest()
    sink(database).write(OLD_RECORDS)
    database.calls.clear()
    return database


STEPS = ["insert_many", "create_index", "find", "rename", "drop_collection", "list_collection_names"]


@pytest.mark.parametrize("operation", STEPS)
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_connection_dropped_at_any_step_of_the_replace_is_retried_and_ends_exact(
        database: InMemoryMongoDatabaseForUnitTest, operation: str, when: str) -> None:
    database.failures = [(operation, when)]
    assert sink(database).write(NEW_RECORDS) == WriteResult(TARGET, 2, 1)
    assert database.failures == []  # the scripted drop happened
    assert sorted(database.collections) == ["condor_main"]
    assert documents(database, "condor_main") == {ID(r): r for r in NEW_RECORDS}


@pytest.mark.parametrize("when", ["before", "after"])
def test_the_empty_collection_a_replace_with_nothing_creates_survives_a_dropped_connection(
        database: InMemoryMongoDatabaseForUnitTest, when: str) -> None:
    database.failures = [("create_collection", when)]
    assert sink(database).write([]) == WriteResult(TARGET, 0, 2)
    assert (database.failures, sorted(database.collections), database.collections["condor_main"]) == (
        [], ["condor_main"], {})


def test_a_rename_that_went_through_is_not_repeated(database: InMemoryMongoDatabaseForUnitTest) -> None:
    database.failures = [("rename", "after")]
    sink(database).write(NEW_RECORDS)
    assert database.calls.count("rename") == 2  # the old one aside (reply lost, seen done), staging in


def test_a_server_that_stays_away_fails_the_write_with_one_error_naming_the_collection(
        database: InMemoryMongoDatabaseForUnitTest) -> None:
    database.failures = [("rename", "before")] * 3
    with pytest.raises(SinkError, match=rf"^{TARGET}: rename of condor_main to condor_main{OLD} failed after 3 "
                                        "attempts: AutoReconnect: rename: connection reset"):
        sink(database).write(NEW_RECORDS)
    # Nothing lost: the old data is still under its name, the next run starts from staging.
    assert sorted(database.collections) == ["condor_main", "condor_main" + STAGING]
    assert documents(database, "condor_main") == {ID(r): r for r in OLD_RECORDS}
    assert sink(database).write(NEW_RECORDS) == WriteResult(TARGET, 2, 1)
    assert sorted(database.collections) == ["condor_main"]


def test_a_refused_operation_names_the_collection(database: InMemoryMongoDatabaseForUnitTest) -> None:
    database.collections["condor_main" + OLD] = {}  # beside condor_main: the run drops it first
    database.collections["other"] = {}
    real = database.drop_collection

    def refuse(name: str) -> None:
        from pymongo.errors import OperationFailure

        if name == "condor_main" + OLD:
            raise OperationFailure("not authorized on db to execute command dropCollection", code=13)
        real(name)

    database.drop_collection = refuse  # type: ignore[method-assign]
    with pytest.raises(SinkError, match=rf"^{TARGET}: OperationFailure: not authorized"):
        sink(database).write(NEW_RECORDS)
