"""cpueff: ``n`` condor records over the 30 days of the production window, into a bench database, with the
services in the cluster (so it runs on either Spark engine)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.checks import mongo
from harness.datagen import condor
from harness.datagen.writers import HdfsSink
from harness.deploy import without_credentials
from harness.services.hdfs import webhdfs_client
from preparers import BenchServices, Prepared

JOB = "cpueff"
ENGINES = ("local", "spark_k8s", "yarn")
# Records per part file: about 150 MB of JSON, close to one HDFS block, so Spark reads in parallel.
RECORDS_PER_PART = 100_000
WINDOW_DAYS = 30
DATABASE = "bench_cpueff"


def prepare(services: BenchServices, n: int, seed: int) -> Prepared:
    """Seed ``n`` condor records over the 30 days before yesterday into a bench root."""
    hdfs, ferretdb, gateway = (services.cluster.hdfs(), services.cluster.get("ferretdb"),
                               services.cluster.get("pushgateway"))
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
        "resources": {"requests": {"cpu": "1", "memory": "1536Mi"}, "limits": {"memory": "2Gi"}},
        "metrics": {"pushgateway": {"url": gateway.job_url, "job": "bench-cpueff"}},
        "env": {
            "HDFS_URL": hdfs.rpc_url, "INPUT_PATH": root, "END_DATE": end.isoformat(), "MONGO_URI": ferretdb.job_url,
            "MONGO_DB": DATABASE, "SPARK_DRIVER_MEMORY": "1g", "SPARK_SHUFFLE_PARTITIONS": "4",
            **without_credentials("MONGO_USERNAME", "MONGO_PASSWORD"),
        },
    }
    return Prepared(values, per_day * len(days), cleanup)
