"""Benchmark: time and peak memory to generate condor records into a local directory.

Each size runs in a fresh Python process so its peak resident memory (``ru_maxrss``) is its own. The
interpreter plus imports alone is reported as the baseline.

Usage: python bench/bench_datagen.py [--sizes 1000 100000 1000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

DAY = date(2026, 11, 20)


def _measure_one(n: int, seed: int, out: Path) -> dict[str, float]:
    """Generate n condor records into ``out`` (runs inside the child process)."""
    from harness.datagen import condor
    from harness.datagen.writers import LocalDirSink

    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    paths = condor.write(LocalDirSink(out), seed, n, DAY)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    sink = LocalDirSink(out)
    return {
        "records": n,
        "seconds": seconds,
        # CPU time as well as wall time: on a machine shared with other work, wall time alone misleads.
        "cpu_seconds": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "records_per_s": n / seconds,
        "peak_rss_mib": after.ru_maxrss / 1024,
        "baseline_rss_mib": before.ru_maxrss / 1024,
        "bytes": sum(sink.local_path(p).stat().st_size for p in paths),
        "files": len(paths),
    }


def _row(cells: tuple[object, ...]) -> str:
    return " ".join(f"{cell!s:>13}" for cell in cells)


def main() -> int:
    """Run the benchmark and print one line per size plus a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(_measure_one(args.child, args.seed, args.out)))
        return 0
    results = []
    header = ("records", "wall s", "CPU s", "records/s", "peak RSS MiB", "baseline MiB", "MiB written")
    print(_row(header))
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="bench-datagen-") as out:
            child = subprocess.run(
                [sys.executable, __file__, "--child", str(n), "--seed", str(args.seed), "--out", out],
                check=True,
                capture_output=True,
                text=True,
            )
        result = json.loads(child.stdout)
        results.append(result)
        cells = (
            n,
            f"{result['seconds']:.2f}",
            f"{result['cpu_seconds']:.2f}",
            f"{result['records_per_s']:.0f}",
            f"{result['peak_rss_mib']:.1f}",
            f"{result['baseline_rss_mib']:.1f}",
            f"{result['bytes'] / 2**20:.1f}",
        )
        print(_row(cells), flush=True)
    print(json.dumps({"bench": "datagen-condor-local", "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
