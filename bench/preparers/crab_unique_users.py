"""crab-unique-users: ``n`` condor records over the production window (the 12 months before this month)."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta

from harness.datagen import condor
from harness.datagen.writers import HdfsSink
from harness.paths import state_root
from harness.services.hdfs import Hdfs, webhdfs_client
from harness.services.pushgateway import Pushgateway
from preparers import BenchServices, Prepared

JOB = "crab-unique-users"
BENCH_ROOT = "/bench/crab-unique-users"
MONTHS = 12
# Records per part file: about 130 MB of JSON, close to one HDFS block, so Spark reads in parallel.
RECORDS_PER_PART = 100_000


def first_of_month(day: date, months_back: int) -> date:
    """The first day of the month ``months_back`` months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def prepare(services: BenchServices, n: int, seed: int) -> Prepared:
    """Seed ``n`` condor records over the job's default window (plus its two neighbour days) into a bench root."""
    pool = services.host
    hdfs, gateway = pool.get("hdfs"), pool.get("pushgateway")
    assert isinstance(hdfs, Hdfs) and isinstance(gateway, Pushgateway)
    root = f"{BENCH_ROOT}{condor.ROOT}"
    end = first_of_month(datetime.now(UTC).date(), 0)
    start = first_of_month(end, MONTHS)
    days = [start - timedelta(days=1) + timedelta(days=k) for k in range((end - start).days + 2)]
    per_day = max(1, n // len(days))
    client = webhdfs_client(hdfs)
    client.delete(BENCH_ROOT, recursive=True)
    condor.write_days(HdfsSink(client), seed, per_day, days, root=root,
                      parts=max(1, -(-per_day // RECORDS_PER_PART)))
    # Pods run as uid 10001: the host directory they write to must be world-writable.
    volume = state_root() / "volumes" / "bench-crab-unique-users"
    shutil.rmtree(volume, ignore_errors=True)
    volume.mkdir(parents=True)
    volume.chmod(0o777)

    def cleanup() -> None:
        client.delete(BENCH_ROOT, recursive=True)
        shutil.rmtree(volume, ignore_errors=True)

    values = {
        "pod": {"hostNetwork": True},
        "resources": {"requests": {"cpu": "1", "memory": "1536Mi"}, "limits": {"memory": "2Gi"}},
        "metrics": {"pushgateway": {"url": gateway.url, "job": "bench-crab-unique-users"}},
        "persistence": {"output": {"type": "hostPath", "path": str(volume), "hostPathType": "Directory",
                                   "mountPath": "/output"}},
        "env": {
            "HDFS_URL": hdfs.rpc_url, "INPUT_PATH": root, "OUTPUT_DIR": "/output/crab_uu",
            "SPARK_MASTER": "local[2]", "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_DRIVER_MEMORY": "1g",
            "SPARK_SHUFFLE_PARTITIONS": "4",
        },
    }
    return Prepared(values, per_day * len(days), cleanup)
