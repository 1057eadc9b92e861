"""The pytest plugin works with pytest-helm-charts: its kube_cluster fixture reaches the same cluster."""

from __future__ import annotations

import pykube
import pytest
from pytest_helm_charts.clusters import Cluster as HelmChartsCluster

from harness.cluster.base import Cluster
from harness.kube import Kube

pytestmark = pytest.mark.e2e


def test_kube_cluster_of_pytest_helm_charts_is_our_cluster(cluster: Cluster, kube: Kube, namespace: str,
                                                           kube_cluster: HelmChartsCluster) -> None:
    assert kube_cluster.kube_config_path == str(cluster.kubeconfig)
    meta = kube.core.read_namespace(namespace).metadata
    assert meta is not None
    ours = meta.uid
    theirs = pykube.Namespace.objects(kube_cluster.kube_client).get_by_name(namespace).obj["metadata"]["uid"]
    assert theirs == ours
