"""Prometheus Alertmanager (Debian's prometheus-alertmanager) on loopback, routing to the harness receiver.

Every alert goes to one webhook (the :mod:`harness.services.alert_receiver`), resolved ones too, each
alert in its own group (``group_by: ['...']``) and with short waits so a test sees a notification
within seconds of Prometheus firing or resolving the alert. Alerts of manual runs (``run="manual"``) take
their own route to a receiver of their own (same webhook), as production routes them apart from the pager.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from harness.errors import HarnessError
from harness.services.alert_receiver import AlertReceiver
from harness.services.base import Service
from harness.toolchain import apt_ensure, pinned

PROGRAM = "/usr/bin/prometheus-alertmanager"
# Receiver names; the webhook payload names the receiver, so tests see which route an alert took.
SCHEDULED_RECEIVER = "harness"
MANUAL_RECEIVER = "harness-manual"
# Short waits: a test sees a notification about a second after Prometheus fires or resolves the alert.
TEST_TIMING: Mapping[str, str] = {"group_wait": "1s", "group_interval": "2s", "repeat_interval": "1m"}


def routing_config(webhook_url: str, timing: Mapping[str, str]) -> dict[str, object]:
    """Alertmanager's configuration: every alert to ``webhook_url``, manual runs by a route of their own.

    Args:
        webhook_url: where every notification is posted (resolved ones too).
        timing: ``group_wait``, ``group_interval`` and ``repeat_interval`` of the route.
    """
    webhook = [{"url": webhook_url, "send_resolved": True}]
    return {
        "route": {
            "receiver": SCHEDULED_RECEIVER,
            # '...' groups by every label: one notification per alert, easy to assert on.
            "group_by": ["..."],
            **timing,
            "routes": [{"matchers": ['run="manual"'], "receiver": MANUAL_RECEIVER}],
        },
        "receivers": [
            {"name": SCHEDULED_RECEIVER, "webhook_configs": webhook},
            {"name": MANUAL_RECEIVER, "webhook_configs": webhook},
        ],
    }


class Alertmanager(Service):
    """Alertmanager whose receivers post to one webhook (the harness's alert receiver).

    Args:
        webhook_url: where notifications are posted (None: the webhook of the harness's alert
            receiver in its default state directory, which must have been started first).
        group_wait: wait before the first notification of a new group.
        group_interval: wait before notifying changes (such as resolution) of a group.
        repeat_interval: wait before repeating an unchanged firing notification.
    """

    name: ClassVar[str] = "alertmanager"
    default_ports: ClassVar[Mapping[str, int]] = {"http": 0}
    start_timeout: ClassVar[float] = 30.0

    def __init__(
        self,
        webhook_url: str | None = None,
        *,
        group_wait: str = TEST_TIMING["group_wait"],
        group_interval: str = TEST_TIMING["group_interval"],
        repeat_interval: str = TEST_TIMING["repeat_interval"],
        root: Path | None = None,
        ports: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__(root, ports)
        self.webhook_url = webhook_url
        self.timing = {"group_wait": group_wait, "group_interval": group_interval,
                       "repeat_interval": repeat_interval}

    @property
    def config_file(self) -> Path:
        return self.root / "alertmanager.yml"

    def _webhook(self) -> str:
        if self.webhook_url is not None:
            return self.webhook_url
        receiver = AlertReceiver()
        if not receiver.ports["http"]:
            raise HarnessError(
                "alertmanager routes to the harness's alert receiver, which has not been started yet; "
                f"start it first (harness services up {receiver.name})"
            )
        return receiver.webhook_url

    def config(self) -> dict[str, object]:
        """The Alertmanager configuration (a dict; written as YAML's JSON subset).

        Raises:
            HarnessError: when no webhook URL was given and the alert receiver was never started.
        """
        return routing_config(self._webhook(), self.timing)

    def prepare(self) -> None:
        """Install the Debian package when missing and write the configuration.

        Raises:
            HarnessError: when no webhook URL was given and the alert receiver was never started.
        """
        apt_ensure(pinned("services-mongo-monitoring", "alertmanager"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(json.dumps(self.config(), indent=2) + "\n")

    def argv(self) -> list[str]:
        return [
            PROGRAM,
            f"--config.file={self.config_file}",
            f"--storage.path={self.data_dir}",
            f"--web.listen-address={self.address}",
            f"--web.external-url={self.url}/",
            # An empty address turns off the gossip cluster listener (it would bind every interface).
            "--cluster.listen-address=",
        ]

    def healthy(self) -> bool:
        return self.http_ok("/-/ready")
