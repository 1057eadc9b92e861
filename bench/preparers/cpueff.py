"""cpueff: ``n`` condor records over the 30 days of the production window, into a bench database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.checks import mongo
from harness.datagen import condor
from harness.datagen.writers import HdfsSink
from harness.deploy import without_credentials
from harness.services.ferretdb import FerretDB
from harness.services.hdfs import Hdfs, webhdfs_client
from harness.services.pool import ServicePool
from harness.services.pushgateway import Pushgateway
from preparers import Prepared

JOB = "cpueff"
# Records per part file: about 150 MB of JSON, close to one HDFS block, so Spark reads in parallel.
RECORDS_PER_PART = 100_000
WINDOW_DAYS = 30
DATABASE = "bench_cpueff"


def prepare(pool: ServicePool, n: int, seed: int) -> Prepared:
    """Seed ``n`` condor records over the 30 days before yesterday into a bench root."""
    hdfs, ferretdb, gateway = (pool.get(name) for name in ("hdfs", "ferretdb", "pushgateway"))
    assert isinstance(hdfs, Hdfs) and isinstance(ferretdb, FerretDB) and isinstance(gateway, Pushgateway)
    root = "/bench/cpueff/condor/raw/metric"
    end = datetime.now(UTC).date() - timedelta(days=1)
    days = [end - timedelta(days=k) for k in range(WINDOW_DAYS, 0, -1)]
    per_day = max(1, n // len(days))
    client = webhdfs_client(hdfs)
    client.delete("/bench/cpueff", recursive=True)
    mongo.drop_database(ferretdb, DATABASE)
    parts = max(2, -(-per_day // RECORDS_PER_PART))
    condor.write_days(HdfsSink(client), seed, per_day, days, root=root, parts=parts)

    def cleanup() -> None:
        client.delete("/bench/cpueff", recursive=True)
        mongo.drop_database(ferretdb, DATABASE)

    values = {
        "pod": {"hostNetwork": True},
        "resources": {"requests": {"cpu": "1", "memory": "1536Mi"}, "limits": {"memory": "2Gi"}},
        "metrics": {"pushgateway": {"url": gateway.url, "job": "bench-cpueff"}},
        "env": {
            "HDFS_URL": hdfs.rpc_url, "INPUT_PATH": root, "END_DATE": end.isoformat(), "MONGO_URI": ferretdb.uri,
            "MONGO_DB": DATABASE, "SPARK_MASTER": "local[2]", "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_DRIVER_MEMORY": "1g", "SPARK_SHUFFLE_PARTITIONS": "4",
            **without_credentials("MONGO_USERNAME", "MONGO_PASSWORD"),
        },
    }
    return Prepared(values, per_day * len(days), cleanup)
