"""`harness monitoring up|down`: the operator-managed monitoring stack in the cluster (harness/monitoring)."""

from __future__ import annotations

import click

from harness.cluster.base import Cluster
from harness.console import console

CLUSTER_OPTION = click.option("--cluster", "provider", default=None,
                              help="Cluster provider (local, kind, existing) [env HARNESS_CLUSTER].")


def _cluster(provider: str | None) -> Cluster:
    from harness.cluster.providers import get_cluster

    return get_cluster(provider)


@click.group("monitoring")
def monitoring() -> None:
    """prometheus-operator, Prometheus, Alertmanager, kube-state-metrics and a webhook receiver in the cluster."""


@monitoring.command("up")
@CLUSTER_OPTION
def up(provider: str | None) -> None:
    """Build, load and install the stack (idempotent); wait until Prometheus scrapes kube-state-metrics."""
    from harness.monitoring.operator import NAMESPACE, install

    stack = install(_cluster(provider))
    figures = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in stack.seconds.items())
    console.print(f"monitoring stack ready in namespace {NAMESPACE}; rules selected by {dict(stack.selector)} "
                  f"({figures})")


@monitoring.command("down")
@CLUSTER_OPTION
def down(provider: str | None) -> None:
    """Remove the stack's namespace and cluster-scoped objects (the CRDs stay)."""
    from harness.monitoring.operator import NAMESPACE, uninstall

    uninstall(_cluster(provider))
    console.print(f"removed namespace {NAMESPACE} and its cluster roles")


@monitoring.group("logs")
def logs_group() -> None:
    """The log collector: every job pod's lines to OpenSearch, kept after the pods are gone."""


@logs_group.command("up")
@CLUSTER_OPTION
def logs_up(provider: str | None) -> None:
    """Build, load and install the collector (idempotent), shipping to the test services' OpenSearch in the
    cluster (installed if missing)."""
    from harness.monitoring import logs
    from harness.services.incluster import ClusterServices
    from harness.services.opensearch import opensearch_client

    cluster = _cluster(provider)
    services = ClusterServices(cluster)
    try:
        opensearch = services.get("opensearch")
        seconds = logs.install(cluster, opensearch.job_url, opensearch_client(opensearch))
    finally:
        services.close()
    figures = ", ".join(f"{name} {s:.0f}s" for name, s in seconds.items())
    console.print(f"log collector ready in namespace {logs.NAMESPACE}, shipping to {opensearch.job_url} index "
                  f"{logs.INDEX} ({figures})")


@logs_group.command("down")
@CLUSTER_OPTION
def logs_down(provider: str | None) -> None:
    """Remove the collector (its namespace and cluster role); the lines it shipped stay in OpenSearch."""
    from harness.monitoring.logs import NAMESPACE, uninstall

    uninstall(_cluster(provider))
    console.print(f"removed namespace {NAMESPACE} and its cluster role")
