"""Start services on demand, with their dependencies, once per test session (or CLI call).

``ServicePool.get(name)`` returns a running, healthy service, starting it (and what it needs, e.g.
Prometheus needs the Pushgateway, kube-state-metrics and Alertmanager) the first time. ``stop_started``
stops only what this pool started, so services that were already running (``harness services up``)
are left alone.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from harness.errors import HarnessError
from harness.prerequisites import once
from harness.services.base import Service

# name -> (module, class); imported lazily so one service's missing module never breaks the others.
SERVICES: dict[str, tuple[str, str]] = {
    "hdfs": ("harness.services.hdfs", "Hdfs"),
    "elasticsearch": ("harness.services.elasticsearch", "Elasticsearch"),
    "opensearch": ("harness.services.opensearch", "OpenSearch"),
    "ferretdb": ("harness.services.ferretdb", "FerretDB"),
    "pushgateway": ("harness.services.pushgateway", "Pushgateway"),
    "alert-receiver": ("harness.services.alert_receiver", "AlertReceiver"),
    "alertmanager": ("harness.services.alertmanager", "Alertmanager"),
    "kube-state-metrics": ("harness.services.kube_state_metrics", "KubeStateMetrics"),
    "prometheus": ("harness.services.prometheus", "Prometheus"),
}


def service_class(name: str) -> type[Service]:
    """The Service subclass for ``name``.

    Raises:
        HarnessError: for an unknown name (listing the known ones).
    """
    if name not in SERVICES:
        raise HarnessError(f"unknown service {name!r}; services: {', '.join(SERVICES)}")
    module, cls = SERVICES[name]
    try:
        found: type[Service] = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as exc:
        raise HarnessError(f"service {name} is not available in this checkout ({module}.{cls}: {exc})") from exc
    return found


class ServicePool:
    """Running services by name; ``kubeconfig`` is needed only by kube-state-metrics."""

    def __init__(self, kubeconfig: Path | None = None) -> None:
        self.kubeconfig = kubeconfig
        self._services: dict[str, Service] = {}
        self._started: list[str] = []

    def _make(self, name: str) -> Service:
        # Wiring: the services that need another one's address are built here, typed.
        if name == "alertmanager":
            from harness.services.alert_receiver import AlertReceiver
            from harness.services.alertmanager import Alertmanager

            receiver = self.get("alert-receiver")
            assert isinstance(receiver, AlertReceiver)
            return Alertmanager(receiver.webhook_url)
        if name == "kube-state-metrics":
            from harness.services.kube_state_metrics import KubeStateMetrics

            return KubeStateMetrics(self._require_kubeconfig())
        if name == "prometheus":
            from harness.services.alertmanager import Alertmanager
            from harness.services.kube_state_metrics import KubeStateMetrics
            from harness.services.prometheus import Prometheus
            from harness.services.pushgateway import Pushgateway

            pushgateway, ksm, alertmanager = (self.get(n) for n in ("pushgateway", "kube-state-metrics",
                                                                    "alertmanager"))
            assert isinstance(pushgateway, Pushgateway) and isinstance(ksm, KubeStateMetrics)
            assert isinstance(alertmanager, Alertmanager)
            return Prometheus(pushgateway=pushgateway.address, kube_state_metrics=ksm.address,
                              alertmanager=alertmanager.address)
        return service_class(name)()

    def _require_kubeconfig(self) -> Path:
        if self.kubeconfig is None:
            raise HarnessError("kube-state-metrics needs a cluster: start one (`harness cluster up`)")
        return self.kubeconfig

    def handle(self, name: str) -> Service:
        """A Service object for ``name`` that starts nothing: enough to read its status or stop it."""
        if name in self._services:
            return self._services[name]
        if name == "kube-state-metrics":
            from harness.services.kube_state_metrics import KubeStateMetrics

            return KubeStateMetrics(self.kubeconfig or Path("/nonexistent"))
        return service_class(name)()

    def get(self, name: str) -> Service:
        """The running service ``name``, started with its dependencies if needed."""
        if name not in self._services:
            service = self._make(name)
            was_running = service.process.running() and service.healthy()
            once(f"the {name} service", service.start)
            if not was_running:
                self._started.append(name)
            self._services[name] = service
        return self._services[name]

    @property
    def started(self) -> list[str]:
        """The services this pool started, in start order."""
        return list(self._started)

    def stop_started(self) -> None:
        """Stop, in reverse start order, the services this pool started."""
        for name in reversed(self._started):
            self._services[name].stop()
        self._started.clear()
