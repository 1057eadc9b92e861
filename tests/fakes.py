"""In-memory stand-ins for unit tests of our own logic (jobkit's sinks, the jobs' outputs); the real
services are exercised by the e2e tests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from jobkit.sinks.search_backends import BulkOp, ItemResult, SearchBackend


class InMemorySearchBackendForUnitTest(SearchBackend):
    """Indices as dicts; ``item_statuses``/``request_errors`` script failures of the next bulk calls."""

    kind = "memory"

    def __init__(self) -> None:
        self.indices: dict[str, dict[str, dict[str, Any]]] = {}
        self.mappings: dict[str, Mapping[str, Any]] = {}
        self.item_statuses: list[list[int]] = []
        self.request_errors: list[Exception] = []
        self.bulk_sizes: list[int] = []
        self.deleted: list[str] = []

    def bulk(self, operations: Sequence[BulkOp]) -> list[ItemResult]:
        if self.request_errors:
            raise self.request_errors.pop(0)
        statuses = self.item_statuses.pop(0) if self.item_statuses else [200] * len(operations)
        self.bulk_sizes.append(len(operations))
        results: list[ItemResult] = []
        for (action, document), status in zip(operations, statuses, strict=True):
            if status >= 300:
                results.append((status, f"scripted_error: status {status}"))
                continue
            kind, meta = next(iter(action.items()))
            index = self.indices.setdefault(meta["_index"], {})
            if kind == "index":
                assert document is not None
                index[meta["_id"]] = document
            else:
                index.pop(meta["_id"], None)
            results.append((status, ""))
        return results

    def index_exists(self, index: str) -> bool:
        return index in self.indices

    def create_index(self, index: str, mappings: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
        self.indices[index] = {}
        self.mappings[index] = mappings

    def refresh(self, index: str) -> None:
        pass

    def ids(self, index: str) -> Iterator[str]:
        yield from list(self.indices[index])

    def doc_counts(self, pattern: str) -> dict[str, int]:
        prefix = pattern.rstrip("*")
        return {name: len(docs) for name, docs in self.indices.items() if name.startswith(prefix)}

    def delete_index(self, index: str) -> None:
        del self.indices[index]
        self.deleted.append(index)

    def is_transient(self, exc: BaseException) -> bool:
        return isinstance(exc, ConnectionError)

    def close(self) -> None:
        pass
