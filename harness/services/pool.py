"""Start host-process test services on demand, once per test session (or CLI call).

``ServicePool.get(name)`` returns a running, healthy service, starting it the first time. ``stop_started``
stops only what this pool started, so services that were already running (``harness services up``)
are left alone. (Prometheus, Alertmanager and kube-state-metrics run only in the cluster, with
prometheus-operator: harness/monitoring.)
"""

from __future__ import annotations

import importlib

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
    """Running services by name."""

    def __init__(self) -> None:
        self._services: dict[str, Service] = {}
        self._started: list[str] = []

    def handle(self, name: str) -> Service:
        """A Service object for ``name`` that starts nothing: enough to read its status or stop it."""
        return self._services.get(name) or service_class(name)()

    def get(self, name: str) -> Service:
        """The running service ``name``, started if needed."""
        if name not in self._services:
            service = service_class(name)()
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
