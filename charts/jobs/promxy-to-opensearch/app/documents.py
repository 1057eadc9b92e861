"""From range-query series to used-space documents: one document per (series, evaluation time).

A document keeps the original job's fields: ``timestamp`` (the evaluation time, UTC, ISO 8601 with
``Z``), the series' labels ``rse``, ``rse_type``, ``country``, ``rucioInstance`` and ``source`` (null when
the series lacks one), ``tier`` (the first two characters of ``rse``) and ``used_bytes`` (the value).
Its id is the sha1 of ``[rse, timestamp, rucioInstance, source]``: the same sample always lands on the
same document, and two sources of one RSE (Rucio's accounting and the storage report) stay apart.

Skipped, and counted: series without an ``rse`` label (instance-wide totals: the original crashed on
them) and samples whose value is NaN or infinite (not valid JSON numbers: OpenSearch rejected them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jobkit.errors import JobError
from jobkit.ids import key_id

KEY_FIELDS = ("rse", "timestamp", "rucioInstance", "source")
doc_id = key_id(*KEY_FIELDS)
LABELS = ("rse", "rse_type", "country", "rucioInstance", "source")
# Explicit mapping: a dynamic one maps used_bytes as float (24-bit mantissa: petabytes lose gigabytes)
# and the labels as text (no terms aggregation per RSE).
MAPPINGS = {
    "properties": {
        "timestamp": {"type": "date", "format": "strict_date_time_no_millis"},
        "rse": {"type": "keyword", "ignore_above": 256},
        "rse_type": {"type": "keyword", "ignore_above": 64},
        "tier": {"type": "keyword", "ignore_above": 8},
        "country": {"type": "keyword", "ignore_above": 64},
        "rucioInstance": {"type": "keyword", "ignore_above": 64},
        "source": {"type": "keyword", "ignore_above": 64},
        "used_bytes": {"type": "double"},
    }
}


@dataclass
class Flattened:
    """The documents of an answer and what was left out.

    Attributes:
        documents: the documents, in answer order.
        samples: every sample received.
        series: every series received (a series split over chunks counts once per chunk).
        no_rse_series: series skipped for lacking an ``rse`` label.
        no_rse_samples: their samples.
        non_finite: samples skipped for a NaN or infinite value.
    """

    documents: list[dict[str, Any]] = field(default_factory=list)
    samples: int = 0
    series: int = 0
    no_rse_series: int = 0
    no_rse_samples: int = 0
    non_finite: int = 0


def iso_utc(seconds: float) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` of an epoch time (whole seconds, as the original truncated them)."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def document(labels: Mapping[str, str], seconds: float, value: float) -> dict[str, Any]:
    """The document of one sample.

    Args:
        labels: the series' labels.
        seconds: the evaluation time.
        value: the sample's value (finite).

    Returns:
        The document (without id).
    """
    rse = labels["rse"]
    return {
        "timestamp": iso_utc(seconds),
        "rse": rse,
        "rse_type": labels.get("rse_type"),
        "tier": rse[:2],
        "country": labels.get("country"),
        "rucioInstance": labels.get("rucioInstance"),
        "source": labels.get("source"),
        "used_bytes": value,
    }


def flatten(series: Iterable[Mapping[str, Any]]) -> Flattened:
    """Documents of every sample of ``series`` (a range query's ``result``), skipping what cannot be one.

    Args:
        series: ``[{"metric": {...}, "values": [[t, "v"], ...]}, ...]``.

    Returns:
        The documents and the counts.

    Raises:
        JobError: when two series give the same document id (they differ only in labels the document
            does not keep, so one would silently overwrite the other): the query must aggregate them.
    """
    out = Flattened()
    owners: dict[str, Mapping[str, str]] = {}
    for item in series:
        labels: Mapping[str, str] = item.get("metric") or {}
        values = item.get("values") or []
        out.series += 1
        out.samples += len(values)
        if not labels.get("rse"):
            out.no_rse_series += 1
            out.no_rse_samples += len(values)
            continue
        for ts, text in values:
            value = float(text)
            if not math.isfinite(value):
                out.non_finite += 1
                continue
            doc = document(labels, float(ts), value)
            key = doc_id(doc)
            owner = owners.setdefault(key, labels)
            if owner != labels:
                raise JobError(f"two series give the document of rse={doc['rse']} timestamp={doc['timestamp']} "
                               f"rucioInstance={doc['rucioInstance']} source={doc['source']}: "
                               f"{dict(owner)} and {dict(labels)}; aggregate them in PROM_QUERY (e.g. max by "
                               f"({', '.join(LABELS)}) (...))")
            out.documents.append(doc)
    return out
