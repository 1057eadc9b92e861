"""The files crab-unique-users writes: a CSV and a PNG bar chart per grouping, and ``_latest`` links.

Every file is replaced whole through :class:`jobkit.sinks.files.FileSink` (temporary name, then rename),
so a reader of the output directory (the CMS web area on EOS) never sees half a file, and a re-run for the
same window replaces the same files. The chart has a fixed size (``FIGSIZE`` inches at
``DPI``, 1800x850 pixels) and no embedded software version or date, so the same rows give the same bytes.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display in a pod; select before anything imports pyplot
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from unique_users import COUNT_COLUMN

from jobkit.sinks.base import Record

FIGSIZE = (18.0, 8.5)  # inches, the original's figure size
DPI = 100  # FIGSIZE x DPI = 1800x850 pixels
BAR_COLOR = "tab:blue"


def replace_link(link: Path, target_name: str) -> None:
    """Point the symbolic link ``link`` at ``target_name`` (a name in the same directory), atomically.

    A relative target keeps the link valid wherever the directory is mounted.

    Args:
        link: the link's path.
        target_name: the file name it points to.
    """
    partial = link.with_name(f".{link.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    try:
        os.symlink(target_name, partial)
        partial.replace(link)
    finally:
        partial.unlink(missing_ok=True)


def csv_renderer(columns: Sequence[str]) -> Callable[[list[Record]], bytes]:
    """A renderer of rows as CSV: a header line with ``columns``, then one line per row, ``\\n`` endings.

    Args:
        columns: the columns, in order.

    Returns:
        The renderer.
    """
    def render(rows: list[Record]) -> bytes:
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=list(columns), lineterminator="\n", extrasaction="raise")
        writer.writeheader()
        writer.writerows(rows)
        return text.getvalue().encode()

    return render


def bar_labels(rows: list[Record], period: str) -> list[str]:
    """The x labels, as the original draws them: the period alone when every row has the same year,
    else ``YYYY-PP`` (period zero-padded to two digits).

    Args:
        rows: rows with ``year`` and ``period``.
        period: the period column (``month`` or ``weekofyear``).

    Returns:
        One label per row.
    """
    if len({row["year"] for row in rows}) == 1:
        return [str(row[period]) for row in rows]
    return [f"{row['year']}-{row[period]:02d}" for row in rows]


def plot_renderer(period: str, title: str) -> Callable[[list[Record]], bytes]:
    """A renderer of rows as a PNG bar chart of ``count_CRAB_UserHN`` per period.

    Args:
        period: the period column (``month`` or ``weekofyear``).
        title: the chart's title.

    Returns:
        The renderer.
    """
    def render(rows: list[Record]) -> bytes:
        # A Figure of its own, not pyplot: no global state, nothing left open between the two charts.
        figure = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        labels = bar_labels(rows, period)
        bars = axes.bar(labels, [row[COUNT_COLUMN] for row in rows], color=BAR_COLOR)
        axes.bar_label(bars, fontsize=8)
        axes.set_title(title)
        axes.set_xlabel(period)
        axes.set_ylabel(COUNT_COLUMN)
        axes.margins(x=0.01)
        if len(labels[0]) > 2:
            axes.tick_params(axis="x", labelrotation=30)
        out = io.BytesIO()
        # No Software/date metadata: the same rows give the same bytes, so a re-run changes nothing.
        figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
        return out.getvalue()

    return render
