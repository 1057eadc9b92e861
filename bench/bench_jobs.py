"""Benchmark: a job's run time in the local cluster on inputs of several sizes (default 10k and 1M records), on
one or more Spark engines (default local mode).

For each size: seed the input into the real services (not timed as part of the job); then for each engine,
deploy the job chart into a namespace of its own with test values, trigger it and wait. Reported per run:
seeding time, trigger-to-pod-start, the job's run (pod start to verdict), the job's own duration from its
``job finished`` log line (process start to exit, Spark start included), the records it read, and with
executors as pods (``spark_k8s``) or YARN containers (``yarn``) how many executors ran and how long after the driver
started the first one was (scheduled, for a pod; launched, for a container). The machine is shared, so the
1-minute load average at the start of each run is printed too.

Inputs come from bench/preparers/<job>.py (one module per job; ENGINES there says which engines it runs on).

Usage: python bench/bench_jobs.py [--job all|<job>] [--sizes 10000 1000000] [--engines local spark_k8s yarn]
                                  [--seed 1] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from preparers import BenchServices, preparers

from harness import jobrun
from harness.checks import spark, yarn
from harness.cluster.providers import get_cluster
from harness.deploy import SPARK_ENGINES, deploy, on_spark_engine, prepare_spark_engine
from harness.jobrun import JobResult
from harness.kube import Kube
from harness.services.incluster import ClusterServices
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


def bench(job: str, sizes: list[int], engines: list[str], seed: int, keep: bool) -> list[dict[str, Any]]:
    """Run ``job`` once per size and engine; return one row of figures per run."""
    cluster = get_cluster(None)
    cluster.up()
    kube = Kube(cluster.kubeconfig)
    services = BenchServices(ServicePool(), ClusterServices(cluster))
    rows = []
    try:
        for n in sizes:
            started = time.monotonic()
            prepared = PREPARERS[job].prepare(services, n, seed)
            seeded = time.monotonic() - started
            for engine in engines:
                load = os.getloadavg()[0]
                fresh_namespace(kube)
                prepare_spark_engine(engine, kube, NAMESPACE, services.cluster)
                deployment = deploy(cluster, job, NAMESPACE, values=on_spark_engine(engine, prepared.values))
                submitted = time.time()
                result = jobrun.run(kube, NAMESPACE, deployment.cronjob, timeout=3600)
                own = finished_line(result)
                driver = next(iter(result.logs), "/").split("/")[0]
                if engine == "yarn":
                    runs = yarn.finished_runs(services.cluster.yarn(), job, submitted, count=1)
                    executors = list(runs[0].executors)
                    first = yarn.first_executor_after(runs[0], kube, NAMESPACE, driver)
                else:
                    executors = spark.executor_pods_scheduled(kube, NAMESPACE)
                    first = spark.first_executor_after(kube, NAMESPACE, driver) if executors and driver else None
                rows.append({
                    "job": job, "engine": engine, "records": prepared.records, "outcome": result.outcome,
                    "load_1m": round(load, 1), "seed_s": round(seeded, 1),
                    "pod_start_s": round(result.pod_started or 0.0, 1),
                    "job_run_s": round(result.duration - (result.pod_started or 0.0), 1),
                    "job_own_s": own.get("duration_s"), "records_in": own.get("records_in"),
                    "executors": len(executors), "first_executor_s": None if first is None else round(first, 1),
                })
                print(json.dumps(rows[-1]), flush=True)
                if not result.succeeded:
                    print(result.summary(), file=sys.stderr)
            if not keep:
                prepared.cleanup()
    finally:
        if not keep:
            kube.core.delete_namespace(NAMESPACE)
        services.host.stop_started()
        services.cluster.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", choices=["all", *sorted(PREPARERS)], default="all",
                        help="one job, or every job with a preparer (default)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--engines", choices=SPARK_ENGINES, nargs="+", default=["local"],
                        help="Spark engines to run each size on (a job runs on those its preparer lists)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the namespace, input and index afterwards")
    args = parser.parse_args()
    jobs = sorted(PREPARERS) if args.job == "all" else [args.job]
    rows = []
    for job in jobs:
        engines = [engine for engine in args.engines if engine in PREPARERS[job].engines]
        if not engines:
            print(f"{job}: skipped, its preparer runs on {', '.join(PREPARERS[job].engines)} only", file=sys.stderr)
            continue
        rows += bench(job, args.sizes, engines, args.seed, args.keep)
    print(f"\n{'job':>26} {'engine':>9} {'records':>9} {'outcome':>10} {'load':>5} {'seed s':>7} {'pod start s':>11} "
          f"{'job run s':>9} {'job own s':>9} {'executors':>9} {'1st exec s':>10}")
    for row in rows:
        print(f"{row['job']:>26} {row['engine']:>9} {row['records']:>9} {row['outcome']:>10} {row['load_1m']:>5} "
              f"{row['seed_s']:>7} {row['pod_start_s']:>11} {row['job_run_s']:>9} {row['job_own_s']!s:>9} "
              f"{row['executors']:>9} {row['first_executor_s']!s:>10}")


if __name__ == "__main__":
    main()
