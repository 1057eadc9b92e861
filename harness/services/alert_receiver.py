"""The harness's Alertmanager webhook receiver: records every notification so tests can assert on it.

It runs as its own process (``python -m harness.services.webhook_server``) so that it outlives the
command that started it, like the Alertmanager that posts to it. Each notification is appended as
one JSON line to ``data/notifications.jsonl`` and served back by ``GET /notifications``;
``DELETE /notifications`` forgets them (test isolation). :class:`AlertReceiver` starts the process
and is the query API (:class:`ReceivedAlerts`: :meth:`~ReceivedAlerts.alerts`,
:meth:`~ReceivedAlerts.wait_for_alert`), which the in-cluster receiver of harness/monitoring shares.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from harness.errors import HarnessError
from harness.paths import REPO_ROOT
from harness.services.base import Service
from harness.services.webhook_server import NOTIFICATIONS_PATH, WEBHOOK_PATH
from harness.waiting import wait_until


@dataclass(frozen=True)
class ReceivedAlert:
    """One alert of one webhook notification, as Alertmanager sent it."""

    name: str
    status: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: str
    ends_at: str
    fingerprint: str
    receiver: str

    @classmethod
    def from_webhook(cls, alert: Mapping[str, Any], receiver: str) -> ReceivedAlert:
        """One alert of a notification that Alertmanager sent to ``receiver`` (the route it took)."""
        labels = dict(alert.get("labels", {}))
        return cls(
            name=labels.get("alertname", ""),
            status=str(alert.get("status", "")),
            labels=labels,
            annotations=dict(alert.get("annotations", {})),
            starts_at=str(alert.get("startsAt", "")),
            ends_at=str(alert.get("endsAt", "")),
            fingerprint=str(alert.get("fingerprint", "")),
            receiver=receiver,
        )


class ReceivedAlerts(ABC):
    """Questions about what a webhook receiver has received, wherever it runs."""

    @abstractmethod
    def notifications(self) -> list[dict[str, Any]]:
        """Every webhook payload received (oldest first), as Alertmanager sent it.

        Raises:
            HarnessError: when the receiver does not answer.
        """

    def alerts(self, name: str | None = None, status: str | None = None) -> list[ReceivedAlert]:
        """The alerts of every notification (oldest first), filtered by alert name and status.

        Args:
            name: the ``alertname`` label to keep (None: all).
            status: "firing" or "resolved" (None: both).

        Raises:
            HarnessError: when the receiver does not answer.
        """
        found = [ReceivedAlert.from_webhook(a, str(n.get("receiver", ""))) for n in self.notifications()
                 for a in n.get("alerts", [])]
        return [a for a in found
                if (name is None or a.name == name) and (status is None or a.status == status)]

    def wait_for_alert(self, name: str, status: str = "firing", timeout: float = 60.0) -> ReceivedAlert:
        """Wait until a notification carries alert ``name`` with ``status``; return the first such alert.

        Args:
            name: the ``alertname`` label.
            status: "firing" or "resolved".
            timeout: seconds to wait.

        Returns:
            The first matching alert received.

        Raises:
            HarnessTimeout: when none arrives in time (the message lists what did arrive).
        """
        def probe() -> ReceivedAlert | None:
            matching = self.alerts(name, status)
            return matching[0] if matching else None

        def describe() -> str:
            seen = [(a.name, a.status) for a in self.alerts()]
            return f"received so far: {seen or 'nothing'}"

        return wait_until(probe, timeout=timeout, what=f"alert {name} ({status}) at the receiver",
                          interval=0.5, describe=describe)


class AlertReceiver(Service, ReceivedAlerts):
    """Starts the receiver process on loopback and answers questions about what it received."""

    name: ClassVar[str] = "alert-receiver"
    default_ports: ClassVar[Mapping[str, int]] = {"http": 0}
    start_timeout: ClassVar[float] = 30.0

    @property
    def webhook_url(self) -> str:
        """The URL Alertmanager's ``webhook_configs`` posts to."""
        return self.url + WEBHOOK_PATH

    def argv(self) -> list[str]:
        return [
            sys.executable, "-m", "harness.services.webhook_server",
            "--port", str(self.ports["http"]),
            "--store", str(self.data_dir / "notifications.jsonl"),
        ]

    def env(self) -> Mapping[str, str]:
        # The process runs from the service's state directory: make this checkout's harness importable.
        return {**os.environ, "PYTHONPATH": str(REPO_ROOT)}

    def healthy(self) -> bool:
        try:
            self.notifications()
        except HarnessError:
            return False
        return True

    def notifications(self) -> list[dict[str, Any]]:
        try:
            with urllib.request.urlopen(self.url + NOTIFICATIONS_PATH, timeout=5) as resp:
                payloads: list[dict[str, Any]] = json.load(resp)
        except (OSError, urllib.error.URLError, ValueError) as exc:
            raise HarnessError(f"alert receiver at {self.url} does not answer ({exc}); "
                               f"start it (harness services up {self.name})") from exc
        return payloads

    def clear(self) -> None:
        """Forget every notification received so far.

        Raises:
            HarnessError: when the receiver does not answer.
        """
        request = urllib.request.Request(self.url + NOTIFICATIONS_PATH, method="DELETE")
        try:
            with urllib.request.urlopen(request, timeout=5):
                pass
        except (OSError, urllib.error.URLError) as exc:
            raise HarnessError(f"alert receiver at {self.url} does not answer ({exc})") from exc
