"""kube-state-metrics, built from Go modules, and the flags it runs with (in the cluster: harness/monitoring).

It exports the state of the cluster's CronJobs, Jobs, Pods and Namespaces (``kube_job_status_failed``,
``kube_cronjob_status_last_successful_time``, ...) for Prometheus, which is what the job charts'
alert rules are written against. Jobs' manual-instantiation annotation is exported
(``kube_job_annotations``), as the library's alerts need it to tell manual runs from scheduled ones.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.errors import HarnessError
from harness.jobrun import MANUAL_ANNOTATION
from harness.toolchain import go_build, pinned
from harness.toolchain.go import GO_MODULES_DIR

MODULE = "k8s.io/kube-state-metrics/v2"
WRAPPER = "kube-state-metrics"
RESOURCES = ("cronjobs", "jobs", "pods", "namespaces")


def _client_go_version() -> str:
    """The client-go version the wrapper module resolves (kube-state-metrics reports it as a label)."""
    go_mod = (GO_MODULES_DIR / WRAPPER / "go.mod").read_text()
    found = re.search(r"^\s*k8s\.io/client-go (v\S+)", go_mod, re.M)
    return found.group(1) if found else "unknown"


def build() -> Path:
    """The kube-state-metrics program of the pinned version, built from Go modules (cached by version).

    Raises:
        HarnessError: when the build fails.
    """
    version = pinned("services-mongo-monitoring", "kube-state-metrics")
    # The same version stamps as upstream's Makefile, so the binary reports what it is.
    ldflags = (
        f"-s -w -X github.com/prometheus/common/version.Version={version} "
        f"-X {MODULE}/pkg/app.ClientGoVersion={_client_go_version()}"
    )
    try:
        bin_dir = go_build(WRAPPER, [MODULE], version=version, ldflags=ldflags, env={"CGO_ENABLED": "0"})
    except RuntimeError as exc:
        raise HarnessError(f"cannot build kube-state-metrics {version}: {exc}") from exc
    return bin_dir / "kube-state-metrics"


def collector_flags() -> list[str]:
    """What kube-state-metrics exports, wherever it runs: the resources the library's alerts and dashboard
    read, and Jobs' manual-instantiation annotation (``kube_job_annotations``: manual vs scheduled runs)."""
    return [f"--resources={','.join(RESOURCES)}", f"--metric-annotations-allowlist=jobs=[{MANUAL_ANNOTATION[0]}]"]
