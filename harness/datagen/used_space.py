"""Rucio used space per RSE as a daily Prometheus series, the input of the promxy-to-opensearch job.

In CMS an exporter reports Rucio's RSE usage as ``rucio_report_used_space`` (labels ``rse``, ``rse_type``,
``country``, ``rucioInstance``, ``source``) and a recording rule keeps its daily average,
``avg_over_time:rucio_report_used_space:1d``; promxy serves it to the job. This module generates that
recorded series: one sample per series at 00:00 UTC of each day from ``first`` to ``last`` (inclusive),
and writes it as OpenMetrics text, which ``promtool tsdb create-blocks-from openmetrics`` turns into TSDB
blocks that a real Prometheus then serves (:func:`write_blocks`).

Series: per active RSE of :func:`harness.datagen.rucio.rses` one with ``source="rucio"`` (Rucio's
accounting) and, for DISK RSEs, one with ``source="srr"`` (the storage's own report); a few RSEs also in
the integration instance (``rucioInstance="int"``). Values are byte counts averaged over a day (fractional),
petabytes at T0/T1 and tape, hundreds of terabytes at T2, growing slowly with daily noise. Each value is a
pure function of (seed, series, day), so overlapping ranges agree on shared days.

What a consumer must cope with, all deterministic for (seed, first, last):

- the deleted RSE (``T2_RU_ITEP``) stops reporting after the first third of the range, and the temporary
  RSE (``T2_US_Purdue_Temp``) starts after two thirds;
- about 2 % of the (series, day) samples are missing (the exporter was down);
- one sample is NaN (the middle day of the first T2 ``srr`` series: the storage report was empty);
- one series has no ``rse`` label: the instance-wide total of Rucio's accounting.

:func:`records` yields exactly the samples written, NaN included, in file order.
"""

from __future__ import annotations

import math
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from harness.datagen.rucio import rses
from harness.datagen.seeding import derive_rng
from harness.datagen.writers import Sink, text_lines
from harness.errors import HarnessError

METRIC = "avg_over_time:rucio_report_used_space:1d"
JOB = "rucio-used-space-exporter"
INSTANCES = ("prod", "int")
# RSEs the integration instance also knows (it mirrors a few production RSEs).
INT_RSES = ("T1_US_FNAL_Disk", "T2_CH_CERN", "T2_DE_DESY_Test")
RETIRED_RSE = "T2_RU_ITEP"
LATE_RSE = "T2_US_Purdue_Temp"
MISSING_RATE = 0.02
_DAY_S = 86_400
_TB = 1e12
# Typical used space by kind of RSE, in terabytes (low, high): tape and T0/T1 disk hold far more.
_SIZES_TB = {"TAPE": (40_000.0, 150_000.0), "T0": (8_000.0, 20_000.0), "T1": (4_000.0, 12_000.0),
             "T2": (300.0, 3_000.0)}


@dataclass(frozen=True)
class Series:
    """One generated time series.

    Attributes:
        labels: its labels without ``__name__``, sorted by name.
        samples: (epoch seconds, value) pairs in time order; a value may be NaN.
    """

    labels: Mapping[str, str]
    samples: tuple[tuple[int, float], ...]


def midnight(day: date) -> int:
    """00:00 UTC of ``day`` in epoch seconds.

    Args:
        day: the day.

    Returns:
        Epoch seconds.
    """
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def _labels(rse: str | None, rse_type: str, instance: str, source: str) -> dict[str, str]:
    labels = {"aggregate": "avg_over_time", "job": JOB, "rse_type": rse_type, "rucioInstance": instance,
              "source": source}
    if rse is not None:
        labels |= {"rse": rse, "country": rse.split("_")[1]}
    return dict(sorted(labels.items()))


def _identities(seed: int) -> list[dict[str, str]]:
    """The label sets of every series except the total, in file order."""
    found = []
    for rse in rses(seed):
        found.append(_labels(rse.name, rse.rse_type, "prod", "rucio"))
        if rse.rse_type == "DISK":
            found.append(_labels(rse.name, rse.rse_type, "prod", "srr"))
        if rse.name in INT_RSES:
            found.append(_labels(rse.name, rse.rse_type, "int", "rucio"))
    return found


def _value(seed: int, labels: Mapping[str, str], day: date) -> float:
    """Used bytes of one series on one day: a base size growing ~0.1 %/day, with daily noise."""
    key = ",".join(f"{k}={v}" for k, v in labels.items())
    base_rng = derive_rng(seed, "used_space", "base", key)
    kind = "TAPE" if labels.get("rse_type") == "TAPE" else labels.get("rse", "T2")[:2]
    low, high = _SIZES_TB.get(kind, _SIZES_TB["T2"])
    base = base_rng.uniform(low, high) * _TB
    age = (day - date(2020, 1, 1)).days
    noise = derive_rng(seed, "used_space", "day", key, day.isoformat()).gauss(0.0, 0.004)
    # A daily average of byte counts: fractional, like avg_over_time's result.
    return base * (1.0 + 0.001 * age / 30) * (1.0 + noise) + 0.5


def series(seed: int, first: date, last: date) -> list[Series]:
    """Every series of the range ``first``..``last`` (inclusive), in file order.

    Args:
        seed: the seed (RSE names come from :func:`harness.datagen.rucio.rses` of it).
        first: first day with samples.
        last: last day with samples (inclusive).

    Returns:
        The series; see the module docstring for their quirks.

    Raises:
        ValueError: when ``last`` is before ``first``.
    """
    if last < first:
        raise ValueError(f"last day {last} is before first day {first}")
    days = _days(first, last)
    third = len(days) // 3
    nan_at: tuple[str, int] | None = None
    found: list[Series] = []
    for labels in _identities(seed):
        rse = labels["rse"]
        active = days[: third + 1] if rse == RETIRED_RSE else days[2 * third:] if rse == LATE_RSE else days
        gaps = derive_rng(seed, "used_space", "gaps", *labels.values(), first.isoformat(), last.isoformat())
        samples = []
        for day in active:
            if gaps.random() < MISSING_RATE:
                continue
            value = _value(seed, labels, day)
            if nan_at is None and rse.startswith("T2_") and labels["source"] == "srr" and day == days[len(days) // 2]:
                nan_at, value = (rse, midnight(day)), math.nan
            samples.append((midnight(day), value))
        found.append(Series(labels, tuple(samples)))
    total: dict[int, float] = {}
    for item in found:
        if item.labels["source"] == "rucio" and item.labels["rucioInstance"] == "prod":
            for ts, value in item.samples:
                total[ts] = total.get(ts, 0.0) + value
    found.append(Series(_labels(None, "ALL", "prod", "rucio"), tuple(sorted(total.items()))))
    return found


def records(seed: int, first: date, last: date) -> Iterator[dict[str, Any]]:
    """Every sample written, in file order: ``{"labels": {...}, "timestamp": s, "value": float}``.

    Args:
        seed: the seed.
        first: first day.
        last: last day (inclusive).

    Returns:
        An iterator of samples (``labels`` without ``__name__``; ``value`` may be NaN).
    """
    for item in series(seed, first, last):
        for ts, value in item.samples:
            yield {"labels": dict(item.labels), "timestamp": ts, "value": value}


def _number(value: float) -> str:
    # repr round-trips a float exactly; OpenMetrics spells NaN as "NaN".
    return "NaN" if math.isnan(value) else repr(value)


def openmetrics(seed: int, first: date, last: date) -> Iterator[str]:
    """The series as OpenMetrics text lines (one gauge family, samples with timestamps, ``# EOF``).

    Args:
        seed: the seed.
        first: first day.
        last: last day (inclusive).

    Returns:
        An iterator of lines without line breaks.
    """
    yield f"# HELP {METRIC} Rucio used space per RSE, daily average (bytes)."
    yield f"# TYPE {METRIC} gauge"
    for item in series(seed, first, last):
        labels = ",".join(f'{name}="{value}"' for name, value in item.labels.items())
        for ts, value in item.samples:
            yield f"{METRIC}{{{labels}}} {_number(value)} {ts}"
    yield "# EOF"


def write(sink: Sink, seed: int, first: date, last: date, path: str = "/prometheus/used-space.om") -> str:
    """Write the OpenMetrics text of the range to ``path`` through ``sink``.

    Args:
        sink: where the file goes.
        seed: the seed.
        first: first day.
        last: last day (inclusive).
        path: the file's path.

    Returns:
        The path written.
    """
    sink.put(path, text_lines(openmetrics(seed, first, last)))
    return path


def write_blocks(promtool: Path, tsdb_dir: Path, seed: int, first: date, last: date) -> None:
    """Backfill the range into TSDB blocks under ``tsdb_dir`` (a Prometheus started on it serves them).

    Args:
        promtool: the promtool binary (``harness.toolchain.tools.ensure("promtool")``).
        tsdb_dir: the Prometheus storage directory (created when missing).
        seed: the seed.
        first: first day.
        last: last day (inclusive).

    Raises:
        HarnessError: when promtool rejects the input, with its output.
    """
    tsdb_dir.mkdir(parents=True, exist_ok=True)
    source = tsdb_dir.parent / f"{tsdb_dir.name}.om"
    source.write_text("\n".join(openmetrics(seed, first, last)) + "\n")
    try:
        done = subprocess.run([str(promtool), "tsdb", "create-blocks-from", "openmetrics", "--quiet", str(source),
                               str(tsdb_dir)], capture_output=True, text=True, check=False)
    finally:
        source.unlink(missing_ok=True)
    if done.returncode != 0:
        raise HarnessError(f"promtool could not backfill {METRIC} into {tsdb_dir} (exit {done.returncode}): "
                           f"{(done.stderr or done.stdout).strip()}")
