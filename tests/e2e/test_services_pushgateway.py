"""The host-process Pushgateway, started from cold in a fresh state directory, written to with its own API and
read back exactly, restarted with its data kept, and stopped with no process left.

(Prometheus, Alertmanager, kube-state-metrics and the webhook receiver run only in the cluster, with
prometheus-operator: tests/e2e/test_alerting.py and test_alerting_operator.py.) Start times and resident
memory are printed as ``FIGURE`` lines (run with ``-s`` to see them).
"""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.services.base import Service
from harness.services.pushgateway import Pushgateway
from tests.e2e.service_checks import listening_addresses, rss_mib, stop_and_check_gone

pytestmark = pytest.mark.e2e

SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


# --- helpers -----------------------------------------------------------------------------------


def timed_start(service: Service, kind: str) -> int:
    """Start ``service``, print its start time and memory, check it listens on loopback only.

    A failed check stops the service again, so a failing test leaves no process behind.
    """
    started = time.monotonic()
    try:
        service.start()
        return _check_started(service, kind, time.monotonic() - started)
    except BaseException:
        service.stop()
        raise


def _check_started(service: Service, kind: str, seconds: float) -> int:
    pid = service.process.pid
    assert pid is not None
    print(f"FIGURE {service.name} {kind} start {seconds:.2f}s rss {rss_mib(pid):.1f}MiB")
    addresses = listening_addresses(pid)
    assert addresses, f"{service.name} listens nowhere"
    assert all(a.startswith("127.0.0.1:") for a in addresses), addresses
    return pid


def http(method: str, url: str, body: str | None = None) -> str:
    request = urllib.request.Request(url, data=body.encode() if body is not None else None, method=method)
    with urllib.request.urlopen(request, timeout=10) as resp:
        return str(resp.read().decode())


def samples(exposition: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Parse the Prometheus text format into {(name, labels): value}."""
    parsed = {}
    for line in exposition.splitlines():
        match = SAMPLE.match(line)
        if match and not line.startswith("#"):
            labels = frozenset(LABEL.findall(match["labels"] or ""))
            parsed[(match["name"], labels)] = float(match["value"])
    return parsed


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset(labels.items())


@pytest.fixture(scope="module")
def pushgateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pushgateway]:
    service = Pushgateway(root=tmp_path_factory.mktemp("pushgateway"))
    timed_start(service, "cold")
    yield service
    stop_and_check_gone(service)


# --- tests -------------------------------------------------------------------------------------
PUSHED = """\
# TYPE cronjob_last_success_timestamp_seconds gauge
cronjob_last_success_timestamp_seconds{env="test"} 1763856000
# TYPE cronjob_records_written gauge
cronjob_records_written{env="test",sink="mongodb"} 12345
"""


def test_pushgateway_keeps_pushed_metrics_across_restart(pushgateway: Pushgateway) -> None:
    http("PUT", f"{pushgateway.url}/metrics/job/rucio-daily/instance/cron-1", PUSHED)
    labels = {"env": "test", "job": "rucio-daily", "instance": "cron-1"}
    expected = {
        key("cronjob_last_success_timestamp_seconds", **labels): 1763856000.0,
        key("cronjob_records_written", sink="mongodb", **labels): 12345.0,
    }

    def pushed_now() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        exposed = samples(http("GET", f"{pushgateway.url}/metrics"))
        return {k: v for k, v in exposed.items() if k[0].startswith("cronjob_")}

    assert pushed_now() == expected

    stop_and_check_gone(pushgateway)
    assert Path(pushgateway.persistence_file).stat().st_size > 0
    timed_start(pushgateway, "warm")
    assert pushed_now() == expected
