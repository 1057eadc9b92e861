"""eos-dataset's own logic on small inputs, without a cluster: the period of ``DATE``, the rolling year, the
dataset totals of the README (DBS join, production accounts left out, exact sums), the CSV, and the run's
outcomes (Spark local: the parquet dataset and the CSV files in a temporary directory).
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
from jobkit.config import load
from jobkit.errors import ConfigError, JobError

TODAY = date(2026, 11, 24)


def period(app: SimpleNamespace, text: str | None) -> Any:
    return app.main.period_of(load(app.main.VARIABLES, {"OUTPUT_DIR": "/out", **({"DATE": text} if text else {})}),
                              TODAY)


def test_period_of_date(app: SimpleNamespace) -> None:
    period_of = app.totals.Period
    assert period(app, None) == period_of(date(2026, 10, 1), date(2026, 10, 31))
    assert period(app, "2026-11") == period_of(date(2026, 11, 1), date(2026, 11, 23))
    assert period(app, "2026-02-03") == period_of(date(2026, 2, 3), date(2026, 2, 3))
    assert period(app, "2026-02").label == "20260201_20260228"
    for text, reason in [("2026/11", "DATE='2026/11' is not a day or a month; allowed: YYYY-MM-DD or YYYY-MM"),
                         ("2026-13", "DATE='2026-13' is not a day or a month; allowed: YYYY-MM-DD or YYYY-MM"),
                         ("2026-11-25", "DATE='2026-11-25' lies in the future; allowed: a day up to today or a "
                                        "month up to the current one (whose days up to yesterday are read)")]:
        with pytest.raises(ConfigError) as info:
            period(app, text)
        assert str(info.value) == reason
    with pytest.raises(ConfigError) as info:
        app.main.check_config(load(app.main.VARIABLES, {"OUTPUT_DIR": "out"}))
    assert str(info.value) == "OUTPUT_DIR='out' is not an absolute path; allowed: an absolute directory path"


def test_rolling_year(app: SimpleNamespace) -> None:
    period_of = app.totals.Period
    assert app.totals.rolling_year(date(2026, 10, 31)) == period_of(date(2025, 11, 1), date(2026, 10, 31))
    assert app.totals.rolling_year(date(2028, 2, 29)) == period_of(date(2027, 3, 2), date(2028, 2, 29))


def report(path: str, session: str, user: str | None = "alice", app: str = "xrootd", rt: str = "1.25",
           rb: str = "1048576", day: date = date(2026, 11, 2)) -> dict[str, Any]:
    data = {"path": path, "td": session, "sec.app": app, "rt": rt, "wt": "0.10", "rb": rb, "wb": "0",
            "rb_max": "1", "cts": "1", "csize": "1", "sec.info": "dn"}
    if user is not None:
        data["sec.name"] = user
    stamp = int(datetime(day.year, day.month, day.day, 8, tzinfo=UTC).timestamp()) * 1000
    return {"data": data, "metadata": {"timestamp": stamp}}


def dbs_dump(root: Path, day: str, write_lines: Callable[..., Path]) -> None:
    for table, rows in (("FILES", ["1,/store/a.root,1,10", "2,/store/b.root,0,20", "3,/store/c.root,1,30"]),
                        ("DATASETS", ["10,/PD/Run-v1/AOD", "20,/PD/Run-v2/MINIAOD", "30,null"])):
        write_lines(root / day / table, rows, name="part-m-00000")
        (root / day / table / "_SUCCESS").write_text("")


def seed(tmp_path: Path, write_lines: Callable[..., Path], days: list[date]) -> None:
    for day in days:
        write_lines(tmp_path / "eos" / f"{day:%Y/%m/%d}", [
            report("/eos/cms/store/a.root", "s1", rt="1.125", day=day),
            report("/eos/cms/store/a.root", "s1", rt="2.125", day=day),  # same session: one event
            report("/eos/cms/store/a.root", "s2", app="", day=day),
            report("/eos/cms/store/b.root", "s3", day=day),
            report("/eos/cms/store/c.root", "s4", day=day),            # DBS dataset name null: /Unknown
            report("/eos/cms/store/a.root", "s5", user="cmsprod", day=day),  # production: left out
            report("/eos/cms/store/a.root", "s6", user=None, day=day),       # no account: left out
            report("/eos/cms/store/z.root", "s7", day=day),             # not in DBS
        ])
    dbs_dump(tmp_path / "dbs", "2026-11-01", write_lines)
    (tmp_path / "dbs" / "2026-11-05" / "FILES").mkdir(parents=True)  # incomplete: no _SUCCESS, not used
    (tmp_path / "dbs" / "notes").mkdir()


def test_run_writes_partitions_and_totals(app: SimpleNamespace, run_main: Callable[..., Any], spark: Any,
                                          tmp_path: Path, write_lines: Callable[..., Path]) -> None:
    seed(tmp_path, write_lines, [date(2026, 11, 2), date(2026, 11, 3)])
    out = tmp_path / "out"
    out.mkdir()
    environ = {"DATE": "2026-11-02", "EOS_PATH": str(tmp_path / "eos"), "DBS_PATH": str(tmp_path / "dbs"),
               "PARQUET_LOCATION": str(tmp_path / "ds"), "OUTPUT_DIR": str(out)}
    assert run_main(environ).records_out == 8
    ctx = run_main({**environ, "DATE": "2026-11-03"})
    assert (ctx.records_in, ctx.records_out) == (8, 8)
    stored = spark.read.parquet(str(tmp_path / "ds"))
    assert sorted(row["day"] for row in stored.groupBy("day").count().collect()) == [20261102, 20261103]
    day_totals = files.read_csv(out / "dataset_totals_20261103_20261103.csv")
    assert day_totals == [
        {"": "0", "d_dataset": "/PD/Run-v1/AOD", "application": "", "nevents": "1", "total_rb": "1.0",
         "total_wb": "0.0", "total_rt": "0.00125", "total_wt": "0.0001", "data_tier": "AOD"},
        {"": "1", "d_dataset": "/PD/Run-v1/AOD", "application": "xrootd", "nevents": "1", "total_rb": "2.0",
         "total_wb": "0.0", "total_rt": "0.00325", "total_wt": "0.0002", "data_tier": "AOD"},
        {"": "2", "d_dataset": "/PD/Run-v2/MINIAOD", "application": "xrootd", "nevents": "1", "total_rb": "1.0",
         "total_wb": "0.0", "total_rt": "0.00125", "total_wt": "0.0001", "data_tier": "MINIAOD"},
        {"": "3", "d_dataset": "/Unknown", "application": "xrootd", "nevents": "1", "total_rb": "1.0",
         "total_wb": "0.0", "total_rt": "0.00125", "total_wt": "0.0001", "data_tier": "Unknown"},
    ]
    year = files.read_csv(out / "dataset_totals_rolling_year.csv")  # both stored days: sums doubled
    assert [(row["application"], row["nevents"], row["total_rt"]) for row in year[:2]] == [
        ("", "1", "0.0025"), ("xrootd", "1", "0.0065")]  # the same sessions on both days
    dry = tmp_path / "dry"
    run_main({**environ, "OUTPUT_DIR": str(dry), "PARQUET_LOCATION": str(tmp_path / "dry-ds")}, ["--test"])
    assert not dry.exists() and not (tmp_path / "dry-ds").exists()


def test_totals_are_the_exact_quotient_rounded_once(app: SimpleNamespace, spark: Any) -> None:
    # Found beside the original (dbs_hdfs_eos.py) on generated reports: the exact sum 10110681.78 ms was
    # divided as a float and came out as 10110.681779999999 s; divided exactly it is 10110.68178.
    columns = ", ".join(f"{name} {'bigint' if name == 'timestamp' else 'string'}" for name in app.inputs.COLUMNS)
    rows = spark.createDataFrame([
        (1, "1", "s1", "/eos/cms/store/a.root", "xrootd", "10110000.45", "0.03", "3", "0", "1", "1", "alice", "dn"),
        (1, "1", "s2", "/eos/cms/store/a.root", "xrootd", "681.33", "0", "5", "0", "1", "1", "bob", "dn"),
    ], columns)
    dbs = spark.createDataFrame([("/store/a.root", "/PD/Run-v1/AOD")], "f_logical_file_name string, d_dataset string")
    [total] = app.totals.dataset_totals(rows, dbs)
    assert (total["total_rt"], total["total_wt"], total["total_rb"]) == (10110.68178, 3e-05, 8 / 1024**2)
    assert float(Decimal("10110681.78")) / 1000 != 10110.68178  # the case is real: rounding twice is off


def test_failures(app: SimpleNamespace, run_main: Callable[..., Any], tmp_path: Path,
                  write_lines: Callable[..., Path]) -> None:
    seed(tmp_path, write_lines, [date(2026, 11, 2)])
    out = tmp_path / "out"
    environ = {"DATE": "2026-11-02", "EOS_PATH": str(tmp_path / "eos"), "DBS_PATH": str(tmp_path / "dbs"),
               "PARQUET_LOCATION": str(tmp_path / "ds"), "OUTPUT_DIR": str(out)}
    with pytest.raises(JobError) as info:
        run_main(environ)
    assert str(info.value) == f"OUTPUT_DIR {out} is not a directory; mount the totals volume there"
    out.mkdir()
    with pytest.raises(JobError) as info:
        run_main({**environ, "DATE": "2026-11-03"})
    assert str(info.value) == (f"no EOS reports for 2026-11-03: {tmp_path}/eos/2026/11/03 is missing or empty "
                               f"(1 of 1 day(s) missing); set ALLOW_MISSING_DAYS=1 to process the other days")
    with pytest.raises(JobError) as info:
        run_main({**environ, "DATE": "2026-11-03", "ALLOW_MISSING_DAYS": "1"})
    assert str(info.value) == f"no EOS reports for 2026-11-03..2026-11-03 under {tmp_path}/eos"
    with pytest.raises(JobError) as info:
        run_main({**environ, "DBS_DATE": "2026-11-05"})
    assert str(info.value) == (f"no complete DBS dump of 2026-11-05 under {tmp_path}/dbs "
                               f"(FILES and DATASETS with _SUCCESS)")
    with pytest.raises(JobError) as info:
        run_main({**environ, "DBS_PATH": str(tmp_path / "nodbs")})
    assert str(info.value) == f"no complete DBS dump at all under {tmp_path}/nodbs (FILES and DATASETS with _SUCCESS)"
    write_lines(tmp_path / "eos" / "2026/11/02", ["cut {", {"data": {"path": "/x"}}], name="part-1.json")
    with pytest.raises(JobError) as info:
        run_main(environ)
    assert str(info.value) == ("2 of 10 input lines are malformed (20.0% > MAX_MALFORMED_FRACTION 5.0%); "
                               "check the EOS report format")
