"""Benchmark of the local cluster: start to Ready with binaries cached, and pod start latency.

Run: ``.venv/bin/python bench/bench_cluster.py [--runs N]`` (as root). Prints one ``FIGURE`` line per
measurement. It measures a separate cluster instance (temporary state dir, free loopback ports, its
own bridge and cgroup root, no Service networking: kube-proxy's iptables chains are the default
cluster's), so the machine's default cluster and whoever uses it are not disturbed.

What is measured:
- ``fresh``: ``up`` in an empty state dir (new certificates, new etcd, new containerd root), binaries
  from the cache, until the node is Ready and the default ServiceAccount exists.
- pod latency, per Job: created -> its pod Running -> Succeeded (the container runs ``sleep 1``),
  watched through the API; the median of ``--runs`` Jobs.
- resident memory of each component after those Jobs.
- ``restart``: ``down`` then ``up`` of the same instance (data kept).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kubernetes import client, config, watch

from harness.cluster.k8s_build import build_etcd, build_kubernetes
from harness.cluster.local import LocalCluster
from harness.cluster.local_config import LocalLayout, LocalNetwork, free_ports
from harness.cluster.node_images import busybox_image

COMPONENTS = ("etcd", "containerd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet")


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


def rss_mib(pid: int | None) -> float:
    if pid is None:
        return 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="Jobs for the pod latency median")
    args = parser.parse_args()
    build_kubernetes()  # a cold machine builds here; not part of any figure
    build_etcd()
    image, archive = busybox_image()

    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        layout = LocalLayout(
            Path(tmp), ports=free_ports(),
            network=LocalNetwork(pod_subnet="10.88.2.0/24", bridge="cronhbench0"),
            cgroup_root="/cronharness-bench", networking=False,
        )
        cluster = LocalCluster(layout)
        try:
            fresh = timed_up(cluster)
            print(f"FIGURE cluster fresh start to Ready (binaries cached, empty state dir) {fresh:.1f}s",
                  flush=True)
            cluster.import_image(archive)
            samples = [pod_latency(cluster, image, f"bench-{i}") for i in range(args.runs)]
            to_running = statistics.median(s[0] for s in samples)
            to_succeeded = statistics.median(s[1] for s in samples)
            print(f"FIGURE pod start latency median of {args.runs}: created->Running {to_running:.2f}s, "
                  f"created->Succeeded {to_succeeded:.2f}s (container runs `sleep 1`)", flush=True)
            print("  samples (running, succeeded): "
                  + ", ".join(f"({r:.2f}, {s:.2f})" for r, s in samples), flush=True)
            memory = {name: rss_mib(cluster.process(name).pid) for name in COMPONENTS}
            print("FIGURE resident memory MiB: " + ", ".join(f"{k} {v:.0f}" for k, v in memory.items())
                  + f", total {sum(memory.values()):.0f}", flush=True)
            cluster.down()
            restart = timed_up(cluster)
            print(f"FIGURE cluster restart to Ready (binaries cached, data kept) {restart:.1f}s", flush=True)
        finally:
            cluster.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
