"""wma-agent-count: ``n`` WMArchive records over the 7 days of the production window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.datagen import wmarchive
from harness.datagen.writers import HdfsSink
from harness.deploy import without_credentials
from harness.services.hdfs import Hdfs, webhdfs_client
from harness.services.opensearch import OpenSearch, opensearch_client
from harness.services.pool import ServicePool
from harness.services.pushgateway import Pushgateway
from preparers import Prepared

JOB = "wma-agent-count"
# Records per part file: about 130 MB of JSON, close to one HDFS block, so Spark reads in parallel.
RECORDS_PER_PART = 100_000


def prepare(pool: ServicePool, n: int, seed: int) -> Prepared:
    """Seed ``n`` WMArchive records over the 7 days of the production window into a bench root."""
    hdfs, search, gateway = (pool.get(name) for name in ("hdfs", "opensearch", "pushgateway"))
    assert isinstance(hdfs, Hdfs) and isinstance(search, OpenSearch) and isinstance(gateway, Pushgateway)
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
        opensearch_client(search).indices.delete(index=f"{prefix}-*", params={"ignore_unavailable": "true"})

    values = {
        "pod": {"hostNetwork": True},
        "resources": {"requests": {"cpu": "1", "memory": "1536Mi"}, "limits": {"memory": "2Gi"}},
        "metrics": {"pushgateway": {"url": gateway.url, "job": "bench-wma-agent-count"}},
        "env": {
            "HDFS_URL": hdfs.rpc_url, "INPUT_PATH": root, "END_DATE": end.isoformat(), "SINK_URL": search.url,
            "INDEX_PREFIX": prefix, "SPARK_MASTER": "local[2]", "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_DRIVER_MEMORY": "1g", "SPARK_SHUFFLE_PARTITIONS": "4",
            **without_credentials("SINK_USERNAME", "SINK_PASSWORD"),
        },
    }
    return Prepared(values, per_day * len(days), cleanup)
