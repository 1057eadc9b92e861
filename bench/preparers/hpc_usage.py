"""hpc-usage: ``n`` condor records over the days of the default window (first of the previous month to today - 2)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta

from harness.datagen import condor
from harness.datagen.writers import HdfsSink
from harness.paths import state_root
from harness.services.hdfs import Hdfs, webhdfs_client
from harness.services.pushgateway import Pushgateway
from preparers import BenchServices, Prepared

JOB = "hpc-usage"
# Records per part file: about 150 MB of JSON, close to one HDFS block, so Spark reads in parallel.
RECORDS_PER_PART = 100_000


def prepare(services: BenchServices, n: int, seed: int) -> Prepared:
    """Seed ``n`` condor records over the default window into a bench root; the report goes to a host volume."""
    pool = services.host
    hdfs, gateway = pool.get("hdfs"), pool.get("pushgateway")
    assert isinstance(hdfs, Hdfs) and isinstance(gateway, Pushgateway)
    root = "/bench/hpc-usage/condor/raw/metric"
    end = datetime.now(UTC).date() - timedelta(days=2)
    start = ((end - timedelta(days=1)).replace(day=1) - timedelta(days=1)).replace(day=1)
    days = [start + timedelta(days=k) for k in range((end - start).days)]
    per_day = max(1, n // len(days))
    client = webhdfs_client(hdfs)
    client.delete("/bench/hpc-usage", recursive=True)
    parts = max(1, -(-per_day // RECORDS_PER_PART))
    condor.write_days(HdfsSink(client), seed, per_day, days, root=root, parts=parts)
    volume = state_root() / "volumes" / "bench" / JOB
    shutil.rmtree(volume, ignore_errors=True)
    volume.mkdir(parents=True)
    os.chmod(volume, 0o777)  # the pod runs as uid 10001

    def cleanup() -> None:
        client.delete("/bench/hpc-usage", recursive=True)
        shutil.rmtree(volume, ignore_errors=True)

    values = {
        "pod": {"hostNetwork": True},
        "resources": {"requests": {"cpu": "1", "memory": "1536Mi"}, "limits": {"memory": "2Gi"}},
        "metrics": {"pushgateway": {"url": gateway.url, "job": "bench-hpc-usage"}},
        "persistence": {"report": {"type": "hostPath", "path": str(volume), "mountPath": "/report"}},
        "env": {
            "HDFS_URL": hdfs.rpc_url, "INPUT_PATH": root, "OUTPUT_DIR": "/report", "SPARK_MASTER": "local[2]",
            "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_DRIVER_MEMORY": "1g", "SPARK_SHUFFLE_PARTITIONS": "4",
        },
    }
    return Prepared(values, per_day * len(days), cleanup)
