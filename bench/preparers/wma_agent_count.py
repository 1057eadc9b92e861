"""wma-agent-count: ``n`` WMArchive records over the 7 days of the production window, with the services in the
cluster (so it runs on either Spark engine)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.datagen import wmarchive
from harness.datagen.writers import HdfsSink
from harness.deploy import without_credentials
from harness.services.hdfs import webhdfs_client
from harness.services.opensearch import opensearch_client
from preparers import BenchServices, Prepared

JOB = "wma-agent-count"
ENGINES = ("local", "spark_k8s", "yarn")
# Records per part file: about 130 MB of JSON, close to one HDFS block, so Spark reads in parallel.
RECORDS_PER_PART = 100_000


def prepare(services: BenchServices, n: int, seed: int) -> Prepared:
    """Seed ``n`` WMArchive records over the 7 days of the production window into a bench root."""
    hdfs, opensearch, gateway = (services.cluster.hdfs(), services.cluster.get("opensearch"),
                                 services.cluster.get("pushgateway"))
    root, prefix = "/bench/wmarchive/raw/metric", "bench-wmarchive-agent-count"
    today = datetime.now(UTC).date()
    end = today - timedelta(days=3)
    days = [end - timedelta(days=k) for k in range(7, 0, -1)]
    per_day = max(1, n // len(days))
    client = webhdfs_client(hdfs)
    client.delete("/bench/wmarchive", recursive=True)
    parts = max(2, -(-per_day // RECORDS_PER_PART))
    wmarchive.write_days(HdfsSink(client), seed, per_day, days, root=root, parts=parts)

    def cleanup() -> None:
        client.delete("/bench/wmarchive", recursive=True)
        opensearch_client(opensearch).indices.delete(index=f"{prefix}-*", params={"ignore_unavailable": "true"})

    values = {
        "resources": {"requests": {"cpu": "1", "memory": "1536Mi"}, "limits": {"memory": "2Gi"}},
        "metrics": {"pushgateway": {"url": gateway.job_url, "job": "bench-wma-agent-count"}},
        "env": {
            "HDFS_URL": hdfs.rpc_url, "INPUT_PATH": root, "END_DATE": end.isoformat(), "SINK_URL": opensearch.job_url,
            "INDEX_PREFIX": prefix, "SPARK_DRIVER_MEMORY": "1g", "SPARK_SHUFFLE_PARTITIONS": "4",
            **without_credentials("SINK_USERNAME", "SINK_PASSWORD"),
        },
    }
    return Prepared(values, per_day * len(days), cleanup)
