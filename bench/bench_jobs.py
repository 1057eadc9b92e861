"""Benchmark: a job's run time in the local cluster on inputs of several sizes (default 10k and 1M records).

For each size: seed the input into the real services (not timed as part of the job), deploy the job chart
into a namespace of its own with test values (host network, local Spark master), trigger it and wait.
Reported per size: seeding time, trigger-to-pod-start, the job's run (pod start to verdict), the job's own
duration from its ``job finished`` log line (process start to exit, Spark start included) and the records
it read. The machine is shared, so the 1-minute load average at the start of each run is printed too.

Inputs come from bench/preparers/<job>.py (one module per job).

Usage: python bench/bench_jobs.py [--job all|<job>] [--sizes 10000 1000000] [--seed 1] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from preparers import preparers

from harness import jobrun
from harness.cluster.providers import get_cluster
from harness.deploy import deploy
from harness.jobrun import JobResult
from harness.kube import Kube
from harness.services.pool import ServicePool
from harness.waiting import wait_until

NAMESPACE = "bench-jobs"
PREPARERS = preparers()


def finished_line(result: JobResult) -> dict[str, Any]:
    """Fields of the job's ``job finished`` JSON log line (empty when it is not in the log tail)."""
    for text in result.logs.values():
        for line in reversed(text.splitlines()):
            if line.startswith("{") and json.loads(line).get("msg") == "job finished":
                return dict(json.loads(line)["fields"])
    return {}


def fresh_namespace(kube: Kube) -> None:
    """Delete the bench namespace if a previous run left it, then create it."""
    from kubernetes.client.exceptions import ApiException

    def gone() -> bool:
        try:
            kube.core.read_namespace(NAMESPACE)
        except ApiException as exc:
            return bool(exc.status == 404)
        return False

    if not gone():
        kube.core.delete_namespace(NAMESPACE)
        wait_until(gone, timeout=180, what=f"namespace {NAMESPACE} to be deleted")
    kube.core.create_namespace({"metadata": {"name": NAMESPACE}})  # type: ignore[arg-type]


def bench(job: str, sizes: list[int], seed: int, keep: bool) -> list[dict[str, Any]]:
    """Run ``job`` once per size; return one row of figures per run."""
    cluster = get_cluster(None)
    cluster.up()
    kube = Kube(cluster.kubeconfig)
    pool = ServicePool()
    rows = []
    try:
        for n in sizes:
            load = os.getloadavg()[0]
            started = time.monotonic()
            prepared = PREPARERS[job](pool, n, seed)
            seeded = time.monotonic() - started
            fresh_namespace(kube)
            deployment = deploy(cluster, job, NAMESPACE, values=prepared.values)
            result = jobrun.run(kube, NAMESPACE, deployment.cronjob, timeout=3600)
            own = finished_line(result)
            rows.append({
                "job": job, "records": prepared.records, "outcome": result.outcome, "load_1m": round(load, 1),
                "seed_s": round(seeded, 1), "pod_start_s": round(result.pod_started or 0.0, 1),
                "job_run_s": round(result.duration - (result.pod_started or 0.0), 1),
                "job_own_s": own.get("duration_s"), "records_in": own.get("records_in"),
            })
            print(json.dumps(rows[-1]), flush=True)
            if not result.succeeded:
                print(result.summary(), file=sys.stderr)
            if not keep:
                prepared.cleanup()
    finally:
        if not keep:
            kube.core.delete_namespace(NAMESPACE)
        pool.stop_started()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", choices=["all", *sorted(PREPARERS)], default="all",
                        help="one job, or every job with a preparer (default)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the namespace, input and index afterwards")
    args = parser.parse_args()
    jobs = sorted(PREPARERS) if args.job == "all" else [args.job]
    rows = [row for job in jobs for row in bench(job, args.sizes, args.seed, args.keep)]
    print(f"\n{'job':>26} {'records':>9} {'outcome':>10} {'load':>5} {'seed s':>7} {'pod start s':>11} "
          f"{'job run s':>9} {'job own s':>9}")
    for row in rows:
        print(f"{row['job']:>26} {row['records']:>9} {row['outcome']:>10} {row['load_1m']:>5} {row['seed_s']:>7} "
              f"{row['pod_start_s']:>11} {row['job_run_s']:>9} {row['job_own_s']!s:>9}")


if __name__ == "__main__":
    main()
