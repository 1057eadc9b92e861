"""kube-state-metrics, built from Go modules, run as a host process against a cluster's kubeconfig.

It exports the state of the cluster's CronJobs, Jobs, Pods and Namespaces (``kube_job_status_failed``,
``kube_cronjob_status_last_successful_time``, ...) for Prometheus, which is what the job charts'
alert rules are written against. Both its listeners (metrics and its own telemetry) bind 127.0.0.1.
Jobs' manual-instantiation annotation is exported (``kube_job_annotations``), as the library's alerts
need it to tell manual runs from scheduled ones.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from harness.errors import HarnessError
from harness.jobrun import MANUAL_ANNOTATION
from harness.services.base import HOST, Service
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


class KubeStateMetrics(Service):
    """kube-state-metrics watching the cluster of ``kubeconfig``.

    Args:
        kubeconfig: the cluster's kubeconfig (e.g. the local provider's admin kubeconfig).
    """

    name: ClassVar[str] = "kube-state-metrics"
    default_ports: ClassVar[Mapping[str, int]] = {"http": 0, "telemetry": 0}
    start_timeout: ClassVar[float] = 60.0

    def __init__(
        self, kubeconfig: Path, root: Path | None = None, ports: Mapping[str, int] | None = None
    ) -> None:
        super().__init__(root, ports)
        self.kubeconfig = kubeconfig
        self._program: Path | None = None

    @property
    def version(self) -> str:
        return pinned("services-mongo-monitoring", "kube-state-metrics")

    def prepare(self) -> None:
        """Check the kubeconfig and build kube-state-metrics (cached by version).

        Raises:
            HarnessError: when the kubeconfig is missing or the build fails.
        """
        if not self.kubeconfig.is_file():
            raise HarnessError(
                f"kube-state-metrics needs a cluster, but its kubeconfig {self.kubeconfig} does not exist; "
                "start the cluster first (`harness cluster up`) or pass the kubeconfig of a running one"
            )
        self._program = build()

    def argv(self) -> list[str]:
        if self._program is None:
            raise HarnessError("KubeStateMetrics.argv() called before prepare()")
        return [
            str(self._program),
            f"--kubeconfig={self.kubeconfig}",
            f"--host={HOST}",
            f"--port={self.ports['http']}",
            f"--telemetry-host={HOST}",
            f"--telemetry-port={self.ports['telemetry']}",
            *collector_flags(),
        ]

    def healthy(self) -> bool:
        # /livez is delegated to the API server's: healthy means running and talking to the cluster.
        return self.http_ok("/livez", timeout=5)

    def metrics(self) -> str:
        """The current exposition (Prometheus text format) of the cluster's state.

        Raises:
            HarnessError: when kube-state-metrics does not answer.
        """
        try:
            with urllib.request.urlopen(f"{self.url}/metrics", timeout=30) as resp:
                return str(resp.read().decode())
        except (OSError, urllib.error.URLError) as exc:
            raise HarnessError(f"kube-state-metrics at {self.url} does not answer ({exc})") from exc
