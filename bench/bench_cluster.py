"""Benchmark of the local cluster: start to Ready with binaries cached, and pod start latency.

Run: ``.venv/bin/python bench/bench_cluster.py [--runs N]`` (as root, on the machine's default
local cluster). Prints one ``FIGURE`` line per measurement. The cluster is left as it was found
(running or stopped); its data is kept.

What is measured:
- ``restart``: ``down`` then ``up`` of the existing cluster (data kept): processes start, the node
  turns Ready and the default ServiceAccount exists.
- ``fresh``: ``up`` of a new cluster in an empty temporary state dir (new certificates, new etcd,
  new containerd root), binaries from the cache.
- pod latency, per Job: created -> its pod Running -> Succeeded (the container runs ``sleep 1``),
  watched through the API; the median of ``--runs`` Jobs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kubernetes import client, config, watch

from harness.cluster.local import LocalCluster
from harness.cluster.local_config import LocalLayout
from harness.cluster.node_images import busybox_image


def timed_up(cluster: LocalCluster) -> float:
    started = time.monotonic()
    cluster.up()
    return time.monotonic() - started


def job_manifest(name: str, image: str) -> dict[str, object]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"labels": {"bench": name}},
                "spec": {
                    "restartPolicy": "Never",
                    "terminationGracePeriodSeconds": 0,
                    "containers": [
                        {"name": "c", "image": image, "imagePullPolicy": "Never", "command": ["sleep", "1"]}
                    ],
                },
            },
        },
    }


def pod_latency(cluster: LocalCluster, image: str, name: str) -> tuple[float, float]:
    """Seconds from Job creation to its pod Running, and to Succeeded."""
    api = config.new_client_from_config(str(cluster.kubeconfig))
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    created = time.monotonic()
    batch.create_namespaced_job("default", job_manifest(name, image))
    running = None
    for event in watch.Watch().stream(
        core.list_namespaced_pod, "default", label_selector=f"bench={name}", timeout_seconds=120
    ):
        phase = event["object"].status.phase
        if phase in ("Running", "Succeeded") and running is None:
            running = time.monotonic() - created
        if phase == "Succeeded":
            succeeded = time.monotonic() - created
            break
        if phase == "Failed":
            raise RuntimeError(f"bench pod of job {name} failed")
    else:
        raise RuntimeError(f"job {name} did not succeed within 120s")
    batch.delete_namespaced_job(name, "default", propagation_policy="Background")
    assert running is not None
    return running, succeeded


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="Jobs for the pod latency median")
    args = parser.parse_args()

    cluster = LocalCluster()
    was_running = cluster.process("kube-apiserver").running()
    cluster.up()  # builds binaries on a cold machine; not part of any figure
    cluster.down()
    restart = timed_up(cluster)
    print(f"FIGURE cluster restart to Ready (binaries cached, data kept) {restart:.1f}s", flush=True)

    image, archive = busybox_image()
    cluster.load_image(archive)
    samples = [pod_latency(cluster, image, f"bench-{i}-{int(time.time())}") for i in range(args.runs)]
    to_running = statistics.median(s[0] for s in samples)
    to_succeeded = statistics.median(s[1] for s in samples)
    print(
        f"FIGURE pod start latency median of {args.runs}: created->Running {to_running:.2f}s, "
        f"created->Succeeded {to_succeeded:.2f}s (container runs `sleep 1`)",
        flush=True,
    )
    print(
        "  samples (running, succeeded): " + ", ".join(f"({r:.2f}, {s:.2f})" for r, s in samples), flush=True
    )

    cluster.down()
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        fresh = LocalCluster(LocalLayout(Path(tmp)))
        try:
            print(
                f"FIGURE cluster fresh start to Ready (binaries cached, empty state dir) "
                f"{timed_up(fresh):.1f}s",
                flush=True,
            )
        finally:
            fresh.down()
    if was_running:
        cluster.up()
    return 0


if __name__ == "__main__":
    sys.exit(main())
