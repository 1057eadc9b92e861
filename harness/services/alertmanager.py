"""The test Alertmanager's routing (the in-cluster Alertmanager of harness/monitoring is configured with it).

Every alert goes to one webhook (the receiver, :mod:`harness.services.webhook_server`), resolved ones too, each
alert in its own group (``group_by: ['...']``) and with short waits so a test sees a notification
within seconds of Prometheus firing or resolving the alert. Alerts of manual runs (``run="manual"``) take
their own route to a receiver of their own (same webhook), as production routes them apart from the pager.
"""

from __future__ import annotations

from collections.abc import Mapping

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
