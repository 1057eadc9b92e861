"""Small files on HDFS through WebHDFS (the ``hdfs`` package), replaced as a whole on every run.

For reports and small outputs (JSON lines or CSV) that do not need Spark. A file is first written
next to its target under a hidden temporary name and then moved over the target, so a reader never
sees a half-written file; HDFS renames do not overwrite, so the old file is deleted just before the
move (for that instant the path is absent).

Configuration: ``WEBHDFS_URL`` (the NameNode's HTTP address) and ``HDFS_USER``.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

from jobkit.config import Config, Var
from jobkit.logs import job_logger
from jobkit.retry import DEFAULT_BACKOFF, Backoff, retry
from jobkit.sinks.base import Record, Sink, WriteResult

WEBHDFS_VARS = (
    Var("WEBHDFS_URL", "str", required=True, help="NameNode HTTP address, e.g. http://127.0.0.1:9870"),
    Var("HDFS_USER", "str", default="cmsmon", help="HDFS user the job writes as"),
)
FileFormat = Literal["jsonl", "csv"]


def webhdfs_client(url: str, user: str) -> Any:
    """An ``hdfs.InsecureClient`` (simple authentication as ``user``).

    Args:
        url: the NameNode's HTTP address.
        user: the HDFS user.

    Returns:
        The client.
    """
    from hdfs import InsecureClient

    return InsecureClient(url, user=user)


def webhdfs_client_from_config(config: Config) -> Any:
    """The client :data:`WEBHDFS_VARS` describe.

    Args:
        config: a configuration loaded with :data:`WEBHDFS_VARS` among its variables.

    Returns:
        An ``hdfs.InsecureClient``.
    """
    return webhdfs_client(config.text("WEBHDFS_URL"), config.text("HDFS_USER"))


def _transient(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, requests.ConnectionError | requests.Timeout)


def encode(records: Iterable[Record], file_format: FileFormat, columns: Sequence[str] = ()) -> tuple[bytes, int]:
    """Serialise ``records`` as JSON lines (keys sorted) or CSV (header ``columns``).

    Args:
        records: the records.
        file_format: ``jsonl`` or ``csv``.
        columns: the CSV columns, in order (required for csv).

    Returns:
        The file's bytes and the number of records.

    Raises:
        ValueError: for csv without columns.
    """
    out = io.StringIO()
    count = 0
    if file_format == "csv":
        if not columns:
            raise ValueError("csv output needs its columns")
        writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="raise", lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow(dict(record))
            count += 1
    else:
        for record in records:
            out.write(json.dumps(dict(record), sort_keys=True, separators=(",", ":"), default=str) + "\n")
            count += 1
    return out.getvalue().encode(), count


def replace_file(client: Any, path: str, data: bytes, backoff: Backoff = DEFAULT_BACKOFF,
                 sleep: Callable[[float], None] = time.sleep) -> None:
    """Make ``path`` hold ``data``: write a hidden temporary file beside it, then move it over ``path``.

    Args:
        client: an ``hdfs`` client.
        path: the absolute HDFS path.
        data: the file's content.
        backoff: retry schedule for connection errors.
        sleep: how to wait between retries.
    """
    directory, name = posixpath.split(path)
    temporary = posixpath.join(directory, f".{name}.jobkit-tmp")

    def steps() -> None:
        client.makedirs(directory)
        client.write(temporary, data=data, overwrite=True)
        client.delete(path)
        client.rename(temporary, path)

    retry(steps, _transient, f"replacing {path} on HDFS", backoff, sleep)


class WebHdfsFileSink(Sink):
    """One HDFS file holding the last run's records (JSON lines or CSV)."""

    def __init__(self, client: Any, path: str, file_format: FileFormat = "jsonl", columns: Sequence[str] = ()) -> None:
        """Describe the target file.

        Args:
            client: an ``hdfs`` client (see :func:`webhdfs_client`).
            path: the absolute HDFS path, e.g. ``/cms/reports/2026/11/usage.csv``.
            file_format: ``jsonl`` or ``csv``.
            columns: the CSV columns, in order (csv only).
        """
        self.client = client
        self.path = path
        self.file_format = file_format
        self.columns = tuple(columns)

    @property
    def target(self) -> str:
        return f"hdfs file {self.path}"

    def write(self, records: Iterable[Record]) -> WriteResult:
        """Replace the file with ``records``.

        Args:
            records: the records (held in memory: this sink is for small outputs).

        Returns:
            Records written.
        """
        data, count = encode(records, self.file_format, self.columns)
        replace_file(self.client, self.path, data)
        job_logger().info("wrote hdfs file", target=self.target, records=count, bytes=len(data))
        return WriteResult(self.target, count)
