"""Prometheus (Debian's prometheus) on loopback: scrapes the Pushgateway and kube-state-metrics,
evaluates the rule files the harness drops in ``rules/``, and sends alerts to the Alertmanager.

Scrape and Alertmanager targets live in file-based service discovery files (``targets/<job>.json``)
so they can be set or changed while Prometheus runs (it watches those files); rule files need
:meth:`Prometheus.reload`. Intervals are short (2 s by default) so tests see scrapes and alerts quickly.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from harness.errors import HarnessError
from harness.process import ManagedProcess, free_port
from harness.services.base import HOST, Service
from harness.toolchain import apt_ensure, pinned
from harness.waiting import wait_until

PROGRAM = "/usr/bin/prometheus"
PUSHGATEWAY_JOB = "pushgateway"
KUBE_STATE_METRICS_JOB = "kube-state-metrics"
ALERTMANAGER_TARGETS = "alertmanager"


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


class Prometheus(Service, PrometheusQueries):
    """Prometheus with its config, TSDB, rule files and discovery files in its state directory.

    Args:
        pushgateway: ``host:port`` of the Pushgateway to scrape (None: none yet).
        kube_state_metrics: ``host:port`` of kube-state-metrics to scrape (None: none yet).
        alertmanager: ``host:port`` of the Alertmanager to send alerts to (None: none yet).
        scrape_interval: how often targets are scraped.
        evaluation_interval: how often rules are evaluated.
    """

    name: ClassVar[str] = "prometheus"
    default_ports: ClassVar[Mapping[str, int]] = {"http": 0}
    start_timeout: ClassVar[float] = 60.0

    def __init__(
        self,
        *,
        pushgateway: str | None = None,
        kube_state_metrics: str | None = None,
        alertmanager: str | None = None,
        scrape_interval: str = "2s",
        evaluation_interval: str = "2s",
        root: Path | None = None,
        ports: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__(root, ports)
        self.initial_targets = {
            PUSHGATEWAY_JOB: pushgateway,
            KUBE_STATE_METRICS_JOB: kube_state_metrics,
            ALERTMANAGER_TARGETS: alertmanager,
        }
        self.scrape_interval = scrape_interval
        self.evaluation_interval = evaluation_interval

    # --- files ---------------------------------------------------------------------------------
    @property
    def config_file(self) -> Path:
        return self.root / "prometheus.yml"

    @property
    def rules_dir(self) -> Path:
        """Directory of rule files (``*.yml``/``*.yaml``, Prometheus rule-group format) loaded at (re)load."""
        return self.root / "rules"

    @property
    def targets_dir(self) -> Path:
        return self.root / "targets"

    def config(self) -> dict[str, Any]:
        """The Prometheus configuration (a dict; written as YAML's JSON subset)."""
        def discovered(name: str) -> dict[str, Any]:
            return {"file_sd_configs": [{"files": [str(self.targets_dir / f"{name}.json")]}]}

        return {
            "global": {
                "scrape_interval": self.scrape_interval,
                "evaluation_interval": self.evaluation_interval,
            },
            "rule_files": [str(self.rules_dir / "*.yml"), str(self.rules_dir / "*.yaml")],
            "alerting": {"alertmanagers": [discovered(ALERTMANAGER_TARGETS)]},
            "scrape_configs": [
                # Pushed metrics carry the pushing job's own job/instance labels: keep them.
                {"job_name": PUSHGATEWAY_JOB, "honor_labels": True, **discovered(PUSHGATEWAY_JOB)},
                {"job_name": KUBE_STATE_METRICS_JOB, **discovered(KUBE_STATE_METRICS_JOB)},
            ],
        }

    def set_targets(self, job: str, addresses: Sequence[str]) -> None:
        """Point a scrape job (or ``"alertmanager"``) at ``addresses``; a running Prometheus follows.

        Args:
            job: "pushgateway", "kube-state-metrics" or "alertmanager".
            addresses: ``host:port`` strings (empty: no target).
        """
        self.targets_dir.mkdir(parents=True, exist_ok=True)
        target_file = self.targets_dir / f"{job}.json"
        partial = target_file.with_suffix(".json.tmp")
        partial.write_text(json.dumps([{"targets": list(addresses)}]) + "\n")
        # Rename so Prometheus' file watcher never reads a half-written file.
        partial.replace(target_file)

    def write_rules(self, name: str, text: str) -> Path:
        """Write the rule file ``rules/<name>.yml`` (call :meth:`reload` when Prometheus runs).

        Args:
            name: file name without extension.
            text: YAML with ``groups:`` in Prometheus' rule-file format (a PrometheusRule's spec).

        Returns:
            The path written.
        """
        self.rules_dir.mkdir(parents=True, exist_ok=True)
        path = self.rules_dir / f"{name}.yml"
        # Atomically: a reload by a concurrent session must never read a half-written (or empty) file, which
        # would drop the alerts' state (an alert then ends without a "resolved" notification).
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(text)
        partial.replace(path)
        return path

    def write_prometheus_rule(self, manifest: Mapping[str, Any]) -> Path:
        """Write the rule groups of a PrometheusRule object (as a job chart renders it) to ``rules/``.

        Prometheus Operator would do this in a cluster; here the harness does it, into
        ``rules/<namespace>-<name>.yml`` (call :meth:`reload` when Prometheus runs).

        Args:
            manifest: the PrometheusRule object (``kind``, ``metadata``, ``spec.groups``).

        Returns:
            The path written.

        Raises:
            HarnessError: when ``manifest`` is not a PrometheusRule with ``spec.groups``.
        """
        metadata = manifest.get("metadata") or {}
        groups = (manifest.get("spec") or {}).get("groups")
        if manifest.get("kind") != "PrometheusRule" or "name" not in metadata or not groups:
            raise HarnessError(
                f"expected a PrometheusRule with metadata.name and spec.groups, got kind "
                f"{manifest.get('kind')!r} named {metadata.get('name')!r}"
            )
        name = f"{metadata.get('namespace', 'default')}-{metadata['name']}"
        return self.write_rules(name, json.dumps({"groups": groups}, indent=2) + "\n")

    # --- lifecycle -----------------------------------------------------------------------------
    def prepare(self) -> None:
        """Install the Debian package when missing; write the config and the initial targets."""
        apt_ensure(pinned("services-mongo-monitoring", "prometheus"))
        self.rules_dir.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(json.dumps(self.config(), indent=2) + "\n")
        for job, address in self.initial_targets.items():
            if address is not None or not (self.targets_dir / f"{job}.json").exists():
                self.set_targets(job, [address] if address else [])

    def argv(self) -> list[str]:
        return [
            PROGRAM,
            f"--config.file={self.config_file}",
            f"--storage.tsdb.path={self.data_dir}",
            f"--web.listen-address={self.address}",
            # Alert links (generatorURL) point at loopback instead of the host name.
            f"--web.external-url={self.url}/",
            # Lets reload() apply new rule files without a restart.
            "--web.enable-lifecycle",
            # Prometheus 2.42 forgets its Alertmanagers on every reload until service discovery runs again
            # (about 4 s); alerts sent then are dropped and, with the default delay, sent again only a minute
            # later. Every test's rule load reloads the shared server, so a "resolved" could arrive a minute
            # late. Re-sending every 10 s bounds that; Alertmanager then expires an alert Prometheus stops
            # sending after 40 s (4 x the delay) instead of 4 minutes.
            "--rules.alert.resend-delay=10s",
        ]

    def healthy(self) -> bool:
        return self.http_ok("/-/ready")

    def reload(self) -> None:
        """Re-read the configuration and the rule files (POST /-/reload).

        Raises:
            HarnessError: when Prometheus rejects them (its message names the bad file and line).
        """
        log = self.process.log_file
        log_offset = log.stat().st_size if log.exists() else 0
        request = urllib.request.Request(f"{self.url}/-/reload", data=b"", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30):
                pass
        except urllib.error.HTTPError as exc:
            # The HTTP answer only says that something failed; the log lines of this reload say what.
            with log.open("rb") as fh:
                fh.seek(log_offset)
                errors = [line for line in fh.read().decode(errors="replace").splitlines()
                          if "level=error" in line]
            raise HarnessError(
                f"prometheus rejected its configuration or rules in {self.root}: "
                f"{exc.read().decode(errors='replace').strip()}\n" + "\n".join(errors)
            ) from exc
        except (OSError, urllib.error.URLError) as exc:
            raise HarnessError(f"prometheus at {self.url} does not answer ({exc}); is it running?") from exc

    # --- queries (PrometheusQueries) ---------------------------------------------------------
    def _api(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        return PrometheusAt(self.url)._api(path, params)


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
