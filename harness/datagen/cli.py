"""``harness datagen``: write generated inputs to a local directory or to HDFS over WebHDFS.

Attach to the harness CLI with ``main.add_command(datagen)``; also runnable as ``python -m harness.datagen``.
"""

from __future__ import annotations

import getpass
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import click

from harness.datagen import condor, dbs, eos, rucio, used_space, wmarchive
from harness.datagen.writers import HdfsSink, LocalDirSink, Producer, Sink
from harness.errors import HarnessError
from harness.toolchain.progress import say, step

SOURCES = ("condor", "wmarchive", "dbs", "rucio", "eos", "used-space")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _sink(local: Path | None, webhdfs: str | None, user: str) -> Sink:
    """The sink chosen on the command line (exactly one of a directory or a loopback WebHDFS URL)."""
    if local is not None and webhdfs is None:
        return LocalDirSink(local)
    if local is not None or webhdfs is None:
        raise click.UsageError("give exactly one of --local DIR or --webhdfs URL")
    if urlsplit(webhdfs).hostname not in _LOOPBACK:
        raise HarnessError(f"--webhdfs {webhdfs}: test services run on loopback only; use http://127.0.0.1:PORT")
    from hdfs import InsecureClient

    return HdfsSink(InsecureClient(webhdfs, user=user))


class _Announcing:
    """Sink wrapper that reports each file as it is written (a million records take minutes)."""

    def __init__(self, inner: Sink) -> None:
        self.inner = inner

    def put(self, path: str, produce: Producer) -> None:
        """Write through the wrapped sink, then say so."""
        started = time.monotonic()
        self.inner.put(path, produce)
        say(f"    wrote {path} ({time.monotonic() - started:.1f}s)")


@click.command("datagen")
@click.option(
    "--source",
    "sources",
    type=click.Choice([*SOURCES, "all"]),
    multiple=True,
    default=["all"],
    show_default=True,
    help="What to generate (repeatable).",
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--size",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Records per day (condor, wmarchive, eos) or catalogue files (dbs, rucio; eos paths join with it).",
)
@click.option(
    "--day",
    type=click.DateTime(["%Y-%m-%d"]),
    required=True,
    help="Last day of job records; snapshot day of the DBS/Rucio dumps.",
)
@click.option(
    "--days", type=click.IntRange(min=1), default=1, show_default=True, help="Days of job records, ending at --day."
)
@click.option(
    "--corrupt",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Malformed input to add per file set (see each source's documentation).",
)
@click.option("--local", type=click.Path(file_okay=False, path_type=Path), help="Directory standing for /.")
@click.option("--webhdfs", help="WebHDFS address of the test HDFS, e.g. http://127.0.0.1:9870.")
@click.option("--user", default=getpass.getuser, show_default="current user", help="HDFS user (with --webhdfs).")
def datagen(
    sources: tuple[str, ...],
    seed: int,
    size: int,
    day: datetime,
    days: int,
    corrupt: int,
    local: Path | None,
    webhdfs: str | None,
    user: str,
) -> None:
    """Write deterministic CMS-shaped test inputs at the production path layout."""
    sink = _Announcing(_sink(local, webhdfs, user))
    last = day.date()
    record_days = [last - timedelta(days=k) for k in range(days - 1, -1, -1)]
    chosen = SOURCES if "all" in sources else tuple(dict.fromkeys(sources))
    for source in chosen:
        with step(f"datagen {source}: seed {seed}, size {size}, day {last}"):
            if source == "condor":
                paths = condor.write_days(sink, seed, size, record_days, corrupt=corrupt)
            elif source == "wmarchive":
                paths = wmarchive.write_days(sink, seed, size, record_days, corrupt=corrupt)
            elif source == "dbs":
                paths = dbs.write(sink, seed, size, last, corrupt=corrupt)
            elif source == "rucio":
                paths = rucio.write(sink, seed, size, last, corrupt=corrupt)
            elif source == "eos":  # its paths join with a DBS/Rucio catalogue of --size files
                paths = eos.write_days(sink, seed, size, record_days, catalog_files=size, corrupt=corrupt)
            else:  # used-space: one OpenMetrics file of daily samples over the days (promtool backfills it)
                paths = [used_space.write(sink, seed, record_days[0], last)]
        for path in paths:
            click.echo(path)
