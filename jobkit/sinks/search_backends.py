"""The two search clients behind one small interface: Elasticsearch 8 and OpenSearch 2.

elasticsearch-py >= 7.14 refuses to talk to OpenSearch (it checks the product header), so OpenSearch
goes through opensearch-py. Their APIs differ in small ways (``operations=`` vs ``body=``, typed
responses vs dicts, error classes); :class:`SearchBackend` hides exactly those differences and
nothing more. The clients' own retries are switched off: :mod:`jobkit.retry` decides, so the
schedule is the same for both and shows in the job's log.

Configuration: ``SINK_KIND`` (elasticsearch|opensearch), ``SINK_URL`` (comma-separated), optional
``SINK_USERNAME``/``SINK_PASSWORD`` (basic auth), ``SINK_CA_CERTS`` (CA bundle for https) and
``SINK_BATCH_SIZE`` (documents per bulk request, which the job passes to its
:class:`~jobkit.sinks.search.IndexSink`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from jobkit.config import Config, Var

KINDS = ("elasticsearch", "opensearch")
REQUEST_TIMEOUT = 60.0
SEARCH_VARS = (
    Var("SINK_KIND", "str", required=True, choices=KINDS, help="which search engine the output index lives in"),
    Var("SINK_URL", "list", required=True, help="search engine URL(s), comma-separated",
        schemes=(("http", "http://host:port"), ("https", "https://host:port"))),
    Var("SINK_USERNAME", "str", help="basic-auth user (empty: no auth)"),
    Var("SINK_PASSWORD", "str", help="basic-auth password"),
    Var("SINK_CA_CERTS", "str", help="CA bundle file for https URLs"),
    Var("SINK_BATCH_SIZE", "int", default=1000, minimum=1, maximum=100_000, unit="documents",
        help="documents per bulk request"),
)

# One bulk operation: the action line and, for index actions, the document.
BulkOp = tuple[dict[str, Any], dict[str, Any] | None]
# One bulk item's outcome: HTTP status and the error in words ("" when it succeeded).
ItemResult = tuple[int, str]


def transient_status(status: int) -> bool:
    """True for HTTP statuses worth retrying: 429 (back-pressure) and 5xx."""
    return status == 429 or status >= 500


def _flatten(operations: Sequence[BulkOp]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for action, document in operations:
        lines.append(action)
        if document is not None:
            lines.append(document)
    return lines


def _items(response: Mapping[str, Any]) -> list[ItemResult]:
    results: list[ItemResult] = []
    for item in response["items"]:
        outcome = next(iter(item.values()))
        error = outcome.get("error")
        reason = f"{error.get('type', '?')}: {error.get('reason', '?')}" if isinstance(error, dict) else ""
        results.append((int(outcome.get("status", 0)), reason if error else ""))
    return results


def _counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    # docs.count is a string (or null for a closed index) in the cat API's JSON.
    return {str(row["index"]): int(row.get("docs.count") or 0) for row in rows}


def _scanned_ids(scan: Callable[..., Iterable[Mapping[str, Any]]], client: Any, index: str) -> Iterator[str]:
    # Both clients' scan helpers take the same arguments; ids only, no sources.
    for hit in scan(client, index=index, query={"query": {"match_all": {}}}, _source=False, size=1000):
        yield str(hit["_id"])


class SearchBackend(ABC):
    """The operations the index sink needs, for one search engine."""

    kind: str

    @abstractmethod
    def bulk(self, operations: Sequence[BulkOp]) -> list[ItemResult]:
        """Send one bulk request; per-item outcomes in order (transport errors raise)."""

    @abstractmethod
    def index_exists(self, index: str) -> bool:
        """True when ``index`` exists."""

    @abstractmethod
    def create_index(self, index: str, mappings: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
        """Create ``index`` with ``mappings`` and ``settings``."""

    @abstractmethod
    def refresh(self, index: str) -> None:
        """Make everything written to ``index`` (a name or pattern) visible to searches and counts."""

    @abstractmethod
    def ids(self, index: str) -> Iterator[str]:
        """Every document id in ``index`` (scrolled, without sources)."""

    @abstractmethod
    def doc_counts(self, pattern: str) -> dict[str, int]:
        """Document count of each open index matching ``pattern`` (e.g. ``name-*``)."""

    @abstractmethod
    def delete_index(self, index: str) -> None:
        """Delete ``index``."""

    @abstractmethod
    def is_transient(self, exc: BaseException) -> bool:
        """True when ``exc`` is worth retrying (connection problems, timeouts, 429, 5xx)."""

    @abstractmethod
    def close(self) -> None:
        """Close the client's connections."""


class ElasticsearchBackend(SearchBackend):
    """Elasticsearch 8 through elasticsearch-py 8."""

    kind = "elasticsearch"

    def __init__(self, urls: Sequence[str], username: str = "", password: str = "", ca_certs: str = "") -> None:
        """Connect (lazily) to ``urls``.

        Args:
            urls: node URLs, e.g. ``["http://127.0.0.1:9200"]``.
            username: basic-auth user ("" for none).
            password: basic-auth password.
            ca_certs: CA bundle for https ("" for the system's).
        """
        from elastic_transport.client_utils import DEFAULT
        from elasticsearch import Elasticsearch

        self.client = Elasticsearch(
            list(urls), request_timeout=REQUEST_TIMEOUT, max_retries=0, retry_on_timeout=False,
            basic_auth=(username, password) if username else None, ca_certs=ca_certs or DEFAULT,
        )

    def bulk(self, operations: Sequence[BulkOp]) -> list[ItemResult]:
        return _items(self.client.bulk(operations=_flatten(operations)).body)

    def index_exists(self, index: str) -> bool:
        return bool(self.client.indices.exists(index=index))

    def create_index(self, index: str, mappings: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
        self.client.indices.create(index=index, mappings=dict(mappings), settings=dict(settings))

    def refresh(self, index: str) -> None:
        self.client.indices.refresh(index=index)

    def ids(self, index: str) -> Iterator[str]:
        from elasticsearch.helpers import scan

        return _scanned_ids(scan, self.client, index)

    def doc_counts(self, pattern: str) -> dict[str, int]:
        rows = self.client.cat.indices(index=pattern, format="json", h="index,docs.count").body
        return _counts(rows if isinstance(rows, list) else [])

    def delete_index(self, index: str) -> None:
        self.client.indices.delete(index=index)

    def is_transient(self, exc: BaseException) -> bool:
        from elasticsearch import ApiError, ConnectionError, ConnectionTimeout

        if isinstance(exc, ConnectionError | ConnectionTimeout):
            return True
        return isinstance(exc, ApiError) and transient_status(exc.status_code)

    def close(self) -> None:
        self.client.close()


class OpenSearchBackend(SearchBackend):
    """OpenSearch 2 through opensearch-py."""

    kind = "opensearch"

    def __init__(self, urls: Sequence[str], username: str = "", password: str = "", ca_certs: str = "") -> None:
        """Connect (lazily) to ``urls``; the arguments are :class:`ElasticsearchBackend`'s."""
        from opensearchpy import OpenSearch

        self.client = OpenSearch(
            hosts=list(urls), timeout=REQUEST_TIMEOUT, max_retries=0, retry_on_timeout=False,
            http_auth=(username, password) if username else None, ca_certs=ca_certs or None,
        )

    def bulk(self, operations: Sequence[BulkOp]) -> list[ItemResult]:
        return _items(self.client.bulk(body=_flatten(operations)))

    def index_exists(self, index: str) -> bool:
        return bool(self.client.indices.exists(index=index))

    def create_index(self, index: str, mappings: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
        self.client.indices.create(index=index, body={"mappings": dict(mappings), "settings": dict(settings)})

    def ids(self, index: str) -> Iterator[str]:
        from opensearchpy.helpers import scan

        return _scanned_ids(scan, self.client, index)

    def refresh(self, index: str) -> None:
        self.client.indices.refresh(index=index)

    def doc_counts(self, pattern: str) -> dict[str, int]:
        return _counts(self.client.cat.indices(index=pattern, format="json", h="index,docs.count"))

    def delete_index(self, index: str) -> None:
        self.client.indices.delete(index=index)

    def is_transient(self, exc: BaseException) -> bool:
        from opensearchpy.exceptions import ConnectionError, TransportError

        if isinstance(exc, ConnectionError):  # includes ConnectionTimeout
            return True
        return isinstance(exc, TransportError) and isinstance(exc.status_code, int) and transient_status(
            exc.status_code
        )

    def close(self) -> None:
        self.client.close()


def search_backend(kind: str, urls: Sequence[str], username: str = "", password: str = "",
                   ca_certs: str = "") -> SearchBackend:
    """The backend for ``kind``.

    Args:
        kind: ``elasticsearch`` or ``opensearch``.
        urls: node URLs.
        username: basic-auth user ("" for none).
        password: basic-auth password.
        ca_certs: CA bundle for https ("" for the system's).

    Returns:
        The backend (connections are opened on first use).

    Raises:
        ValueError: for an unknown kind.
    """
    if kind == "elasticsearch":
        return ElasticsearchBackend(urls, username, password, ca_certs)
    if kind == "opensearch":
        return OpenSearchBackend(urls, username, password, ca_certs)
    raise ValueError(f"unknown search backend {kind!r}; allowed: {', '.join(KINDS)}")


def search_backend_from_config(config: Config) -> SearchBackend:
    """The backend the job's ``SEARCH_VARS`` describe.

    Args:
        config: a configuration loaded with :data:`SEARCH_VARS` among its variables.

    Returns:
        The backend.
    """
    return search_backend(config.text("SINK_KIND"), config.items("SINK_URL"), config.text("SINK_USERNAME"),
                          config.text("SINK_PASSWORD"), config.text("SINK_CA_CERTS"))
