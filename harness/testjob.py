"""`harness test-job NAME`: run one job's success test through pytest and print a one-screen summary."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness.deploy import job_chart
from harness.paths import REPO_ROOT

#: The job's own loop (deploy, run, check) on any provider. Fault cases need the local provider's node and a
#: run delivered by Argo CD installs Argo CD: both run in `make test`; the other engines (matrix: executors on
#: Kubernetes) run in `make test-all`. `-m` in the extra arguments overrides this.
JOB_LOOP = "not fault and not gitops and not matrix"


def run_test_job(job: str, pytest_args: list[str], console: Console) -> int:
    """Run charts/jobs/<job>/tests (but its fault and GitOps cases) with reports under reports/<job>/; return
    pytest's exit code."""
    chart = job_chart(job)
    reports = REPO_ROOT / "reports" / job
    phases_dir = reports / "phases"
    if phases_dir.exists():
        for old in phases_dir.glob("*.json"):
            old.unlink()
    junit, html = reports / "junit.xml", reports / "report.html"
    cmd = [sys.executable, "-m", "pytest", str(chart / "tests"), "-s", "-v", "-p", "no:cacheprovider", "-m", JOB_LOOP,
           f"--junitxml={junit}", f"--html={html}", "--self-contained-html", f"--report-dir={reports}",
           *pytest_args]
    console.print(f"[bold]test-job {job}[/bold]: {' '.join(cmd[2:])}", highlight=False)
    started = time.monotonic()
    code = subprocess.run(cmd, cwd=REPO_ROOT, check=False).returncode
    total = time.monotonic() - started
    _summary(job, code, total, phases_dir, junit, html, console)
    return code


def _summary(job: str, code: int, total: float, phases_dir: Path, junit: Path, html: Path, console: Console) -> None:
    table = Table(title=f"{job}: {'PASSED' if code == 0 else 'FAILED'} in {total:.1f}s")
    table.add_column("test")
    table.add_column("phase")
    table.add_column("seconds", justify="right")
    for path in sorted(phases_dir.glob("*.json")):
        test = path.stem.split("__")[-1]
        for phase, seconds in json.loads(path.read_text()).items():
            table.add_row(test, phase, f"{seconds:.1f}")
    console.print(table)
    console.print(f"JUnit XML: {junit}\nHTML report: {html}")
    if code != 0:
        console.print("[red]The job test failed[/red]: the report shows the job's outcome, reason, exit code "
                      "and last log lines.")
