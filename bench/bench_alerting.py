"""Benchmark: time from a cron job's failure to the CronJobFailed notification at the receiver.

The test chart (``charts/cronjob-common/test-chart``) with the alerting test app (``MODE=fail``) is
installed into a namespace of its own, its PrometheusRule labelled for the monitoring stack in the cluster
(harness/monitoring/operator.py), which loads it through prometheus-operator; then, for each ``for`` value,
``--runs`` failing runs are triggered one after the other and each is timed from its container's
``finishedAt`` (1 s resolution) to the moment its alert (by ``job_name``) is seen at the webhook receiver
(polled every 0.2 s). Prints ``FIGURE`` lines: min, median and max per ``for``, with the intervals that
explain them (docs/alerting.md).

Usage: python bench/bench_alerting.py [--runs 5] [--for 0s 5s]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from kubernetes.client.exceptions import ApiException

from harness import jobrun
from harness.charts.render import build_dependencies, helm_binary
from harness.cluster.providers import get_cluster
from harness.deploy import build_and_load, image_values
from harness.kube import Kube
from harness.monitoring.operator import INTERVAL, ClusterReceiver, OperatorStack
from harness.monitoring.operator import install as install_stack
from harness.paths import REPO_ROOT
from harness.waiting import wait_until

APP = REPO_ROOT / "tests" / "e2e" / "alerting" / "app"
CHART = REPO_ROOT / "charts" / "cronjob-common" / "test-chart"
IMAGE_REPOSITORY = "localhost/cronharness/alerting-app"


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def install(kubeconfig: Path, namespace: str, release: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """helm upgrade --install the test chart and return the installed objects."""
    helm = helm_binary(3)
    build_dependencies(CHART, helm)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "values.yaml"
        path.write_text(yaml.safe_dump(values))
        subprocess.run([helm, "upgrade", "--install", release, str(CHART), "--namespace", namespace,
                        "--kubeconfig", str(kubeconfig), "-f", str(path)], check=True, capture_output=True)
    shown = subprocess.run([helm, "get", "manifest", release, "--namespace", namespace, "--kubeconfig",
                            str(kubeconfig)], check=True, capture_output=True, text=True)
    return [d for d in yaml.safe_load_all(shown.stdout) if d]


def finished_at(kube: Kube, namespace: str, job_name: str) -> float:
    pods = kube.plain(kube.core.list_namespaced_pod(namespace, label_selector=f"job-name={job_name}"))["items"]
    return max(parse_time(c["state"]["terminated"]["finishedAt"]) for p in pods
               for c in p["status"].get("containerStatuses", []) if c.get("state", {}).get("terminated"))


def measure(kube: Kube, stack: OperatorStack, kubeconfig: Path, namespace: str, image: dict[str, str],
            for_value: str, runs: int) -> list[float]:
    """Install a release with CronJobFailed ``for: for_value``; time ``runs`` failures to the receiver."""
    release = f"b{uuid.uuid4().hex[:8]}"
    manifest = install(kubeconfig, namespace, release, {
        "cronjob": {"schedule": "0 0 1 1 *"},
        "image": image,
        "env": {"MODE": "fail"},
        "metrics": {"pushgateway": {"enabled": False},
                    "prometheusRule": {"labels": dict(stack.selector),
                                       "alerts": {"CronJobFailed": {"for": for_value}}}},
    })
    cronjob = next(d for d in manifest if d["kind"] == "CronJob")["metadata"]["name"]
    rule = next(d for d in manifest if d["kind"] == "PrometheusRule")
    stack.wait_rule_group(rule["spec"]["groups"][0]["name"])
    receiver: ClusterReceiver = stack.receiver
    latencies = []
    try:
        for _ in range(runs):
            result = jobrun.run(kube, namespace, cronjob, timeout=120)
            if result.succeeded:
                raise SystemExit(f"expected a failed run: {result.summary()}")
            failure = finished_at(kube, namespace, result.name)

            def seen(job_name: str = result.name) -> bool:
                return any(a.labels.get("job_name") == job_name for a in receiver.alerts("CronJobFailed", "firing"))

            wait_until(seen, timeout=120, interval=0.2, what=f"CronJobFailed for {result.name} at the receiver")
            latencies.append(time.time() - failure)
            kube.batch.delete_namespaced_job(result.name, namespace, propagation_policy="Background")
    finally:
        kube.custom.delete_namespaced_custom_object("monitoring.coreos.com", "v1", namespace, "prometheusrules",
                                                    rule["metadata"]["name"])
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="failing runs per `for` value")
    parser.add_argument("--for", dest="for_values", nargs="+", default=["0s", "5s"], help="CronJobFailed `for`")
    args = parser.parse_args()

    cluster = get_cluster(None)
    was_up = all(c.healthy for c in cluster.status())
    cluster.up()
    stack = install_stack(cluster)
    kube = Kube(cluster.kubeconfig)
    namespace = f"bench-alerting-{uuid.uuid4().hex[:6]}"
    try:
        image = image_values(build_and_load(cluster, APP, IMAGE_REPOSITORY, "python")[0])["image"]
        kube.core.create_namespace({"metadata": {"name": namespace}})  # type: ignore[arg-type]
        print(f"FIGURE settings: scrape {INTERVAL}, evaluation {INTERVAL}, alertmanager group_wait 1s")
        for for_value in args.for_values:
            found = measure(kube, stack, cluster.kubeconfig, namespace, image, for_value, args.runs)
            print(f"FIGURE CronJobFailed for={for_value}: failure->receiver over {len(found)} runs: "
                  f"min {min(found):.1f}s median {statistics.median(found):.1f}s max {max(found):.1f}s "
                  f"({', '.join(f'{x:.1f}' for x in found)})")
            sys.stdout.flush()
    finally:
        try:
            kube.core.delete_namespace(namespace)
        except ApiException as exc:
            print(f"could not delete namespace {namespace}: {exc.reason}", file=sys.stderr)
        if not was_up and cluster.provider == "local":
            cluster.down()


if __name__ == "__main__":
    main()
