"""``harness cluster up|down|status``: the command line of the cluster providers."""

from __future__ import annotations

import sys

import click

from harness.cluster.providers import PROVIDERS, get_cluster
from harness.errors import HarnessError

_provider_option = click.option(
    "--cluster", "--provider", "provider", type=click.Choice(PROVIDERS), default=None,
    help="cluster provider (default: $HARNESS_CLUSTER, else local)",
)


@click.group("cluster")
def cluster() -> None:
    """Start, stop and inspect the Kubernetes cluster the harness deploys to."""


@cluster.command()
@_provider_option
@click.option("--crds/--no-crds", default=None,
              help="install the prometheus-operator and Argo CD CRDs once the cluster is up (default: yes for the "
                   "local and kind clusters, no for an existing one)")
def up(provider: str | None, crds: bool | None) -> None:
    """Start the cluster (idempotent) and wait until its node is Ready."""
    target = get_cluster(provider)
    try:
        target.up()
        # A cluster the harness does not own gets CRDs only when asked.
        if crds if crds is not None else target.provider != "existing":
            target.install_crds()
    except HarnessError as exc:
        raise click.ClickException(str(exc)) from exc


@cluster.command()
@_provider_option
@click.option("--purge", is_flag=True, help="also delete the cluster's data (etcd, certificates, images)")
def down(provider: str | None, purge: bool) -> None:
    """Stop everything the cluster runs and unmount what it mounted."""
    try:
        get_cluster(provider).down(purge=purge)
    except HarnessError as exc:
        raise click.ClickException(str(exc)) from exc


@cluster.command()
@_provider_option
def status(provider: str | None) -> None:
    """Show each component, whether it runs, and its health (exit 1 unless all are healthy)."""
    target = get_cluster(provider)
    rows = target.status()
    width = max(len(row.name) for row in rows)
    for row in rows:
        state = "healthy" if row.healthy else ("UNHEALTHY" if row.running else "stopped")
        click.echo(f"{row.name:<{width}}  {state:<9}  {row.detail}")
    click.echo(f"kubeconfig: {target.kubeconfig}")
    if not all(row.healthy for row in rows):
        sys.exit(1)


if __name__ == "__main__":
    cluster()
