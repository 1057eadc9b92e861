"""Files a job wrote to a host volume: CSV tables and PNG images."""

from __future__ import annotations

import csv
import struct
from pathlib import Path

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of the CSV file at ``path`` (first line = header), values as text."""
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


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
