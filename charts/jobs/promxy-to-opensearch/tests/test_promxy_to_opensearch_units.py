"""promxy-to-opensearch's own logic without a cluster: the window and URL checks, chunking on one step grid,
the query_range client against a small HTTP server on 127.0.0.1 (answers, errors, retries), the documents
of the README and the run's outcomes (dry run: the documents are logged, not written).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from jobkit.config import load
from jobkit.errors import ConfigError, JobError
from jobkit.retry import Backoff

SINK = {"SINK_KIND": "opensearch", "SINK_URL": "http://127.0.0.1:9200"}
DAY_S = 86_400


class PromServer:
    """Answers GET /api/v1/query_range with the next scripted (status, body), or a matrix of ``series``."""

    def __init__(self) -> None:
        self.script: list[tuple[int, bytes]] = []
        self.series: list[dict[str, Any]] = []
        self.requests: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                params = {key: values[0] for key, values in parse_qs(urlsplit(self.path).query).items()}
                outer.requests.append(params)
                status, body = outer.script.pop(0) if outer.script else (200, outer.matrix(params))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/query_range"

    def matrix(self, params: dict[str, str]) -> bytes:
        start, end = int(params["start"]), int(params["end"])
        result = [{"metric": s["metric"], "values": [v for v in s["values"] if start <= v[0] <= end]}
                  for s in self.series]
        return json.dumps({"status": "success", "data": {"resultType": "matrix", "result": result},
                           "warnings": ["backend b down"]}).encode()


@pytest.fixture
def prom() -> Iterator[PromServer]:
    server = PromServer()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_window_and_urls(app: SimpleNamespace) -> None:
    config = load(app.main.VARIABLES, SINK)
    assert app.main.window_of(config, date(2026, 11, 30)) == (date(2026, 10, 31), date(2026, 11, 30))
    with pytest.raises(ConfigError) as info:
        app.main.window_of(load(app.main.VARIABLES, {**SINK, "START_DATE": "2026-11-02", "END_DATE": "2026-11-01"}),
                           date(2026, 11, 30))
    assert str(info.value) == "START_DATE=2026-11-02 is after END_DATE=2026-11-01; allowed: START_DATE <= END_DATE"
    with pytest.raises(ConfigError) as info:
        app.main.check_url(load(app.main.VARIABLES, {**SINK, "PROMXY_URL": "http://promxy:8082/api/v1/query"}))
    assert str(info.value) == ("PROMXY_URL='http://promxy:8082/api/v1/query' is not an http(s) URL of a query_range "
                               "endpoint; allowed: http(s)://host:port[/prefix]/api/v1/query_range")
    with pytest.raises(ConfigError) as info:
        load(app.main.VARIABLES, {**SINK, "STEP": "0"})
    assert str(info.value) == "STEP=0 is less than 1; allowed: 1 or more seconds"


def test_chunks_share_one_grid(app: SimpleNamespace) -> None:
    chunk = app.range_query.Chunk
    assert app.range_query.chunks(0, 100, 10, span=40) == [chunk(0, 30), chunk(40, 70), chunk(80, 100)]
    assert app.range_query.chunks(0, 5, 10) == [chunk(0, 5)]
    assert app.range_query.chunks(10, 0, 10) == []


def test_documents_follow_the_readme(app: SimpleNamespace) -> None:
    flat = app.documents.flatten([
        {"metric": {"rse": "T2_US_X", "rse_type": "DISK", "country": "US", "rucioInstance": "prod",
                    "source": "rucio", "job": "j"}, "values": [[DAY_S, "1e15"], [2 * DAY_S, "NaN"]]},
        {"metric": {"rucioInstance": "prod"}, "values": [[DAY_S, "5"], [2 * DAY_S, "6"]]},  # no rse
    ])
    assert flat.documents == [{"timestamp": "1970-01-02T00:00:00Z", "rse": "T2_US_X", "rse_type": "DISK",
                               "tier": "T2", "country": "US", "rucioInstance": "prod", "source": "rucio",
                               "used_bytes": 1e15}]
    assert (flat.series, flat.samples, flat.no_rse_series, flat.no_rse_samples, flat.non_finite) == (2, 4, 1, 2, 1)
    assert app.documents.doc_id(flat.documents[0]) == app.documents.key_id(*app.documents.KEY_FIELDS)(
        flat.documents[0])
    with pytest.raises(JobError) as info:
        app.documents.flatten([{"metric": {"rse": "A", "job": "a"}, "values": [[0, "1"]]},
                               {"metric": {"rse": "A", "job": "b"}, "values": [[0, "2"]]}])
    assert str(info.value).startswith("two series give the document of rse=A timestamp=1970-01-01T00:00:00Z ")


def test_query_range_errors_and_retries(app: SimpleNamespace, prom: PromServer) -> None:
    rq = app.range_query
    waits: list[float] = []
    prom.script = [(503, b"<html>busy</html>")]
    answer = rq.query_range(prom.url, "up", 0, DAY_S, DAY_S, Backoff(attempts=2), sleep=waits.append)
    assert (answer.series, answer.warnings, len(waits)) == ([], ["backend b down"], 1)
    cases = [
        ((400, b'{"status":"error","errorType":"bad_data","error":"parse error"}'),
         "failed: HTTP 400 bad_data: parse error"),
        ((200, b"not json"), "failed: answer is not JSON: not json"),
        ((200, b'{"status":"error","errorType":"execution","error":"boom"}'), "failed: status 'error' execution: boom"),
        ((200, b'{"status":"success","data":{"resultType":"vector","result":[]}}'),
         "failed: resultType is 'vector', not 'matrix' (is the URL a query_range endpoint and the query a range "
         "vector expression?)"),
        ((502, b""), "failed after 1 attempts: HTTP 502 (empty body)"),
    ]
    for reply, reason in cases:
        prom.script = [reply]
        with pytest.raises(rq.QueryError) as info:
            rq.query_range(prom.url, "up", 0, DAY_S, DAY_S, Backoff(attempts=1), sleep=waits.append)
        assert str(info.value) == reason
    with pytest.raises(rq.QueryError) as info:
        rq.query_range("http://127.0.0.1:1/api/v1/query_range", "up", 0, 0, 1, Backoff(attempts=1))
    assert str(info.value) == "failed after 1 attempts: Connection refused"


def test_run_outcomes(app: SimpleNamespace, prom: PromServer, run_main: Callable[..., Any],
                      job_events: Callable[[str], list[dict[str, Any]]]) -> None:
    start = 1_793_404_800  # 2026-10-31
    prom.series = [{"metric": {"rse": "T1_US_FNAL_Disk", "rucioInstance": "prod"},
                    "values": [[start + n * DAY_S, str(n)] for n in range(32)]}]
    environ = {**SINK, "PROMXY_URL": prom.url, "START_DATE": "2026-10-31", "END_DATE": "2026-12-01", "DRY_RUN": "1"}
    ctx = run_main(environ)
    assert (ctx.records_in, ctx.records_out) == (32, 32)
    assert [(e["start"], e["end"]) for e in job_events("queried")] == [(start, start + 29 * DAY_S),
                                                                      (start + 30 * DAY_S, start + 31 * DAY_S)]
    assert job_events("query warnings (the data may be partial)") == [{"warnings": ["backend b down"] * 2}]
    prom.series = []
    with pytest.raises(JobError) as info:
        run_main(environ)
    assert str(info.value) == (f"query_range of 'avg_over_time:rucio_report_used_space:1d' at {prom.url} returned "
                               f"no usable sample for 2026-10-31..2026-12-01 (0 samples); nothing to write")
    prom.script = [(400, b'{"errorType":"bad_data","error":"parse error"}')]
    with pytest.raises(JobError) as info:
        run_main(environ)
    assert str(info.value) == (f"query_range of 'avg_over_time:rucio_report_used_space:1d' at {prom.url} failed: "
                               f"HTTP 400 bad_data: parse error")
