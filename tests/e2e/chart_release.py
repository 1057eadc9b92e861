"""The library's test chart (charts/cronjob-common/test-chart) installed into a test's namespace with the
alerting tests' app image (the python base: it has a shell), for e2e files that need a plain cron job."""

from __future__ import annotations

import json
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

import yaml

from harness.charts.render import build_dependencies, helm_binary
from harness.cluster.base import Cluster
from harness.deploy import build_and_load, image_values
from harness.paths import REPO_ROOT

APP = Path(__file__).resolve().parent / "alerting" / "app"
APP_REPOSITORY = "localhost/cronharness/alerting-app"
CHART = REPO_ROOT / "charts" / "cronjob-common" / "test-chart"
QUIET_SCHEDULE = "0 0 1 1 *"  # due on 1 January only: every run while a test runs is the test's own


def app_image(cluster: Cluster) -> dict[str, str]:
    """The app (tests/e2e/alerting/app) built on the python base and loaded into ``cluster``: the chart's
    ``image`` values."""
    ref, _ = build_and_load(cluster, APP, APP_REPOSITORY, "python")
    values: dict[str, str] = image_values(ref)["image"]
    return values


def install(cluster: Cluster, namespace: str, values: dict[str, Any]) -> str:
    """``helm upgrade --install`` the test chart under a fresh release name with ``values`` (a quiet schedule,
    no alert rules and no Pushgateway unless ``values`` says otherwise); return the CronJob's name.

    A fresh release name per call makes the CronJob's name, and so its runs, unique even when a re-run reuses
    the namespace's name.
    """
    helm = helm_binary(3)
    build_dependencies(CHART, helm)
    release = f"r{uuid.uuid4().hex[:8]}"
    chosen = {"cronjob": {"schedule": QUIET_SCHEDULE},
              "metrics": {"prometheusRule": {"enabled": False}, "pushgateway": {"enabled": False}},
              **values}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "values.yaml"
        path.write_text(yaml.safe_dump(chosen))
        done = subprocess.run([helm, "upgrade", "--install", release, str(CHART), "--namespace", namespace,
                               "--kubeconfig", str(cluster.kubeconfig), "-f", str(path), "--output", "json"],
                              capture_output=True, text=True, check=False, timeout=180)
    if done.returncode != 0:
        raise AssertionError(f"helm upgrade --install of the test chart failed: {done.stderr}")
    manifest = [d for d in yaml.safe_load_all(json.loads(done.stdout)["manifest"]) if d]
    return str(next(d for d in manifest if d["kind"] == "CronJob")["metadata"]["name"])
