"""A MongoDB collection as a sink, within what FerretDB 1.x (the test server) supports.

Documents are written under deterministic ``_id`` values: bulk upserts (``ReplaceOne`` by ``_id``,
unordered) into an existing collection, plain bulk inserts into a fresh staging collection (FerretDB's
upserts look each id up first and are two orders of magnitude slower), so a retried batch or a re-run
overwrites instead of duplicating. FerretDB 1.24 lacks ``$out``, ``$merge`` and
``renameCollection`` with ``dropTarget``, but renames to a free name; ``replace`` mode builds on that:

1. the records (and the indexes) go into a staging collection ``<name>__jobkit_new``;
2. ``<name>`` is renamed to ``<name>__jobkit_old``, the staging collection to ``<name>``, and the
   old one is dropped.

Guarantee: a reader sees the complete old collection or the complete new one, never a partly
written one; only for the instant between the two renames is ``<name>`` absent. A run that dies
before step 2 leaves ``<name>`` untouched (its staging collection is dropped by the next run); one
that dies between the renames leaves the old data under ``<name>__jobkit_old``, which the next run
puts back before it starts. ``upsert`` mode writes into ``<name>`` directly and deletes nothing.

Every server call is retried on a dropped connection, and the renames and the creation look first whether an
attempt whose reply was lost went through; what still fails is one :class:`SinkError` naming the collection.

Configuration: ``MONGO_URI``, ``MONGO_DB`` and ``MONGO_BATCH_SIZE`` (documents per bulk write, which the job
passes to its :class:`CollectionSink`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jobkit.config import Config, Var
from jobkit.errors import SinkError
from jobkit.ids import IdFunc
from jobkit.logs import job_logger
from jobkit.retry import DEFAULT_BACKOFF, Backoff
from jobkit.sinks.base import BatchedSink, Mode, Record, WriteResult, batched

MONGO_VARS = (
    Var("MONGO_URI", "str", required=True, help="MongoDB connection string, e.g. mongodb://host:27017/",
        schemes=(("mongodb", "mongodb://host:port/"),)),
    Var("MONGO_DB", "str", required=True, help="database the job writes to"),
    Var("MONGO_BATCH_SIZE", "int", default=1000, minimum=1, maximum=100_000, unit="documents",
        help="documents per bulk write"),
)
STAGING = "__jobkit_new"
OLD = "__jobkit_old"
BATCH_SIZE = 1000
SERVER_SELECTION_MS = 30_000

Document = dict[str, Any]

if TYPE_CHECKING:
    from pymongo.collection import Collection
    from pymongo.database import Database
    from pymongo.errors import BulkWriteError


@dataclass(frozen=True)
class IndexSpec:
    """One secondary index: ``IndexSpec("day_site", (("day", 1), ("site", 1)))``.

    Attributes:
        name: the index name.
        keys: (field, 1 or -1) pairs.
        unique: whether values must be unique.
    """

    name: str
    keys: tuple[tuple[str, int], ...]
    unique: bool = False


def mongo_database(uri: str, database: str) -> Database[Document]:
    """A pymongo database handle (the client connects on first use).

    Args:
        uri: the connection string.
        database: the database name.

    Returns:
        A ``pymongo.database.Database``.
    """
    from pymongo import MongoClient

    client: MongoClient[Document] = MongoClient(uri, serverSelectionTimeoutMS=SERVER_SELECTION_MS, tz_aware=True)
    return client[database]


def mongo_database_from_config(config: Config) -> Database[Document]:
    """The database :data:`MONGO_VARS` describe.

    Args:
        config: a configuration loaded with :data:`MONGO_VARS` among its variables.

    Returns:
        A ``pymongo.database.Database``.
    """
    return mongo_database(config.text("MONGO_URI"), config.text("MONGO_DB"))


class CollectionSink(BatchedSink):
    """One collection, written with bulk upserts under deterministic ``_id`` values."""

    def __init__(
        self,
        database: Database[Document],
        collection: str,
        id_of: IdFunc | None = None,
        mode: Mode = "replace",
        indexes: Sequence[IndexSpec] = (),
        batch_size: int = BATCH_SIZE,
        backoff: Backoff = DEFAULT_BACKOFF,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """Describe the target; nothing is sent before :meth:`write`.

        Args:
            database: a ``pymongo.database.Database`` (see :func:`mongo_database`).
            collection: the collection name.
            id_of: gives each record's ``_id`` (None: records carry their own ``_id``).
            mode: ``replace`` (swap in a new collection) or ``upsert`` (write into the existing one).
            indexes: secondary indexes the collection must have.
            batch_size: documents per bulk request.
            backoff: retry schedule for connection errors.
            sleep: how to wait between retries (default ``time.sleep``).
        """
        self.database = database
        self.collection = collection
        self.id_of = id_of
        self.indexes = tuple(indexes)
        super().__init__(mode, batch_size, backoff, sleep)

    @property
    def target(self) -> str:
        return f"mongodb collection {self.database.name}.{self.collection}"

    def is_transient(self, exc: BaseException) -> bool:
        from pymongo.errors import ConnectionFailure

        # AutoReconnect, NetworkTimeout and ServerSelectionTimeoutError are all ConnectionFailures.
        return isinstance(exc, ConnectionFailure)

    def _document(self, record: Record) -> Document:
        if self.id_of is None:
            if "_id" not in record:
                raise SinkError(f"{self.target}: record has no _id and the sink has no id function")
            return dict(record)
        try:
            return {**record, "_id": self.id_of(record)}
        except KeyError as exc:
            raise SinkError(f"{self.target}: {exc.args[0]}") from None

    def _rejected(self, exc: BulkWriteError) -> SinkError:
        errors = exc.details.get("writeErrors") or [{}]
        first = errors[0]
        op = first.get("op") or {}
        return SinkError(f"{self.target}: {len(errors)} documents rejected; "
                         f"first: _id {op.get('_id')!r}: {first.get('errmsg')}")

    def _upsert(self, collection: Collection[Document], documents: list[Document]) -> None:
        from pymongo import ReplaceOne
        from pymongo.errors import BulkWriteError

        operations = [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in documents]
        try:
            self._retry(functools.partial(collection.bulk_write, operations, ordered=False), "bulk upsert")
        except BulkWriteError as exc:
            raise self._rejected(exc) from None

    def _insert(self, collection: Collection[Document], documents: list[Document]) -> None:
        from pymongo.errors import BulkWriteError, ConnectionFailure

        try:
            collection.insert_many(documents, ordered=False)
        except ConnectionFailure as exc:
            # Part of the batch may be in: finish it idempotently with upserts (retried with backoff).
            job_logger().warning("bulk insert interrupted, finishing with upserts", target=self.target,
                                 error=f"{type(exc).__name__}: {exc}")
            self._upsert(collection, documents)
        except BulkWriteError as exc:
            raise self._rejected(exc) from None

    def _write_all(self, name: str, records: Iterable[Record], fresh: bool) -> set[Any]:
        """Write every record into collection ``name``; returns the distinct ids written.

        Into a ``fresh`` (empty staging) collection plain inserts suffice and are far faster than
        upserts on FerretDB, whose upsert looks each ``_id`` up first; an id repeated within the write
        is upserted (the later record wins, as with upserts everywhere else).
        """
        collection = self.database[name]
        ids: set[Any] = set()
        for batch in batched(records, self.batch_size):
            new: list[Document] = []
            repeated: list[Document] = []
            for document in map(self._document, batch):
                (repeated if document["_id"] in ids or not fresh else new).append(document)
                ids.add(document["_id"])
            if new:
                self._insert(collection, new)
            if repeated:
                self._upsert(collection, repeated)
        return ids

    def _create_indexes(self, name: str) -> None:
        collection = self.database[name]
        for spec in self.indexes:
            create = functools.partial(collection.create_index, list(spec.keys), name=spec.name, unique=spec.unique)
            self._retry(create, f"index {spec.name}")

    def _names(self) -> set[str]:
        return set(self._retry(self.database.list_collection_names, "collection listing"))

    def _rename(self, source: str, target: str) -> None:
        """Rename ``source`` to ``target``, retried: an attempt whose reply was lost to a dropped connection
        may have gone through, so each retry first looks whether it did."""
        def attempt() -> None:
            names = set(self.database.list_collection_names())
            if source not in names and target in names:
                return
            self.database[source].rename(target)

        self._retry(attempt, f"rename of {source} to {target}")

    def _drop(self, name: str) -> None:
        self._retry(functools.partial(self.database.drop_collection, name), f"drop of {name}")

    def _ensure_exists(self, name: str) -> None:
        """Create ``name`` unless it exists (an empty collection does not exist until written); retried like
        :meth:`_rename`."""
        def attempt() -> None:
            if name not in self.database.list_collection_names():
                self.database.create_collection(name, check_exists=False)

        self._retry(attempt, f"creation of {name}")

    def _count_dropped(self, ids: set[Any]) -> int:
        """Documents of the current collection that the swap drops (streamed ids only, not the documents)."""
        collection = self.database[self.collection]
        return int(self._retry(lambda: sum(1 for old in collection.find({}, {"_id": 1}) if old["_id"] not in ids),
                               "count of the documents the swap drops"))

    def _recover(self) -> None:
        """Undo what an interrupted earlier run left: put an orphaned old collection back, drop staging."""
        names = self._names()
        if self.collection + OLD in names and self.collection not in names:
            self._rename(self.collection + OLD, self.collection)
            job_logger().warning("restored the collection an interrupted run had moved aside", target=self.target)
        elif self.collection + OLD in names:
            self._drop(self.collection + OLD)
        if self.collection + STAGING in names:
            self._drop(self.collection + STAGING)

    def _swap(self) -> None:
        if self.collection in self._names():
            self._rename(self.collection, self.collection + OLD)
        self._rename(self.collection + STAGING, self.collection)
        self._drop(self.collection + OLD)

    def write(self, records: Iterable[Record]) -> WriteResult:
        """Write ``records``; in replace mode the collection then holds exactly them.

        Args:
            records: the records.

        Returns:
            Distinct documents written; ``deleted`` is the old collection's documents not written again
            (replace mode; 0 in upsert mode).

        Raises:
            SinkError: when documents are rejected, a record has no id, the server stays unreachable, or it
                refuses an operation; the message names the collection (the job's one-line reason).
        """
        from pymongo.errors import PyMongoError

        try:
            return self._write(records)
        except PyMongoError as exc:
            raise SinkError(f"{self.target}: {type(exc).__name__}: {exc}") from exc

    def _write(self, records: Iterable[Record]) -> WriteResult:
        if self.mode == "upsert":
            ids = self._write_all(self.collection, records, fresh=False)
            self._create_indexes(self.collection)
            job_logger().info("upserted collection", target=self.target, docs=len(ids))
            return WriteResult(self.target, len(ids))
        self._recover()
        ids = self._write_all(self.collection + STAGING, records, fresh=True)
        self._ensure_exists(self.collection + STAGING)  # so that the swap has something to move
        self._create_indexes(self.collection + STAGING)
        dropped = self._count_dropped(ids)
        self._swap()
        job_logger().info("replaced collection", target=self.target, docs=len(ids), deleted=dropped)
        return WriteResult(self.target, len(ids), dropped)
