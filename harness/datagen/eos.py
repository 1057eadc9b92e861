"""EOS file-access reports as the MONIT archive stores them: JSON lines, one directory per day.

Layout: ``/project/monitoring/archive/eos-report/logs/cms/YYYY/MM/DD/part-NNNNN.json``. Each line is
``{"data": {...}, "metadata": {...}}``: ``data`` is one EOS close report (the ``key=value&...`` report line
an EOS storage server writes when a file is closed) split into its fields, every value a string as MONIT
stores them, e.g. ``path``, ``td`` (the client session), ``rb``/``wb`` (bytes read/written), ``rt``/``wt``
(read/write time in ms), ``ots``/``cts`` (open/close time, s), ``csize``, ``sec.name`` (account),
``sec.info`` (certificate DN), ``sec.app`` (client application); ``metadata.timestamp`` (ms) is when MONIT
received it. The eos-dataset job reads these.

Consistency rules (tests rely on them):

- Paths of catalogue files are ``/eos/cms`` + a ``LOGICAL_FILE_NAME`` of the DBS/Rucio catalogue
  (:mod:`~harness.datagen.catalog`) with the same seed and ``catalog_files``, so they join with DBS; about
  ``foreign_rate`` of the reports are about files no catalogue knows (user, group and log areas).
  Popular catalogue files are read far more often than the rest.
- A session (``td``, ``<account>.<pid>:<fd>@<client host>``) is one client process: its reports share the
  account, DN, client host and application, and a session reads several files. Production accounts start
  with ``cms`` (``cmsprd``, ...); people have personal accounts.
- Catalogue files are only read (``wb`` = ``wt`` = 0) with ``csize`` equal to the catalogue size;
  foreign files are read or written. ``rb_min <= rb_max <= rb``, ``ots <= cts``.
- ``metadata.timestamp`` is a few seconds after ``cts``; both lie inside the requested day.

Malformed input: ``corrupt=k`` adds k lines that are not usable reports (cycling through: JSON cut in the
middle, a record whose ``data`` lacks ``path``, and a bare ``key=value&...`` report line that is not JSON),
at seeded positions. The valid lines of the files are still exactly :func:`records`, in order.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from harness.datagen import catalog
from harness.datagen.archive import day_dir, to_line, write_day
from harness.datagen.corruption import interleave
from harness.datagen.seeding import derive_rng
from harness.datagen.writers import Sink

ROOT = "/project/monitoring/archive/eos-report/logs/cms"
EOS_PREFIX = "/eos/cms"

T = TypeVar("T")

_DAY_S = 86_400
# MONIT receives a report a few seconds after the close; reports are placed so both stay in the same day.
_MAX_LAG_MS = 30_000
_FST_HOSTS = tuple(f"p0{6253900 + 37 * k}y{92600 + 11 * k}.cern.ch" for k in range(12))
_PRODUCTION_ACCOUNTS = ("cmsprd", "cmsprod", "cmst0", "cmsphedex")
_PERSONAL_ACCOUNTS = ("amaltaro", "jdoe", "kmohrman", "lrossi", "mkim", "nsingh", "pdubois", "ttanaka", "vlimant")
_PRODUCTION_DN = "/DC=ch/DC=cern/OU=Organic Units/OU=Users/CN=cmsprd/CN=663277/CN=Robot: CMS Production"
# Client applications as EOS reports them (sec.app); empty when the client does not say.
_PRODUCTION_APPS = ("", "xrdcp", "cmsRun")
_PERSONAL_APPS = ("", "fuse", "xrdcp", "eoscp", "cmsRun", "root")
_PROTOCOLS = ("gsi", "krb5", "https")
_CLIENT_HOSTS = ("b7g18p{:04d}.cern.ch", "lxplus{:03d}.cern.ch", "vocms{:04d}.cern.ch", "cmsgwms-wn{:04d}.fnal.gov")
_FOREIGN_AREAS = ("user", "group/phys_higgs", "group/dpg_tracker", "unified/www/joblogs", "cmst3/user")
_REPORT_KEYS_FOR_RAW = ("log", "path", "ruid", "rgid", "td", "host", "ots", "cts", "rb", "wb", "rt", "wt")


def _pick(rng: random.Random, options: Sequence[T]) -> T:
    """Uniform choice; ``random()`` based, several times cheaper than ``choice`` at a million draws."""
    return options[int(rng.random() * len(options))]


@dataclass(frozen=True)
class _Session:
    """One client process: whose it is and what it runs."""

    td: str
    account: str
    dn: str
    app: str
    client: str
    protocol: str
    ruid: str


def joinable_files(seed: int, n_files: int, day: date) -> list[tuple[str, int]]:
    """The catalogue files that reports can name: ``(LOGICAL_FILE_NAME, size)`` in catalogue order.

    Args:
        seed: Seed of the DBS/Rucio dumps to join with.
        n_files: Their catalogue size (``n_files`` of :func:`harness.datagen.dbs.write`).
        day: Any day (catalogue names and sizes do not depend on it).

    Returns:
        The files.
    """
    return [(f.lfn, f.size) for ds in catalog.datasets(seed, n_files, day) for b in ds.blocks for f in b.files]


class _Generator:
    """Sessions, catalogue and random stream of the reports of one (seed, n, day)."""

    def __init__(self, seed: int, n: int, day: date, files: list[tuple[str, int]], stream: str = "records") -> None:
        self.rng = derive_rng(seed, "eos", stream, day.isoformat())
        self.files = files
        self.n = n
        self.day_start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        self.sessions = self._sessions(derive_rng(seed, "eos", "sessions", day.isoformat()), max(4, n // 6))

    @staticmethod
    def _sessions(rng: random.Random, count: int) -> list[_Session]:
        sessions = []
        for _ in range(count):
            production = rng.random() < 0.4
            account = _pick(rng, _PRODUCTION_ACCOUNTS if production else _PERSONAL_ACCOUNTS)
            client = _pick(rng, _CLIENT_HOSTS).format(rng.randrange(1, 1000))
            dn = _PRODUCTION_DN if production else (
                f"/DC=ch/DC=cern/OU=Organic Units/OU=Users/CN={account}/CN={rng.randrange(100_000, 999_999)}"
                f"/CN={account.capitalize()}" if rng.random() < 0.8 else ""
            )
            sessions.append(_Session(
                td=f"{account}.{rng.randrange(100, 99_999)}:{rng.randrange(10, 999)}@{client.split('.')[0]}",
                account=account,
                dn=dn,
                app=_pick(rng, _PRODUCTION_APPS if production else _PERSONAL_APPS),
                client=client,
                protocol=_pick(rng, _PROTOCOLS),
                ruid=str(rng.randrange(10_000, 150_000)),
            ))
        return sessions

    def _path(self, session: _Session, foreign_rate: float) -> tuple[str, int | None]:
        """A path to report and the catalogue size of its file (None for a file outside the catalogue)."""
        rng = self.rng
        if rng.random() >= foreign_rate:
            # Squaring a uniform draw favours the first files: a few popular files, a long tail.
            lfn, size = self.files[int(rng.random() ** 2 * len(self.files))]
            return EOS_PREFIX + lfn, size
        area = _pick(rng, _FOREIGN_AREAS)
        owner = f"{session.account}/" if area in ("user", "cmst3/user") else ""
        name = uuid.UUID(int=rng.getrandbits(128), version=4)
        return f"{EOS_PREFIX}/store/{area}/{owner}{name}.{_pick(rng, ('root', 'root', 'log', 'tar.gz'))}", None

    def report(self, i: int, foreign_rate: float) -> tuple[dict[str, str], int]:
        """The i-th close report of the day and its MONIT timestamp (ms)."""
        rng = self.rng
        session = _pick(rng, self.sessions)
        path, catalogue_size = self._path(session, foreign_rate)
        slot = (_DAY_S - _MAX_LAG_MS // 1000 - 1) / self.n
        cts = self.day_start + int(i * slot + rng.random() * slot)
        ctms = int(rng.random() * 1000)
        ots = max(self.day_start, cts - int(rng.lognormvariate(4.5, 1.5)))
        writes = catalogue_size is None and rng.random() < 0.3
        csize = catalogue_size if catalogue_size is not None else 1_000 + int(rng.random() * 3_000_000_000)
        rb = 0 if writes else max(1, int(csize * rng.uniform(0.001, 1.5)))
        wb = csize if writes else 0
        calls = max(1, (rb or wb) // 262_144)
        rb_min = min(rb, 100 + int(rng.random() * 4_000)) if rb else 0
        rb_max = min(rb, max(rb_min, 262_144 + int(rng.random() * 786_432))) if rb else 0
        rt = f"{rng.uniform(0.01, 20.0) * calls:.2f}" if rb else "0.00"
        wt = f"{rng.uniform(0.05, 40.0) * calls:.2f}" if wb else "0.00"
        data = {
            "log": str(uuid.UUID(int=rng.getrandbits(128), version=1)),
            "path": path,
            "ruid": session.ruid,
            "rgid": "1399",
            "td": session.td,
            "host": _pick(rng, _FST_HOSTS),
            "lid": "1048850",
            "fid": str(int(rng.random() * 2_000_000_000)),
            "fsid": str(1 + int(rng.random() * 30_000)),
            "ots": str(ots),
            "otms": str(int(rng.random() * 1000)),
            "cts": str(cts),
            "ctms": str(ctms),
            "nrc": str(calls if rb else 0),
            "nwc": str(calls if wb else 0),
            "rb": str(rb),
            "rb_min": str(rb_min),
            "rb_max": str(rb_max),
            "rb_sigma": f"{(rb_max - rb_min) / 3:.2f}",
            "wb": str(wb),
            "wb_min": str(min(wb, 65_536)),
            "wb_max": str(min(wb, 4_194_304)),
            "wb_sigma": "0.00",
            "rt": rt,
            "wt": wt,
            "osize": str(0 if writes else csize),
            "csize": str(csize),
            "sec.prot": session.protocol,
            "sec.name": session.account,
            "sec.host": session.client,
            "sec.vorg": "cms" if session.protocol == "gsi" else "",
            "sec.grps": "cms" if session.protocol == "gsi" else "",
            "sec.role": "",
            "sec.info": session.dn,
            "sec.app": session.app,
        }
        return data, cts * 1000 + ctms + 1 + int(rng.random() * (_MAX_LAG_MS - 1))

    def metadata(self, timestamp_ms: int) -> dict[str, Any]:
        """MONIT envelope for a report received at ``timestamp_ms``."""
        rng = self.rng
        return {
            "_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "host": f"eoscms-srv-{_pick(rng, ('m1', 'b1', 'b2'))}.cern.ch",
            "json": "true",
            "kafka_timestamp": timestamp_ms + 1 + int(rng.random() * 500),
            "partition": str(int(rng.random() * 20)),
            "path": "cms",
            "producer": "eos",
            "timestamp": timestamp_ms,
            "topic": "eos_report_logs",
            "type": "report",
            "type_prefix": "logs",
        }

    def record(self, i: int, foreign_rate: float) -> dict[str, Any]:
        """The i-th record: report plus envelope."""
        data, timestamp = self.report(i, foreign_rate)
        return {"data": data, "metadata": self.metadata(timestamp)}


def _check(n: int, catalog_size: int, foreign_rate: float) -> None:
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if catalog_size < 1:
        raise ValueError(f"catalog_files must be at least 1, got {catalog_size}")
    if not 0 <= foreign_rate <= 1:
        raise ValueError(f"foreign_rate must be in [0, 1], got {foreign_rate}")


def records(
    seed: int, n: int, day: date, *, catalog_files: int = 1000, foreign_rate: float = 0.15
) -> Iterator[dict[str, Any]]:
    """Return the EOS reports of one day as a stream (arguments are checked at once).

    Args:
        seed: Seed; also the seed of the catalogue the paths come from (use the DBS dump's seed).
        n: Number of reports, at least 1.
        day: The day the reports belong to.
        catalog_files: Size of the catalogue (``n_files`` of the DBS dump to join with).
        foreign_rate: Share of reports about files outside the catalogue.

    Returns:
        An iterator over ``{"data": {...}, "metadata": {...}}`` dicts, in file order.

    Raises:
        ValueError: If n < 1, catalog_files < 1 or foreign_rate is not in [0, 1].
    """
    _check(n, catalog_files, foreign_rate)
    return _records(seed, n, day, catalog_files, foreign_rate)


def _records(seed: int, n: int, day: date, catalog_size: int, foreign_rate: float) -> Iterator[dict[str, Any]]:
    """The generator behind :func:`records`."""
    gen = _Generator(seed, n, day, joinable_files(seed, catalog_size, day))
    for i in range(n):
        yield gen.record(i, foreign_rate)


def raw_line(data: dict[str, str]) -> str:
    """The report as EOS writes it before MONIT splits it: ``key=value&...`` (a subset of the keys).

    Args:
        data: A report's ``data``.

    Returns:
        The line.
    """
    return "&".join(f"{key}={data[key]}" for key in _REPORT_KEYS_FOR_RAW)


def lines(
    seed: int,
    n: int,
    day: date,
    *,
    catalog_files: int = 1000,
    foreign_rate: float = 0.15,
    corrupt: int = 0,
) -> Iterator[str]:
    """Yield the file lines of one day: the JSON of :func:`records` plus ``corrupt`` malformed lines.

    Args:
        seed: Seed.
        n: Number of valid reports.
        day: Day.
        catalog_files: See :func:`records`.
        foreign_rate: See :func:`records`.
        corrupt: Number of malformed lines to mix in (kinds in the module docstring).

    Returns:
        Iterator over ``n + corrupt`` lines without newline.

    Raises:
        ValueError: If corrupt < 0 (and as :func:`records`).
    """
    valid = records(seed, n, day, catalog_files=catalog_files, foreign_rate=foreign_rate)
    bad = _Generator(seed, max(1, corrupt), day, joinable_files(seed, 1, day), stream="malformed")

    def malformed(i: int) -> str:
        record = bad.record(i, foreign_rate)
        if i % 3 == 0:
            line = to_line(record)
            return line[: len(line) // 2]
        if i % 3 == 1:
            del record["data"]["path"]
            return to_line(record)
        return raw_line(record["data"])

    placement = derive_rng(seed, "eos", "corrupt", day.isoformat())
    return interleave(map(to_line, valid), n, corrupt, placement, malformed)


def write(
    sink: Sink,
    seed: int,
    n: int,
    day: date,
    *,
    catalog_files: int = 1000,
    foreign_rate: float = 0.15,
    parts: int = 2,
    corrupt: int = 0,
    root: str = ROOT,
) -> list[str]:
    """Write one day of :func:`lines` as JSON-lines files ``<root>/YYYY/MM/DD/part-0000N.json``.

    Args:
        sink: Where to write.
        seed: Seed (the DBS dump's seed, so paths join with its FILES).
        n: Number of valid reports.
        day: Day.
        catalog_files: See :func:`records`.
        foreign_rate: See :func:`records`.
        parts: Number of part files (fewer when there are fewer lines); reading them in name order gives
            :func:`lines` in order.
        corrupt: Number of malformed lines to mix in.
        root: Archive root.

    Returns:
        The paths written, in order.
    """
    stream = lines(seed, n, day, catalog_files=catalog_files, foreign_rate=foreign_rate, corrupt=corrupt)
    return write_day(sink, day_dir(root, day), stream, n + corrupt, parts)


def write_days(sink: Sink, seed: int, n_per_day: int, days: Iterable[date], **options: Any) -> list[str]:
    """Write several days with :func:`write` (each day has its own reports).

    Args:
        sink: Where to write.
        seed: Seed.
        n_per_day: Valid reports per day.
        days: The days.
        options: Passed to :func:`write`.

    Returns:
        All paths written.
    """
    return [path for day in days for path in write(sink, seed, n_per_day, day, **options)]
