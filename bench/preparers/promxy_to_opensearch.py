"""promxy-to-opensearch: about ``n`` daily used-space samples served by a Prometheus of the benchmark's own.

The generator gives about 70 series per day, so ``n`` samples are ``n / 70`` days ending today; they are
backfilled with promtool into a Prometheus started on a free loopback port (stopped by the cleanup), and
the job's window is set to exactly those days (several 30-day queries for 10k samples).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

from harness.datagen import used_space
from harness.deploy import without_credentials
from harness.paths import state_root
from harness.services.opensearch import OpenSearch, opensearch_client
from harness.services.prometheus import serve_tsdb
from harness.services.pushgateway import Pushgateway
from harness.toolchain.tools import ensure
from preparers import BenchServices, Prepared

JOB = "promxy-to-opensearch"
SERIES_PER_DAY = 70


def prepare(services: BenchServices, n: int, seed: int) -> Prepared:
    """Backfill about ``n`` samples into a dedicated Prometheus and point the job at it."""
    pool = services.host
    search, gateway = (pool.get(name) for name in ("opensearch", "pushgateway"))
    assert isinstance(search, OpenSearch) and isinstance(gateway, Pushgateway)
    index = "bench-rucio-used-space-1d"
    opensearch_client(search).indices.delete(index=index, params={"ignore_unavailable": "true"})
    root = state_root() / "volumes" / f"bench-{JOB}"
    shutil.rmtree(root, ignore_errors=True)
    last = datetime.now(UTC).date()
    first = last - timedelta(days=max(1, round(n / SERIES_PER_DAY)) - 1)
    used_space.write_blocks(ensure("promtool"), root / "tsdb", seed, first, last)
    records = sum(1 for _ in used_space.records(seed, first, last))
    process, url = serve_tsdb(root, "bench prometheus")

    def cleanup() -> None:
        process.stop()
        shutil.rmtree(root, ignore_errors=True)
        opensearch_client(search).indices.delete(index=index, params={"ignore_unavailable": "true"})

    values = {
        "pod": {"hostNetwork": True},
        "job": {"backoffLimit": 0},
        "metrics": {"pushgateway": {"url": gateway.url, "job": "bench-promxy-to-opensearch"}},
        "env": {
            "PROMXY_URL": f"{url}/api/v1/query_range", "START_DATE": first.isoformat(), "END_DATE": last.isoformat(),
            "SINK_URL": search.url, "INDEX_NAME": index,
            **without_credentials("SINK_USERNAME", "SINK_PASSWORD"),
        },
    }
    return Prepared(values, records, cleanup)
