"""rucio-daily's own logic on small inputs, without a cluster: the day and path checks, the replica columns
and per-group sums of the README, the DBS FILES reader (FAILFAST on a short row), the one-line reasons of
read failures, and the run's outcomes (Spark local, parquet in a temporary directory).

The replicas table is avro, and the dev environment's pyspark has no spark-avro (the spark base image adds
it): the tests give the job the table as Spark reads it (``RSE_ID`` bytes, ``BYTES`` a decimal string),
and check that without the avro reader the run fails with its one line.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from jobkit.config import load
from jobkit.errors import ConfigError, JobError

DAY = date(2026, 11, 2)
RSE_A, RSE_B = bytes.fromhex("0a" * 16), bytes.fromhex("ff" * 16)
FILES = ["1,/store/a.root,1,100,5,1,cs,10,1000,null,ad,null,null,1,u,1,u",
         "2,/store/b.root,1,200,6,1,cs,10,1000,null,ad,null,null,1,u,1,u"]


def created(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 10, tzinfo=UTC).timestamp()) * 1000


def replica_table(spark: Any) -> Any:
    rows = [(RSE_A, "/store/a.root", "cms", "100", created(date(2026, 1, 5))),
            (RSE_A, "/store/a.root", "cms", "50", created(date(2026, 1, 5))),     # same group: summed
            (RSE_B, "/store/a.root", "cms", "7", created(date(2026, 1, 6))),
            (RSE_A, "/store/b.root", "cms", "1", created(date(2026, 1, 5))),
            (RSE_A, "/store/user/x.root", "user.x", "9", created(date(2026, 1, 5)))]  # not in DBS
    return spark.createDataFrame(rows, "RSE_ID binary, NAME string, SCOPE string, BYTES string, CREATED_AT long")


def dumps_on_disk(tmp_path: Path, write_lines: Callable[..., Path], files: list[str]) -> dict[str, str]:
    write_lines(tmp_path / "rucio" / DAY.isoformat() / "replicas", ["not read here"], name="part-0.avro")
    (tmp_path / "dbs" / DAY.isoformat() / "FILES").mkdir(parents=True, exist_ok=True)
    (tmp_path / "dbs" / DAY.isoformat() / "FILES" / "part-m-0.gz").write_bytes(
        gzip.compress("".join(f"{row}\n" for row in files).encode(), mtime=0))
    return {"RUCIO_PATH": str(tmp_path / "rucio"), "DBS_PATH": str(tmp_path / "dbs"),
            "OUTPUT_PATH": str(tmp_path / "out"), "DATE": DAY.isoformat()}


def test_day_and_paths(app: SimpleNamespace) -> None:
    assert app.main.dump_day(load(app.main.VARIABLES, {}), DAY) == DAY
    with pytest.raises(ConfigError) as info:
        app.main.dump_day(load(app.main.VARIABLES, {"DATE": "2026-11-03"}), DAY)
    assert str(info.value) == "DATE=2026-11-03 lies in the future; allowed: a day up to today (2026-11-02)"
    with pytest.raises(ConfigError) as info:
        app.main.check_paths(load(app.main.VARIABLES, {"DBS_PATH": "dbs"}))
    assert str(info.value) == "DBS_PATH='dbs' is not an absolute path; allowed: a path starting with /"


def test_groups_follow_the_readme(app: SimpleNamespace, spark: Any, tmp_path: Path,
                                  write_lines: Callable[..., Path]) -> None:
    dumps = app.replicas.Dumps.of(**{k: v for k, v in zip(
        ("rucio_root", "dbs_root"), (str(tmp_path / "rucio"), str(tmp_path / "dbs")), strict=True)}, day=DAY)
    assert dumps.missing(spark) == [f"Rucio replicas dump {dumps.replicas} matches no file",
                                    f"DBS FILES dump {dumps.files} matches no file"]
    dumps_on_disk(tmp_path, write_lines, FILES)
    assert dumps.missing(spark) == []
    grouped = app.replicas.groups(app.replicas.replica_columns(replica_table(spark), DAY),
                                  app.replicas.dbs_files(spark, dumps))
    rows = sorted(tuple(row) for row in grouped.where("in_dbs").select(*app.replicas.OUTPUT_COLUMNS).collect())
    assert rows == [("0a" * 16, 100, "cms", "20261102", "20260105", 150),
                    ("0a" * 16, 200, "cms", "20261102", "20260105", 1),
                    ("ff" * 16, 100, "cms", "20261102", "20260106", 7)]
    counts = app.replicas.counts(grouped)
    assert (counts.replicas_in_dbs, counts.replicas_not_in_dbs, counts.rows) == (4, 1, 3)


def test_a_short_dbs_row_fails_with_one_line(app: SimpleNamespace, spark: Any, tmp_path: Path,
                                             write_lines: Callable[..., Path]) -> None:
    from py4j.protocol import Py4JJavaError

    dumps_on_disk(tmp_path, write_lines, [*FILES, "3,/store/c.root,1"])
    dumps = app.replicas.Dumps.of(str(tmp_path / "rucio"), str(tmp_path / "dbs"), DAY)
    spark.conf.set("spark.sql.csv.parser.columnPruning.enabled", "false")  # as the job's session (SESSION_CONF)
    try:
        with pytest.raises(JobError) as info, app.replicas.reading(dumps):
            app.replicas.dbs_files(spark, dumps).collect()
    finally:
        spark.conf.unset("spark.sql.csv.parser.columnPruning.enabled")
    assert str(info.value).startswith(f"cannot read the DBS FILES dump of {DAY}: file ")
    assert "the file is damaged or not a DBS FILES dump, re-import it (nothing was written)" in str(info.value)
    assert "\n" not in str(info.value)
    assert isinstance(info.value.__context__, Py4JJavaError)


def test_without_the_avro_reader_the_run_fails_with_one_line(app: SimpleNamespace, spark: Any, tmp_path: Path,
                                                             write_lines: Callable[..., Path]) -> None:
    dumps_on_disk(tmp_path, write_lines, FILES)
    dumps = app.replicas.Dumps.of(str(tmp_path / "rucio"), str(tmp_path / "dbs"), DAY)
    with pytest.raises(JobError) as info:
        app.replicas.replicas(spark, dumps)
    assert str(info.value).startswith("Spark has no avro reader (")
    assert str(info.value).endswith("run the job on the spark base image, which puts spark-avro into pyspark's jars")


def test_run_outcomes(app: SimpleNamespace, run_main: Callable[..., Any], spark: Any, tmp_path: Path,
                      write_lines: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    table = {"rows": replica_table(spark)}
    monkeypatch.setattr(app.main, "read_replicas",
                        lambda session, dumps: app.replicas.replica_columns(table["rows"], dumps.day))
    environ = dumps_on_disk(tmp_path, write_lines, FILES)
    ctx = run_main(environ)
    assert (ctx.records_in, ctx.records_out) == (5, 3)
    written = spark.read.parquet(str(tmp_path / "out" / "rucio" / "2026/11/02"))
    assert written.columns == list(app.replicas.OUTPUT_COLUMNS)
    assert sorted(row["rep_size"] for row in written.collect()) == [1, 7, 150]
    run_main({**environ, "OUTPUT_PATH": str(tmp_path / "dry")}, ["--test"])
    assert not (tmp_path / "dry").exists()
    table["rows"] = replica_table(spark).where("SCOPE = 'user.x'")
    with pytest.raises(JobError) as info:
        run_main(environ)
    assert str(info.value) == (f"none of the 1 replicas of {DAY} names a file of the DBS FILES dump "
                               f"{tmp_path}/dbs/{DAY}/FILES/*.gz; nothing to write (are both dumps of the same day?)")
    with pytest.raises(JobError) as info:
        run_main({**environ, "DATE": "2026-11-01"})
    assert str(info.value).startswith("input for 2026-11-01 is missing: Rucio replicas dump ")


def test_read_failure_names_the_file(app: SimpleNamespace) -> None:
    class Java:
        def __init__(self, name: str, message: str, cause: Java | None = None) -> None:
            self.name, self.message, self.cause = name, message, cause

        def getClass(self) -> Any:  # noqa: N802 (the py4j object's API)
            return SimpleNamespace(getName=lambda: self.name)

        def getMessage(self) -> str:  # noqa: N802
            return self.message

        def getCause(self) -> Java | None:  # noqa: N802
            return self.cause

    dumps = app.replicas.Dumps.of("/r", "/d", DAY)
    damaged = SimpleNamespace(java_exception=Java(
        "org.apache.spark.SparkException", "Job aborted",
        Java("org.apache.spark.SparkException",
             "Encountered error while reading file hdfs://nn:8020/r/2026-11-02/replicas/part-0.avro. Details:",
             Java("java.io.IOException", "Invalid sync!"))))
    assert str(app.replicas.read_failure(damaged, dumps)) == (
        "cannot read the Rucio replicas dump of 2026-11-02: file /r/2026-11-02/replicas/part-0.avro: "
        "java.io.IOException: Invalid sync!; the file is damaged or not a Rucio replicas dump, re-import it "
        "(nothing was written)")
    other = SimpleNamespace(java_exception=Java("java.lang.OutOfMemoryError", "x" * 400 + "\nmore"))
    reason = str(app.replicas.read_failure(other, dumps))
    assert reason.startswith("Spark failed reading the dumps of 2026-11-02: java.lang.OutOfMemoryError: xxx")
    assert reason.endswith("...") and len(reason) < 400
