"""jobkit.run: exit codes, the one-line failure reason on stderr, JSON log lines, dry runs pushing
nothing, and SIGTERM handling (in a real child process)."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jobkit.config import Var
from jobkit.errors import JobError
from jobkit.logs import JobkitHandler
from jobkit.run import RunContext, execute

REPO = Path(__file__).resolve().parents[2]
VARS = (Var("DAYS", "int", default=3),)


@pytest.fixture(autouse=True)
def _remove_jobkit_handler() -> Iterator[None]:
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, JobkitHandler)]:
        root.removeHandler(handler)


Lines = list[dict[str, Any]]


def run(main: Callable[[RunContext], None], environ: dict[str, str] | None = None,
        argv: tuple[str, ...] = ()) -> tuple[int, str, Lines]:
    out, err = io.StringIO(), io.StringIO()
    code = execute(main, "myjob", VARS, environ or {}, argv, stderr=err, stdout=out)
    return code, err.getvalue(), [json.loads(line) for line in out.getvalue().splitlines()]


def test_success_exits_0_and_logs_json_lines() -> None:
    def main(ctx: RunContext) -> None:
        ctx.records_in, ctx.records_out = 10, 4
        ctx.log.info("computed", days=ctx.config.integer("DAYS"))

    code, err, lines = run(main, {"DAYS": "5"})
    assert (code, err) == (0, "")
    assert [line["msg"] for line in lines] == [
        "job started", "metrics: start not pushed (PUSHGATEWAY_URL is not set)", "computed",
        "metrics: end not pushed (PUSHGATEWAY_URL is not set)", "job finished",
    ]
    assert all(set(line) == {"ts", "level", "job", "msg", "fields"} and line["job"] == "myjob" for line in lines)
    assert lines[2]["fields"] == {"days": 5}
    finished = lines[-1]["fields"]
    assert {k: finished[k] for k in ("status", "exit_code", "records_in", "records_out")} == {
        "status": "ok", "exit_code": 0, "records_in": 10, "records_out": 4}


def test_exception_exits_1_with_one_line_reason() -> None:
    def main(ctx: RunContext) -> None:
        raise ValueError("malformed record\nat line 3")

    code, err, lines = run(main)
    assert (code, err) == (1, "myjob: failed: ValueError: malformed record at line 3\n")
    assert lines[-1]["fields"]["reason"] == "ValueError: malformed record at line 3"
    assert "Traceback" in next(line for line in lines if line["msg"] == "unexpected error")["fields"]["traceback"]


def test_job_error_reason_is_its_message() -> None:
    def main(ctx: RunContext) -> None:
        raise JobError("input partition /project/x/2026/11/01 is missing")

    code, err, _ = run(main)
    assert (code, err) == (1, "myjob: failed: input partition /project/x/2026/11/01 is missing\n")


def test_bad_config_exits_2_without_running_main() -> None:
    calls: list[int] = []
    code, err, _ = run(lambda ctx: calls.append(1), {"DAYS": "many"})
    assert (code, err, calls) == (2, "myjob: failed: invalid configuration: DAYS='many' is not an integer; "
                                     "allowed: an integer\n", [])


def test_dry_run_pushes_nothing() -> None:
    seen: list[bool] = []
    # An address nothing listens on: a push attempt would log a warning, a dry run must not try.
    code, _, lines = run(lambda ctx: seen.append(ctx.dry_run), {"PUSHGATEWAY_URL": "http://127.0.0.1:9"},
                         ("--test",))
    assert (code, seen) == (0, [True])
    assert [line["msg"] for line in lines if line["msg"].startswith("metrics")] == [
        "metrics: start not pushed (PUSHGATEWAY_URL is not set)",
        "metrics: end not pushed (PUSHGATEWAY_URL is not set)",
    ]


def test_sigterm_exits_143_with_a_reason(tmp_path: Path) -> None:
    script = tmp_path / "sleepy.py"
    script.write_text(textwrap.dedent("""
        import time
        from jobkit.run import run_job

        def main(ctx):
            ctx.log.info("ready")
            time.sleep(60)

        run_job(main, "sleepy")
    """))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PUSHGATEWAY_URL", None)
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
    assert child.stdout is not None
    for line in child.stdout:
        if json.loads(line)["msg"] == "ready":
            break
    started = time.monotonic()
    child.send_signal(signal.SIGTERM)
    stdout, stderr = child.communicate(timeout=30)
    assert time.monotonic() - started < 5
    assert (child.returncode, stderr) == (143, "sleepy: failed: terminated by SIGTERM\n")
    finished = json.loads(stdout.splitlines()[-1])
    assert (finished["msg"], finished["fields"]["exit_code"]) == ("job finished", 143)


def test_library_log_records_use_the_same_json_format() -> None:
    def main(ctx: RunContext) -> None:
        logging.getLogger("pymongo.topology").warning("server %s unreachable", "127.0.0.1:1")
        logging.getLogger("pymongo.topology").info("chatty detail")  # client libraries: warnings only

    _, _, lines = run(main)
    library = [line for line in lines if line["fields"].get("logger")]
    assert [(line["level"], line["msg"], line["fields"]) for line in library] == [
        ("warning", "server 127.0.0.1:1 unreachable", {"logger": "pymongo.topology"})]


def test_log_level_from_the_environment_and_a_bad_one_falls_back_to_info() -> None:
    def main(ctx: RunContext) -> None:
        ctx.log.debug("detail")
        ctx.log.info("step")

    _, _, quiet = run(main, {"LOG_LEVEL": "warning"})
    assert [line["msg"] for line in quiet] == []
    _, _, typo = run(main, {"LOG_LEVEL": "verbose"})
    assert typo[0]["msg"] == "LOG_LEVEL='VERBOSE' is not a log level; using INFO"
    assert "step" in [line["msg"] for line in typo] and "detail" not in [line["msg"] for line in typo]
