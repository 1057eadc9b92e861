"""Portability: the job tests that deploy over values/dev with services in the cluster pass, unchanged, on the
``existing`` provider — the local cluster given to the harness only as a kubeconfig plus a registry, exactly
as a user's own cluster would be. Nothing of the host is reachable that way (no loopback services, no host
paths, no routes to pods), so a pass shows the tests depend on none of it.

Each case runs ``harness test-job <job>`` (what ``make test-job NAME=<job>`` runs) in a child process with
``HARNESS_CLUSTER=existing``, ``HARNESS_KUBECONFIG`` and ``HARNESS_REGISTRY``; the child shares this session's
in-cluster services (one release per cluster) and leaves them to this session.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from harness.cluster.base import Cluster
from harness.paths import REPO_ROOT
from harness.registry import registry_port

pytestmark = [pytest.mark.e2e, pytest.mark.matrix]


@pytest.mark.parametrize("job", ["wma-agent-count", "hpc-usage"])
def test_job_test_passes_on_an_existing_cluster(job: str, cluster: Cluster) -> None:
    if cluster.provider != "local":
        pytest.skip("this test hands the local cluster to the existing provider")
    env = {**os.environ, "HARNESS_CLUSTER": "existing", "HARNESS_KUBECONFIG": str(cluster.kubeconfig),
           "HARNESS_REGISTRY": f"127.0.0.1:{registry_port()}"}
    env.pop("HARNESS_INSTALL_CRDS", None)  # the local session installed them; the child only checks
    done = subprocess.run([sys.executable, "-m", "harness", "test-job", job], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, check=False, timeout=1800)
    report = (done.stdout + done.stderr)[-6000:]
    assert done.returncode == 0, report
    # pytest's last line: every test of the job passed, none failed, errored or was skipped
    assert re.search(r"^=+ \d+ passed(, \d+ deselected)? in [\d.]+s", done.stdout, re.MULTILINE), report
    assert not re.search(r"^=+ .*(failed|error|skipped)", done.stdout, re.MULTILINE), report
