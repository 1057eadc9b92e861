"""Prometheus' HTTP API as the harness reads it, and a Prometheus of its own serving backfilled series.

:class:`PrometheusQueries` is the query API wherever the server runs: :class:`PrometheusAt` over a base URL
(``harness status --prometheus URL``), ``harness.monitoring.operator.ClusterPrometheus`` through the API
server. :func:`serve_tsdb` runs Debian's Prometheus on loopback over TSDB blocks (the promxy-to-opensearch
benchmark's data source; its job tests use :mod:`harness.services.backfilled` in the cluster). The test
services' Prometheus, Alertmanager and kube-state-metrics run in the cluster, managed by prometheus-operator
(harness/monitoring).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.process import ManagedProcess, free_port
from harness.services.base import HOST
from harness.toolchain import apt_ensure, pinned
from harness.waiting import wait_until

PROGRAM = "/usr/bin/prometheus"


class PrometheusQueries(ABC):
    """Prometheus' HTTP API, wherever the server runs (host process, or in the cluster behind the API server)."""

    @abstractmethod
    def _api(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET ``/api/v1/<path>`` and return the answer's ``data``.

        Raises:
            HarnessError: when the request fails (with Prometheus' message) or nothing answers.
        """

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        """Evaluate an instant query and return its samples (``[{"metric": {...}, "value": [t, "v"]}]``).

        Args:
            promql: the expression (should return an instant vector).
            at: evaluation time as a Unix timestamp (None: now).

        Raises:
            HarnessError: when the query is invalid or Prometheus does not answer.
        """
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self._api("query", params)
        result: list[dict[str, Any]] = data["result"]
        return result

    def alerts(self) -> list[dict[str, Any]]:
        """The alerts Prometheus currently holds (pending or firing), as its API returns them.

        Raises:
            HarnessError: when Prometheus does not answer.
        """
        alerts: list[dict[str, Any]] = self._api("alerts")["alerts"]
        return alerts

    def rule_groups(self) -> list[dict[str, Any]]:
        """The rule groups Prometheus has loaded (each with ``name``, ``file`` and ``rules``).

        Raises:
            HarnessError: when Prometheus does not answer.
        """
        groups: list[dict[str, Any]] = self._api("rules")["groups"]
        return groups

    def targets(self) -> list[dict[str, Any]]:
        """The active scrape targets with their health and last error.

        Raises:
            HarnessError: when Prometheus does not answer.
        """
        active: list[dict[str, Any]] = self._api("targets")["activeTargets"]
        return active


class PrometheusAt(PrometheusQueries):
    """The HTTP API of the Prometheus at a base URL (``--prometheus URL``, a port-forward, the host service)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _api(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=30) as resp:
                answer = json.load(resp)
        except urllib.error.HTTPError as exc:
            raise HarnessError(
                f"prometheus API {path} {dict(params or {})} failed: "
                f"{exc.code} {exc.read().decode(errors='replace').strip()}"
            ) from exc
        except (OSError, urllib.error.URLError) as exc:
            raise HarnessError(f"prometheus at {self.url} does not answer ({exc}); is it running?") from exc
        return answer["data"]


def serve_tsdb(root: Path, label: str) -> tuple[ManagedProcess, str]:
    """Start a Prometheus of its own that only serves the TSDB blocks in ``root / "tsdb"`` (e.g. days
    backfilled with ``promtool tsdb create-blocks-from openmetrics``), on a free loopback port.

    It scrapes nothing, and its retention is 10 years so backfilled days older than the default 15 days
    are not dropped. The caller stops the returned process.

    Args:
        root: directory holding ``tsdb/``; the config, PID file and log are written beside it.
        label: what the process is called in messages.

    Returns:
        The running process and its base URL (``http://127.0.0.1:<port>``).

    Raises:
        HarnessTimeout: when it is not ready within a minute (with its log tail); it is stopped first.
    """
    apt_ensure(pinned("services-mongo-monitoring", "prometheus"))
    (root / "prometheus.yml").write_text("global: {}\n")
    port = free_port()
    url = f"http://{HOST}:{port}"
    process = ManagedProcess(label, root / "prometheus.pid", root / "prometheus.log")
    process.start([PROGRAM, f"--config.file={root / 'prometheus.yml'}", f"--storage.tsdb.path={root / 'tsdb'}",
                   f"--web.listen-address={HOST}:{port}", "--storage.tsdb.retention.time=3650d"])

    def ready() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    try:
        wait_until(ready, timeout=60, what=f"{label} on {url} to be ready", describe=process.log_tail)
    except BaseException:
        process.stop()
        raise
    return process, url
