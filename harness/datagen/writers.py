"""Where generated files go: a local directory or HDFS, with the encodings the sources use.

A generator describes each file as a path (absolute, production layout, e.g.
``/project/monitoring/archive/condor/raw/metric/2026/11/20/part-00000.json``) and a *producer*, a function
that writes the file's bytes to a binary file object. A :class:`Sink` decides where that file lands. The
producers stream: no file is ever held in memory whole.
"""

from __future__ import annotations

import gzip
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Protocol

import fastavro

Producer = Callable[[BinaryIO], None]

# Lines are encoded and written in batches: one write per line is several times slower, one write per
# file needs the file in memory.
_LINES_PER_WRITE = 2000


class Sink(Protocol):
    """A place to put generated files."""

    def put(self, path: str, produce: Producer) -> None:
        """Create or replace the file at ``path`` with what ``produce`` writes.

        Args:
            path: Absolute POSIX path in the production layout.
            produce: Writes the file's bytes to the file object it is given.
        """


class LocalDirSink:
    """Writes under a local directory that stands for the file system root.

    ``/project/x/part-0`` lands at ``<root>/project/x/part-0``. A file appears under its final name only
    once complete (written to a temporary name, then renamed), so a reader never sees half a file.
    """

    def __init__(self, root: Path) -> None:
        """Create a sink.

        Args:
            root: Local directory standing for ``/``; created when missing.
        """
        self.root = root

    def local_path(self, path: str) -> Path:
        """Return where the file for a production path lands.

        Args:
            path: Absolute POSIX path.

        Returns:
            The local file path.

        Raises:
            ValueError: If the path is relative or escapes the root with ``..``.
        """
        posix = PurePosixPath(path)
        if not posix.is_absolute() or ".." in posix.parts:
            raise ValueError(f"expected an absolute path without '..', got {path!r}")
        return self.root.joinpath(*posix.parts[1:])

    def put(self, path: str, produce: Producer) -> None:
        """Write a file; see :meth:`Sink.put`."""
        target = self.local_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        with open(partial, "wb") as out:
            produce(out)
        partial.replace(target)


class HdfsClient(Protocol):
    """The part of the ``hdfs`` package's ``InsecureClient`` interface that the HDFS sink uses."""

    def makedirs(self, hdfs_path: str) -> Any:
        """Create a directory and its parents."""

    def write(self, hdfs_path: str, data: Any = None, overwrite: bool = False) -> Any:
        """Upload ``data`` (bytes, a generator or a file object) to ``hdfs_path``."""


class HdfsSink:
    """Writes into HDFS through a WebHDFS client (``hdfs.InsecureClient`` or one with its interface).

    Each file is first produced into a local temporary file, then streamed to HDFS: producers write to a
    file object (the avro writer cannot feed a generator), and spooling to disk keeps memory flat.
    """

    def __init__(self, client: HdfsClient, spool_dir: Path | None = None) -> None:
        """Create a sink.

        Args:
            client: A connected WebHDFS client.
            spool_dir: Directory for the temporary files (default: the system temporary directory).
        """
        self.client = client
        self.spool_dir = spool_dir

    def put(self, path: str, produce: Producer) -> None:
        """Write a file; see :meth:`Sink.put`."""
        self.client.makedirs(str(PurePosixPath(path).parent))
        with tempfile.TemporaryFile(dir=self.spool_dir) as spool:
            produce(spool)
            spool.seek(0)
            self.client.write(path, data=spool, overwrite=True)


def text_lines(lines: Iterable[str]) -> Producer:
    """Producer of UTF-8 text, one line per item (each item gets a trailing newline).

    Args:
        lines: The lines, without newlines.

    Returns:
        The producer.
    """

    def produce(out: BinaryIO) -> None:
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= _LINES_PER_WRITE:
                out.write(("\n".join(batch) + "\n").encode())
                batch.clear()
        if batch:
            out.write(("\n".join(batch) + "\n").encode())

    return produce


def gzipped(inner: Producer) -> Producer:
    """Wrap a producer so its output is gzip-compressed, byte-identical from run to run.

    The gzip header normally carries the current time and the file name; both are fixed here (time 0, no
    name) so the same content always compresses to the same bytes.

    Args:
        inner: Producer of the uncompressed bytes.

    Returns:
        The compressing producer.
    """

    def produce(out: BinaryIO) -> None:
        with gzip.GzipFile(filename="", fileobj=out, mode="wb", mtime=0) as compressed:
            inner(compressed)  # type: ignore[arg-type]  # GzipFile is a binary file object

    return produce


def avro_records(schema: Mapping[str, Any], records: Iterable[Mapping[str, Any]], sync_marker: bytes) -> Producer:
    """Producer of an avro object container file, deflate-compressed like sqoop's ``-z`` dumps.

    Args:
        schema: The avro schema.
        records: The records, in order.
        sync_marker: The 16-byte block separator; avro writers normally draw it at random, so the caller
            passes a seeded one to keep files byte-identical.

    Returns:
        The producer.
    """
    parsed = fastavro.parse_schema(dict(schema))

    def produce(out: BinaryIO) -> None:
        fastavro.writer(out, parsed, records, codec="deflate", sync_marker=sync_marker)

    return produce


def empty(out: BinaryIO) -> None:
    """Producer of an empty file (Hadoop's ``_SUCCESS`` marker)."""
