"""Prometheus Pushgateway (Debian's prometheus-pushgateway), persisting pushed metrics: on loopback for the
host Prometheus of the alerting tests, and in the cluster for job tests (harness/services/incluster.py).

Jobs push their start / end / last-success metrics here; Prometheus scrapes it with ``honor_labels``.
Pushed groups are written to ``data/metrics.db`` (``--persistence.file``), so they survive a restart
just as they do for the real service.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import ClassVar

from harness.errors import HarnessError
from harness.services.base import HttpEndpoint, Service
from harness.toolchain import apt_ensure, pinned

PROGRAM = "/usr/bin/prometheus-pushgateway"


def pushgateway_command(listen: str, persistence_file: str) -> list[str]:
    """The Pushgateway's command line, listening on ``listen`` (``host:port``, or ``:port`` for every address)."""
    return [
        PROGRAM,
        f"--web.listen-address={listen}",
        f"--persistence.file={persistence_file}",
        # Written on shutdown anyway; a short interval also keeps pushes across a crash.
        "--persistence.interval=5s",
    ]


def push(pushgateway: HttpEndpoint, job: str, text: str, grouping: Mapping[str, str] | None = None) -> None:
    """Replace the metric group ``job`` (+ grouping labels) with ``text`` (Prometheus text format).

    Args:
        pushgateway: the Pushgateway, as the test host reaches it.
        job: the ``job`` grouping label.
        text: metrics in the Prometheus text exposition format (ends with a newline).
        grouping: further grouping labels (e.g. ``{"instance": "x"}``).

    Raises:
        HarnessError: when the Pushgateway rejects the push (with its answer).
    """
    path = "/metrics/job/" + urllib.parse.quote(job, safe="")
    for key, value in (grouping or {}).items():
        path += f"/{urllib.parse.quote(key, safe='')}/{urllib.parse.quote(value, safe='')}"
    request = urllib.request.Request(
        pushgateway.url + path, data=text.encode(), method="PUT",
        headers={"Content-Type": "text/plain; version=0.0.4"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10):
            pass
    except urllib.error.HTTPError as exc:
        raise HarnessError(
            f"pushgateway at {pushgateway.url} rejected the push to {path}: "
            f"{exc.code} {exc.read().decode(errors='replace').strip()}"
        ) from exc


class Pushgateway(Service):
    """The Pushgateway with its persistence file in the service's data directory."""

    name: ClassVar[str] = "pushgateway"
    default_ports: ClassVar[Mapping[str, int]] = {"http": 0}
    start_timeout: ClassVar[float] = 30.0

    @property
    def persistence_file(self) -> str:
        """Where the Pushgateway keeps pushed groups across restarts."""
        return str(self.data_dir / "metrics.db")

    def prepare(self) -> None:
        """Install the Debian package when missing (its system service is not started)."""
        apt_ensure(pinned("services-mongo-monitoring", "pushgateway"))

    def argv(self) -> list[str]:
        return pushgateway_command(self.address, self.persistence_file)

    def healthy(self) -> bool:
        return self.http_ok("/-/ready")

    def push(self, job: str, text: str, grouping: Mapping[str, str] | None = None) -> None:
        """:func:`push` to this Pushgateway."""
        push(self, job, text, grouping)
