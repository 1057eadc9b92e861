"""rucio-daily: one day's Rucio replicas dump of about ``n`` rows and the matching DBS FILES dump."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.datagen import dbs, rucio
from harness.datagen.seeding import derive_rng
from harness.datagen.writers import HdfsSink, avro_records, gzipped, text_lines
from harness.services.hdfs import Hdfs, webhdfs_client
from harness.services.pushgateway import Pushgateway
from preparers import BenchServices, Prepared

JOB = "rucio-daily"
ROOT = "/bench/rucio-daily"
# The generator places each DBS file on 1-3 RSEs (complete or partial blocks) and adds 1% user files:
# about 1.59 replicas per DBS file.
REPLICAS_PER_FILE = 1.59


def prepare(services: BenchServices, n: int, seed: int) -> Prepared:
    """Seed yesterday's Rucio (avro) and DBS (csv.gz) dumps with about ``n`` replicas under a bench root."""
    pool = services.host
    hdfs, gateway = pool.get("hdfs"), pool.get("pushgateway")
    assert isinstance(hdfs, Hdfs) and isinstance(gateway, Pushgateway)
    day = datetime.now(UTC).date() - timedelta(days=1)
    n_files = max(1, round(n / REPLICAS_PER_FILE))
    client = webhdfs_client(hdfs)
    client.delete(ROOT, recursive=True)
    sink = HdfsSink(client)
    # Only the two tables the job reads (rucio.write/dbs.write would also generate dids, contents, locks...).
    counted = [0]

    def replicas() -> Iterator[dict[str, Any]]:
        for row in rucio.records("replicas", seed, n_files, day):
            counted[0] += 1
            yield row

    # A seeded random sync marker: Spark finds block boundaries of a split file by searching for it.
    marker = derive_rng(seed, "bench", JOB, "sync").randbytes(16)
    replicas_dir = rucio.table_dir("replicas", day, f"{ROOT}{rucio.ROOT}")
    sink.put(f"{replicas_dir}/part-m-00000.avro", avro_records(rucio.schema("replicas"), replicas(), marker))
    files_dir = dbs.table_dir("FILES", day, f"{ROOT}{dbs.ROOT}")
    sink.put(f"{files_dir}/part-m-00000.gz", gzipped(text_lines(dbs.lines("FILES", seed, n_files, day))))

    def cleanup() -> None:
        client.delete(ROOT, recursive=True)

    values = {
        "pod": {"hostNetwork": True},
        "resources": {"requests": {"cpu": "1", "memory": "1536Mi"}, "limits": {"memory": "2Gi"}},
        "metrics": {"pushgateway": {"url": gateway.url, "job": "bench-rucio-daily"}},
        "env": {
            "HDFS_URL": hdfs.rpc_url, "DATE": day.isoformat(), "RUCIO_PATH": f"{ROOT}{rucio.ROOT}",
            "DBS_PATH": f"{ROOT}{dbs.ROOT}", "OUTPUT_PATH": f"{ROOT}/cms/rucio_daily",
            "SPARK_MASTER": "local[2]", "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_DRIVER_MEMORY": "1g",
            "SPARK_SHUFFLE_PARTITIONS": "4",
        },
    }
    return Prepared(values, counted[0], cleanup)
