"""Files a job wrote: CSV tables and PNG images (on a host volume, or their text read from a claim)."""

from __future__ import annotations

import csv
import io
import struct
from pathlib import Path

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of the CSV file at ``path`` (first line = header), values as text."""
    return csv_rows(path.read_text())


def csv_rows(text: str) -> list[dict[str, str]]:
    """The rows of CSV ``text`` (first line = header), values as text (e.g. a file read from a claim)."""
    return list(csv.DictReader(io.StringIO(text, newline="")))


def png_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` in pixels of the PNG at ``path``.

    Raises:
        ValueError: when the file is not a PNG (wrong signature or no IHDR chunk first).
    """
    head = path.read_bytes()[:24]
    if len(head) < 24 or head[:8] != _PNG_SIGNATURE or head[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG image (bad signature or missing IHDR)")
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def png_bars(path: Path, color: tuple[int, int, int]) -> list[int]:
    """The heights in pixels of the vertical bars drawn in ``color`` in the PNG at ``path``, left to right.

    A bar is a run of pixel columns that hold the colour; its height is the most pixels of that colour in
    one of its columns (edge columns are blended with the background). This reads what a bar chart shows
    (how many bars, how tall relative to each other) without depending on the exact bytes a renderer writes.

    Args:
        path: the image.
        color: the bars' RGB colour, e.g. matplotlib's ``tab:blue`` (31, 119, 180).

    Returns:
        One height per bar.
    """
    from PIL import Image  # only the tests that read images need Pillow

    with Image.open(path) as image:
        rgb = image.convert("RGB")
    width, height = rgb.size
    columns = []
    for x in range(width):
        colors = rgb.crop((x, 0, x + 1, height)).getcolors(height) or []
        columns.append(next((count for count, found in colors if found == color), 0))
    bars: list[int] = []
    run: list[int] = []
    for count in [*columns, 0]:
        if count:
            run.append(count)
        elif run:
            bars.append(max(run))
            run = []
    return bars
