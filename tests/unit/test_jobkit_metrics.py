"""jobkit.metrics: the samples of a start and an end push, the grouping key, and what happens when
the Pushgateway answers badly or not at all. Pushes go over real HTTP to a small recording server on
127.0.0.1 (it stands in for the Pushgateway's HTTP API; the real one is used in the e2e tests)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jobkit.metrics import (
    Pusher,
    PushTarget,
    RunOutcome,
    end_registry,
    exposition,
    start_registry,
)
from jobkit.retry import Backoff


class RecordingServer(ThreadingHTTPServer):
    """Answers every request with the next status of ``statuses`` (then 200) and records it."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RecordingHandler)
        self.requests: list[tuple[str, str, str]] = []
        self.statuses: list[int] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class RecordingHandler(BaseHTTPRequestHandler):
    server: RecordingServer

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.requests.append((self.command, self.path, self.rfile.read(length).decode()))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT = _record  # noqa: N815 - BaseHTTPRequestHandler's naming

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    srv = RecordingServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def samples(text: str) -> dict[str, float]:
    """``{'name{labels}': value}`` of the non-comment lines of an exposition."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def test_start_registry() -> None:
    assert samples(exposition(start_registry(1700000000.5, "test"))) == {
        'cronjob_last_start_timestamp_seconds{env="test"}': 1700000000.5,
    }


def test_end_registry_on_success_has_last_success() -> None:
    outcome = RunOutcome(started=100.0, ended=130.25, ok=True, records_in=10, records_out=7)
    assert samples(exposition(end_registry(outcome, "prod"))) == {
        'cronjob_last_end_timestamp_seconds{env="prod"}': 130.25,
        'cronjob_last_status{env="prod"}': 1.0,
        'cronjob_duration_seconds{env="prod"}': 30.25,
        'cronjob_records_in{env="prod"}': 10.0,
        'cronjob_records_out{env="prod"}': 7.0,
        'cronjob_last_success_timestamp_seconds{env="prod"}': 130.25,
    }


def test_end_registry_on_failure_has_no_last_success_and_no_env_label_when_unset() -> None:
    outcome = RunOutcome(started=100.0, ended=101.0, ok=False, records_in=3)
    assert samples(exposition(end_registry(outcome))) == {
        "cronjob_last_end_timestamp_seconds": 101.0,
        "cronjob_last_status": 0.0,
        "cronjob_duration_seconds": 1.0,
        "cronjob_records_in": 3.0,
        "cronjob_records_out": 0.0,
    }


def test_target_from_env() -> None:
    environ = {"PUSHGATEWAY_URL": "http://127.0.0.1:9091", "PUSHGATEWAY_JOB": "cms-cpueff",
               "PUSHGATEWAY_INSTANCE": "test", "METRICS_ENV": "test"}
    assert PushTarget.from_env(environ, "cpueff") == PushTarget("http://127.0.0.1:9091", "cms-cpueff", "test", "test")
    assert PushTarget.from_env({"PUSHGATEWAY_URL": "http://x:1"}, "cpueff") == PushTarget("http://x:1", "cpueff")
    assert PushTarget.from_env({}, "cpueff") is None


def test_pushes_go_with_post_under_the_grouping_key(server: RecordingServer) -> None:
    pusher = Pusher(PushTarget(server.url, "cms-cpueff", "test", "test"))
    assert pusher.start(1000.0) is True
    assert pusher.end(RunOutcome(1000.0, 1012.0, ok=True, records_in=5, records_out=2)) is True
    (method1, path1, body1), (method2, path2, body2) = server.requests
    # POST (push_add): replaces only the pushed metrics, so last-success of earlier runs stays.
    assert (method1, path1, method2, path2) == ("POST", "/metrics/job/cms-cpueff/instance/test",
                                                "POST", "/metrics/job/cms-cpueff/instance/test")
    assert samples(body1) == {'cronjob_last_start_timestamp_seconds{env="test"}': 1000.0}
    assert samples(body2)['cronjob_last_success_timestamp_seconds{env="test"}'] == 1012.0
    assert samples(body2)['cronjob_duration_seconds{env="test"}'] == 12.0


def test_a_5xx_is_retried_once(server: RecordingServer) -> None:
    server.statuses = [503]
    assert Pusher(PushTarget(server.url, "j"), Backoff(attempts=2, base=0.01)).start(1.0) is True
    assert [method for method, _, _ in server.requests] == ["POST", "POST"]


def test_a_4xx_is_not_retried_and_does_not_raise(server: RecordingServer, caplog: pytest.LogCaptureFixture) -> None:
    server.statuses = [400]
    assert Pusher(PushTarget(server.url, "j"), Backoff(attempts=2, base=0.01)).start(1.0) is False
    assert len(server.requests) == 1
    assert "could not push start metrics" in caplog.text


def test_unreachable_pushgateway_is_a_warning_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    srv = RecordingServer()
    url = srv.url
    srv.server_close()  # nothing listens on this port any more: connection refused
    assert Pusher(PushTarget(url, "j"), Backoff(attempts=2, base=0.01)).end(RunOutcome(1, 2, ok=True)) is False
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert [r.getMessage() for r in warnings] == [
        f"push of end metrics to {url} failed, retrying",
        "metrics: could not push end metrics; the job goes on without them",
    ]


def test_no_target_means_no_push(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    assert Pusher(None).start(1.0) is False
    assert "metrics: start not pushed (PUSHGATEWAY_URL is not set)" in caplog.text
