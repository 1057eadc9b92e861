"""crab-unique-users' own logic on small inputs, without a cluster: the window and configuration checks,
the selection and distinct-user counts of the README (calendar months, ISO weeks across a year), the
CSV and the chart (read back as bars), and the run's outcomes (Spark local, files in a temporary directory).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.checks import files
from jobkit.archive import Window, read_json_lines
from jobkit.config import load
from jobkit.errors import ConfigError, JobError

BAR_RGB = (31, 119, 180)  # tab:blue


def ms(day: date, hour: int = 12) -> int:
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=UTC).timestamp()) * 1000


def job(job_id: str, day: date, user: str | None = "alice", site: str = "T2_US_X", status: str = "Completed",
        kind: str = "analysis") -> dict[str, Any]:
    data: dict[str, Any] = {"GlobalJobId": job_id, "RecordTime": ms(day), "Status": status, "Type": kind,
                            "Site": site}
    if user is not None:
        data["CRAB_UserHN"] = user
    return {"data": data}


def test_default_window_is_the_twelve_months_before_the_run(app: SimpleNamespace) -> None:
    config = load(app.main.VARIABLES, {})
    assert app.main.window_for(config, date(2026, 11, 27)) == Window(date(2025, 11, 1), date(2026, 11, 1))
    config = load(app.main.VARIABLES, {"MONTHS": "2", "END_DATE": "2026-01-15"})
    assert app.main.window_for(config, date(2026, 11, 27)) == Window(date(2025, 11, 1), date(2026, 1, 15))


def test_bad_configuration(app: SimpleNamespace) -> None:
    with pytest.raises(ConfigError) as info:
        load(app.main.VARIABLES, {"MONTHS": "0"})
    assert str(info.value) == "MONTHS=0 is less than 1; allowed: 1 or more months"
    with pytest.raises(ConfigError) as info:
        app.main.check_config(load(app.main.VARIABLES, {"EXCLUDE_SITES": "T2_(CERN"}))
    assert str(info.value) == ("EXCLUDE_SITES='T2_(CERN' is not a regular expression (missing ), unterminated "
                               "subpattern at position 3); allowed: a regular expression such as ^T2_.*$")


def test_selection_and_periods_follow_the_readme(app: SimpleNamespace, spark: Any, tmp_path: Path,
                                                 write_lines: Callable[..., Path]) -> None:
    # 2025-12-29 (a Monday) starts ISO week 1 of 2026; 2025-12-28 is the last day of 2025-W52.
    write_lines(tmp_path, [
        job("1", date(2025, 12, 28), "alice"),
        job("1", date(2025, 12, 28), "alice"),                 # re-delivery
        job("2", date(2025, 12, 28), "bob"),
        job("3", date(2025, 12, 29), "alice"),
        job("4", date(2026, 1, 2), "carol"),
        job("5", date(2026, 1, 2), None),                      # selected, no user
        job("6", date(2026, 1, 2), "dave", site="T2_CH_CERN"),  # excluded site
        job("7", date(2026, 1, 2), "erin", site="T1_US_FNAL"),  # not included
        job("8", date(2026, 1, 2), "fred", status="Running"),
        job("9", date(2026, 1, 2), "gina", kind="production"),
        job("10", date(2026, 1, 5), "hank"),                   # after the window
        "{cut",
        {"data": {"GlobalJobId": "11", "Status": "Completed"}},  # no RecordTime
    ])
    selection = app.unique_users.Selection(Window(date(2025, 12, 1), date(2026, 1, 5)), "^T2_.*$", ".*_CERN.*")
    result = app.unique_users.count_users(
        read_json_lines(spark, [str(tmp_path)], app.unique_users.FIELDS, app.unique_users.REQUIRED), selection)
    assert result.rows == {
        "month": [{"year": 2025, "month": 12, "count_CRAB_UserHN": 2},
                  {"year": 2026, "month": 1, "count_CRAB_UserHN": 1}],
        "weekofyear": [{"year": 2025, "weekofyear": 52, "count_CRAB_UserHN": 2},
                       {"year": 2026, "weekofyear": 1, "count_CRAB_UserHN": 2}],
    }
    assert (result.lines, result.malformed, result.selected, result.without_user, result.users) == (13, 2, 6, 1, 3)


def test_csv_labels_and_chart(app: SimpleNamespace, tmp_path: Path) -> None:
    rows = [{"year": 2025, "weekofyear": 52, "count_CRAB_UserHN": 40}, {"year": 2026, "weekofyear": 1,
                                                                       "count_CRAB_UserHN": 10}]
    render_csv = app.outputs.csv_renderer(("year", "weekofyear", "count_CRAB_UserHN"))
    assert render_csv(rows) == b"year,weekofyear,count_CRAB_UserHN\n2025,52,40\n2026,1,10\n"
    assert app.outputs.bar_labels(rows, "weekofyear") == ["2025-52", "2026-01"]
    assert app.outputs.bar_labels(rows[1:], "weekofyear") == ["1"]
    png = tmp_path / "chart.png"
    png.write_bytes(app.outputs.plot_renderer("weekofyear", "title")(rows))
    assert files.png_size(png) == (1800, 850)
    tall, short = files.png_bars(png, BAR_RGB)
    assert abs(short - tall / 4) <= 1.5
    assert png.read_bytes() == app.outputs.plot_renderer("weekofyear", "title")(rows)  # no date, same bytes


def test_links_are_replaced_atomically(app: SimpleNamespace, tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("a")
    (tmp_path / "b.csv").write_text("b")
    app.outputs.replace_link(tmp_path / "latest.csv", "a.csv")
    app.outputs.replace_link(tmp_path / "latest.csv", "b.csv")
    assert os.readlink(tmp_path / "latest.csv") == "b.csv"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.csv", "b.csv", "latest.csv"]


def seed(root: Path, write_lines: Callable[..., Path], extra: list[Any] | None = None) -> None:
    for day in (date(2025, 12, 31), date(2026, 1, 1)):
        write_lines(root / f"{day:%Y/%m/%d}", [job(f"j{day.day}", day, f"user{day.day}"), *(extra or [])])


def test_run_writes_the_files_and_links(app: SimpleNamespace, run_main: Callable[..., Any], tmp_path: Path,
                                        write_lines: Callable[..., Path]) -> None:
    seed(tmp_path / "in", write_lines)
    out = tmp_path / "out"
    environ = {"INPUT_PATH": str(tmp_path / "in"), "OUTPUT_DIR": str(out), "START_DATE": "2025-12-31",
               "END_DATE": "2026-01-02"}
    ctx = run_main(environ)
    assert (ctx.records_in, ctx.records_out) == (2, 2 + 1)  # CSV rows: two months, one ISO week (2026-W01)
    stem = "UniqueUsersBy_{}_20251231-20260102"
    assert (out / f"{stem.format('month')}.csv").read_text() == (
        "year,month,count_CRAB_UserHN\n2025,12,1\n2026,1,1\n")
    assert (out / f"{stem.format('weekofyear')}.csv").read_text() == "year,weekofyear,count_CRAB_UserHN\n2026,1,2\n"
    assert os.readlink(out / "UniqueUsersBy_month_latest.png") == f"{stem.format('month')}.png"
    assert files.png_bars(out / f"{stem.format('month')}.png", BAR_RGB)[0] == files.png_bars(
        out / f"{stem.format('month')}.png", BAR_RGB)[1]
    dry_out = tmp_path / "dry"
    run_main({**environ, "OUTPUT_DIR": str(dry_out), "DRY_RUN": "1"})
    assert not dry_out.exists()


def test_failures(app: SimpleNamespace, run_main: Callable[..., Any], tmp_path: Path,
                  write_lines: Callable[..., Path]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    environ = {"INPUT_PATH": str(tmp_path / "in"), "START_DATE": "2025-12-31", "END_DATE": "2026-01-02",
               "OUTPUT_DIR": str(tmp_path / "out")}
    with pytest.raises(JobError) as info:
        run_main({**environ, "OUTPUT_DIR": str(blocker / "out")})
    assert str(info.value) == (f"output directory {blocker / 'out'} cannot be created (Not a directory); "
                               f"mount a writable volume there or set OUTPUT_DIR")
    with pytest.raises(JobError) as info:
        run_main(environ)
    assert str(info.value).startswith(f"input partition {tmp_path}/in/2025/12/31 for day 2025-12-31 ")
    seed(tmp_path / "in", write_lines, extra=["bad"])
    with pytest.raises(JobError) as info:
        run_main(environ)
    assert str(info.value) == ("2 of 4 input lines are malformed (50.0% > MAX_MALFORMED_FRACTION 5.0%); "
                               "check the condor input format")
    with pytest.raises(JobError) as info:
        run_main({**environ, "MAX_MALFORMED_FRACTION": "1", "INCLUDE_SITES": "^T3_"})
    assert str(info.value) == ("no completed CRAB job with a user at the selected sites in the window "
                               "2025-12-31..2026-01-02 (exclusive) in 2 partition(s); nothing to write")
