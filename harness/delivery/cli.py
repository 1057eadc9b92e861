"""`harness check-versions`, `harness publish` and `harness registry up|down|status` (attach to harness.cli)."""

from __future__ import annotations

import sys

import click
from rich.markup import escape
from rich.table import Table

from harness.console import console
from harness.paths import REPO_ROOT


@click.command("check-versions")
def check_versions() -> None:
    """Fail when a chart's packaged files changed since its version was last set (git history)."""
    from harness.delivery.versions import check_versions as run_check

    results = run_check(REPO_ROOT)
    table = Table(title="chart versions against the commit that set them")
    for column in ("chart", "version", "set in", "changed since"):
        table.add_column(column)
    for r in results:
        table.add_row(r.chart, r.version, (r.since or "not committed")[:12], ", ".join(r.changed) or "-")
    console.print(table)
    problems = [r.problem for r in results if r.problem]
    for problem in problems:
        console.print(f"[red]x[/red] {escape(problem)}", highlight=False)
    sys.exit(1 if problems else 0)


@click.command("publish")
@click.option("--registry", envvar="HARNESS_CHART_REGISTRY", default=None,
              help="oci://host[:port]/path to push to [env HARNESS_CHART_REGISTRY] "
                   "(default: the harness's registry on 127.0.0.1, started if needed).")
@click.option("--plain-http", is_flag=True, help="Use HTTP instead of HTTPS (implied for the loopback registry).")
@click.option("--dist", default=str(REPO_ROOT / "dist"), show_default=True, help="Where `make package` put the .tgz.")
def publish(registry: str | None, plain_http: bool, dist: str) -> None:
    """helm push every chart package in dist/ to an OCI registry."""
    from pathlib import Path

    from harness.delivery.publish import packages_in
    from harness.delivery.publish import publish as push
    from harness.registry import Registry

    if registry is None:
        local = Registry()
        local.start()
        registry, plain_http = f"oci://{local.address}/charts", True
        console.print(f"loopback registry at {local.address} (stop it with `harness registry down`)")
    for item in push(packages_in(Path(dist)), registry, plain_http=plain_http):
        console.print(f"pushed {item.package.name} -> {item.reference}@{item.digest}")


@click.group("registry")
def registry() -> None:
    """The machine's loopback OCI registry for charts and job images (Debian's docker-registry on 127.0.0.1,
    port $HARNESS_REGISTRY_PORT or 5000); the local cluster starts it and pulls job images from it."""


@registry.command("up")
def registry_up() -> None:
    """Start the registry (idempotent) and print its address."""
    from harness.registry import Registry

    service = Registry()
    service.start()
    console.print(f"registry: oci://{service.address}/charts (helm needs --plain-http); "
                  f"job images: {service.address}/cronharness/jobs/<job>:<key>")


@registry.command("down")
@click.option("--purge", is_flag=True, help="Also delete the pushed charts and images.")
def registry_down(purge: bool) -> None:
    """Stop the registry."""
    from harness.registry import Registry

    service = Registry()
    if purge:
        service.destroy()
    else:
        service.stop()


@registry.command("status")
def registry_status() -> None:
    """Whether the registry runs, its port and log."""
    from harness.registry import Registry

    console.print(Registry().status())
