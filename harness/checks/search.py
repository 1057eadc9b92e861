"""Elasticsearch/OpenSearch outputs: indices, documents by id, mappings; cleanup by pattern.

One API over both engines: the client is chosen by the service's name (opensearch-py for OpenSearch,
elasticsearch-py 8 for Elasticsearch, since each refuses the other server). A service is a host process or
an in-cluster one reached through its port-forward (harness/services/incluster.py): any ``NamedEndpoint``.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch as ElasticsearchClient
from elasticsearch.helpers import scan as es_scan
from opensearchpy import OpenSearch as OpenSearchClient
from opensearchpy.helpers import scan as os_scan

from harness.services.base import NamedEndpoint
from harness.services.elasticsearch import elasticsearch_client
from harness.services.opensearch import opensearch_client

# Patterns that match nothing are not an error: a test asks "what is there", and nothing is an answer.
_LENIENT = {"ignore_unavailable": "true", "allow_no_indices": "true"}


def _is_opensearch(service: NamedEndpoint) -> bool:
    return service.name == "opensearch"


def client(service: NamedEndpoint) -> OpenSearchClient | ElasticsearchClient:
    """The right client for ``service`` (OpenSearch or Elasticsearch)."""
    return opensearch_client(service) if _is_opensearch(service) else elasticsearch_client(service)


def indices(service: NamedEndpoint, pattern: str) -> list[str]:
    """Names of the indices matching ``pattern`` (e.g. ``"t-gw0-1234abcd-*"``), sorted."""
    if _is_opensearch(service):
        return sorted(opensearch_client(service).indices.get(index=pattern, params=_LENIENT))
    return sorted(elasticsearch_client(service).indices.get(index=pattern, ignore_unavailable=True,
                                                            allow_no_indices=True))


def documents(service: NamedEndpoint, pattern: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Every document of the indices matching ``pattern``, after a refresh: ``{index: {id: source}}``.

    Indices without documents are absent from the result; no matching index gives ``{}``.
    """
    found: dict[str, dict[str, dict[str, Any]]] = {}
    if _is_opensearch(service):
        os_client = opensearch_client(service)
        os_client.indices.refresh(index=pattern, params=_LENIENT)
        hits = os_scan(os_client, index=pattern, query={"query": {"match_all": {}}},
                       params={"ignore_unavailable": "true"})
    else:
        es_client = elasticsearch_client(service)
        es_client.indices.refresh(index=pattern, ignore_unavailable=True, allow_no_indices=True)
        hits = es_scan(es_client, index=pattern, query={"query": {"match_all": {}}}, ignore_unavailable=True)
    for hit in hits:
        found.setdefault(hit["_index"], {})[hit["_id"]] = hit["_source"]
    return found


def count(service: NamedEndpoint, pattern: str) -> int:
    """Documents a reader can find now in the indices matching ``pattern``: no refresh is forced, so this is
    what the engine's periodic refresh has made searchable (0 when no index matches)."""
    if _is_opensearch(service):
        answer = opensearch_client(service).count(index=pattern, params=_LENIENT)
    else:
        answer = elasticsearch_client(service).count(index=pattern, ignore_unavailable=True, allow_no_indices=True)
    return int(answer["count"])


def mapping(service: NamedEndpoint, index: str) -> dict[str, Any]:
    """The ``properties`` of ``index``'s mapping (field -> definition)."""
    answer = client(service).indices.get_mapping(index=index)
    properties: dict[str, Any] = dict(answer[index]["mappings"].get("properties", {}))
    return properties


def delete_indices(service: NamedEndpoint, pattern: str) -> None:
    """Delete every index matching ``pattern`` (none matching is fine).

    Names are resolved first: Elasticsearch 8 refuses wildcard deletes (``action.destructive_requires_name``).
    """
    names = indices(service, pattern)
    if not names:
        return
    if _is_opensearch(service):
        opensearch_client(service).indices.delete(index=",".join(names), params={"ignore_unavailable": "true"})
    else:
        elasticsearch_client(service).indices.delete(index=",".join(names), ignore_unavailable=True)
