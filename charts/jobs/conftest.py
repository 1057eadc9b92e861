"""Fixtures of the jobs' unit tests (``charts/jobs/<job>/tests/test_<job>_units.py``, not marked e2e).

A unit test gets its job's app modules (``app.main``, ``app.<module>``), loaded from ``app/`` the way the
image runs them (sibling modules imported by plain name) without leaving them in ``sys.modules``: the
jobs share module names (``main``, ``inputs``, ``outputs``). Spark logic runs on one local SparkSession
per test process (an xdist worker), started on first use; a job's ``main`` runs through :func:`run_main`
with that session instead of its own.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from jobkit.config import load
from jobkit.logs import LOGGER_NAME, job_logger
from jobkit.run import RunContext
from jobkit.spark import SPARK_VARS, spark_conf

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

JOBS = Path(__file__).parent
# Inputs of a few dozen rows: compiling generated code, adaptive re-planning and the JIT's optimising
# compiler cost more than they save, so the tests' session interprets (the results are the same).
FAST_LOCAL = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.sql.adaptive.enabled": "false",
    "spark.default.parallelism": "1",
    "spark.sql.shuffle.partitions": "1",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}


def load_app(job: str) -> SimpleNamespace:
    """The modules of ``charts/jobs/<job>/app``, by name; ``sys.modules`` and ``sys.path`` are left as they were."""
    app = JOBS / job / "app"
    names = sorted(path.stem for path in app.glob("*.py"))
    saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    sys.path.insert(0, str(app))
    try:
        return SimpleNamespace(**{name: importlib.import_module(name) for name in names})
    finally:
        sys.path.remove(str(app))
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


@pytest.fixture(scope="module")
def app(request: pytest.FixtureRequest) -> SimpleNamespace:
    """The app modules of the job whose tests/ folder holds the requesting test module."""
    return load_app(Path(str(request.path)).parents[1].name)


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """One local SparkSession for the whole test process, set up as jobkit sets up a job's session."""
    from pyspark.sql import SparkSession

    # The JVM picks its own address before any conf is read: without this it takes the first non-loopback
    # interface's ("hostname resolves to a loopback address; using <eth0> instead"). Tests stay on loopback.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    config = load(SPARK_VARS, {"SPARK_MASTER": "local[1]", "SPARK_LOCAL_IP": "127.0.0.1",
                               "SPARK_DRIVER_MEMORY": "512m"})
    builder = SparkSession.builder
    for key, value in {**spark_conf(config, "job-unit-tests"), **FAST_LOCAL}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def shared_session(session: SparkSession) -> Callable[..., Any]:
    """A stand-in for ``jobkit.spark.spark_session`` that lends ``session`` to the block: the job's
    ``spark.sql.*`` settings apply for the block, its cached frames are dropped after it, and the session
    is not stopped (the next test reuses it)."""
    @contextmanager
    def lend(config: Any, app_name: str, extra: Mapping[str, str] | None = None) -> Iterator[SparkSession]:
        settings = {key: value for key, value in (extra or {}).items() if key.startswith("spark.sql.")}
        before = {key: session.conf.get(key, None) for key in settings}
        for key, value in settings.items():
            session.conf.set(key, value)
        try:
            yield session
        finally:
            session.catalog.clearCache()
            for key, value in before.items():
                if value is None:
                    session.conf.unset(key)
                else:
                    session.conf.set(key, value)

    return lend


@pytest.fixture
def run_main(app: SimpleNamespace, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
             ) -> Callable[..., RunContext]:
    """``run_main(environ, argv=())``: load the job's VARIABLES from ``environ`` and run its ``main`` in-process
    on the shared session; returns the run's context (records_in/out). Errors propagate as the job raises
    them (``ConfigError``, ``JobError``), as ``run_job`` would turn them into exit codes 2 and 1."""
    if hasattr(app.main, "spark_session"):  # only Spark jobs start the session
        monkeypatch.setattr(app.main, "spark_session", shared_session(request.getfixturevalue("spark")))

    def run(environ: Mapping[str, str], argv: Sequence[str] = ()) -> RunContext:
        ctx = RunContext(app.main.JOB, load(app.main.VARIABLES, environ, argv), job_logger())
        app.main.main(ctx)
        return ctx

    return run


def events(caplog: pytest.LogCaptureFixture, msg: str) -> list[dict[str, Any]]:
    """The fields of every jobkit log record with message ``msg`` (JSON-normalised, as the job logs them)."""
    return [json.loads(json.dumps(getattr(record, "fields", {}), default=str)) for record in caplog.records
            if record.name.startswith(LOGGER_NAME) and record.getMessage() == msg]


@pytest.fixture
def job_events(caplog: pytest.LogCaptureFixture) -> Callable[[str], list[dict[str, Any]]]:
    """``job_events(msg)``: the fields of the job's log records with that message, captured at INFO."""
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    return lambda msg: events(caplog, msg)


def _write_lines(directory: Path, lines: Sequence[Any], name: str = "part-00000.json") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n"
                                          for line in lines))
    return directory / name


@pytest.fixture
def write_lines() -> Callable[..., Path]:
    """``write_lines(directory, lines, name=...)``: one JSON-lines file (dicts as JSON, strings as they are)."""
    return _write_lines
