"""jobkit's MongoDB sink against FerretDB (the MongoDB wire protocol server the tests use): replacing a
collection twice gives exactly the last input under deterministic ids with its indexes, no leftover
staging collection, and a stale document removed; upsert mode keeps others; an interrupted swap is
repaired by the next run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import MongoClient

from harness.services.ferretdb import FerretDB
from jobkit.config import load
from jobkit.ids import key_id
from jobkit.sinks.base import WriteResult
from jobkit.sinks.mongo import MONGO_VARS, OLD, STAGING, CollectionSink, IndexSpec, mongo_database_from_config

pytestmark = pytest.mark.e2e

Doc = dict[str, Any]
ID = key_id("Site", "Workflow")
INDEXES = (IndexSpec("site", (("Site", 1),)), IndexSpec("site_eff", (("Site", 1), ("CpuEff", -1))))
MAIN = [
    {"Site": "T2_CH_CERN", "Workflow": "wf-a", "CpuEff": 81.5, "Jobs": 10},
    {"Site": "T2_CH_CERN", "Workflow": "wf-b", "CpuEff": 40.0, "Jobs": 3},
    {"Site": "T1_US_FNAL", "Workflow": "wf-a", "CpuEff": 92.25, "Jobs": 7},
]


@pytest.fixture(scope="module")
def ferretdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FerretDB]:
    service = FerretDB(root=tmp_path_factory.mktemp("ferretdb"))
    service.start()
    yield service
    service.stop()


@pytest.fixture
def db(ferretdb: FerretDB, request: pytest.FixtureRequest) -> Iterator[Any]:
    config = load(MONGO_VARS, {"MONGO_URI": ferretdb.uri, "MONGO_DB": f"jobkit_{request.node.name[:40]}"})
    database = mongo_database_from_config(config)
    yield database
    database.client.drop_database(database.name)
    database.client.close()


def content(db: Any, name: str) -> list[Doc]:
    return list(db[name].find({}, sort=[("_id", 1)]))


def expected(records: list[Doc]) -> list[Doc]:
    return sorted(({**r, "_id": ID(r)} for r in records), key=lambda d: str(d["_id"]))


def index_keys(db: Any, name: str) -> dict[str, dict[str, int]]:
    return {ix["name"]: dict(ix["key"]) for ix in db[name].list_indexes()}


def test_replace_twice_is_exact_and_keeps_indexes(db: Any) -> None:
    sink = CollectionSink(db, "condor_main", ID, indexes=INDEXES)
    assert sink.write(MAIN) == WriteResult(f"mongodb collection {db.name}.condor_main", 3, 0)
    assert content(db, "condor_main") == expected(MAIN)

    assert sink.write(MAIN) == WriteResult(f"mongodb collection {db.name}.condor_main", 3, 0)
    assert content(db, "condor_main") == expected(MAIN)

    rerun = [{**MAIN[0], "Jobs": 11}, MAIN[2]]
    assert sink.write(rerun).deleted == 1
    assert content(db, "condor_main") == expected(rerun)
    assert db.list_collection_names() == ["condor_main"]
    assert index_keys(db, "condor_main") == {
        "_id_": {"_id": 1}, "site": {"Site": 1}, "site_eff": {"Site": 1, "CpuEff": -1}}


def test_replace_with_nothing_leaves_an_empty_collection(db: Any) -> None:
    sink = CollectionSink(db, "condor_tiers", ID)
    sink.write(MAIN)
    assert sink.write([]) == WriteResult(f"mongodb collection {db.name}.condor_tiers", 0, 3)
    assert (db.list_collection_names(), content(db, "condor_tiers")) == (["condor_tiers"], [])


def test_upsert_mode_keeps_other_documents(db: Any) -> None:
    sink = CollectionSink(db, "source_timestamp", ID, mode="upsert")
    sink.write(MAIN[:2])
    changed = {**MAIN[1], "Jobs": 99}
    sink.write([changed, MAIN[2]])
    assert content(db, "source_timestamp") == expected([MAIN[0], changed, MAIN[2]])


def test_records_with_their_own_id(db: Any) -> None:
    docs = [{"_id": "2026-11-01", "ts": 1}, {"_id": "2026-11-02", "ts": 2}]
    CollectionSink(db, "own_ids").write(docs)
    CollectionSink(db, "own_ids").write(docs)
    assert content(db, "own_ids") == docs


def test_interrupted_swap_is_repaired_by_the_next_run(db: Any, ferretdb: FerretDB) -> None:
    sink = CollectionSink(db, "condor_detailed", ID)
    sink.write(MAIN)
    # The state a run leaves when it dies between the two renames (and with a half-written staging).
    db["condor_detailed"].rename("condor_detailed" + OLD)
    db["condor_detailed" + STAGING].insert_one({"_id": "partial"})
    with MongoClient[dict[str, Any]](ferretdb.uri) as other:
        assert sorted(other[db.name].list_collection_names()) == ["condor_detailed" + STAGING,
                                                                  "condor_detailed" + OLD]
    sink._recover()
    assert (db.list_collection_names(), content(db, "condor_detailed")) == (["condor_detailed"], expected(MAIN))
    sink.write(MAIN[:1])
    assert (db.list_collection_names(), content(db, "condor_detailed")) == (["condor_detailed"], expected(MAIN[:1]))


def test_a_key_repeated_within_one_write_keeps_the_later_record(db: Any) -> None:
    later = {**MAIN[0], "Jobs": 42}
    sink = CollectionSink(db, "condor_main", ID, batch_size=2)
    assert sink.write([MAIN[0], MAIN[1], MAIN[2], later]).written == 3
    assert content(db, "condor_main") == expected([later, MAIN[1], MAIN[2]])
