"""HTCondor job records as the MONIT archive stores them: JSON lines, one directory per day.

Layout: ``/project/monitoring/archive/condor/raw/metric/YYYY/MM/DD/part-NNNNN.json`` (several part files per
day). Each line is ``{"data": {...}, "metadata": {...}}``; ``data`` carries the job ClassAd summary that
the cpueff, hpc-usage and crab-unique-users jobs read.

Consistency rules (tests rely on them):

- ``Status`` is one of Completed, Running, Idle, Removed, Held; ``JobStatus`` is the matching HTCondor code.
- ``JobFailed`` is 1 for Removed jobs and for Completed jobs with a non-zero ``ExitCode``, else 0.
- Idle jobs have not run: ``Site``/``Tier``/``Country`` are ``Unknown`` and all hours are 0.
- Otherwise ``Tier`` and ``Country`` are the first two parts of ``Site``.
- ``WallClockHr = RemoteWallClockTime/3600``, ``CoreHr = RequestCpus*WallClockHr``,
  ``CpuTimeHr = (RemoteUserCpu+RemoteSysCpu)/3600``, ``CpuEff = 100*CpuTimeHr/CoreHr`` when ``CoreHr > 0``
  (else 0), ``CpuEffOutlier`` is 1 when ``CoreHr == 0`` or ``CpuEff > 100``; ``HS06*`` hours are the plain
  hours times the site's HS06 factor; committed hours never exceed the plain ones.
- Analysis jobs carry ``CRAB_UserHN``, ``CRAB_Workflow``, ``CRAB_DataBlock`` (``/PD/Proc/TIER#uuid``);
  production jobs carry ``WMAgent_RequestName``, ``WMAgent_JobID``, ``WMAgent_TaskType``.
- ``MachineAttrCMSSubSiteName0`` is present only for jobs on an HPC centre reached through a shared site
  (e.g. ``KIT-HOREKA`` at ``T1_DE_KIT``).
- ``RecordTime`` (ms) lies inside the requested day, ``metadata.timestamp`` a few minutes after it, same day.
- About ``duplicate_rate`` of the records re-deliver an earlier record's ``data`` unchanged (new
  ``metadata``), as MONIT does; jobs deduplicate on ``GlobalJobId``.

Malformed input: ``corrupt=k`` adds k lines that are not records (cycling through: JSON cut in the middle,
a record whose ``data`` lacks ``GlobalJobId``/``RecordTime``/``Status``, and a line that is not JSON), at
seeded positions. The valid lines of the files are still exactly :func:`records`, in order.
"""

from __future__ import annotations

import random
import uuid
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from harness.datagen.archive import day_dir, to_line, with_redeliveries, write_day
from harness.datagen.corruption import interleave
from harness.datagen.seeding import derive_rng
from harness.datagen.sites import SITES, Site
from harness.datagen.writers import Sink

ROOT = "/project/monitoring/archive/condor/raw/metric"

T = TypeVar("T")

_STATUSES = ("Completed", "Running", "Idle", "Removed", "Held")
_STATUS_CUMULATIVE = (70, 82, 90, 96, 100)
_JOB_STATUS_CODE = {"Idle": 1, "Running": 2, "Removed": 3, "Completed": 4, "Held": 5}
# (values, cumulative weights)
_PRODUCTION_CPUS = ((1, 2, 4, 8), (30, 40, 75, 100))
_ANALYSIS_CPUS = ((1, 2, 4), (85, 90, 100))
_TASK_TYPES = ("Processing", "Production", "Merge", "LogCollect", "Cleanup")
_PRODUCTION_SCHEDDS = (
    "vocms0250.cern.ch",
    "vocms0253.cern.ch",
    "vocms0282.cern.ch",
    "cmsgwms-submit3.fnal.gov",
)
_ANALYSIS_TIERS = ("MINIAOD", "MINIAODSIM", "AOD", "NANOAOD")
_CRAB_SCHEDDS = ("crab3@vocms0122.cern.ch", "crab3@vocms0199.cern.ch", "crab3@vocms0155.cern.ch")
_MONIT_HOSTS = ("monit-amqsource-fafa51de8d.cern.ch", "monit-amqsource-1a2b3c4d5e.cern.ch")
_DAY_MS = 86_400_000
# Publication lag of MONIT after the record time; records are placed so that both stay in the same day.
_MAX_LAG_MS = 600_000
_RECENT_FOR_DUPLICATES = 32

PRIMARY_DATASETS = (
    "ZeroBias",
    "SingleMuon",
    "EGamma",
    "JetMET",
    "Muon",
    "DoubleMuon",
    "Tau",
    "BTagMu",
    "TTToSemiLeptonic_TuneCP5_13TeV-powheg-pythia8",
    "DYJetsToLL_M-50_TuneCP5_13TeV-madgraphMLM-pythia8",
    "GluGluHToGG_M125_TuneCP5_13TeV-amcatnloFXFX-pythia8",
    "QCD_Pt-15to7000_TuneCP5_Flat_13TeV_pythia8",
)
ACQUISITION_ERAS = ("Run2022C", "Run2022F", "Run2023D", "Run3Summer22MiniAODv4", "RunIISummer20UL18MiniAODv2")
_FIRST = ("ana", "ben", "carla", "dmitri", "elif", "farid", "gia", "hugo", "ines", "jun", "kofi", "lena")
_LAST = ("lopez", "mueller", "rossi", "kim", "novak", "singh", "dubois", "tanaka", "silva", "olsen")


def _users(seed: int, count: int) -> list[str]:
    """CMS user names (CRAB_UserHN), distinct."""
    rng = derive_rng(seed, "condor", "users")
    names = sorted({f"{first[0]}{last}" for first in _FIRST for last in _LAST})
    return rng.sample(names, min(count, len(names)))


def _block_name(rng: random.Random, pd: str, era: str, tier: str) -> str:
    return f"/{pd}/{era}-v{rng.randint(1, 3)}/{tier}#{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def _submission_stamp(rng: random.Random) -> str:
    """A ``YYMMDD_HHMMSS`` submission time as request and task names carry it."""
    day = f"{rng.randint(23, 26):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return f"{day}_{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}"


def _production_pool(seed: int, count: int) -> list[dict[str, str]]:
    """Production requests that jobs of the period belong to (shared by all days of a seed)."""
    rng = derive_rng(seed, "condor", "production")
    pool = []
    for i in range(count):
        pd, era = rng.choice(PRIMARY_DATASETS), rng.choice(ACQUISITION_ERAS)
        name = f"pdmvserv_{era}_{pd.split('_')[0]}_{_submission_stamp(rng)}_{i:04d}"
        pool.append({"Workflow": name, "ScheddName": rng.choice(_PRODUCTION_SCHEDDS)})
    return pool


def _analysis_pool(seed: int, count: int, users: list[str]) -> list[dict[str, str]]:
    """CRAB tasks that analysis jobs of the period belong to (shared by all days of a seed)."""
    rng = derive_rng(seed, "condor", "analysis")
    pool = []
    for i in range(count):
        user = users[i % len(users)] if i < len(users) else rng.choice(users)
        pd, era = rng.choice(PRIMARY_DATASETS), rng.choice(ACQUISITION_ERAS)
        workflow = f"{user}_crab_{pd.split('_')[0]}_{era}_{i:04d}"
        pool.append(
            {
                "Workflow": workflow,
                "ScheddName": rng.choice(_CRAB_SCHEDDS),
                "CRAB_UserHN": user,
                "CRAB_Workflow": f"{_submission_stamp(rng)}:{workflow}",
                "CRAB_DataBlock": _block_name(rng, pd, era, rng.choice(_ANALYSIS_TIERS)),
            }
        )
    return pool


def _hs06_factors(seed: int) -> dict[str, float]:
    """HS06 benchmark per core of each site (HS06 hours = hours x factor)."""
    rng = derive_rng(seed, "condor", "hs06")
    return {site.name: round(rng.uniform(8.0, 16.0), 2) for site in SITES}


def _day_start_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


# The per-record draws below use rng.random() directly: randrange/choice/choices cost several times more
# in Python code, and at a million records that is most of the run time. The bias of int(random() * k) is
# below 2**-53 * k, far under anything a test can observe.
def _below(rng: random.Random, k: int) -> int:
    """Uniform integer in [0, k)."""
    return int(rng.random() * k)


def _pick(rng: random.Random, options: Sequence[T]) -> T:
    """Uniform choice."""
    return options[int(rng.random() * len(options))]


def _weighted(rng: random.Random, options: Sequence[T], cumulative: Sequence[int]) -> T:
    """Choice with cumulative integer weights."""
    return options[bisect_right(cumulative, rng.random() * cumulative[-1])]


class _Generator:
    """State shared by the records of one (seed, n, day): pools, factors and the random stream."""

    def __init__(self, seed: int, n: int, day: date, stream: str = "records") -> None:
        self.rng = derive_rng(seed, "condor", stream, day.isoformat())
        users = _users(seed, max(5, min(120, n // 300)))
        self.production = _production_pool(seed, max(5, min(400, n // 200)))
        self.analysis = _analysis_pool(seed, max(5, min(400, n // 200)), users)
        self.hs06 = _hs06_factors(seed)
        self.n = n
        self.day_start = _day_start_ms(day)
        # Job cluster ids are unique per day and across days (up to 10^7 records a day).
        self.cluster_base = (day.toordinal() % 1000) * 10_000_000

    def record(self, i: int) -> dict[str, Any]:
        """The i-th distinct job record of the day."""
        rng = self.rng
        slot = (_DAY_MS - _MAX_LAG_MS) // self.n
        record_ms = self.day_start + i * slot + _below(rng, max(1, slot))
        status = _weighted(rng, _STATUSES, _STATUS_CUMULATIVE)
        job_type = "analysis" if rng.random() < 0.45 else "production"
        site: Site | None = None if status == "Idle" else _pick(rng, SITES)
        cpus = _weighted(rng, *(_ANALYSIS_CPUS if job_type == "analysis" else _PRODUCTION_CPUS))
        max_wall_mins = 1315 if job_type == "analysis" else 2880
        # Run times are log-normal (median about 3.7 h), capped by the job's wall-time limit.
        wall = 0 if status == "Idle" else min(max(60, int(rng.lognormvariate(9.5, 1.0))), max_wall_mins * 60)
        eff = rng.uniform(1.0, 1.2) if rng.random() < 0.01 else rng.triangular(0.05, 1.0, 0.85)
        cpu = int(wall * cpus * eff)
        user_cpu = cpu * 97 // 100
        exit_code = 0 if status != "Completed" or rng.random() < 0.9 else _pick(rng, (8001, 8021, 50664, 134))
        failed = 1 if status == "Removed" or exit_code != 0 else 0
        committed = wall if status == "Completed" and rng.random() >= 0.05 else wall * 6 // 10
        wall_hr, core_hr, cpu_hr = wall / 3600, cpus * wall / 3600, cpu / 3600
        cpu_eff = 100 * cpu_hr / core_hr if core_hr > 0 else 0.0
        hs06 = self.hs06[site.name] if site else 0.0
        queue_s = 30 + _below(rng, 7171)
        qdate_s = record_ms // 1000 - wall - queue_s
        workflow = _pick(rng, self.analysis if job_type == "analysis" else self.production)
        schedd = workflow["ScheddName"]
        data: dict[str, Any] = {
            "GlobalJobId": f"{schedd}#{self.cluster_base + i}.0#{qdate_s}",
            "RecordTime": record_ms,
            "Status": status,
            "JobStatus": _JOB_STATUS_CODE[status],
            "Type": job_type,
            "Site": site.name if site else "Unknown",
            "Tier": site.tier if site else "Unknown",
            "Country": site.country if site else "Unknown",
            "JobFailed": failed,
            "ExitCode": exit_code,
            "CpuEff": cpu_eff,
            "CpuEffOutlier": 1 if core_hr == 0 or cpu_eff > 100 else 0,
            "CoreHr": core_hr,
            "CpuTimeHr": cpu_hr,
            "WallClockHr": wall_hr,
            "CommittedCoreHr": cpus * committed / 3600,
            "CommittedWallClockHr": committed / 3600,
            "HS06CoreHr": core_hr * hs06,
            "HS06CpuTimeHr": cpu_hr * hs06,
            "RemoteWallClockTime": wall,
            "RemoteUserCpu": user_cpu,
            "RemoteSysCpu": cpu - user_cpu,
            "RequestCpus": cpus,
            "RequestMemory": 2000 * cpus,
            "MaxWallTimeMins": max_wall_mins,
            "QDate": qdate_s * 1000,
            "EnteredCurrentStatus": record_ms - _below(rng, 60_000),
            "Workflow": workflow["Workflow"],
            "ScheddName": schedd,
        }
        if wall > 0:
            data["ChirpCMSSWReadBytes"] = _below(rng, 5_000_000_000)
            data["ChirpCMSSWReadTimeMsecs"] = _below(rng, wall * 100)
            data["ChirpCMSSWElapsed"] = wall * 9 // 10
        if job_type == "analysis":
            data["CRAB_UserHN"] = workflow["CRAB_UserHN"]
            data["CRAB_Workflow"] = workflow["CRAB_Workflow"]
            data["CRAB_DataBlock"] = workflow["CRAB_DataBlock"]
            data["CRAB_Id"] = 1 + _below(rng, 5000)
        else:
            data["WMAgent_RequestName"] = workflow["Workflow"]
            data["WMAgent_JobID"] = str(1 + _below(rng, 9_999_999))
            data["WMAgent_TaskType"] = _pick(rng, _TASK_TYPES)
        if site and site.hpc_subsites and rng.random() < 0.3:
            data["MachineAttrCMSSubSiteName0"] = _pick(rng, site.hpc_subsites)
        return data

    def metadata(self, record_ms: int) -> dict[str, Any]:
        """MONIT envelope for a record published shortly after ``record_ms``."""
        rng = self.rng
        published = record_ms + 1_000 + _below(rng, _MAX_LAG_MS - 999)
        return {
            "_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "hostname": _pick(rng, _MONIT_HOSTS),
            "kafka_timestamp": published + 1 + _below(rng, 50),
            "partition": str(_below(rng, 20)),
            "producer": "condor",
            "timestamp": published,
            "topic": "condor_raw_metric",
            "type": "metric",
            "type_prefix": "raw",
            "version": "001",
        }


def records(seed: int, n: int, day: date, *, duplicate_rate: float = 0.01) -> Iterator[dict[str, Any]]:
    """Return the condor records of one day as a stream (arguments are checked at once).

    Args:
        seed: Seed; the same (seed, n, day, duplicate_rate) always gives the same records.
        n: Number of records (re-deliveries included), at least 1.
        day: The day the records belong to.
        duplicate_rate: Share of records that re-deliver an earlier record's ``data`` (0 disables).

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
    # A condor record is flat: a shallow copy shares nothing mutable.
    for data in with_redeliveries(gen.rng, n, duplicate_rate, gen.record, dict, _RECENT_FOR_DUPLICATES):
        yield {"data": data, "metadata": gen.metadata(data["RecordTime"])}


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
        data = bad.record(i)
        if i % 3 == 0:
            line = to_line({"data": data, "metadata": bad.metadata(data["RecordTime"])})
            return line[: len(line) // 2]
        if i % 3 == 1:
            for key in ("GlobalJobId", "RecordTime", "Status"):
                del data[key]
            return to_line({"data": data, "metadata": bad.metadata(bad.day_start)})
        return "<html><body>502 Bad Gateway</body></html>"

    valid = records(seed, n, day, duplicate_rate=duplicate_rate)
    placement = derive_rng(seed, "condor", "corrupt", day.isoformat())
    return interleave(map(to_line, valid), n, corrupt, placement, malformed)


def write(
    sink: Sink,
    seed: int,
    n: int,
    day: date,
    *,
    parts: int = 4,
    duplicate_rate: float = 0.01,
    corrupt: int = 0,
    root: str = ROOT,
) -> list[str]:
    """Write one day of :func:`lines` as ``parts`` JSON-lines files ``<root>/YYYY/MM/DD/part-0000N.json``.

    Args:
        sink: Where to write.
        seed: Seed.
        n: Number of valid records.
        day: Day (selects the directory and the record times).
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
    """Write several days with :func:`write` (each day has its own records).

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
