"""jobkit.archive (window arithmetic, the missing-day verdict) and jobkit.sinks.files (atomic replace)."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import pytest

from jobkit.archive import LineCounts, Partitions, Window, counted, day_dir, window_of
from jobkit.config import Var, load
from jobkit.errors import ConfigError, JobError
from jobkit.sinks.files import FileSink, replace_file

WINDOW = Window(date(2026, 11, 1), date(2026, 11, 4))


def test_window_days_and_bounds() -> None:
    assert WINDOW.days() == [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    assert WINDOW.bounds() == (1_793_491_200, 1_793_750_400)  # date -ud 2026-11-01 +%s, and 2026-11-04
    assert WINDOW.bounds_ms() == (1_793_491_200_000, 1_793_750_400_000)
    assert day_dir("/archive/", date(2026, 11, 2)) == "/archive/2026/11/02"


def test_a_missing_window_day_fails_with_one_line_unless_allowed() -> None:
    parts = Partitions(["/a/2026/11/01"], [(date(2026, 11, 2), "/a/2026/11/02"), (date(2026, 11, 3), "/a/2026/11/03")])
    with pytest.raises(JobError) as failed:
        parts.require(WINDOW, "/a", allow_missing=False, without="count without them")
    assert str(failed.value) == (
        "input partition /a/2026/11/02 for day 2026-11-02 of the window 2026-11-01..2026-11-04 (exclusive) is "
        "missing or empty (2 day(s) missing); set ALLOW_MISSING_DAYS=1 to count without them")
    parts.require(WINDOW, "/a", allow_missing=True, without="count without them")  # allowed: goes on


WINDOW_VARS = (Var("START_DATE", "date"), Var("END_DATE", "date"))


def test_window_of_the_dates_with_the_job_defaults() -> None:
    def week_before(end: date) -> date:
        return date.fromordinal(end.toordinal() - 7)

    today = date(2026, 11, 23)
    assert window_of(load(WINDOW_VARS, {}), today, date(2026, 11, 20), week_before) == Window(
        date(2026, 11, 13), date(2026, 11, 20))
    assert window_of(load(WINDOW_VARS, {"START_DATE": "2026-11-01", "END_DATE": "2026-11-24"}), today,
                     date(2026, 11, 20), week_before) == Window(date(2026, 11, 1), date(2026, 11, 24))
    with pytest.raises(ConfigError, match=r"^START_DATE=2026-11-20 is not before END_DATE=2026-11-20 "):
        window_of(load(WINDOW_VARS, {"START_DATE": "2026-11-20"}), today, date(2026, 11, 20), week_before)
    with pytest.raises(ConfigError, match=r"^END_DATE=2026-11-25 lies in the future; "):
        window_of(load(WINDOW_VARS, {"END_DATE": "2026-11-25"}), today, date(2026, 11, 20), week_before)


def test_line_counts_and_the_malformed_limit() -> None:
    assert LineCounts(0, 0).malformed_fraction == 0.0
    LineCounts(100, 5).require_well_formed(0.05, "condor input")  # at the limit: fine
    with pytest.raises(JobError) as failed:
        LineCounts(100, 6).require_well_formed(0.05, "condor input")
    assert str(failed.value) == ("6 of 100 input lines are malformed (6.0% > MAX_MALFORMED_FRACTION 5.0%); "
                                 "check the condor input format")
    assert counted({"lines": 3, "malformed": None}, "lines", "malformed") == (3, 0)


def test_nothing_to_read_fails_even_when_missing_days_are_allowed() -> None:
    with pytest.raises(JobError, match=r"^no input partition for the window 2026-11-01..2026-11-04 \(exclusive\) "
                                       r"under /a$"):
        Partitions([], [(day, day_dir("/a", day)) for day in WINDOW.days()]).require(WINDOW, "/a", True, "go on")


def test_replace_file_is_atomic_readable_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "2026-11.csv"
    replace_file(target, b"old\n")
    replace_file(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["2026-11.csv"]


def test_replace_file_removes_the_temporary_a_killed_run_left(tmp_path: Path) -> None:
    target = tmp_path / "2026-11.csv"
    (tmp_path / ".2026-11.csv.partial-41").write_bytes(b"half a fi")  # a run SIGKILLed mid-write
    (tmp_path / ".2026-12.csv.partial-41").write_bytes(b"other")  # another file's: not this write's business
    replace_file(target, b"whole\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".2026-12.csv.partial-41", "2026-11.csv"]
    assert target.read_bytes() == b"whole\n"


def test_an_unwritable_place_is_a_job_error(tmp_path: Path) -> None:
    """E.g. the volume is not mounted and a plain file stands where the directory should be."""
    (tmp_path / "eos").write_text("")
    with pytest.raises(JobError, match=r"^could not write .*/eos/out.csv: File exists$"):
        replace_file(tmp_path / "eos" / "out.csv", b"x")


def test_file_sink_renders_the_rows_and_counts_them(tmp_path: Path) -> None:
    sink = FileSink(tmp_path / "users.csv", lambda rows: "".join(f"{row['user']}\n" for row in rows).encode())
    result = sink.write(iter([{"user": "alice"}, {"user": "bob"}]))
    assert (result.target, result.written) == (f"file {tmp_path / 'users.csv'}", 2)
    assert (tmp_path / "users.csv").read_text() == "alice\nbob\n"
