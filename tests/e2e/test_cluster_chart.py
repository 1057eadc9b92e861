"""A chart built on the cronjob-common library, installed with helm into the local cluster; a Job
created from its CronJob (``kubectl create job --from=cronjob/...``) runs a locally built image to
completion under the library's secure defaults (non-root user, read-only root, seccomp, /tmp emptyDir),
and its logs come back through the API.

Uses the machine's default local cluster (``up`` is idempotent) and leaves it as it found it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from harness.cluster.local import LocalCluster
from harness.cluster.node_images import busybox_image
from harness.paths import REPO_ROOT
from harness.toolchain.tools import ensure
from tests.e2e.markers import needs_local_cluster

pytestmark = [pytest.mark.e2e, needs_local_cluster]

NAMESPACE = "cluster-chart-test"
RELEASE = "smoke"


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    local = LocalCluster()
    was_running = local.process("kube-apiserver").running()
    local.up()
    local.install_crds()
    try:
        yield local
    finally:
        local.kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=true", timeout=180)
        if not was_running:
            local.down()


def helm(cluster: LocalCluster, *args: str) -> str:
    cmd = [str(ensure("helm")), "--kubeconfig", str(cluster.kubeconfig), *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def test_job_from_cronjob_runs_locally_built_image(cluster: LocalCluster) -> None:
    image, archive = busybox_image()
    cluster.import_image(archive)
    registry, rest = image.split("/", 1)
    repository, tag = rest.split(":", 1)
    values = {
        "image": {"registry": registry, "repository": repository, "tag": tag, "pullPolicy": "Never"},
        "command": ["sh", "-c", "echo from-cronjob uid=$(id -u) > /tmp/out; cat /tmp/out"],
    }
    helm(cluster, "install", RELEASE, str(REPO_ROOT / "charts" / "cronjob-common" / "test-chart"),
         "--namespace", NAMESPACE, "--create-namespace", "--wait", "--set-json",
         f"image={json.dumps(values['image'])}", "--set-json", f"command={json.dumps(values['command'])}")
    cronjobs = json.loads(cluster.kubectl("get", "cronjobs", "-n", NAMESPACE, "-o", "json"))["items"]
    assert len(cronjobs) == 1
    cronjob = cronjobs[0]["metadata"]["name"]
    cluster.kubectl("create", "job", "manual-1", f"--from=cronjob/{cronjob}", "-n", NAMESPACE)
    cluster.kubectl("wait", "--for=condition=Complete", "job/manual-1", "-n", NAMESPACE, "--timeout=120s",
                    timeout=150)
    assert cluster.kubectl("logs", "job/manual-1", "-n", NAMESPACE) == "from-cronjob uid=10001\n"
    pod = json.loads(cluster.kubectl("get", "pods", "-n", NAMESPACE, "-l", "job-name=manual-1", "-o",
                                     "json"))["items"][0]
    assert pod["spec"]["securityContext"]["runAsUser"] == 10001
    assert pod["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
