"""jobkit jobs pushing to the real Pushgateway: a job run as a real process (``run_job``) pushes its
start/end samples under ``job``/``instance``; the values read back from the Pushgateway's /metrics
are exactly the run's; a failed run updates status and end time but keeps the earlier last-success
value; an unreachable Pushgateway leaves the job's exit code alone and shows as a warning.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness.process import free_port
from harness.services.pushgateway import Pushgateway

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
JOB_LABEL = "cms-jobkit-e2e"
# The job: reads RECORDS_IN/OUT and FAIL from its environment, like a real job reads its config.
JOB = textwrap.dedent("""
    from jobkit.config import Var
    from jobkit.errors import JobError
    from jobkit.run import run_job

    VARS = (Var("RECORDS_IN", "int", default=0), Var("RECORDS_OUT", "int", default=0), Var("FAIL", "bool"))

    def main(ctx):
        ctx.records_in = ctx.config.integer("RECORDS_IN")
        if ctx.config.flag("FAIL"):
            raise JobError("input partition is missing")
        ctx.records_out = ctx.config.integer("RECORDS_OUT")

    run_job(main, "jobkit-e2e", VARS)
""")


@pytest.fixture(scope="module")
def pushgateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pushgateway]:
    service = Pushgateway(root=tmp_path_factory.mktemp("pushgateway"))
    service.start()
    yield service
    service.stop()


def run_job_process(tmp_path: Path, url: str, **env: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "job.py"
    script.write_text(JOB)
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PUSHGATEWAY_", "METRICS_"))},
        "PYTHONPATH": str(REPO),
        "PUSHGATEWAY_URL": url, "PUSHGATEWAY_JOB": JOB_LABEL, "PUSHGATEWAY_INSTANCE": "test", "METRICS_ENV": "test",
        **env,
    }
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=environ, timeout=120)


def pushed(service: Pushgateway) -> dict[str, float]:
    """The cronjob_* samples of our group, by metric name (labels checked to be exactly the group's)."""
    with urllib.request.urlopen(f"{service.url}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("job") == JOB_LABEL and sample.name.startswith("cronjob_"):
                assert sample.labels == {"job": JOB_LABEL, "instance": "test", "env": "test"}, sample
                out[sample.name] = sample.value
    return out


def log_lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_success_then_failure_keeps_last_success(pushgateway: Pushgateway, tmp_path: Path) -> None:
    ok = run_job_process(tmp_path, pushgateway.url, RECORDS_IN="120", RECORDS_OUT="7")
    assert (ok.returncode, ok.stderr) == (0, "")
    first = pushed(pushgateway)
    assert set(first) == {
        "cronjob_last_start_timestamp_seconds", "cronjob_last_end_timestamp_seconds", "cronjob_last_status",
        "cronjob_duration_seconds", "cronjob_records_in", "cronjob_records_out",
        "cronjob_last_success_timestamp_seconds",
    }
    assert (first["cronjob_last_status"], first["cronjob_records_in"], first["cronjob_records_out"]) == (1, 120, 7)
    assert first["cronjob_last_success_timestamp_seconds"] == first["cronjob_last_end_timestamp_seconds"]
    assert first["cronjob_duration_seconds"] == pytest.approx(
        first["cronjob_last_end_timestamp_seconds"] - first["cronjob_last_start_timestamp_seconds"])
    finished = log_lines(ok.stdout)[-1]["fields"]
    assert isinstance(finished, dict) and finished["duration_s"] == round(first["cronjob_duration_seconds"], 3)

    failed = run_job_process(tmp_path, pushgateway.url, RECORDS_IN="5", FAIL="1")
    assert (failed.returncode, failed.stderr) == (1, "jobkit-e2e: failed: input partition is missing\n")
    second = pushed(pushgateway)
    assert (second["cronjob_last_status"], second["cronjob_records_in"], second["cronjob_records_out"]) == (0, 5, 0)
    assert second["cronjob_last_start_timestamp_seconds"] > first["cronjob_last_end_timestamp_seconds"]
    assert second["cronjob_last_end_timestamp_seconds"] > first["cronjob_last_end_timestamp_seconds"]
    # The failed run pushed no last-success sample; the first run's value is still there, unchanged.
    assert second["cronjob_last_success_timestamp_seconds"] == first["cronjob_last_success_timestamp_seconds"]


def test_unreachable_pushgateway_does_not_fail_the_job(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run_job_process(tmp_path, url, RECORDS_OUT="3")
    assert (result.returncode, result.stderr) == (0, "")
    warnings = [line["msg"] for line in log_lines(result.stdout) if line["level"] == "warning"]
    assert warnings == [
        f"push of start metrics to {url} failed, retrying",
        "metrics: could not push start metrics; the job goes on without them",
        f"push of end metrics to {url} failed, retrying",
        "metrics: could not push end metrics; the job goes on without them",
    ]
