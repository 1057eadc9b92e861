"""OpenSearch 2.x and Elasticsearch 8.x (real single nodes from Maven Central) started from cold,
written with their official clients (documents with explicit ids), read back exactly, restarted with
their indices kept, and stopped with no process or port left. Start times and resident memory are
printed as ``FIGURE`` lines (``-s`` shows them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from harness.services.base import Service
from harness.services.elasticsearch import Elasticsearch, elasticsearch_client
from harness.services.opensearch import OpenSearch, opensearch_client
from tests.e2e.service_checks import stop_and_check_gone, timed_start

pytestmark = pytest.mark.e2e

INDEX = "cms-condor-2026.11.22"
SITES = ("T1_US_FNAL", "T2_CH_CERN", "T2_DE_DESY")
DOCS: dict[str, dict[str, Any]] = {
    f"crab3@vocms0{i % 7}#{1000 + i}.0": {
        "Site": SITES[i % 3],
        "CpuTimeHr": round(0.25 * i, 2),
        "ExitCode": 0 if i % 5 else 1,
        "Workflow": f"task_{i // 10:02d}",
    }
    for i in range(60)
}


@dataclass(frozen=True)
class Backend:
    """A search service and how its official client is made."""

    service: type[Service]
    client: Callable[[Any], Any]
    version_prefix: str


BACKENDS = {
    "elasticsearch": Backend(Elasticsearch, elasticsearch_client, "8."),
    "opensearch": Backend(OpenSearch, opensearch_client, "2."),
}




@pytest.fixture(scope="module", params=sorted(BACKENDS))
def search(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The running service (cold-started for this module) and a client of it."""
    backend = BACKENDS[request.param]
    service = backend.service(root=tmp_path_factory.mktemp(request.param))
    timed_start(service, "cold")
    yield service, backend.client(service)
    stop_and_check_gone(service)
    service.destroy()
    assert not service.root.exists()


def read_back(client: Any) -> dict[str, dict[str, Any]]:
    return {doc_id: client.get(index=INDEX, id=doc_id)["_source"] for doc_id in DOCS}


def seed(client: Any) -> None:
    """Create the index (once) and write every document under its explicit id; idempotent."""
    if not client.indices.exists(index=INDEX):
        client.indices.create(index=INDEX, body={
            "settings": {"number_of_shards": 1, "number_of_replicas": 0},
            "mappings": {"properties": {"Site": {"type": "keyword"}, "CpuTimeHr": {"type": "double"},
                                        "ExitCode": {"type": "integer"}, "Workflow": {"type": "keyword"}}},
        })
    for doc_id, doc in DOCS.items():
        client.index(index=INDEX, id=doc_id, body=doc)
    client.indices.refresh(index=INDEX)


def test_one_real_node_of_the_pinned_major(search: tuple[Service, Any]) -> None:
    service, client = search
    nodes = client.nodes.info()["nodes"]
    assert len(nodes) == 1
    (node,) = nodes.values()
    assert node["version"].startswith(BACKENDS[service.name].version_prefix)
    assert node["http"]["publish_address"] == f"127.0.0.1:{service.ports['http']}"
    print(f"FIGURE {service.name} version {node['version']}")


def test_index_with_ids_and_read_back(search: tuple[Service, Any]) -> None:
    _, client = search
    seed(client)
    # Writing the same ids again must overwrite, never duplicate (the jobs' idempotence contract).
    seed(client)

    assert client.count(index=INDEX)["count"] == len(DOCS)
    assert read_back(client) == DOCS
    failed = client.count(index=INDEX, body={"query": {"term": {"ExitCode": 1}}})["count"]
    assert failed == sum(1 for d in DOCS.values() if d["ExitCode"] == 1)
    per_site = client.search(index=INDEX, body={
        "size": 0, "aggs": {"site": {"terms": {"field": "Site"}, "aggs": {"cpu": {"sum": {"field": "CpuTimeHr"}}}}},
    })["aggregations"]["site"]["buckets"]
    assert {b["key"]: (b["doc_count"], round(b["cpu"]["value"], 2)) for b in per_site} == {
        site: (
            sum(1 for d in DOCS.values() if d["Site"] == site),
            round(sum(d["CpuTimeHr"] for d in DOCS.values() if d["Site"] == site), 2),
        )
        for site in SITES
    }


def test_restart_keeps_index(search: tuple[Service, Any]) -> None:
    service, client = search
    seed(client)
    stop_and_check_gone(service)
    timed_start(service, "warm")
    client.cluster.health(index=INDEX, wait_for_status="green")
    assert client.count(index=INDEX)["count"] == len(DOCS)
    assert read_back(client) == DOCS
