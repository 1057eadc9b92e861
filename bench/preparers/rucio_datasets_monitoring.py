"""rucio-datasets-monitoring: one day of Rucio and DBS dumps with about ``n`` Rucio replicas."""

from __future__ import annotations

from datetime import UTC, datetime

from harness.datagen import dbs, rucio
from harness.datagen.writers import HdfsSink
from harness.deploy import without_credentials
from harness.services.hdfs import Hdfs, webhdfs_client
from harness.services.opensearch import OpenSearch, opensearch_client
from harness.services.pushgateway import Pushgateway
from preparers import BenchServices, Prepared

JOB = "rucio-datasets-monitoring"
BASE = "/bench/rucio-datasets-monitoring"
PREFIX = "bench-rucio-datasets-monitoring"
# The generator places a block at 1-3 RSEs, most of them complete: about 1.57 replicas per catalogue file.
REPLICAS_PER_FILE = 1.57


def prepare(services: BenchServices, n: int, seed: int) -> Prepared:
    """Seed today's dumps of a catalogue with about ``n`` replicas into a bench root."""
    pool = services.host
    hdfs, search, gateway = (pool.get(name) for name in ("hdfs", "opensearch", "pushgateway"))
    assert isinstance(hdfs, Hdfs) and isinstance(search, OpenSearch) and isinstance(gateway, Pushgateway)
    day = datetime.now(UTC).date()
    n_files = max(1, round(n / REPLICAS_PER_FILE))
    client = webhdfs_client(hdfs)
    client.delete(BASE, recursive=True)
    sink = HdfsSink(client)
    rucio.write(sink, seed, n_files, day, root=f"{BASE}{rucio.ROOT}")
    dbs.write(sink, seed, n_files, day, root=f"{BASE}{dbs.ROOT}")
    replicas = sum(1 for _ in rucio.records("replicas", seed, n_files, day))

    def cleanup() -> None:
        client.delete(BASE, recursive=True)
        opensearch_client(search).indices.delete(index=f"{PREFIX}-*", params={"ignore_unavailable": "true"})

    values = {
        "pod": {"hostNetwork": True},
        "resources": {"requests": {"cpu": "1", "memory": "3Gi"}, "limits": {"memory": "3Gi"}},
        "metrics": {"pushgateway": {"url": gateway.url, "job": "bench-rucio-datasets-monitoring"}},
        "env": {
            "HDFS_URL": hdfs.rpc_url, "DAY": day.isoformat(), "RUCIO_PATH": f"{BASE}{rucio.ROOT}",
            "DBS_PATH": f"{BASE}{dbs.ROOT}", "OUTPUT_PATH": f"{BASE}/out", "INDEX_PREFIX": PREFIX,
            "INDEX_REPLICAS": "0", "SINK_URL": search.url, "SPARK_MASTER": "local[2]",
            "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_DRIVER_MEMORY": "2g", "SPARK_SHUFFLE_PARTITIONS": "8",
            **without_credentials("SINK_USERNAME", "SINK_PASSWORD"),
        },
    }
    return Prepared(values, replicas, cleanup)
