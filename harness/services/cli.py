"""`harness services up|down|status [NAME...]` (host processes) and `harness services install|uninstall` (the
same services as workloads in the cluster, harness/services/incluster.py)."""

from __future__ import annotations

import click
from rich.table import Table

from harness.console import console
from harness.errors import HarnessError
from harness.services.pool import SERVICES, ServicePool


def _names(names: tuple[str, ...]) -> list[str]:
    return list(names) or list(SERVICES)


@click.group("services")
def services() -> None:
    """Test services: host processes on 127.0.0.1 (up, down, status) or workloads in the cluster (install,
    uninstall)."""


CLUSTER_OPTION = click.option("--cluster", "provider", default=None,
                              help="Cluster provider (local, kind, existing) [env HARNESS_CLUSTER].")


@services.command("install")
@click.argument("names", nargs=-1)
@CLUSTER_OPTION
def install(names: tuple[str, ...], provider: str | None) -> None:
    """Install NAMES (default: all) into the cluster and wait until they are ready. Test sessions then use
    them and leave them installed, unless a session has to add a service the release lacks."""
    from harness.cluster.providers import get_cluster
    from harness.services import incluster

    wanted = list(names) or list(incluster.workloads())
    incluster.install(get_cluster(provider), wanted)
    for name in wanted:
        ports = ", ".join(f"{role} {port}" for role, port in incluster.workload(name).ports.items())
        console.print(f"{name}: ready; jobs reach it as {name}.{incluster.NAMESPACE}.svc ({ports})")


@services.command("uninstall")
@CLUSTER_OPTION
def uninstall(provider: str | None) -> None:
    """Remove every test service from the cluster (the release and its namespace)."""
    from harness.cluster.providers import get_cluster
    from harness.services import incluster

    incluster.uninstall(get_cluster(provider))
    console.print(f"test services removed from the cluster (namespace {incluster.NAMESPACE})")


@services.command("up")
@click.argument("names", nargs=-1)
def up(names: tuple[str, ...]) -> None:
    """Start NAMES (default: all) with their dependencies; already running ones are kept."""
    pool = ServicePool()
    for name in _names(names):
        service = pool.get(name)
        console.print(f"{name}: running on ports {service.ports} (log {service.process.log_file})")


@services.command("down")
@click.argument("names", nargs=-1)
@click.option("--purge", is_flag=True, help="Also delete their data directories.")
def down(names: tuple[str, ...], purge: bool) -> None:
    """Stop NAMES (default: all) by PID; --purge removes their data too."""
    pool = ServicePool()
    for name in reversed(_names(names)):
        service = pool.handle(name)
        if purge:
            service.destroy()
        else:
            service.stop()
        console.print(f"{name}: stopped" + (" and purged" if purge else ""))


@services.command("status")
@click.argument("names", nargs=-1)
def status(names: tuple[str, ...]) -> None:
    """Each service: running, healthy, PID, ports, log."""
    table = Table(title="services")
    for column in ("service", "running", "healthy", "pid", "ports", "log"):
        table.add_column(column)
    pool = ServicePool()
    for name in _names(names):
        try:
            info = pool.handle(name).status()
        except HarnessError as exc:
            table.add_row(name, "-", "-", "-", "-", str(exc))
            continue
        table.add_row(name, str(info["running"]), str(info["healthy"]), str(info["pid"]), str(info["ports"]),
                      str(info["log"]))
    console.print(table)
