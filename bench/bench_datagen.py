"""Benchmark: time and peak memory to generate test data into a local directory.

By default: 1k, 100k and 1M condor records. ``--sources`` adds others (for dbs and rucio the size is the
number of catalogue files). Each (source, size) runs in a fresh Python process so its peak resident memory
(``ru_maxrss``) is its own; the interpreter plus imports alone is reported as the baseline. CPU time is
reported beside wall time because on a machine shared with other work wall time alone misleads.

Usage: python bench/bench_datagen.py [--sizes 1000 100000 1000000] [--sources condor rucio] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

DAY = date(2026, 11, 20)
SOURCES = ("condor", "wmarchive", "dbs", "rucio")


def _measure_one(source: str, n: int, seed: int, out: Path) -> dict[str, object]:
    """Generate n records of one source into ``out`` (runs inside the child process)."""
    from harness.datagen import condor, dbs, rucio, wmarchive
    from harness.datagen.writers import LocalDirSink, Sink

    writers: dict[str, Callable[[Sink, int, int, date], list[str]]] = {
        "condor": condor.write,
        "wmarchive": wmarchive.write,
        "dbs": dbs.write,
        "rucio": rucio.write,
    }
    sink = LocalDirSink(out)
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    paths = writers[source](sink, seed, n, DAY)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "source": source,
        "records": n,
        "seconds": seconds,
        "cpu_seconds": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "records_per_s": n / seconds,
        "peak_rss_mib": after.ru_maxrss / 1024,
        "baseline_rss_mib": before.ru_maxrss / 1024,
        "bytes": sum(sink.local_path(p).stat().st_size for p in paths),
        "files": len(paths),
    }


def _row(cells: tuple[object, ...]) -> str:
    return " ".join(f"{cell!s:>12}" for cell in cells)


def main() -> int:
    """Run the benchmark; print a table, then the figures as one JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    parser.add_argument("--sources", nargs="+", choices=SOURCES, default=["condor"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", nargs=2, metavar=("SOURCE", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(_measure_one(args.child[0], int(args.child[1]), args.seed, args.out)))
        return 0
    results = []
    print(_row(("source", "records", "wall s", "CPU s", "records/s", "peak RSS MiB", "baseline MiB", "MiB out")))
    for source in args.sources:
        for n in args.sizes:
            with tempfile.TemporaryDirectory(prefix="bench-datagen-") as out:
                child = subprocess.run(
                    [sys.executable, __file__, "--child", source, str(n), "--seed", str(args.seed), "--out", out],
                    check=True,
                    capture_output=True,
                    text=True,
                )
            result = json.loads(child.stdout)
            results.append(result)
            cells = (
                source,
                n,
                f"{result['seconds']:.2f}",
                f"{result['cpu_seconds']:.2f}",
                f"{result['records_per_s']:.0f}",
                f"{result['peak_rss_mib']:.1f}",
                f"{result['baseline_rss_mib']:.1f}",
                f"{result['bytes'] / 2**20:.1f}",
            )
            print(_row(cells), flush=True)
    print(json.dumps({"bench": "datagen-local", "day": DAY.isoformat(), "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
