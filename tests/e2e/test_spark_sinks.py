"""A Spark local job from generated HDFS input to every production sink, checked exactly.

One day of condor records (seeded, with MONIT's re-deliveries) is written into HDFS at the archive's
production path. A Spark job (local master, driver on 127.0.0.1) reads that day over HDFS RPC, keeps
Completed jobs, deduplicates on GlobalJobId and sums per site; the per-site rows go through jobkit's
sinks to Elasticsearch, OpenSearch, MongoDB (FerretDB) and parquet on HDFS. Each sink is read back with
its own client and compared with the same figures computed in plain Python from the generator. The job
then runs a second time: every sink must hold the same rows, none twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from pymongo import MongoClient

from harness.datagen import condor
from harness.datagen.writers import HdfsSink
from harness.services.base import Service
from harness.services.elasticsearch import Elasticsearch, elasticsearch_client
from harness.services.ferretdb import FerretDB
from harness.services.hdfs import Hdfs, webhdfs_client
from harness.services.opensearch import OpenSearch, opensearch_client
from jobkit.config import load
from jobkit.ids import key_id
from jobkit.sinks.base import WriteResult
from jobkit.sinks.mongo import CollectionSink, mongo_database
from jobkit.sinks.search import IndexSink, daily_index
from jobkit.sinks.search_backends import search_backend
from jobkit.sinks.spark_hdfs import day_path, write_parquet
from jobkit.spark import SPARK_VARS, build_session

pytestmark = pytest.mark.e2e

SEED, N, DAY = 7, 2000, date(2026, 11, 20)
INDEX = daily_index("condor-site-usage", DAY)
MONGO_DB, COLLECTION = "cms_monitoring", "condor_site_usage"
PARQUET_BASE = "/cms/users/cmsmon/condor-site-usage"
ID = key_id("day", "site")
MAPPINGS = {"properties": {
    "day": {"type": "keyword"}, "site": {"type": "keyword"}, "jobs": {"type": "long"},
    "core_hr": {"type": "double"}, "cpu_time_hr": {"type": "double"},
}}
# Sums differ from the plain-Python ones only by float addition order.
TOLERANCE = 1e-9

Row = dict[str, Any]


def expected_rows() -> dict[str, Row]:
    """Per-site usage of the day computed in plain Python from the generator, keyed by site."""
    completed: dict[str, dict[str, Any]] = {}
    for record in condor.records(SEED, N, DAY):
        data = record["data"]
        if data["Status"] == "Completed":
            # A re-delivery carries the same data; the first one counts.
            completed.setdefault(data["GlobalJobId"], data)
    rows: dict[str, Row] = {}
    for data in completed.values():
        row = rows.setdefault(data["Site"], {"day": DAY.isoformat(), "site": data["Site"], "jobs": 0,
                                             "core_hr": 0.0, "cpu_time_hr": 0.0})
        row["jobs"] += 1
        row["core_hr"] += data["CoreHr"]
        row["cpu_time_hr"] += data["CpuTimeHr"]
    return rows


def sha1_id(row: Row) -> str:
    """The document id written out by hand: sha1 of the JSON array [day, site]."""
    return hashlib.sha1(json.dumps([row["day"], row["site"]], separators=(",", ":")).encode()).hexdigest()


def assert_rows_match(got: list[Row], expected: dict[str, Row], where: str) -> None:
    """Exactly one row per expected site, with exact counts and sums within :data:`TOLERANCE`."""
    sites = [row["site"] for row in got]
    assert sorted(sites) == sorted(expected), f"{where}: sites differ or repeat"
    for row in got:
        want = expected[row["site"]]
        assert set(row) == set(want), f"{where}: fields of {row['site']}"
        assert (row["day"], row["jobs"]) == (want["day"], want["jobs"]), f"{where}: {row['site']}"
        for field in ("core_hr", "cpu_time_hr"):
            assert row[field] == pytest.approx(want[field], rel=0, abs=TOLERANCE), f"{where}: {row['site']} {field}"


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """HDFS, Elasticsearch, OpenSearch and FerretDB, each in its own temporary root, started together."""
    started: dict[str, Any] = {
        "hdfs": Hdfs(root=tmp_path_factory.mktemp("hdfs")),
        "elasticsearch": Elasticsearch(root=tmp_path_factory.mktemp("elasticsearch")),
        "opensearch": OpenSearch(root=tmp_path_factory.mktemp("opensearch")),
        "ferretdb": FerretDB(root=tmp_path_factory.mktemp("ferretdb")),
    }
    # Started in parallel: the three JVMs spend most of their start-up waiting, not computing.
    with ThreadPoolExecutor(len(started)) as pool:
        futures = [pool.submit(service.start) for service in started.values()]
    try:
        for future in futures:
            future.result()
        yield started
    finally:
        service: Service
        for service in started.values():
            service.stop()


@pytest.fixture(scope="module")
def spark(services: dict[str, Any]) -> Iterator[Any]:
    environ = {"SPARK_MASTER": "local[2]", "SPARK_LOCAL_IP": "127.0.0.1", "HDFS_URL": services["hdfs"].rpc_url,
               "SPARK_DRIVER_MEMORY": "512m", "SPARK_SHUFFLE_PARTITIONS": "4"}
    session = build_session(load(SPARK_VARS, environ), "condor-site-usage-e2e")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def seeded(services: dict[str, Any]) -> list[str]:
    """The day's condor files written into HDFS at the production path."""
    return condor.write(HdfsSink(webhdfs_client(services["hdfs"])), SEED, N, DAY)


def site_usage_job(spark: Any, services: dict[str, Any]) -> dict[str, WriteResult]:
    """The job under test: HDFS condor day -> per-site usage -> the four sinks.

    Returns:
        Each sink's write result, by sink name.
    """
    from pyspark.sql import functions as f
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    hdfs: Hdfs = services["hdfs"]
    data = StructType([StructField(name, kind, True) for name, kind in (
        ("GlobalJobId", StringType()), ("Status", StringType()), ("Site", StringType()),
        ("CoreHr", DoubleType()), ("CpuTimeHr", DoubleType()))])
    source = day_path(f"{hdfs.rpc_url}{condor.ROOT}", DAY)
    frame = (
        spark.read.schema(StructType([StructField("data", data, True)])).option("mode", "FAILFAST").json(source)
        .select("data.*")
        .where(f.col("Status") == "Completed")
        .dropDuplicates(["GlobalJobId"])
        .groupBy(f.col("Site").alias("site"))
        .agg(f.count(f.lit(1)).alias("jobs"), f.sum("CoreHr").alias("core_hr"),
             f.sum("CpuTimeHr").alias("cpu_time_hr"))
        .select(f.lit(DAY.isoformat()).alias("day"), "site", "jobs", "core_hr", "cpu_time_hr")
    )
    rows = [row.asDict() for row in frame.collect()]
    results = {}
    for kind, url in (("elasticsearch", services["elasticsearch"].url), ("opensearch", services["opensearch"].url)):
        backend = search_backend(kind, [url])
        try:
            results[kind] = IndexSink(backend, INDEX, ID, mappings=MAPPINGS).write(rows)
        finally:
            backend.close()
    database = mongo_database(services["ferretdb"].uri, MONGO_DB)
    try:
        results["mongodb"] = CollectionSink(database, COLLECTION, ID).write(rows)
    finally:
        database.client.close()
    results["parquet"] = write_parquet(frame, day_path(f"{hdfs.rpc_url}{PARQUET_BASE}", DAY))
    return results


def search_documents(search: Callable[..., Any], index: str) -> dict[str, Row]:
    reply = search(index=index, body={"query": {"match_all": {}}, "size": 1000})
    assert reply["hits"]["total"]["value"] == len(reply["hits"]["hits"])
    return {hit["_id"]: hit["_source"] for hit in reply["hits"]["hits"]}


def read_back(spark: Any, services: dict[str, Any]) -> dict[str, list[Row]]:
    """Every sink's content read with that store's own client, ids checked against the hand-made sha1."""
    out: dict[str, list[Row]] = {}
    es = elasticsearch_client(services["elasticsearch"])
    os_client = opensearch_client(services["opensearch"])
    try:
        es.indices.refresh(index=INDEX)
        os_client.indices.refresh(index=INDEX)
        for name, docs in (("elasticsearch", search_documents(es.search, INDEX)),
                           ("opensearch", search_documents(os_client.search, INDEX))):
            assert all(doc_id == sha1_id(doc) for doc_id, doc in docs.items()), name
            out[name] = list(docs.values())
    finally:
        es.close()
        os_client.close()
    mongo: MongoClient[dict[str, Any]] = MongoClient(services["ferretdb"].uri)
    try:
        db = mongo[MONGO_DB]
        assert db.list_collection_names() == [COLLECTION]
        documents = list(db[COLLECTION].find({}))
    finally:
        mongo.close()
    assert all(doc["_id"] == sha1_id(doc) for doc in documents)
    out["mongodb"] = [{k: v for k, v in doc.items() if k != "_id"} for doc in documents]
    path = day_path(f"{services['hdfs'].rpc_url}{PARQUET_BASE}", DAY)
    out["parquet"] = [row.asDict() for row in spark.read.parquet(path).collect()]
    return out


def test_job_output_is_exact_in_every_sink_and_a_rerun_adds_no_duplicates(
    spark: Any, services: dict[str, Any], seeded: list[str]
) -> None:
    expected = expected_rows()
    raw = list(condor.records(SEED, N, DAY))
    completed = [r["data"]["GlobalJobId"] for r in raw if r["data"]["Status"] == "Completed"]
    # The input must exercise the deduplication, else the check below proves nothing about it.
    assert len(completed) > len(set(completed)) == sum(row["jobs"] for row in expected.values())
    assert len(seeded) == 4 and all(path.startswith(f"{condor.ROOT}/2026/11/20/") for path in seeded)

    for run in (1, 2):
        results = site_usage_job(spark, services)
        sites = len(expected)
        assert results == {
            "elasticsearch": WriteResult(f"elasticsearch index {INDEX}", sites, 0),
            "opensearch": WriteResult(f"opensearch index {INDEX}", sites, 0),
            "mongodb": WriteResult(f"mongodb collection {MONGO_DB}.{COLLECTION}", sites, 0),
            "parquet": WriteResult(f"parquet {day_path(services['hdfs'].rpc_url + PARQUET_BASE, DAY)}", sites),
        }, f"run {run}"
        for sink, rows in read_back(spark, services).items():
            assert_rows_match(rows, expected, f"run {run}, {sink}")
