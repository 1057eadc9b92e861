"""Benchmark of the test services in the cluster: install to ready from nothing installed, and again when
installed (what a test session pays when another session already installed them).

Run: ``.venv/bin/python bench/bench_services.py`` (the default cluster, brought up if needed). Prints one
``FIGURE`` line per measurement. Images are built first and not counted (cached by content: a cold build is
part of the fresh-machine rehearsal's figures); the release is removed first so the first install starts from
nothing, which disturbs a test session using it at the same time: run it alone. What it found installed it
leaves installed; what it installed it removes.

What is measured, for every in-cluster service (harness/services/incluster.py) at once:
- ``cold``: ``helm upgrade --install`` of the release with every service, then each Deployment rolled out
  (readiness probes passing), then HDFS's DataNode registered with its NameNode;
- ``warm``: the same call again (nothing changes, so no upgrade), as a second session sees it.
"""

from __future__ import annotations

import time

from harness.cluster.providers import get_cluster
from harness.images.service import build_service_image
from harness.services import incluster


def ready_all(cluster_services: incluster.ClusterServices, names: list[str]) -> float:
    """Seconds until every service is installed and ready, HDFS with its DataNode registered."""
    started = time.monotonic()
    incluster.install(cluster_services.cluster, names)
    cluster_services.hdfs()  # waits for the DataNode to register
    return time.monotonic() - started


def main() -> None:
    cluster = get_cluster(None)
    cluster.up()
    names = list(incluster.workloads())
    started = time.monotonic()
    for spec in incluster.workloads().values():
        build_service_image(spec.image())
    print(f"FIGURE service images {', '.join(names)} present (cached by content) {time.monotonic() - started:.1f}s")
    was_installed = bool(incluster.release_values(cluster))
    incluster.uninstall(cluster)
    cluster_services = incluster.ClusterServices(cluster)
    try:
        for kind in ("cold (nothing installed)", "warm (installed)"):
            print(f"FIGURE in-cluster services {kind} to ready: {ready_all(cluster_services, names):.1f}s")
    finally:
        cluster_services.close()
        if not was_installed:
            incluster.uninstall(cluster)


if __name__ == "__main__":
    main()
