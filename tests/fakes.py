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


class InMemoryMongoDatabaseForUnitTest:
    """The few ``pymongo.database.Database`` calls jobkit's CollectionSink makes, on dicts.

    ``failures`` scripts dropped connections: an entry ``(operation, when)`` makes the next call of that
    operation (``rename``, ``drop_collection``, ``create_collection``, ``find``, ``insert_many``, ...) raise
    ``AutoReconnect``, ``before`` it takes effect or ``after`` (the server did it, the reply was lost).
    """

    name = "db"

    def __init__(self) -> None:
        self.collections: dict[str, dict[Any, dict[str, Any]]] = {}
        self.failures: list[tuple[str, str]] = []
        self.calls: list[str] = []

    def fail(self, operation: str, apply: Any) -> Any:
        """Run ``apply`` for ``operation``, raising a scripted AutoReconnect before or after it."""
        from pymongo.errors import AutoReconnect

        self.calls.append(operation)
        when = next((w for op, w in self.failures if op == operation), None)
        if when is not None:
            self.failures.remove((operation, when))
        if when == "before":
            raise AutoReconnect(f"{operation}: connection reset (scripted)")
        result = apply()
        if when == "after":
            raise AutoReconnect(f"{operation}: connection reset after it went through (scripted)")
        return result

    def list_collection_names(self) -> list[str]:
        return list(self.fail("list_collection_names", lambda: sorted(self.collections)))

    def drop_collection(self, name: str) -> None:
        self.fail("drop_collection", lambda: self.collections.pop(name, None))

    def create_collection(self, name: str, check_exists: bool = True) -> None:
        from pymongo.errors import OperationFailure

        def create() -> None:
            if name in self.collections:
                raise OperationFailure(f"Collection {self.name}.{name} already exists.", code=48)
            self.collections[name] = {}

        self.fail("create_collection", create)

    def __getitem__(self, name: str) -> _InMemoryMongoCollection:
        return _InMemoryMongoCollection(self, name)


class _InMemoryMongoCollection:
    def __init__(self, database: InMemoryMongoDatabaseForUnitTest, name: str) -> None:
        self.database, self.name = database, name

    def _documents(self) -> dict[Any, dict[str, Any]]:
        return self.database.collections.setdefault(self.name, {})

    def insert_many(self, documents: Sequence[dict[str, Any]], ordered: bool = True) -> None:
        from pymongo.errors import BulkWriteError

        def insert() -> None:
            existing = self._documents()
            duplicates = [d for d in documents if d["_id"] in existing]
            existing.update((d["_id"], dict(d)) for d in documents if d["_id"] not in existing)
            if duplicates:
                raise BulkWriteError({"writeErrors": [{"op": d, "errmsg": "duplicate key"} for d in duplicates]})

        self.database.fail("insert_many", insert)

    def bulk_write(self, operations: Sequence[Any], ordered: bool = True) -> None:
        def replace() -> None:
            for operation in operations:
                document = operation._doc
                self._documents()[document["_id"]] = dict(document)

        self.database.fail("bulk_write", replace)

    def create_index(self, keys: Any, name: str, unique: bool = False) -> str:
        return str(self.database.fail("create_index", lambda: (self._documents(), name)[1]))

    def find(self, query: Mapping[str, Any], projection: Mapping[str, Any]) -> list[dict[str, Any]]:
        return list(self.database.fail("find", lambda: [{"_id": key} for key in self.database.collections.get(
            self.name, {})]))

    def rename(self, target: str) -> None:
        from pymongo.errors import OperationFailure

        def rename() -> None:
            if self.name not in self.database.collections:
                raise OperationFailure(f"Source collection {self.name} does not exist", code=26)
            if target in self.database.collections:
                raise OperationFailure(f"target namespace {target} exists", code=48)
            self.database.collections[target] = self.database.collections.pop(self.name)

        self.database.fail("rename", rename)
