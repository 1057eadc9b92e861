"""cpueff's own logic on small inputs, without a cluster: the window and configuration checks, the
MongoDB URI, the job selection and the three aggregations with the README's null rules, and the run's
outcomes (Spark local, dry run: the collections are logged, not written).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from jobkit.archive import Partitions, Window, read_json_lines
from jobkit.config import load
from jobkit.errors import ConfigError, JobError

MONGO = {"MONGO_URI": "mongodb://127.0.0.1:27017/", "MONGO_DB": "cpueff"}
DAY = date(2026, 11, 2)


def ms(day: date, hour: int = 6) -> int:
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=UTC).timestamp()) * 1000


def job(job_id: str, day: date = DAY, **fields: Any) -> dict[str, Any]:
    data = {"GlobalJobId": job_id, "RecordTime": ms(day), "Status": "Completed", "JobFailed": 0,
            "Type": "production", "Workflow": "wf", "WMAgent_RequestName": "req", "Site": "T1_US_FNAL",
            "Tier": "t1", "CpuEffOutlier": 0, "ScheddName": "schedd1", "WMAgent_JobID": "9",
            "WallClockHr": 2.0, "CpuTimeHr": 3.0, "RequestCpus": 2, "CommittedCoreHr": 4.0,
            "CommittedWallClockHr": 2.0, "MaxWallTimeMins": 240.0, "ChirpCMSSWReadTimeMsecs": 1000.0,
            "ChirpCMSSWElapsed": 10.0}
    data.update(fields)
    return {"data": {key: value for key, value in data.items() if value is not None}}


def test_window_and_configuration(app: SimpleNamespace) -> None:
    config = load(app.main.VARIABLES, MONGO)
    assert app.main.window_for(config, date(2026, 11, 23)) == Window(date(2026, 10, 23), date(2026, 11, 22))
    for environ, reason in [
        ({"LAST_N_DAYS": "0"}, "LAST_N_DAYS=0 is less than 1; allowed: 1 or more days"),
        ({"LATE_DAYS": "-2"}, "LATE_DAYS=-2 is negative; allowed: 0 or more days"),
        ({"MONGO_URI": "http://127.0.0.1/"}, "MONGO_URI='http://127.0.0.1/' is not a URL with scheme mongodb and "
                                             "a host; allowed: mongodb://host:port/"),
    ]:
        with pytest.raises(ConfigError) as info:
            load(app.main.VARIABLES, {**MONGO, **environ})
        assert str(info.value) == reason
    with pytest.raises(ConfigError) as info:
        app.main.check_config(load(app.main.VARIABLES, {**MONGO, "MONGO_PASSWORD": "secret"}))
    assert str(info.value) == "MONGO_PASSWORD is set without MONGO_USERNAME; allowed: both or neither"


def test_mongo_uri_gets_the_credentials(app: SimpleNamespace) -> None:
    plain = load(app.main.VARIABLES, {**MONGO, "MONGO_URI": "mongodb://old:pw@h1:27017,h2:27017/?tls=true"})
    assert app.main.mongo_uri(plain) == "mongodb://old:pw@h1:27017,h2:27017/?tls=true"
    user = load(app.main.VARIABLES, {**MONGO, "MONGO_URI": "mongodb://old:pw@h1:27017,h2:27017/?tls=true",
                                     "MONGO_USERNAME": "u@x", "MONGO_PASSWORD": "p/w", "MONGO_AUTH_DB": "admin"})
    assert app.main.mongo_uri(user) == "mongodb://u%40x:p%2Fw@h1:27017,h2:27017/?tls=true&authSource=admin"


def test_aggregations_follow_the_readme(app: SimpleNamespace, spark: Any, tmp_path: Path,
                                       write_lines: Callable[..., Path]) -> None:
    write_lines(tmp_path, [
        job("a"),
        job("a"),                                                     # re-delivery: once
        job("b", Site="T2_DE_X", Tier="T2", ScheddName="schedd0", WMAgent_JobID="10", RequestCpus=None,
            CpuTimeHr=1.0, WallClockHr=1.0, MaxWallTimeMins=None, ChirpCMSSWElapsed=0.0),
        job("c", Type="analysis", WMAgent_RequestName=None, Tier="UNKNOWN", WMAgent_JobID=None,
            CommittedCoreHr=None, CpuEffOutlier=1),
        job("d", JobFailed=1),                                        # failed: not counted
        job("e", Status="Removed"),                                   # not Completed
        job("f", day=date(2026, 11, 4)),                              # after the window
        "{not json", {"data": {"GlobalJobId": "g", "RecordTime": ms(DAY)}},  # no Status
    ])
    rows = read_json_lines(spark, [str(tmp_path)], app.cpueff.FIELDS, app.cpueff.REQUIRED)
    collections, stats = app.cpueff.aggregate(rows, Window(DAY, date(2026, 11, 3)))
    assert (stats.lines, stats.malformed, stats.in_window, stats.selected, stats.jobs, stats.duplicates) == (
        9, 2, 6, 4, 3, 1)
    analysis, production = collections.main
    assert analysis == {
        "Type": "analysis", "Workflow": "wf", "WmagentRequestName": "NULL", "CpuEffOutlier": 1,
        "CpuEff": 75.0, "ScheduleEff": 100.0, "CmsswReadTimePercentage": 10.0, "Cpus": 2.0, "CpuTimeHr": 3.0,
        "WallClockHr": 2.0, "CoreTimeHr": 4.0, "CommittedWallClockHr": 2.0, "WastedCpuTimeHr": 1.0,
        "CommittedOverMaxWallTimeAvg": 0.5,
    }  # no CommittedCoreHr: NonEvictionEff and its difference are null, so left out; no T1/T2 job
    # a (T1: 2 cpus x 2 h, 3 h cpu) and b (T2: 1 cpu x 1 h, 1 h cpu, no MaxWallTimeMins, elapsed 0)
    assert production == {
        "Type": "production", "Workflow": "wf", "WmagentRequestName": "req", "CpuEffOutlier": 0,
        "CpuEff": 80.0, "NonEvictionEff": 50.0, "EvictionAwareEffDiff": -30.0, "ScheduleEff": 400 / 3,
        "CmsswReadTimePercentage": 20.0, "Cpus": 3.0, "CpuTimeHr": 4.0, "WallClockHr": 3.0, "CoreTimeHr": 5.0,
        "CommittedCoreHr": 8.0, "CommittedWallClockHr": 4.0, "WastedCpuTimeHr": 1.0,
        "CommittedOverMaxWallTimeAvg": 0.5, "CpuEffT1T2": 80.0, "CpusT1T2": 3.0, "CpuTimeHrT1T2": 4.0,
        "WallClockHrT1T2": 3.0, "CoreTimeHrT1T2": 5.0, "WastedCpuTimeHrT1T2": 1.0,
    }
    detailed = {(doc["Type"], doc["Site"]): doc for doc in collections.detailed}
    assert detailed["production", "T2_DE_X"]["Schedds"] == ["schedd0"]
    assert detailed["production", "T2_DE_X"]["MaxWmagentJobId"] == "10"
    assert "CmsswReadTimePercentage" not in detailed["production", "T2_DE_X"]  # elapsed 0: null
    assert "MaxWmagentJobId" not in detailed["analysis", "T1_US_FNAL"]
    assert [(doc["Tier"], doc["Type"], doc["TierCpus"]) for doc in collections.tiers] == [
        ("T1", "production", 2.0), ("T2", "production", 1.0)]  # UNKNOWN left out


def test_run_outcomes(app: SimpleNamespace, run_main: Callable[..., Any], tmp_path: Path,
                      write_lines: Callable[..., Path], job_events: Callable[[str], list[dict[str, Any]]]) -> None:
    write_lines(tmp_path / "in" / "2026/11/02.tmp", [job("a")])  # a day MONIT has not compacted yet
    environ = {**MONGO, "INPUT_PATH": str(tmp_path / "in"), "START_DATE": "2026-11-02", "END_DATE": "2026-11-03",
               "DRY_RUN": "1"}
    ctx = run_main(environ)
    assert ctx.records_out == 4
    would = {fields["target"]: fields["records"] for fields in job_events("dry run: would write")}
    assert would == {f"mongodb collection cpueff.{name}": 1
                     for name in ("condor_main", "condor_detailed", "condor_tiers", "source_timestamp")}
    write_lines(tmp_path / "none" / "2026/11/02", [job("x", JobFailed=1)])
    with pytest.raises(JobError) as info:
        run_main({**environ, "INPUT_PATH": str(tmp_path / "none")})
    assert str(info.value) == ("no Completed job with JobFailed=0 inside the window 2026-11-02..2026-11-03 "
                               "(exclusive) in 1 partition(s); the collections are left as they were")
    write_lines(tmp_path / "bad" / "2026/11/02", [job("x"), "bad"])
    with pytest.raises(JobError) as info:
        run_main({**environ, "INPUT_PATH": str(tmp_path / "bad")})
    assert str(info.value).startswith("1 of 2 input lines are malformed")


def test_source_document(app: SimpleNamespace) -> None:
    config = load(app.main.VARIABLES, {**MONGO, "INPUT_PATH": "/in"})
    parts = Partitions(["/in/a"], [(date(2026, 11, 3), "/in/2026/11/03")])
    stats = app.cpueff.InputStats(10, 1, 8, 6, 5)
    assert app.main.source_document(config, Window(date(2026, 11, 2), date(2026, 11, 4)), parts, stats) == {
        "_id": "source_timestamp", "createdAt": "2026-11-04", "startDate": "2026-11-02", "endDate": "2026-11-04",
        "inputPath": "/in", "partitions": 1, "missingDays": ["2026-11-03"], "lines": 10, "malformed": 1,
        "inWindow": 8, "selected": 6, "jobs": 5}
