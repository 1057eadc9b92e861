"""HDFS outputs: file listings, text files and parquet datasets (read over WebHDFS)."""

from __future__ import annotations

import io
import posixpath
from typing import Any

import pyarrow.parquet as pq

from harness.services.hdfs import WebHdfs, webhdfs_client


def files(hdfs: WebHdfs, path: str) -> list[str]:
    """Every file under ``path`` (recursively), as absolute paths, sorted; ``[]`` when ``path`` is absent."""
    client = webhdfs_client(hdfs)
    if client.status(path, strict=False) is None:
        return []
    found: list[str] = []
    for directory, _, names in client.walk(path):
        found.extend(posixpath.join(directory, name) for name in names)
    return sorted(found)


def read_bytes(hdfs: WebHdfs, path: str) -> bytes:
    """The content of the file at ``path``."""
    with webhdfs_client(hdfs).read(path) as reader:
        data: bytes = reader.read()
    return data


def read_text(hdfs: WebHdfs, path: str) -> str:
    """The content of the UTF-8 text file at ``path``."""
    return read_bytes(hdfs, path).decode()


def read_parquet(hdfs: WebHdfs, path: str) -> list[dict[str, Any]]:
    """The rows of the parquet dataset at ``path``: every ``*.parquet`` file under it, in path order.

    Spark's bookkeeping files (``_SUCCESS``, ``.crc``) are skipped. Partition directories (``day=...``) are
    not turned into columns: read one partition's path to check it.
    """
    rows: list[dict[str, Any]] = []
    for name in files(hdfs, path):
        if name.endswith(".parquet"):
            rows.extend(pq.read_table(io.BytesIO(read_bytes(hdfs, name))).to_pylist())
    return rows


def delete(hdfs: WebHdfs, path: str) -> None:
    """Delete ``path`` recursively (an absent path is fine)."""
    webhdfs_client(hdfs).delete(path, recursive=True)
