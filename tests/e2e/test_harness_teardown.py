"""Deleting a test's namespace at teardown leaves nothing of the test behind: not in the cluster, not in
HDFS, Elasticsearch, OpenSearch, MongoDB, the Pushgateway or the host volume; another test's data stays."""

from __future__ import annotations

import pytest
from kubernetes.client.exceptions import ApiException

from harness.checks import hdfs as hdfs_checks
from harness.checks import metrics, mongo, search
from harness.kube import Kube
from harness.paths import state_root
from harness.pytest.fixtures import release_namespace
from harness.pytest.scope import DataScope
from harness.services.elasticsearch import Elasticsearch, elasticsearch_client
from harness.services.ferretdb import FerretDB
from harness.services.hdfs import Hdfs, webhdfs_client
from harness.services.opensearch import OpenSearch, opensearch_client
from harness.services.pool import ServicePool
from harness.services.pushgateway import Pushgateway

pytestmark = pytest.mark.e2e


def seed_everywhere(scope: DataScope, pool: ServicePool) -> None:
    """One piece of data of ``scope`` in each service and on its volume."""
    hdfs, os_node, es_node, ferret, gateway = (pool.get(n) for n in ("hdfs", "opensearch", "elasticsearch",
                                                                    "ferretdb", "pushgateway"))
    assert isinstance(hdfs, Hdfs) and isinstance(os_node, OpenSearch) and isinstance(es_node, Elasticsearch)
    assert isinstance(ferret, FerretDB) and isinstance(gateway, Pushgateway)
    webhdfs_client(hdfs).write(f"{scope.hdfs_root}/out/part-0.txt", data=b"x\n", overwrite=True)
    opensearch_client(os_node).index(index=scope.index("daily-2026-11-22"), id="a", body={"n": 1}, refresh=True)
    elasticsearch_client(es_node).index(index=scope.index("monthly-2026-11"), id="a", document={"n": 1},
                                        refresh=True)
    with mongo.client(ferret) as client:
        client[scope.database]["results"].insert_one({"_id": "a", "n": 1})
    gateway.push(scope.push_job("some-job"), "# TYPE teardown_probe gauge\nteardown_probe 1\n")
    (scope.volume / "report.csv").write_text("a,b\n1,2\n")


def remaining(scope: DataScope, pool: ServicePool) -> dict[str, object]:
    """What of ``scope`` is still in the services, by place (empty values when all is gone)."""
    hdfs, os_node, es_node, ferret, gateway = (pool.get(n) for n in ("hdfs", "opensearch", "elasticsearch",
                                                                    "ferretdb", "pushgateway"))
    assert isinstance(hdfs, Hdfs) and isinstance(os_node, OpenSearch) and isinstance(es_node, Elasticsearch)
    assert isinstance(ferret, FerretDB) and isinstance(gateway, Pushgateway)
    with mongo.client(ferret) as client:
        databases = [name for name in client.list_database_names() if name == scope.database]
    return {
        "hdfs": hdfs_checks.files(hdfs, scope.hdfs_root),
        "opensearch": search.indices(os_node, f"{scope.index_prefix}*"),
        "elasticsearch": search.indices(es_node, f"{scope.index_prefix}*"),
        "mongo": databases,
        "pushgateway": metrics.pushed(gateway, scope.push_job("some-job")),
        # Not scope.volume: that property creates the directory.
        "volume": sorted(p.name for p in (state_root() / "volumes").glob(f"{scope.namespace}/*")),
    }


def test_teardown_removes_the_namespace_and_its_data_only(kube: Kube, services: ServicePool) -> None:
    mine, other = DataScope("t-teardown-mine"), DataScope("t-teardown-other")
    for scope in (mine, other):
        release_namespace(kube, services, scope.namespace)  # leftovers of an interrupted run
        kube.core.create_namespace({"metadata": {"name": scope.namespace}})  # type: ignore[arg-type]
        kube.core.create_namespaced_config_map(scope.namespace, {"metadata": {"name": "c"}, "data": {"k": "v"}})  # type: ignore[arg-type]
        seed_everywhere(scope, services)
    before = remaining(other, services)
    volume = state_root() / "volumes" / mine.namespace
    assert all(before.values()), before  # the seeding put something everywhere

    assert release_namespace(kube, services, mine.namespace) == []

    with pytest.raises(ApiException) as gone:
        kube.core.read_namespace(mine.namespace)
    assert gone.value.status == 404
    assert remaining(mine, services) == {"hdfs": [], "opensearch": [], "elasticsearch": [], "mongo": [],
                                         "pushgateway": {}, "volume": []}
    assert not volume.exists()
    assert remaining(other, services) == before  # nothing of another test was touched
    assert release_namespace(kube, services, other.namespace) == []
