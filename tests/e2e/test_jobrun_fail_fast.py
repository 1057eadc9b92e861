"""A run whose pod can never start fails at once with the reason, not at the run's deadline."""

from __future__ import annotations

import json

import pytest

from harness import jobrun
from harness.cluster.base import Cluster
from harness.cluster.node_images import busybox_image
from harness.kube import Kube

pytestmark = pytest.mark.e2e


def test_a_host_path_of_the_wrong_type_fails_the_run_at_once(cluster: Cluster, kube: Kube, namespace: str) -> None:
    # /etc/hostname is a file on the local cluster's host and in a kind node alike; the pod asks for a directory.
    cronjob = {
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "mounts-a-file"},
        "spec": {"schedule": "0 0 1 1 *", "suspend": True, "jobTemplate": {"spec": {"backoffLimit": 0, "template": {
            "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 0,
                     "containers": [{"name": "main", "image": busybox_image()[0], "imagePullPolicy": "Never",
                                     "command": ["true"], "volumeMounts": [{"name": "out", "mountPath": "/out"}]}],
                     "volumes": [{"name": "out", "hostPath": {"path": "/etc/hostname", "type": "Directory"}}]}}}}},
    }
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input_text=json.dumps(cronjob))
    result = jobrun.run(kube, namespace, "mounts-a-file", timeout=300)
    print(f"FIGURE mount failure decided in {result.duration:.1f}s")
    assert result.outcome == "failed"
    assert result.reason.startswith(f"pod {result.name}-")
    assert result.reason.endswith(
        ': FailedMount: MountVolume.SetUp failed for volume "out" : hostPath type check failed: '
        "/etc/hostname is not a directory")
    assert result.duration < 60
