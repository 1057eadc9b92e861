"""Elasticsearch 8.x for tests: one real node on 127.0.0.1, security off, and the launcher contract it
shares with OpenSearch (:class:`SearchNode`).

``org.codelibs:elasticsearch-cluster-runner`` 8.x is not published on Maven Central (Central stops at
7.10.2.0), so the node runs from Elastic's own artifacts there: the server
(``org.elasticsearch:elasticsearch``) and its HTTP/transport module
(``org.elasticsearch.plugin:transport-netty4``), started in-process by a small launcher
(tools/maven/elasticsearch/) that loads the module from the classpath. Modules Elastic does not publish
on Central are absent: ``GET /`` (rest-root), painless, ingest pipelines, reindex and the extra
analyzers. Indexing, get, search, aggregations, refresh and cluster health are the server's own.
Without X-Pack there is no security layer: plain HTTP, no credentials.
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import ClassVar

import requests
from elasticsearch import Elasticsearch as ElasticsearchClient

from harness.services.base import HOST, HttpEndpoint, Service
from harness.services.maven import compile_launcher, java_argv, resolve
from harness.toolchain.versions import pinned

CLUSTER_NAME = "cronharness"


class SearchNode(Service):
    """A single search node started by a launcher taking ``BASE_DIR HTTP_PORT TRANSPORT_PORT CLUSTER``.

    Ports: http (REST API) and transport; both bound to 127.0.0.1. The node's home (config, data,
    logs) is the service's data directory, so indices survive a restart.
    """

    default_ports: ClassVar[dict[str, int]] = {"http": 0, "transport": 0}
    start_timeout = 240.0
    launcher: ClassVar[str]
    """Folder under tools/maven with the launcher's sources; its main class is ``main_class``."""
    main_class: ClassVar[str]

    @abstractmethod
    def artifacts(self) -> tuple[str, list[str]]:
        """The pinned version and the Maven coordinates to put on the classpath."""

    def program(self) -> tuple[Path, Path]:
        """The compiled launcher's class directory and the jar directory (resolved and compiled if needed)."""
        version, coordinates = self.artifacts()
        lib = resolve(self.name, version, coordinates)
        return compile_launcher(self.launcher, lib), lib

    def prepare(self) -> None:
        self.program()

    def argv(self) -> list[str]:
        classes, lib = self.program()
        args = [str(self.data_dir), str(self.ports["http"]), str(self.ports["transport"]), CLUSTER_NAME]
        tmp = self.root / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        return java_argv(self.main_class, args, classes, lib, options=[f"-Djava.io.tmpdir={tmp}"])

    @property
    def url(self) -> str:
        """The REST endpoint, ``http://127.0.0.1:<http>``."""
        return f"http://{HOST}:{self.ports['http']}"

    def healthy(self) -> bool:
        """The cluster answers and is at least yellow (every primary shard assigned)."""
        try:
            reply = requests.get(f"{self.url}/_cluster/health", timeout=5)
            return reply.ok and reply.json().get("status") in ("green", "yellow")
        except (requests.RequestException, ValueError):
            return False


class Elasticsearch(SearchNode):
    """A single-node Elasticsearch 8 from Elastic's Maven Central artifacts."""

    name = "elasticsearch"
    launcher = "elasticsearch"
    main_class = "ElasticsearchLauncher"

    def artifacts(self) -> tuple[str, list[str]]:
        version = pinned("services-java", "elasticsearch")
        return version, [
            f"org.elasticsearch:elasticsearch:{version}",
            f"org.elasticsearch.plugin:transport-netty4:{version}",
        ]


def elasticsearch_client(service: HttpEndpoint) -> ElasticsearchClient:
    """An ``elasticsearch`` 8.x client of the running ``service`` (plain HTTP, no credentials).

    Args:
        service: the Elasticsearch service (started: a host process or an in-cluster one's port-forward).

    Returns:
        An ``elasticsearch.Elasticsearch`` client.
    """
    return ElasticsearchClient(service.url, request_timeout=30)
