"""WMArchive framework job reports as the MONIT archive stores them: JSON lines, one directory per day.

Layout: ``/project/monitoring/archive/wmarchive/raw/metric/YYYY/MM/DD/part-NNNNN.json``. Each line is
``{"data": {...}, "metadata": {...}}`` with ``data.wmaid`` (32 hex digits), ``data.wmats`` (seconds, inside
the requested day), ``data.task``, ``data.meta_data.{host, ts, jobtype, jobstate, fwjr_id, agent_ver,
wn_name}`` and ``data.steps[]`` (``cmsRun*``, ``stageOut1``, ``logArch1``; each with ``name``, ``site``,
``status``, ``start``, ``stop``, ``errors``, ``output``, ``performance``).

Consistency rules: all steps of a report ran at one site, except that steps that never started have
``site: null`` (at least one step always names the site); ``meta_data.ts <= wmats``; ``jobstate`` is
``success`` when every step has status 0, else ``jobfailed``; ``meta_data.host`` is one of a small pool of
agents so per-host aggregation groups many reports; ``metadata.timestamp`` (ms) is a few minutes after
``wmats``, same day. About ``duplicate_rate`` of the lines re-deliver an earlier report's ``data`` (same
``wmaid``), as the wma-agent-count job expects and removes.

Malformed input: ``corrupt=k`` adds k lines that are not reports (JSON cut in the middle, a record whose
``data`` lacks ``wmaid``/``wmats``/``meta_data``, a line that is not JSON). The valid lines of the files
are still exactly :func:`records`, in order.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from harness.datagen.archive import day_dir, to_line, with_redeliveries, write_day
from harness.datagen.condor import ACQUISITION_ERAS, PRIMARY_DATASETS
from harness.datagen.corruption import interleave
from harness.datagen.seeding import derive_rng
from harness.datagen.sites import SITES
from harness.datagen.writers import Sink

ROOT = "/project/monitoring/archive/wmarchive/raw/metric"

AGENTS = (
    "vocms0255.cern.ch",
    "vocms0256.cern.ch",
    "vocms0281.cern.ch",
    "vocms0290.cern.ch",
    "cmssrv620.fnal.gov",
    "cmsgwms-submit6.fnal.gov",
    "submit-4.t2.ucsd.edu",
)
_JOB_TYPES = ("Processing", "Production", "Merge", "LogCollect", "Cleanup", "Harvesting")
_JOB_TYPE_WEIGHTS = (40, 25, 15, 10, 7, 3)
_DAY_S = 86_400
# wmats is placed so that MONIT's publication (up to this lag) stays in the same day.
_MAX_LAG_S = 600
_RECENT_FOR_DUPLICATES = 32


class _Generator:
    """Random stream and per-day constants for the reports of one (seed, n, day)."""

    def __init__(self, seed: int, n: int, day: date, stream: str = "records") -> None:
        self.rng = derive_rng(seed, "wmarchive", stream, day.isoformat())
        tasks = derive_rng(seed, "wmarchive", "tasks")
        self.tasks = [
            f"/pdmvserv_{tasks.choice(ACQUISITION_ERAS)}_{tasks.choice(PRIMARY_DATASETS).split('_')[0]}"
            f"_{i:04d}/StepOneProc"
            for i in range(max(5, min(300, n // 100)))
        ]
        self.n = n
        self.day_start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())

    def report(self, i: int) -> dict[str, Any]:
        """The i-th distinct report of the day."""
        rng = self.rng
        slot = (_DAY_S - _MAX_LAG_S) / self.n
        wmats = self.day_start + int(i * slot + rng.random() * slot)
        site = rng.choice(SITES).name
        job_type = rng.choices(_JOB_TYPES, _JOB_TYPE_WEIGHTS)[0]
        n_cmsrun = rng.choice((1, 1, 1, 2, 3)) if job_type in ("Processing", "Production") else 1
        names = [f"cmsRun{k + 1}" for k in range(n_cmsrun)] + ["stageOut1", "logArch1"]
        failed_step = rng.randrange(len(names)) if rng.random() < 0.12 else None
        stop = wmats - rng.randint(60, 3600)
        duration = rng.randint(600, 30_000)
        start = stop - duration
        era = rng.choice(ACQUISITION_ERAS)
        steps = []
        for k, name in enumerate(names):
            started = failed_step is None or k <= failed_step
            status = 0 if failed_step is None or k != failed_step else rng.choice((8001, 8021, 50660, 60307))
            step: dict[str, Any] = {
                "name": name,
                "site": site if started else None,
                "status": status if started else 99999,
                "start": start + k * duration // len(names) if started else None,
                "stop": start + (k + 1) * duration // len(names) if started else None,
                "errors": [{"exitCode": status, "type": "CMSSWStepFailure"}] if status else [],
                "output": [],
                "performance": {},
            }
            if name.startswith("cmsRun") and started:
                threads = rng.choice((1, 4, 8))
                job_time = float(duration // n_cmsrun)
                step["output"] = [{"acquisitionEra": era, "outputDataset": "", "events": rng.randint(0, 50_000)}]
                step["performance"] = {
                    "cpu": {
                        "NumberOfStreams": threads,
                        "NumberOfThreads": threads,
                        "TotalJobCPU": round(job_time * threads * rng.uniform(0.3, 0.95), 3),
                        "TotalJobTime": job_time,
                    }
                }
            steps.append(step)
        job_id = 1_000_000 + rng.randrange(9_000_000)
        return {
            "wmaid": f"{rng.getrandbits(128):032x}",
            "wmats": wmats,
            "task": rng.choice(self.tasks),
            "meta_data": {
                "agent_ver": "2.3.4",
                "fwjr_id": f"{job_id}-0",
                "host": rng.choice(AGENTS),
                "jobstate": "success" if failed_step is None else "jobfailed",
                "jobtype": job_type,
                "ts": stop,
                "wn_name": f"wn{rng.randrange(10_000):04d}.{site.split('_')[2].lower()}.example",
            },
            "steps": steps,
        }

    def metadata(self, wmats: int) -> dict[str, Any]:
        """MONIT envelope for a report archived at ``wmats``."""
        rng = self.rng
        published = wmats * 1000 + rng.randint(1_000, _MAX_LAG_S * 1000)
        return {
            "_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "producer": "wmarchive",
            "timestamp": published,
            "topic": "wmarchive_raw_metric",
            "type": "metric",
            "type_prefix": "raw",
            "version": "001",
        }


def records(seed: int, n: int, day: date, *, duplicate_rate: float = 0.01) -> Iterator[dict[str, Any]]:
    """Return the WMArchive records of one day as a stream (arguments are checked at once).

    Args:
        seed: Seed; the same (seed, n, day, duplicate_rate) always gives the same records.
        n: Number of records (re-deliveries included), at least 1.
        day: The day (``wmats`` lies inside it).
        duplicate_rate: Share of records that re-deliver an earlier report (0 disables).

    Returns:
        An iterator over ``{"data": {...}, "metadata": {...}}`` dicts, in file order.

    Raises:
        ValueError: If n < 1 or duplicate_rate is not in [0, 1).
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0 <= duplicate_rate < 1:
        raise ValueError(f"duplicate_rate must be in [0, 1), got {duplicate_rate}")
    return _records(seed, n, day, duplicate_rate)


def _records(seed: int, n: int, day: date, duplicate_rate: float) -> Iterator[dict[str, Any]]:
    """The generator behind :func:`records`."""
    gen = _Generator(seed, n, day)
    # A report nests meta_data and steps: a re-delivery gets its own deep copy.
    for data in with_redeliveries(gen.rng, n, duplicate_rate, gen.report, copy.deepcopy, _RECENT_FOR_DUPLICATES):
        yield {"data": data, "metadata": gen.metadata(data["wmats"])}


def lines(seed: int, n: int, day: date, *, duplicate_rate: float = 0.01, corrupt: int = 0) -> Iterator[str]:
    """Yield the file lines of one day: the JSON of :func:`records` plus ``corrupt`` malformed lines.

    Args:
        seed: Seed.
        n: Number of valid records.
        day: Day.
        duplicate_rate: See :func:`records`.
        corrupt: Number of malformed lines to mix in (kinds in the module docstring).

    Returns:
        Iterator over ``n + corrupt`` lines without newline.

    Raises:
        ValueError: If corrupt < 0 (and as :func:`records`).
    """
    bad = _Generator(seed, n, day, stream="malformed")

    def malformed(i: int) -> str:
        data = bad.report(i)
        if i % 3 == 0:
            line = to_line({"data": data, "metadata": bad.metadata(data["wmats"])})
            return line[: len(line) // 2]
        if i % 3 == 1:
            for key in ("wmaid", "wmats", "meta_data"):
                del data[key]
            return to_line({"data": data, "metadata": bad.metadata(bad.day_start)})
        return "Traceback (most recent call last):"

    valid = records(seed, n, day, duplicate_rate=duplicate_rate)
    placement = derive_rng(seed, "wmarchive", "corrupt", day.isoformat())
    return interleave(map(to_line, valid), n, corrupt, placement, malformed)


def write(
    sink: Sink,
    seed: int,
    n: int,
    day: date,
    *,
    parts: int = 2,
    duplicate_rate: float = 0.01,
    corrupt: int = 0,
    root: str = ROOT,
) -> list[str]:
    """Write one day of :func:`lines` as JSON-lines files ``<root>/YYYY/MM/DD/part-0000N.json``.

    Args:
        sink: Where to write.
        seed: Seed.
        n: Number of valid records.
        day: Day.
        parts: Number of part files (fewer when there are fewer lines); reading them in name order gives
            :func:`lines` in order.
        duplicate_rate: See :func:`records`.
        corrupt: Number of malformed lines to mix in.
        root: Archive root.

    Returns:
        The paths written, in order.
    """
    stream = lines(seed, n, day, duplicate_rate=duplicate_rate, corrupt=corrupt)
    return write_day(sink, day_dir(root, day), stream, n + corrupt, parts)


def write_days(sink: Sink, seed: int, n_per_day: int, days: Iterable[date], **options: Any) -> list[str]:
    """Write several days with :func:`write` (each day has its own reports).

    Args:
        sink: Where to write.
        seed: Seed.
        n_per_day: Valid records per day.
        days: The days.
        options: Passed to :func:`write`.

    Returns:
        All paths written.
    """
    return [path for day in days for path in write(sink, seed, n_per_day, day, **options)]
