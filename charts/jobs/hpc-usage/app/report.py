"""The monthly report of hpc-usage: rows from the exact daily sums, rendered as CSV and HTML, written
atomically to the report directory.

Per month of the window, two files: ``csv/YYYY-MM.csv`` (one row per HPC site and day) and
``html/YYYY-MM.html`` (a monthly table per site, then the daily table). Numbers are decimals rounded
half-up: daily values to 0.1 as CMS rounds them, monthly values to 0.01. The files hold nothing that
changes between runs over the same input (no timestamp), so a re-run writes the same bytes.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from hpc_usage import HPC_SITES, DaySums

from jobkit.sinks.base import Sink
from jobkit.sinks.files import FileSink

BINS_PER_DAY = 24 * 60 // 12
DAILY_COLUMNS = ("Site", "month", "dayofmonth", "sum CoreHr", "running_cores_daily_avg")
MONTHLY_COLUMNS = ("Site", "month", "sum CoreHr", "running_cores_monthly_avg")
DAILY = Decimal("0.1")
MONTHLY = Decimal("0.01")


@dataclass(frozen=True)
class MonthReport:
    """One month of the report.

    Attributes:
        month: ``YYYY-MM``.
        days: the month's days inside the window (all of them once the month is complete).
        daily: one row per (site, day), sites in :data:`HPC_SITES` order, then by day.
        monthly: one row per site: sum of the daily core hours, mean of the daily running cores.
    """

    month: str
    days: list[date]
    daily: list[dict[str, str]]
    monthly: list[dict[str, str]]


def _rounded(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def build(sums: Iterable[DaySums], days: Sequence[date]) -> list[MonthReport]:
    """The month reports of the window's ``days`` (every HPC site, every day; days without records are 0).

    Args:
        sums: the exact per (site, day) sums.
        days: the window's days, oldest first.

    Returns:
        One report per month that has a day in the window, oldest first.
    """
    by_key = {(s.site, s.day): s for s in sums}
    months: dict[str, list[date]] = {}
    for day in days:
        months.setdefault(f"{day:%Y-%m}", []).append(day)
    reports = []
    for month, month_days in months.items():
        daily: list[dict[str, str]] = []
        monthly: list[dict[str, str]] = []
        for site in HPC_SITES:
            core_hours: list[Decimal] = []
            cores: list[Decimal] = []
            for day in month_days:
                found = by_key.get((site, day))
                core_hours.append(_rounded(found.core_hours if found else Decimal(0), DAILY))
                cores.append(_rounded((found.bin_cores if found else Decimal(0)) / BINS_PER_DAY, DAILY))
                daily.append({"Site": site, "month": month, "dayofmonth": str(day.day),
                              "sum CoreHr": str(core_hours[-1]), "running_cores_daily_avg": str(cores[-1])})
            monthly.append({"Site": site, "month": month, "sum CoreHr": str(_rounded(sum(core_hours, Decimal(0)),
                                                                                      MONTHLY)),
                            "running_cores_monthly_avg": str(_rounded(sum(cores, Decimal(0)) / len(cores), MONTHLY))})
        reports.append(MonthReport(month, month_days, daily, monthly))
    return reports


def render_csv(report: MonthReport) -> bytes:
    """The month's CSV: header :data:`DAILY_COLUMNS`, one row per (site, day), ``\\n`` line ends."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DAILY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(report.daily)
    return out.getvalue().encode()


def _table(table_id: str, columns: Sequence[str], rows: Iterable[dict[str, str]]) -> list[str]:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    lines = [f'<table id="{table_id}">', f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    lines += ["<tr>" + "".join(f"<td>{html.escape(row[c])}</td>" for c in columns) + "</tr>" for row in rows]
    return [*lines, "</tbody>", "</table>"]


def render_html(report: MonthReport, csv_name: str) -> bytes:
    """The month's HTML page: the monthly table (``id="monthly"``) and the daily one (``id="daily"``)."""
    first, last = report.days[0], report.days[-1]
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        f"<title>HPC usage {report.month}</title>",
        "<style>table{border-collapse:collapse}th,td{border:1px solid #999;padding:2px 6px;text-align:right}"
        "</style>",
        "</head>",
        "<body>",
        f"<h1>HPC core hours and running cores, {report.month}</h1>",
        f"<p>Days {first} to {last} (UTC). Source data: <a href=\"../csv/{html.escape(csv_name)}\">"
        f"{html.escape(csv_name)}</a>.</p>",
        "<h2>Monthly</h2>",
        *_table("monthly", MONTHLY_COLUMNS, report.monthly),
        "<h2>Daily</h2>",
        *_table("daily", DAILY_COLUMNS, report.daily),
        "</body>",
        "</html>",
    ]
    return ("\n".join(lines) + "\n").encode()


def month_sinks(output_dir: Path, report: MonthReport) -> list[tuple[Sink, list[dict[str, str]]]]:
    """The two files of a month and the rows each holds.

    Args:
        output_dir: the report directory.
        report: the month.

    Returns:
        (sink, rows) for the CSV, then for the HTML page.
    """
    csv_name = f"{report.month}.csv"
    return [
        (FileSink(output_dir / "csv" / csv_name, lambda _: render_csv(report)), report.daily),
        (FileSink(output_dir / "html" / f"{report.month}.html", lambda _: render_html(report, csv_name)),
         [*report.monthly, *report.daily]),
    ]
