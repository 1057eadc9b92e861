"""Where a test keeps its data in the shared services, and how it is all removed at the end.

Many tests (and xdist workers, and concurrent sessions) share one HDFS, one Elasticsearch/OpenSearch,
one MongoDB and one Pushgateway. Each test gets a :class:`DataScope` named after its namespace and puts
every input and output inside it; deleting the namespace at teardown then deletes the scope everywhere
(:func:`clean_scope`), so nothing is left behind and no two tests ever see each other's data.
"""

from __future__ import annotations

import json
import shutil
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.checks import hdfs as hdfs_checks
from harness.checks import mongo as mongo_checks
from harness.checks import search as search_checks
from harness.paths import state_root
from harness.services.base import HttpEndpoint, NamedEndpoint, Service
from harness.services.ferretdb import FerretDB
from harness.services.hdfs import Hdfs
from harness.services.incluster import ClusterServices
from harness.services.pool import ServicePool


@dataclass(frozen=True)
class DataScope:
    """The names a test's data lives under, all derived from its namespace."""

    namespace: str

    @property
    def hdfs_root(self) -> str:
        """HDFS directory for every input and output of the test, e.g. ``/test/t-gw0-1a2b3c4d``."""
        return f"/test/{self.namespace}"

    @property
    def index_prefix(self) -> str:
        """Every ES/OpenSearch index of the test starts with this (``<namespace>-``)."""
        return f"{self.namespace}-"

    def index(self, name: str) -> str:
        """The test's own name for index (or index prefix) ``name``: ``<namespace>-<name>``."""
        return f"{self.index_prefix}{name}"

    @property
    def database(self) -> str:
        """The MongoDB database of the test (the namespace with ``_`` for ``-``)."""
        return self.namespace.replace("-", "_")

    def push_job(self, job: str) -> str:
        """The Pushgateway ``job`` label for ``job``'s runs in this test: ``<job>-<namespace>``."""
        return f"{job}-{self.namespace}"

    @property
    def volume(self) -> Path:
        """A host directory for files the job writes (mount it as a hostPath), created world-writable
        because pods run as uid 10001."""
        path = state_root() / "volumes" / self.namespace
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o777)
        return path


def _pushed_groups(pushgateway: HttpEndpoint) -> list[dict[str, str]]:
    with urllib.request.urlopen(f"{pushgateway.url}/api/v1/metrics", timeout=10) as reply:
        return [dict(group["labels"]) for group in json.load(reply)["data"]]


def _delete_group(pushgateway: HttpEndpoint, labels: dict[str, str]) -> None:
    path = "/metrics/job/" + urllib.parse.quote(labels["job"], safe="")
    for key, value in sorted(labels.items()):
        if key != "job":
            path += f"/{urllib.parse.quote(key, safe='')}/{urllib.parse.quote(value, safe='')}"
    with urllib.request.urlopen(urllib.request.Request(pushgateway.url + path, method="DELETE"), timeout=10):
        pass


def _clean_pushgateway(scope: DataScope, pushgateway: HttpEndpoint) -> None:
    for labels in _pushed_groups(pushgateway):
        if labels.get("job", "").endswith(f"-{scope.namespace}"):
            _delete_group(pushgateway, labels)


def _clean_search(scope: DataScope, node: NamedEndpoint) -> None:
    search_checks.delete_indices(node, f"{scope.index_prefix}*")


# in-cluster service name -> what removes a scope's data from it (reached through its port-forward)
def _clean_mongo(scope: DataScope, ferretdb: HttpEndpoint) -> None:
    mongo_checks.drop_database(ferretdb, scope.database)


_IN_CLUSTER_CLEANERS: dict[str, Callable[[DataScope, NamedEndpoint], None]] = {
    "pushgateway": _clean_pushgateway, "opensearch": _clean_search, "elasticsearch": _clean_search,
    "ferretdb": _clean_mongo}


def _cleaners(scope: DataScope) -> dict[str, Callable[[Service], None]]:
    """service name -> what removes the scope's data from it."""

    def mongo(service: Service) -> None:
        assert isinstance(service, FerretDB)
        mongo_checks.drop_database(service, scope.database)

    def hdfs(service: Service) -> None:
        assert isinstance(service, Hdfs)
        hdfs_checks.delete(service, scope.hdfs_root)

    return {"opensearch": lambda service: _clean_search(scope, service),
            "elasticsearch": lambda service: _clean_search(scope, service),
            "ferretdb": mongo, "hdfs": hdfs,
            "pushgateway": lambda service: _clean_pushgateway(scope, service)}


def clean_scope(scope: DataScope, pool: ServicePool, in_cluster: ClusterServices | None = None) -> list[str]:
    """Remove ``scope``'s data from every running service and its host volume; start nothing.

    Returns:
        What could not be cleaned, one line each (empty when all went well): a teardown reports these
        instead of failing the test over them.
    """
    problems = []
    for name, clean in _cleaners(scope).items():
        service = pool.handle(name)
        if not (service.process.running() and service.healthy()):
            continue  # not running: it holds nothing of this test's run
        try:
            clean(service)
        except Exception as exc:  # reported to the caller, one line per service
            problems.append(f"{name}: {exc}")
    cluster_hdfs = in_cluster.used_hdfs() if in_cluster else None
    if cluster_hdfs is not None:
        try:
            hdfs_checks.delete(cluster_hdfs, scope.hdfs_root)
        except Exception as exc:  # reported like the host services' problems
            problems.append(f"hdfs in the cluster: {exc}")
    for endpoint in in_cluster.endpoints() if in_cluster else []:
        if endpoint.name not in _IN_CLUSTER_CLEANERS:
            continue  # HDFS: above
        try:
            _IN_CLUSTER_CLEANERS[endpoint.name](scope, endpoint)
        except Exception as exc:  # reported like the host services' problems
            problems.append(f"{endpoint.name} in the cluster: {exc}")
    shutil.rmtree(state_root() / "volumes" / scope.namespace, ignore_errors=True)
    return problems
