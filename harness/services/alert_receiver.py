"""What the Alertmanager webhook receiver got, as tests ask about it.

The receiver (:mod:`harness.services.webhook_server`) runs in the cluster with the monitoring stack
(harness/monitoring); it appends each notification as one JSON line to its store and serves them back by
``GET /notifications``. :class:`ReceivedAlerts` is the query API over those payloads
(:meth:`~ReceivedAlerts.alerts`, :meth:`~ReceivedAlerts.wait_for_alert`); ``ClusterReceiver`` reads them
through the API server.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
