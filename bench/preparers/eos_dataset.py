"""eos-dataset: ``n`` EOS reports over the production period (the previous month) and a DBS dump they join with."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

from harness.datagen import dbs, eos
from harness.datagen.writers import HdfsSink
from harness.paths import state_root
from harness.services.hdfs import Hdfs, webhdfs_client
from harness.services.pushgateway import Pushgateway
from preparers import BenchServices, Prepared

JOB = "eos-dataset"
BENCH_ROOT = "/bench/eos-dataset"
# Reports per part file: about 170 MB of JSON, close to one HDFS block, so Spark reads in parallel.
RECORDS_PER_PART = 100_000


def prepare(services: BenchServices, n: int, seed: int) -> Prepared:
    """Seed ``n`` reports over the days of the previous month, and a DBS dump of ``n // 10`` files."""
    pool = services.host
    hdfs, gateway = pool.get("hdfs"), pool.get("pushgateway")
    assert isinstance(hdfs, Hdfs) and isinstance(gateway, Pushgateway)
    today = datetime.now(UTC).date()
    last = today.replace(day=1) - timedelta(days=1)
    days = [last.replace(day=k) for k in range(1, last.day + 1)]
    per_day = max(1, n // len(days))
    catalog_files = max(100, n // 10)
    eos_root, dbs_root = f"{BENCH_ROOT}{eos.ROOT}", f"{BENCH_ROOT}{dbs.ROOT}"
    client = webhdfs_client(hdfs)
    client.delete(BENCH_ROOT, recursive=True)
    sink = HdfsSink(client)
    dbs.write(sink, seed, catalog_files, today, root=dbs_root)
    eos.write_days(sink, seed, per_day, days, catalog_files=catalog_files, root=eos_root,
                   parts=max(1, -(-per_day // RECORDS_PER_PART)))
    # Pods run as uid 10001: the host directory they write to must be world-writable.
    volume = state_root() / "volumes" / "bench-eos-dataset"
    shutil.rmtree(volume, ignore_errors=True)
    volume.mkdir(parents=True)
    volume.chmod(0o777)

    def cleanup() -> None:
        client.delete(BENCH_ROOT, recursive=True)
        shutil.rmtree(volume, ignore_errors=True)

    values = {
        "pod": {"hostNetwork": True},
        # Spark spills the cached month and the shuffles to /tmp (its local dir): more than the default 1Gi at 1M.
        "tmpVolume": {"sizeLimit": "4Gi"},
        "resources": {"requests": {"cpu": "1", "memory": "1536Mi"}, "limits": {"memory": "2Gi"}},
        "metrics": {"pushgateway": {"url": gateway.url, "job": "bench-eos-dataset"}},
        "persistence": {"eos": {"enabled": False},
                        "output": {"type": "hostPath", "path": str(volume), "mountPath": "/output"}},
        "env": {
            "HDFS_URL": hdfs.rpc_url, "EOS_PATH": eos_root, "DBS_PATH": dbs_root,
            "PARQUET_LOCATION": f"{BENCH_ROOT}/cms/eos/full.parquet", "OUTPUT_DIR": "/output",
            "SPARK_MASTER": "local[2]", "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_DRIVER_MEMORY": "1g",
            "SPARK_SHUFFLE_PARTITIONS": "4",
        },
    }
    return Prepared(values, per_day * len(days), cleanup)
