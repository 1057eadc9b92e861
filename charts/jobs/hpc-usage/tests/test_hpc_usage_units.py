"""hpc-usage's own logic on small inputs, without a cluster: the window, the HPC site rules, the exact
per (centre, day) sums with the README's rounding (a half-way day included), the month files, and the
run's outcomes (Spark local, files in a temporary directory).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.checks import files
from jobkit.archive import Window
from jobkit.config import load
from jobkit.errors import ConfigError, JobError

DAY = date(2026, 10, 24)


def ms(day: date, hour: int = 1, minute: int = 0) -> int:
    return int(datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC).timestamp()) * 1000


def record(job_id: str, status: str, site: str = "T3_US_SDSC", core_hr: float | None = None, cpus: int | None = 1,
           subsite: str | None = None, day: date = DAY, hour: int = 1, minute: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {"GlobalJobId": job_id, "RecordTime": ms(day, hour, minute), "Status": status,
                            "Site": site}
    for key, value in (("CoreHr", core_hr), ("RequestCpus", cpus), ("MachineAttrCMSSubSiteName0", subsite)):
        if value is not None:
            data[key] = value
    return {"data": data}


def test_window_defaults_and_checks(app: SimpleNamespace) -> None:
    config = load(app.main.VARIABLES, {})
    assert app.main.window_for(config, date(2026, 11, 3)) == Window(date(2026, 9, 1), date(2026, 11, 1))
    assert app.main.window_for(config, date(2026, 11, 5)) == Window(date(2026, 10, 1), date(2026, 11, 3))
    with pytest.raises(ConfigError) as info:
        app.main.window_for(load(app.main.VARIABLES, {"START_DATE": "2026-10-02"}), date(2026, 11, 5))
    assert str(info.value) == ("START_DATE=2026-10-02 is not the first day of a month (each month's files are "
                               "replaced as a whole); allowed: YYYY-MM-01")


def test_site_rules(app: SimpleNamespace, spark: Any) -> None:
    from pyspark.sql import functions as fn

    cases = [("T3_US_ANL", None, "ANL"), ("T3_US_Anvil", None, "ANVIL"), ("T3_US_NERSC", "x", "NERSC"),
             ("T2_ES_PIC", "PIC-BSC", "BSC"), ("T1_ES_PIC_BSC", "PIC-BSC", "BSC"), ("T1_ES_PIC", "other", None),
             ("T1_IT_CNAF", "CNAF-CINECA", "CINECA"), ("T1_IT_CNAF", "CNAF-LEONARDO", "CINECA"),
             ("T1_DE_KIT", "KIT-HOREKA", "HOREKA"), ("T2_DE_RWTH", "RWTH-HPC", "RWTH"),
             ("T1_IT_CNAF", "CNAF-VEGA", "VEGA"), ("T1_IT_CNAF", "X-CHULA-Y", "CHULA"), ("T1_IT_CNAF", None, None),
             ("T2_US_MIT", None, None)]
    frame = spark.createDataFrame([(site, subsite) for site, subsite, _ in cases], "site string, subsite string")
    found = frame.select(app.hpc_usage.hpc_site(fn.col("site"), fn.col("subsite")).alias("hpc")).collect()
    assert [row["hpc"] for row in found] == [expected for _, _, expected in cases]


def aggregate(app: SimpleNamespace, spark: Any, tmp_path: Path, write_lines: Callable[..., Path],
              lines: list[Any]) -> tuple[list[Any], Any]:
    write_lines(tmp_path, lines)
    window = Window(date(2026, 10, 1), date(2026, 11, 1))
    return app.hpc_usage.aggregate(app.hpc_usage.records(spark, [str(tmp_path)]), window)


def test_a_half_way_day_rounds_up_as_the_original(app: SimpleNamespace, spark: Any, tmp_path: Path,
                                                  write_lines: Callable[..., Path]) -> None:
    # 1200 s + 1200 s + 1667100 s of one core: exactly 1855/4 = 463.75 core hours. The values are written
    # as doubles print (0.3333333333333333): rounding each to 9 places first summed to 463.749999999 (-> 463.7).
    sums, stats = aggregate(app, spark, tmp_path, write_lines, [
        record("a", "Completed", core_hr=1200 / 3600), record("b", "Completed", core_hr=1200 / 3600),
        record("c", "Completed", core_hr=1667100 / 3600),
    ])
    assert [(s.site, s.day, s.core_hours) for s in sums] == [("SDSC", DAY, Decimal("463.750000000"))]
    report = app.report.build(sums, Window(DAY, date(2026, 10, 25)).days())[0]
    sdsc = next(row for row in report.daily if row["Site"] == "SDSC")
    assert sdsc["sum CoreHr"] == "463.8"
    assert (stats.lines, stats.malformed, stats.hpc_records) == (3, 0, 3)


def test_sums_follow_the_readme(app: SimpleNamespace, spark: Any, tmp_path: Path,
                                write_lines: Callable[..., Path]) -> None:
    sums, stats = aggregate(app, spark, tmp_path, write_lines, [
        record("a", "Completed", core_hr=2.5, hour=3),
        record("a", "Completed", core_hr=9.0, hour=5),                # re-delivery: the earliest counts
        record("b", "Completed"),                                      # no CoreHr: adds 0
        record("c", "Removed", core_hr=100.0),                         # not Running/Completed
        record("d", "Completed", site="T2_US_MIT", core_hr=100.0),     # not an HPC centre
        record("e", "Completed", core_hr=1.0, day=date(2026, 11, 1)),  # after the window
        record("r", "Running", cpus=8, minute=1),
        record("r", "Running", cpus=4, minute=5),                      # same 12-minute bin: the larger counts
        record("r", "Running", cpus=4, minute=13),                     # next bin
        record("s", "Running", cpus=None, minute=2),                   # no RequestCpus: 1
        record("v", "Running", site="T1_IT_CNAF", subsite="CNAF-VEGA", cpus=2),
        "not json", {"data": {"GlobalJobId": "x", "Status": "Running"}},
    ])
    assert [(s.site, s.day, s.core_hours, s.bin_cores) for s in sums] == [
        ("SDSC", DAY, Decimal("2.500000000"), Decimal(8 + 4 + 1)), ("VEGA", DAY, Decimal(0), Decimal(2))]
    assert (stats.lines, stats.malformed, stats.hpc_records) == (13, 2, 8)


def test_month_reports_round_and_fill_zero_days(app: SimpleNamespace) -> None:
    sums = [app.hpc_usage.DaySums("ANL", date(2026, 10, 30), Decimal("10.05"), Decimal(60)),
            app.hpc_usage.DaySums("ANL", date(2026, 11, 1), Decimal("0.04"), Decimal(0))]
    october, november = app.report.build(sums, Window(date(2026, 10, 30), date(2026, 11, 2)).days())
    assert october.daily[:2] == [
        {"Site": "ANL", "month": "2026-10", "dayofmonth": "30", "sum CoreHr": "10.1", "running_cores_daily_avg": "0.5"},
        {"Site": "ANL", "month": "2026-10", "dayofmonth": "31", "sum CoreHr": "0.0", "running_cores_daily_avg": "0.0"},
    ]
    assert october.monthly[0] == {"Site": "ANL", "month": "2026-10", "sum CoreHr": "10.10",
                                  "running_cores_monthly_avg": "0.25"}
    assert len(october.daily) == 2 * len(app.hpc_usage.HPC_SITES)
    assert november.daily[0]["sum CoreHr"] == "0.0"
    assert app.report.render_csv(november).splitlines()[:2] == [
        b"Site,month,dayofmonth,sum CoreHr,running_cores_daily_avg", b"ANL,2026-11,1,0.0,0.0"]
    page = app.report.render_html(october, "2026-10.csv").decode()
    assert '<table id="monthly">' in page and "<td>10.10</td>" in page and 'href="../csv/2026-10.csv"' in page


def test_run_writes_each_month_and_fails_as_the_readme_says(
        app: SimpleNamespace, run_main: Callable[..., Any], tmp_path: Path, write_lines: Callable[..., Path]) -> None:
    for day in (date(2026, 10, 31), date(2026, 11, 1)):
        write_lines(tmp_path / "in" / f"{day:%Y/%m/%d}", [record(f"j{day.day}", "Completed", core_hr=1.25, day=day)])
    out = tmp_path / "out"
    environ = {"INPUT_PATH": str(tmp_path / "in"), "OUTPUT_DIR": str(out), "START_DATE": "2026-10-01",
               "END_DATE": "2026-11-02", "ALLOW_MISSING_DAYS": "1", "LATE_DAYS": "0"}
    with pytest.raises(JobError) as info:
        run_main(environ)
    assert str(info.value) == f"OUTPUT_DIR {out} does not exist or is not a directory; mount the report volume"
    out.mkdir()
    ctx = run_main(environ)
    assert ctx.records_out == (31 + 1) * len(app.hpc_usage.HPC_SITES)
    october = files.read_csv(out / "csv" / "2026-10.csv")
    assert [row["sum CoreHr"] for row in october if row["Site"] == "SDSC" and row["dayofmonth"] in ("30", "31")] == [
        "0.0", "1.3"]
    assert (out / "html" / "2026-11.html").is_file()
    dry = tmp_path / "dry"
    dry.mkdir()
    run_main({**environ, "OUTPUT_DIR": str(dry)}, ["--test"])
    assert list(dry.iterdir()) == []
    with pytest.raises(JobError) as info:
        run_main({**environ, "ALLOW_MISSING_DAYS": "0"})
    assert str(info.value).startswith(f"input partition {tmp_path}/in/2026/10/01 for day 2026-10-01 ")
    write_lines(tmp_path / "in" / "2026/10/31", ["bad"], name="part-00001.json")
    with pytest.raises(JobError) as info:
        run_main(environ)
    assert str(info.value) == ("1 of 3 input lines are malformed (33.3% > MAX_MALFORMED_FRACTION 5.0%); "
                               "check the condor input format")
