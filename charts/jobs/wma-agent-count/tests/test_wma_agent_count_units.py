"""wma-agent-count's own logic on small inputs, without a cluster: the window, the configuration checks,
the per (day, host) aggregation rules of the README and the run's outcomes (Spark local, dry run).

The end-to-end test (test_wma_agent_count.py) checks the same rules against the real services.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from jobkit.archive import Window
from jobkit.config import load
from jobkit.errors import ConfigError, JobError

SINK = {"SINK_KIND": "opensearch", "SINK_URL": "http://127.0.0.1:9200"}
DAY = 86_400


def ts(day: date, hour: int = 0) -> int:
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=UTC).timestamp())


def report(wmaid: str, day: date, host: str = "agent1", sites: list[str | None] | None = None,
           hour: int = 6) -> dict[str, Any]:
    data: dict[str, Any] = {"wmaid": wmaid, "wmats": ts(day, hour), "meta_data": {"host": host}}
    if sites is not None:
        data["steps"] = [{"site": site} if site else {} for site in sites]
    return {"data": data}


def config_error(app: SimpleNamespace, environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as info:
        load(app.main.VARIABLES, {**SINK, **environ})
    return str(info.value)


def test_default_window_is_days_minus_10_to_minus_4(app: SimpleNamespace) -> None:
    config = load(app.main.VARIABLES, SINK)
    assert app.main.window_for(config, date(2026, 11, 23)) == Window(date(2026, 11, 13), date(2026, 11, 20))
    config = load(app.main.VARIABLES, {**SINK, "END_DATE": "2026-11-01"})
    assert app.main.window_for(config, date(2026, 11, 23)) == Window(date(2026, 10, 25), date(2026, 11, 1))


@pytest.mark.parametrize(("environ", "reason"), [
    ({"START_DATE": "2026-11-05", "END_DATE": "2026-11-05"},
     "START_DATE=2026-11-05 is not before END_DATE=2026-11-05 (END_DATE is exclusive); allowed: START_DATE < END_DATE"),
    ({"END_DATE": "2026-11-25"},
     "END_DATE=2026-11-25 lies in the future; allowed: a day up to tomorrow (exclusive end)"),
])
def test_bad_window(app: SimpleNamespace, environ: dict[str, str], reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        app.main.window_for(load(app.main.VARIABLES, {**SINK, **environ}), date(2026, 11, 23))
    assert str(info.value) == reason


def test_bad_variables_fail_with_one_line(app: SimpleNamespace) -> None:
    assert config_error(app, {"SINK_URL": "ftp://127.0.0.1:21"}) == (
        "SINK_URL='ftp://127.0.0.1:21' is not a URL with scheme http or https and a host; "
        "allowed: http://host:port, https://host:port")
    assert config_error(app, {"HDFS_URL": "hdfs:///x"}) == (
        "HDFS_URL='hdfs:///x' is not a URL with scheme hdfs or viewfs or file and a host; "
        "allowed: hdfs://host:port, viewfs://cluster, file:///")
    assert config_error(app, {"LATE_DAYS": "-1"}) == "LATE_DAYS=-1 is negative; allowed: 0 or more days"
    assert config_error(app, {"MAX_MALFORMED_FRACTION": "1.5"}) == (
        "MAX_MALFORMED_FRACTION=1.5 is outside [0, 1]; allowed: a number from 0 to 1")


def test_aggregation_follows_the_readme(app: SimpleNamespace, spark: Any, tmp_path: Path,
                                        write_lines: Callable[..., Path]) -> None:
    day1, day2 = date(2026, 11, 2), date(2026, 11, 3)
    write_lines(tmp_path / "a", [
        report("r1", day1, sites=["T1_A", "T2_B", None]),      # site: last step naming one -> T2_B
        report("r1", day1, sites=["T1_A", "T2_B", None]),      # re-delivery: counts once
        report("r2", day1, sites=["T1_A"]),
        report("r3", day1),                                    # no steps: 0 steps, UNKNOWN
        report("r4", day1, host="agent2", sites=[None, None]),  # no step names a site: UNKNOWN
        report("r5", day2, sites=["T2_C"], hour=23),
        report("r6", date(2026, 11, 4), sites=["T2_C"]),       # after the window
        report("r7", date(2026, 11, 1), sites=["T2_C"]),       # before the window
        "not json",
        '{"data": {"wmaid": "cut", ',
        {"data": {"wmats": ts(day1), "meta_data": {"host": "agent1"}}},     # no wmaid
        {"data": {"wmaid": "x", "meta_data": {"host": "agent1"}}},          # no wmats
        {"data": {"wmaid": "y", "wmats": ts(day1)}},                         # no host
    ])
    docs, stats = app.agent_count.aggregate(app.agent_count.reports(spark, [str(tmp_path / "a")]),
                                            Window(day1, date(2026, 11, 4)))
    assert docs == [
        {"wmats_midday": ts(day1, 12), "day": "2026-11-02", "host": "agent1", "count": 3,
         "avg_steps_count": (3 + 1 + 0) / 3, "sites": ["T1_A", "T2_B", "UNKNOWN"]},
        {"wmats_midday": ts(day1, 12), "day": "2026-11-02", "host": "agent2", "count": 1,
         "avg_steps_count": 2.0, "sites": ["UNKNOWN"]},
        {"wmats_midday": ts(day2, 12), "day": "2026-11-03", "host": "agent1", "count": 1,
         "avg_steps_count": 1.0, "sites": ["T2_C"]},
    ]
    assert (stats.lines, stats.malformed, stats.in_window, stats.duplicates) == (13, 5, 6, 1)
    assert stats.malformed_fraction == 5 / 13


def seed(root: Path, write_lines: Callable[..., Path], days: list[date], extra: list[Any] | None = None) -> None:
    for n, day in enumerate(days):
        write_lines(root / f"{day:%Y/%m/%d}", [report(f"w{n}", day, sites=["T2_X"]), *(extra or [])])


def test_dry_run_writes_each_document_to_the_month_of_its_day(
        app: SimpleNamespace, run_main: Callable[..., Any], tmp_path: Path, write_lines: Callable[..., Path],
        job_events: Callable[[str], list[dict[str, Any]]]) -> None:
    days = [date(2026, 10, 30), date(2026, 10, 31), date(2026, 11, 1)]
    seed(tmp_path, write_lines, days)
    ctx = run_main({**SINK, "INPUT_PATH": str(tmp_path), "START_DATE": "2026-10-30", "END_DATE": "2026-11-02",
                    "INDEX_PREFIX": "wac", "LATE_DAYS": "0"}, ["--test"])
    assert (ctx.records_in, ctx.records_out) == (3, 3)
    would = {fields["target"]: fields["records"] for fields in job_events("dry run: would write")}
    assert would == {"opensearch index wac-2026-10": 2, "opensearch index wac-2026-11": 1}
    assert job_events("partitions") == [{"read": 3, "missing_window_days": [], "missing_neighbours": []}]


def test_missing_window_day_fails_unless_allowed(app: SimpleNamespace, run_main: Callable[..., Any],
                                                 tmp_path: Path, write_lines: Callable[..., Path]) -> None:
    seed(tmp_path, write_lines, [date(2026, 11, 2)])
    environ = {**SINK, "INPUT_PATH": str(tmp_path), "START_DATE": "2026-11-02", "END_DATE": "2026-11-04",
               "LATE_DAYS": "1", "DRY_RUN": "1"}
    with pytest.raises(JobError) as info:
        run_main(environ)
    assert str(info.value) == (
        f"input partition {tmp_path}/2026/11/03 for day 2026-11-03 of the window 2026-11-02..2026-11-04 "
        f"(exclusive) is missing or empty (1 day(s) missing); set ALLOW_MISSING_DAYS=1 to aggregate without them")
    assert run_main({**environ, "ALLOW_MISSING_DAYS": "1"}).records_out == 1


def test_too_many_malformed_lines_or_no_report_fail(app: SimpleNamespace, run_main: Callable[..., Any],
                                                    tmp_path: Path, write_lines: Callable[..., Path]) -> None:
    seed(tmp_path / "bad", write_lines, [date(2026, 11, 2)], extra=["oops"])
    environ = {**SINK, "START_DATE": "2026-11-02", "END_DATE": "2026-11-03", "LATE_DAYS": "0", "DRY_RUN": "1"}
    with pytest.raises(JobError) as info:
        run_main({**environ, "INPUT_PATH": str(tmp_path / "bad")})
    assert str(info.value) == ("1 of 2 input lines are malformed (50.0% > MAX_MALFORMED_FRACTION 5.0%); "
                               "check the WMArchive input format")
    write_lines(tmp_path / "late" / "2026/11/02", [report("w", date(2026, 11, 5))])
    with pytest.raises(JobError) as info:
        run_main({**environ, "INPUT_PATH": str(tmp_path / "late")})
    assert str(info.value) == ("no WMArchive report inside the window 2026-11-02..2026-11-03 (exclusive) in "
                               "1 partition(s); nothing to write")
