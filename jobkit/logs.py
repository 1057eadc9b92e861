"""Structured logs: one JSON object per line with ``ts``, ``level``, ``job``, ``msg`` and ``fields``.

Jobs log through :func:`job_logger`; libraries that use the standard ``logging`` module (the
Elasticsearch, MongoDB and Spark clients) go through the same formatter, so a log collector sees one
format. Logs go to stdout; the one-line failure reason of :mod:`jobkit.run` goes to stderr.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO, Any

LOGGER_NAME = "jobkit"
# Client libraries log every request at INFO; only their warnings are worth a line in a job's log.
QUIET_LIBRARIES = ("elasticsearch", "elastic_transport", "opensearch", "pymongo", "urllib3", "py4j", "hdfs")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line; extra fields come from ``record.fields``."""

    def __init__(self, job: str) -> None:
        super().__init__()
        self.job = job

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = dict(getattr(record, "fields", {}) or {})
        if record.name != LOGGER_NAME:
            fields.setdefault("logger", record.name)
        if record.exc_info and record.exc_info[1] is not None:
            fields.setdefault("error", f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}")
        event = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "job": self.job,
            "msg": record.getMessage(),
            "fields": fields,
        }
        # default=str: dates, paths and decimals in fields must never make logging fail.
        return json.dumps(event, default=str, sort_keys=False)


class JobkitHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler :func:`setup_logging` installs (a type of its own, so a second call replaces it)."""


class JobLogger:
    """A thin logger whose methods take the message and keyword fields: ``log.info("wrote", docs=3)``."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def _log(self, level: int, msg: str, fields: Mapping[str, Any]) -> None:
        self._logger.log(level, msg, extra={"fields": dict(fields)})

    def debug(self, msg: str, **fields: Any) -> None:
        """Log at debug level."""
        self._log(logging.DEBUG, msg, fields)

    def info(self, msg: str, **fields: Any) -> None:
        """Log at info level."""
        self._log(logging.INFO, msg, fields)

    def warning(self, msg: str, **fields: Any) -> None:
        """Log at warning level."""
        self._log(logging.WARNING, msg, fields)

    def error(self, msg: str, **fields: Any) -> None:
        """Log at error level."""
        self._log(logging.ERROR, msg, fields)


def setup_logging(job: str, stream: IO[str] | None = None, level: str | None = None) -> JobLogger:
    """Send every log record (jobkit's and libraries') as JSON lines to ``stream``.

    Args:
        job: the job's name, written into every line.
        stream: where to write (default: stdout).
        level: minimum level name (default: ``LOG_LEVEL`` from the environment, else INFO).

    Returns:
        The job's logger.
    """
    handler = JobkitHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter(job))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, JobkitHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    wanted = (level or os.environ.get("LOG_LEVEL") or "INFO").upper()
    known = logging.getLevelNamesMapping()
    root.setLevel(known.get(wanted, logging.INFO))
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    log = job_logger()
    if wanted not in known:
        # A typo in LOG_LEVEL must not stop the job: say so and log at INFO.
        log.warning(f"LOG_LEVEL={wanted!r} is not a log level; using INFO", allowed="DEBUG, INFO, WARNING, ERROR")
    return log


def job_logger() -> JobLogger:
    """The jobkit logger (configured by :func:`setup_logging`; plain ``logging`` defaults otherwise)."""
    return JobLogger(logging.getLogger(LOGGER_NAME))
