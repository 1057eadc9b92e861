"""jobkit's index sink against real single-node Elasticsearch 8 and OpenSearch 2: an index written
twice holds exactly the input under deterministic ids (no duplicates), with the mapping it was
created with; a re-run with less input deletes what is no longer produced; upsert mode keeps others;
the keep-newest clean-up deletes exactly the older and empty dated indices; a dead endpoint is
retried by the backoff schedule and then reported.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from harness.process import free_port
from harness.services.base import Service
from jobkit.errors import SinkError
from jobkit.ids import key_id
from jobkit.retry import Backoff
from jobkit.sinks.base import WriteResult
from jobkit.sinks.search import IndexSink, daily_index, keep_newest_nonempty, monthly_index
from jobkit.sinks.search_backends import SearchBackend, search_backend

pytestmark = pytest.mark.e2e

# kind -> (module, class) of the harness service running it.
SERVICES = {
    "opensearch": ("harness.services.opensearch", "OpenSearch"),
    "elasticsearch": ("harness.services.elasticsearch", "Elasticsearch"),
}
MAPPINGS = {"properties": {
    "day": {"type": "keyword"}, "host": {"type": "keyword"}, "count": {"type": "long"},
    "avg_steps_count": {"type": "float"}, "sites": {"type": "keyword"}, "wmats_midday": {"type": "long"},
}}
ID = key_id("day", "host")
RECORDS = [
    {"day": "2026-11-0" + str(d), "host": f"vocms0{h}.cern.ch", "count": d * 10 + h, "avg_steps_count": 1.5 * h,
     "sites": [f"T2_CH_CERN_{h}", "T1_US_FNAL"], "wmats_midday": 1_793_000_000 + d * 86_400}
    for d in (1, 2) for h in (1, 2, 3)
]


@pytest.fixture(scope="module", params=sorted(SERVICES))
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchBackend]:
    kind = request.param
    module, cls = SERVICES[kind]
    try:
        service_class: type[Service] = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as exc:
        pytest.skip(f"{module}.{cls} is not in this checkout yet: {exc}")
    service = service_class(root=tmp_path_factory.mktemp(kind))
    service.start()
    client = search_backend(kind, [getattr(service, "url")])  # noqa: B009 - every search service has .url
    yield client
    client.close()
    service.stop()


def documents(backend: SearchBackend, index: str) -> dict[str, dict[str, Any]]:
    """Every document of ``index`` by id, read with a plain search (not through the sink)."""
    client: Any = getattr(backend, "client")  # noqa: B009 - the backend's own client, for reading back
    reply = client.search(index=index, query={"match_all": {}}, size=1000) if backend.kind == "elasticsearch" \
        else client.search(index=index, body={"query": {"match_all": {}}, "size": 1000})
    hits = reply["hits"]["hits"]
    return {hit["_id"]: hit["_source"] for hit in hits}


def mapping(backend: SearchBackend, index: str) -> dict[str, Any]:
    client: Any = getattr(backend, "client")  # noqa: B009
    return dict(client.indices.get_mapping(index=index)[index]["mappings"])


def test_write_twice_is_exact_without_duplicates(backend: SearchBackend) -> None:
    index = monthly_index("wmarchive-agent-count", date(2026, 11, 5))
    sink = IndexSink(backend, index, ID, mappings=MAPPINGS)
    assert sink.write(RECORDS) == WriteResult(f"{backend.kind} index wmarchive-agent-count-2026-11", 6, 0)
    assert sink.write(RECORDS) == WriteResult(f"{backend.kind} index wmarchive-agent-count-2026-11", 6, 0)
    assert documents(backend, index) == {ID(r): r for r in RECORDS}
    assert mapping(backend, index) == MAPPINGS


def test_rerun_with_less_input_deletes_stale_documents(backend: SearchBackend) -> None:
    index = daily_index("jobkit-replace", date(2026, 11, 1))
    sink = IndexSink(backend, index, ID, mappings=MAPPINGS, batch_size=4)
    sink.write(RECORDS)
    rerun = [{**RECORDS[0], "count": 999}, *RECORDS[3:5]]
    assert sink.write(rerun) == WriteResult(f"{backend.kind} index {index}", 3, 3)
    assert documents(backend, index) == {ID(r): r for r in rerun}


def test_upsert_mode_keeps_other_documents(backend: SearchBackend) -> None:
    index = "jobkit-rucio-used-space-1d"
    IndexSink(backend, index, ID, mode="upsert").write(RECORDS[:4])
    IndexSink(backend, index, ID, mode="upsert").write(RECORDS[3:])
    assert documents(backend, index) == {ID(r): r for r in RECORDS}


def test_keep_newest_nonempty(backend: SearchBackend) -> None:
    prefix = "jobkit-rdm"
    for day, records in ((1, RECORDS[:2]), (2, RECORDS[2:3]), (3, [])):
        IndexSink(backend, daily_index(prefix, date(2026, 11, day)), ID).write(records)
    IndexSink(backend, f"{prefix}-archive", ID).write(RECORDS[:1])
    result = keep_newest_nonempty(backend, prefix)
    assert result.kept == "jobkit-rdm-2026-11-02"
    assert result.deleted == ["jobkit-rdm-2026-11-01", "jobkit-rdm-2026-11-03"]
    assert backend.doc_counts(f"{prefix}-*") == {"jobkit-rdm-2026-11-02": 1, "jobkit-rdm-archive": 1}


def test_unreachable_endpoint_is_retried_then_reported(backend: SearchBackend) -> None:
    dead = search_backend(backend.kind, [f"http://127.0.0.1:{free_port()}"])
    waits: list[float] = []
    sink = IndexSink(dead, "jobkit-dead", ID, backoff=Backoff(attempts=3, base=0.1), sleep=waits.append)
    with pytest.raises(SinkError) as info:
        sink.write(RECORDS)
    # the run's one-line reason: the target, the operation, the attempts and the client's transient error
    assert str(info.value).startswith(f"{backend.kind} index jobkit-dead: index check failed after 3 attempts: "
                                      "ConnectionError"), info.value
    cause = info.value.__cause__
    assert cause is not None and dead.is_transient(cause), cause
    assert waits == [0.1, 0.2]
    dead.close()
