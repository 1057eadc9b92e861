"""Rucio table dumps as sqoop writes them: avro container files, one directory per table and day.

Layout: ``/project/awg/cms/rucio/YYYY-MM-DD/<table>/part-m-00000.avro`` plus an empty ``_SUCCESS``, for the
tables rses, dids, contents, replicas and dataset_locks.

Column types follow sqoop's Oracle-to-avro mapping, which the CMSSpark jobs depend on: every field is a
union with null; RAW(16) ids (``ID``, ``RSE_ID``, ``RULE_ID``) are ``bytes`` (jobs read them as lower-case
hex); DATE columns (``*_AT``) are ``long`` milliseconds since the epoch; NUMBER columns (``BYTES``,
``LENGTH``, ``LOCK_CNT``, ``HIDDEN``...) are decimal ``string``; CHAR/VARCHAR columns are ``string``.
Files are deflate-compressed (sqoop ``-z``).

The catalogue is the one of :mod:`harness.datagen.catalog` (same seed and size as the DBS dump), so every
DBS file is a Rucio file DID in scope ``cms``. Integrity: every replica and lock names an RSE in rses (never
a deleted one) and a DID in dids; contents link each container (C) to its blocks (D) and each block to its
files (F). A few user-scope files (``user.<name>``, not in DBS) have replicas too. Replicas of a block are
complete at most of its RSEs and partial at some; most (block, RSE) pairs carry a lock.

Malformed input: ``corrupt=k`` (k > 0) damages the sync markers after the first k data blocks of the
replicas part file (a small file has a single block), like a bad copy: fastavro and Spark's avro reader
both fail with an invalid-sync error. :func:`records` is unaffected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO

from harness.datagen.catalog import Block, Dataset, datasets, snapshot_epoch
from harness.datagen.seeding import derive_rng
from harness.datagen.sites import STORAGE_SITES
from harness.datagen.writers import Producer, Sink, avro_records, empty

ROOT = "/project/awg/cms/rucio"

# (column, avro type, java.sql.Types code as sqoop records it in the schema)
_NUMBER, _DATE, _RAW, _VARCHAR, _CHAR = (
    ("string", "2"),
    ("long", "93"),
    ("bytes", "-3"),
    ("string", "12"),
    (
        "string",
        "1",
    ),
)
_COLUMNS: dict[str, tuple[tuple[str, tuple[str, str]], ...]] = {
    "rses": (
        ("ID", _RAW),
        ("RSE", _VARCHAR),
        ("VO", _VARCHAR),
        ("RSE_TYPE", _VARCHAR),
        ("DETERMINISTIC", _NUMBER),
        ("VOLATILE", _NUMBER),
        ("STAGING_AREA", _NUMBER),
        ("AVAILABILITY", _NUMBER),
        ("DELETED", _NUMBER),
        ("DELETED_AT", _DATE),
        ("UPDATED_AT", _DATE),
        ("CREATED_AT", _DATE),
    ),
    "dids": (
        ("SCOPE", _VARCHAR),
        ("NAME", _VARCHAR),
        ("ACCOUNT", _VARCHAR),
        ("DID_TYPE", _CHAR),
        ("IS_OPEN", _NUMBER),
        ("MONOTONIC", _NUMBER),
        ("HIDDEN", _NUMBER),
        ("OBSOLETE", _NUMBER),
        ("COMPLETE", _NUMBER),
        ("AVAILABILITY", _CHAR),
        ("BYTES", _NUMBER),
        ("LENGTH", _NUMBER),
        ("MD5", _VARCHAR),
        ("ADLER32", _VARCHAR),
        ("EXPIRED_AT", _DATE),
        ("DELETED_AT", _DATE),
        ("ACCESSED_AT", _DATE),
        ("CLOSED_AT", _DATE),
        ("UPDATED_AT", _DATE),
        ("CREATED_AT", _DATE),
    ),
    "contents": (
        ("SCOPE", _VARCHAR),
        ("NAME", _VARCHAR),
        ("CHILD_SCOPE", _VARCHAR),
        ("CHILD_NAME", _VARCHAR),
        ("DID_TYPE", _CHAR),
        ("CHILD_TYPE", _CHAR),
        ("BYTES", _NUMBER),
        ("ADLER32", _VARCHAR),
        ("MD5", _VARCHAR),
        ("EVENTS", _NUMBER),
        ("RULE_EVALUATION", _NUMBER),
        ("UPDATED_AT", _DATE),
        ("CREATED_AT", _DATE),
    ),
    "replicas": (
        ("SCOPE", _VARCHAR),
        ("NAME", _VARCHAR),
        ("RSE_ID", _RAW),
        ("BYTES", _NUMBER),
        ("MD5", _VARCHAR),
        ("ADLER32", _VARCHAR),
        ("PATH", _VARCHAR),
        ("STATE", _CHAR),
        ("LOCK_CNT", _NUMBER),
        ("ACCESSED_AT", _DATE),
        ("TOMBSTONE", _DATE),
        ("ACCESS_CNT", _NUMBER),
        ("UPDATED_AT", _DATE),
        ("CREATED_AT", _DATE),
    ),
    "dataset_locks": (
        ("SCOPE", _VARCHAR),
        ("NAME", _VARCHAR),
        ("RULE_ID", _RAW),
        ("RSE_ID", _RAW),
        ("ACCOUNT", _VARCHAR),
        ("STATE", _CHAR),
        ("LENGTH", _NUMBER),
        ("BYTES", _NUMBER),
        ("ACCESSED_AT", _DATE),
        ("UPDATED_AT", _DATE),
        ("CREATED_AT", _DATE),
    ),
}
TABLES = tuple(_COLUMNS)
COLUMNS: dict[str, tuple[str, ...]] = {table: tuple(c for c, _ in cols) for table, cols in _COLUMNS.items()}

# Accounts that own rules. The production ones are those rucio-datasets-monitoring counts; sync accounts
# are per site; the rest are users.
_LOCK_ACCOUNTS = (
    "wma_prod",
    "transfer_ops",
    "wmcore_output",
    "wmcore_transferor",
    "crab_tape_recall",
    "sync_t2_us_wisconsin",
    "sync_t1_de_kit",
    "jdoe",
    "asmith",
)
_LOCK_ACCOUNT_WEIGHTS = (30, 15, 10, 10, 5, 8, 7, 10, 5)
_USER_ACCOUNTS = ("jdoe", "asmith", "bkim")
_DAY_MS = 86_400_000


@dataclass(frozen=True)
class Rse:
    """A Rucio Storage Element."""

    rse_id: bytes
    name: str
    rse_type: str  # DISK or TAPE
    deleted: bool


def rses(seed: int) -> list[Rse]:
    """Return the RSEs: a disk one per storage site (plus tape at T0/T1), one temp, one test, one deleted.

    Args:
        seed: Seed (RSE ids are derived from it).

    Returns:
        RSEs in dump order.
    """
    names: list[tuple[str, str, bool]] = []
    for site in STORAGE_SITES:
        if site.tier in ("T0", "T1"):
            names += [(f"{site.name}_Disk", "DISK", False), (f"{site.name}_Tape", "TAPE", False)]
        else:
            names.append((site.name, "DISK", False))
    names += [
        ("T2_US_Purdue_Temp", "DISK", False),
        ("T2_DE_DESY_Test", "DISK", False),
        ("T2_RU_ITEP", "DISK", True),
    ]
    return [Rse(derive_rng(seed, "rucio", "rse", name).randbytes(16), name, kind, gone) for name, kind, gone in names]


@dataclass(frozen=True)
class _Placement:
    """Where one block is: its replicas and locks, drawn from the block's own random stream."""

    replicas: list[dict[str, Any]]
    locks: list[dict[str, Any]]
    file_dids: list[dict[str, Any]]


def _ms(seconds: int) -> int:
    return seconds * 1000


def _place(seed: int, block: Block, active: list[Rse], snapshot_ms: int) -> _Placement:
    """Replicas, locks and file DID attributes of one block (same draws whichever table asks)."""
    rng = derive_rng(seed, "rucio", "block", block.block_id)
    created_ms = _ms(block.created)
    file_dids = []
    for f in block.files:
        accessed = rng.randrange(_ms(f.created), snapshot_ms) if rng.random() < 0.7 else None
        file_dids.append({"hidden": "1" if rng.random() < 0.01 else "0", "accessed": accessed})
    count = rng.choices((1, 2, 3), (50, 35, 15))[0]
    replicas, locks = [], []
    for rse in rng.sample(active, count):
        complete = rng.random() < 0.85
        present = [f for f in block.files if complete or rng.random() < 0.6] or [block.files[0]]
        placed_ms = rng.randrange(created_ms, snapshot_ms)
        for f in present:
            accessed = rng.randrange(placed_ms, snapshot_ms) if rng.random() < 0.6 else None
            replicas.append(
                {
                    "SCOPE": "cms",
                    "NAME": f.lfn,
                    "RSE_ID": rse.rse_id,
                    "BYTES": str(f.size),
                    "MD5": None,
                    "ADLER32": f.adler32,
                    "PATH": None,
                    "STATE": "A" if rng.random() < 0.95 else rng.choice("CUB"),
                    "LOCK_CNT": str(rng.choice((0, 1, 1, 2))),
                    "ACCESSED_AT": accessed,
                    "TOMBSTONE": None,
                    "ACCESS_CNT": str(rng.randrange(50)) if accessed else None,
                    "UPDATED_AT": max(placed_ms, accessed or 0),
                    "CREATED_AT": placed_ms,
                }
            )
        if rng.random() < 0.8:
            locks.append(
                {
                    "SCOPE": "cms",
                    "NAME": block.name,
                    "RULE_ID": rng.randbytes(16),
                    "RSE_ID": rse.rse_id,
                    "ACCOUNT": rng.choices(_LOCK_ACCOUNTS, _LOCK_ACCOUNT_WEIGHTS)[0],
                    "STATE": rng.choices("ORS", (90, 8, 2))[0],
                    "LENGTH": str(len(block.files)),
                    "BYTES": str(block.size),
                    "ACCESSED_AT": None,
                    "UPDATED_AT": placed_ms,
                    "CREATED_AT": placed_ms,
                }
            )
    return _Placement(replicas, locks, file_dids)


def _did(scope: str, name: str, account: str, did_type: str, created_ms: int, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS["dids"])
    row.update(
        SCOPE=scope,
        NAME=name,
        ACCOUNT=account,
        DID_TYPE=did_type,
        IS_OPEN="0",
        MONOTONIC="0",
        HIDDEN="0",
        OBSOLETE="0",
        AVAILABILITY="A",
        UPDATED_AT=created_ms,
        CREATED_AT=created_ms,
    )
    row.update(values)
    return row


def _content(parent: str, child: str, did_type: str, child_type: str, created_ms: int, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS["contents"])
    row.update(
        SCOPE="cms",
        NAME=parent,
        CHILD_SCOPE="cms",
        CHILD_NAME=child,
        DID_TYPE=did_type,
        CHILD_TYPE=child_type,
        UPDATED_AT=created_ms,
        CREATED_AT=created_ms,
    )
    row.update(values)
    return row


def _dataset_rows(table: str, seed: int, ds: Dataset, active: list[Rse], snapshot_ms: int) -> Iterator[dict[str, Any]]:
    """Rows of one table that belong to one DBS dataset (its container, blocks and files)."""
    created_ms = _ms(ds.created)
    if table == "dids":
        is_open = str(int(any(b.open_for_writing for b in ds.blocks)))
        yield _did("cms", ds.name, "wma_prod", "C", created_ms, IS_OPEN=is_open)
    for block in ds.blocks:
        block_ms = _ms(block.created)
        if table == "contents":
            yield _content(ds.name, block.name, "C", "D", block_ms)
        elif table == "dids":
            yield _did(
                "cms",
                block.name,
                "wma_prod",
                "D",
                block_ms,
                IS_OPEN=str(int(block.open_for_writing)),
                BYTES=str(block.size),
                LENGTH=str(len(block.files)),
                COMPLETE="1",
            )
        placement = _place(seed, block, active, snapshot_ms)
        if table == "replicas":
            yield from placement.replicas
        elif table == "dataset_locks":
            yield from placement.locks
        for f, attrs in zip(block.files, placement.file_dids, strict=True):
            file_ms = _ms(f.created)
            if table == "contents":
                yield _content(
                    block.name,
                    f.lfn,
                    "D",
                    "F",
                    file_ms,
                    BYTES=str(f.size),
                    ADLER32=f.adler32,
                    EVENTS=str(f.events),
                )
            elif table == "dids":
                yield _did(
                    "cms",
                    f.lfn,
                    "wma_prod",
                    "F",
                    file_ms,
                    HIDDEN=attrs["hidden"],
                    BYTES=str(f.size),
                    ADLER32=f.adler32,
                    ACCESSED_AT=attrs["accessed"],
                )


def _user_rows(table: str, seed: int, n_files: int, active: list[Rse], snapshot_ms: int) -> Iterator[dict[str, Any]]:
    """User-scope files (not in DBS), about 1% of the catalogue size, each with one disk replica.

    Every value is drawn whichever table is asked for, so dids and replicas see the same files.
    """
    rng = derive_rng(seed, "rucio", "user-files")
    disks = [r for r in active if r.rse_type == "DISK"]
    for i in range(max(1, n_files // 100)):
        user = _USER_ACCOUNTS[i % len(_USER_ACCOUNTS)]
        name = f"/store/user/{user}/ntuples/out_{i}.root"
        size, created = rng.randint(1_000_000, 500_000_000), snapshot_ms - rng.randrange(1, 200) * _DAY_MS
        rse, adler32 = rng.choice(disks), f"{rng.getrandbits(32):08x}"
        if table == "dids":
            yield _did(f"user.{user}", name, user, "F", created, BYTES=str(size), ADLER32=adler32)
        elif table == "replicas":
            yield {
                "SCOPE": f"user.{user}",
                "NAME": name,
                "RSE_ID": rse.rse_id,
                "BYTES": str(size),
                "MD5": None,
                "ADLER32": adler32,
                "PATH": None,
                "STATE": "A",
                "LOCK_CNT": "1",
                "ACCESSED_AT": None,
                "TOMBSTONE": None,
                "ACCESS_CNT": None,
                "UPDATED_AT": created,
                "CREATED_AT": created,
            }


def records(table: str, seed: int, n_files: int, day: date) -> Iterator[dict[str, Any]]:
    """Yield the rows of one Rucio table, keyed by column name (bytes for RAW ids, ms for dates).

    Args:
        table: One of :data:`TABLES`.
        seed: Seed (the same as the DBS dump's for a consistent catalogue).
        n_files: Number of files in the DBS catalogue.
        day: Snapshot day (the dump's directory date; every time is before it).

    Yields:
        Rows in dump order.

    Raises:
        ValueError: If the table is unknown.
    """
    if table not in COLUMNS:
        raise ValueError(f"unknown Rucio table {table!r}; expected one of {', '.join(TABLES)}")
    all_rses = rses(seed)
    snapshot_ms = _ms(snapshot_epoch(day))
    if table == "rses":
        for rse in all_rses:
            created = snapshot_ms - 2000 * _DAY_MS
            yield {
                "ID": rse.rse_id,
                "RSE": rse.name,
                "VO": "def",
                "RSE_TYPE": rse.rse_type,
                "DETERMINISTIC": "1",
                "VOLATILE": "0",
                "STAGING_AREA": "0",
                "AVAILABILITY": "7",
                "DELETED": "1" if rse.deleted else "0",
                "DELETED_AT": snapshot_ms - 100 * _DAY_MS if rse.deleted else None,
                "UPDATED_AT": created,
                "CREATED_AT": created,
            }
        return
    active = [r for r in all_rses if not r.deleted]
    for ds in datasets(seed, n_files, day):
        yield from _dataset_rows(table, seed, ds, active, snapshot_ms)
    yield from _user_rows(table, seed, n_files, active, snapshot_ms)


def schema(table: str) -> dict[str, Any]:
    """Return the avro schema of one table, in sqoop's form (nullable unions, column metadata).

    Args:
        table: One of :data:`TABLES`.

    Returns:
        The schema as a JSON-like dict.
    """
    qualified = f"CMS_RUCIO_PROD.{table}"
    return {
        "type": "record",
        "name": qualified.replace(".", "_"),
        "doc": f"Sqoop import of {qualified}",
        "fields": [
            {
                "name": name,
                "type": ["null", avro_type],
                "default": None,
                "columnName": name,
                "sqlType": sql_type,
            }
            for name, (avro_type, sql_type) in _COLUMNS[table]
        ],
        "tableName": qualified,
    }


class _SyncDamager:
    """Binary file wrapper that damages the avro sync markers closing the first ``blocks`` data blocks.

    The header carries the marker once; every data block ends with it. A reader that finds a block not
    followed by the header's marker fails ("Invalid sync"), which is what a bad copy looks like. Cutting a
    file short would not do: Avro's Java reader (and so Spark) takes an early end of file for the end of
    the data and silently drops the last block.
    """

    def __init__(self, out: BinaryIO, marker: bytes, blocks: int) -> None:
        self.out, self.marker, self.left = out, marker, blocks
        self.header_seen = False

    def write(self, data: bytes) -> int:
        """Pass bytes through, flipping each marker occurrence that must be damaged."""
        chunk = bytes(data)
        if self.marker in chunk:
            if not self.header_seen:
                self.header_seen = True
            elif self.left > 0:
                # fastavro writes the marker as its own write call, so one call holds one marker.
                chunk = chunk.replace(self.marker, bytes(b ^ 0xFF for b in self.marker), 1)
                self.left -= 1
        return self.out.write(chunk)

    def flush(self) -> None:
        """Flush the wrapped file."""
        self.out.flush()

    def seekable(self) -> bool:
        """The avro writer asks; a wrapper is written front to back only."""
        return False


def _damaged(inner: Producer, marker: bytes, blocks: int) -> Producer:
    """Producer of ``inner``'s avro bytes with the first ``blocks`` block markers damaged."""

    def produce(out: BinaryIO) -> None:
        inner(_SyncDamager(out, marker, blocks))  # type: ignore[arg-type]  # write/flush/seekable suffice

    return produce


def table_dir(table: str, day: date, root: str = ROOT) -> str:
    """Return the directory of one table's daily dump.

    Args:
        table: Table name.
        day: Snapshot day.
        root: Dump root.

    Returns:
        ``<root>/YYYY-MM-DD/<table>``.
    """
    return f"{root}/{day.isoformat()}/{table}"


def write(sink: Sink, seed: int, n_files: int, day: date, *, corrupt: int = 0, root: str = ROOT) -> list[str]:
    """Write the five Rucio tables of one daily dump.

    Args:
        sink: Where to write.
        seed: Seed (use the DBS dump's seed for a consistent catalogue).
        n_files: Number of files in the DBS catalogue.
        day: Snapshot day.
        corrupt: Number of replicas data blocks whose closing sync marker is damaged (all blocks if the
            file has fewer; a small file has one block).
        root: Dump root.

    Returns:
        The part-file paths written (``_SUCCESS`` markers not included), in :data:`TABLES` order.

    Raises:
        ValueError: If corrupt < 0.
    """
    if corrupt < 0:
        raise ValueError(f"corrupt must be >= 0, got {corrupt}")
    paths = []
    for table in TABLES:
        directory = table_dir(table, day, root)
        marker = derive_rng(seed, "rucio", "sync", table, day.isoformat()).randbytes(16)
        producer = avro_records(schema(table), records(table, seed, n_files, day), marker)
        if table == "replicas" and corrupt:
            producer = _damaged(producer, marker, corrupt)
        path = f"{directory}/part-m-00000.avro"
        sink.put(path, producer)
        sink.put(f"{directory}/_SUCCESS", empty)
        paths.append(path)
    return paths
