"""Portability: job tests pass, unchanged, on the kind provider — what a user with Docker runs.

Each case runs ``harness test-job <job>`` (what ``make test-job NAME=<job>`` runs) in a child process with
``HARNESS_CLUSTER=kind``: the harness starts its dockerd if needed, builds or reuses the node image, creates the
kind cluster, loads the job and service images with ``kind load`` and installs the test services into it. The
whole run's time is printed as a ``FIGURE`` line (``-s``), to compare with the same job on the local cluster.

The kind cluster is the harness's default one (``cronharness``), which the child uses; when this test created it,
it deletes it at the end (and stops the dockerd it started), so nothing is left. Skipped only where Docker
cannot run here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from harness.cluster import docker_engine
from harness.cluster.kind import KindCluster
from harness.paths import REPO_ROOT

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.matrix,
    pytest.mark.skipif(docker_engine.docker_unavailable() is not None,
                       reason=f"Docker cannot run here: {docker_engine.docker_unavailable()}"),
]


@pytest.fixture(scope="module")
def kind() -> Iterator[KindCluster]:
    """The default kind cluster, removed afterwards if this module brought it (and the dockerd) up."""
    cluster = KindCluster()
    docker_was_running = docker_engine.daemon_running()
    was_up = all(c.healthy for c in cluster.status())
    yield cluster
    if not was_up:
        cluster.down(purge=not docker_was_running)


@pytest.mark.parametrize("job", ["wma-agent-count", "cpueff"])
def test_job_test_passes_on_kind(job: str, kind: KindCluster) -> None:
    env = {**os.environ, "HARNESS_CLUSTER": "kind"}
    for name in ("HARNESS_KUBECONFIG", "HARNESS_REGISTRY", "KUBECONFIG"):
        env.pop(name, None)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "harness", "test-job", job], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, check=False, timeout=2400)
    print(f"FIGURE harness test-job {job} on kind: {time.monotonic() - started:.0f}s")
    report = (done.stdout + done.stderr)[-6000:]
    assert done.returncode == 0, report
    # pytest's last line: every test of the job passed, none failed, errored or was skipped
    assert re.search(r"^=+ \d+ passed(, \d+ deselected)? in [\d.]+s", done.stdout, re.MULTILINE), report
    assert not re.search(r"^=+ .*(failed|error|skipped)", done.stdout, re.MULTILINE), report
    assert kind.kubeconfig.exists(), "the child ran on another cluster than the harness's kind cluster"
