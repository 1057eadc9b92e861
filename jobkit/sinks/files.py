"""Files on a mounted volume (EOS in production), each replaced whole.

A report file is written beside its final name under a hidden temporary name, flushed to disk, made
readable by everyone (a web server serves these directories, whatever the pod's umask) and renamed over
the old file: a reader never sees half a file, and a re-run for the same input leaves the same bytes. The
temporary of a run killed mid-write is removed by the next write of the same file.
"""

from __future__ import annotations

import contextlib
import glob
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from jobkit.errors import JobError
from jobkit.logs import job_logger
from jobkit.sinks.base import Record, Sink, WriteResult


def replace_file(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` atomically (temporary file beside it, fsync, rename).

    Args:
        path: the final file; missing parent directories are created.
        content: its bytes.

    Raises:
        JobError: when the directory cannot be written (one line, with the OS's reason).
    """
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A run killed mid-write (SIGKILL, the OOM killer) had no chance to remove its temporary; a cron job is
        # its files' only writer, so whatever temporary of this file is there now is such a leftover.
        for leftover in path.parent.glob(f".{glob.escape(path.name)}.partial-*"):
            leftover.unlink(missing_ok=True)
            job_logger().warning("removed a temporary a killed run left", file=str(leftover))
        with open(partial, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        partial.chmod(0o644)
        partial.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):  # a half-written temporary must not stay; the error is the news
            partial.unlink(missing_ok=True)
        raise JobError(f"could not write {path}: {exc.strerror or exc}") from None


class FileSink(Sink):
    """One file, replaced whole by each ``write`` with what ``render`` makes of the records."""

    def __init__(self, path: Path, render: Callable[[list[Record]], bytes]) -> None:
        """A sink for the file at ``path``.

        Args:
            path: the file.
            render: turns the records into the file's bytes.
        """
        self.path = path
        self._render = render

    @property
    def target(self) -> str:
        return f"file {self.path}"

    def write(self, records: Iterable[Record]) -> WriteResult:
        """Render ``records`` and replace the file with the result.

        Args:
            records: the rows the file holds.

        Returns:
            The number of rows written.

        Raises:
            JobError: when the file cannot be written.
        """
        rows = list(records)
        replace_file(self.path, self._render(rows))
        return WriteResult(self.target, len(rows))
