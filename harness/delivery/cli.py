"""`harness check-versions`, `harness publish`, `harness images`, `harness registry up|down|status` and
`harness diff` (attach to harness.cli)."""

from __future__ import annotations

import sys

import click
from rich.markup import escape
from rich.table import Table

from harness.console import console
from harness.paths import REPO_ROOT


@click.command("check-versions")
def check_versions() -> None:
    """Fail when a chart's packaged files changed since its version was last set, or a job's image inputs since
    its appVersion was (git history)."""
    from harness.delivery.versions import check_versions as run_check

    results = run_check(REPO_ROOT)
    table = Table(title="chart versions (package) and appVersions (job image) against the commit that set them")
    for column in ("chart", "field", "value", "set in", "changed since"):
        table.add_column(column)
    for r in results:
        table.add_row(r.chart, r.key, r.version, (r.since or "not committed")[:12], ", ".join(r.changed) or "-")
    console.print(table)
    problems = [r.problem for r in results if r.problem]
    for problem in problems:
        console.print(f"[red]x[/red] {escape(problem)}", highlight=False)
    sys.exit(1 if problems else 0)


def _loopback_registry() -> str:
    """Start the machine's loopback registry (idempotent) and return its ``host:port``."""
    from harness.registry import Registry

    local = Registry()
    local.start()
    console.print(f"loopback registry at {local.address} (stop it with `harness registry down`)")
    return local.address


def _push_images(image_registry: str, jobs: tuple[str, ...] = ()) -> None:
    from harness.delivery.images import publish_images

    for item in publish_images(image_registry, jobs):
        console.print(f"pushed image {item.built} -> {item.ref}@{item.digest}")


@click.command("publish")
@click.option("--registry", envvar="HARNESS_CHART_REGISTRY", default=None,
              help="oci://host[:port]/path to push the charts to [env HARNESS_CHART_REGISTRY] "
                   "(default: the harness's registry on 127.0.0.1, started if needed, under /charts).")
@click.option("--image-registry", envvar="HARNESS_IMAGE_REGISTRY", default=None,
              help="host[:port][/path] to push the job images to, as <image.repository>:<appVersion> "
                   "[env HARNESS_IMAGE_REGISTRY] (default: the loopback registry; required with --registry).")
@click.option("--plain-http", is_flag=True, help="Use HTTP instead of HTTPS (implied for the loopback registry).")
@click.option("--charts-only", is_flag=True, help="Push the chart packages only, not the job images.")
@click.option("--dist", default=str(REPO_ROOT / "dist"), show_default=True, help="Where `make package` put the .tgz.")
def publish(registry: str | None, image_registry: str | None, plain_http: bool, charts_only: bool, dist: str) -> None:
    """helm push every chart package in dist/ to an OCI registry, and each job's image with its chart."""
    from pathlib import Path

    from harness.delivery.publish import packages_in
    from harness.delivery.publish import publish as push
    from harness.errors import HarnessError

    if registry is not None and image_registry is None and not charts_only:
        raise HarnessError("--registry was given without --image-registry: say where the job images go "
                           "(host[:port][/path], the registry their values' image.registry names), "
                           "or pass --charts-only")
    if registry is None or (image_registry is None and not charts_only):
        local = _loopback_registry()
        registry, plain_http = (f"oci://{local}/charts", True) if registry is None else (registry, plain_http)
        image_registry = image_registry or local
    for item in push(packages_in(Path(dist)), registry, plain_http=plain_http):
        console.print(f"pushed {item.package.name} -> {item.reference}@{item.digest}")
    if not charts_only:
        assert image_registry is not None
        _push_images(image_registry)


@click.command("images")
@click.argument("jobs", nargs=-1)
@click.option("--push", is_flag=True, help="Also push each image as <registry>/<image.repository>:<appVersion>.")
@click.option("--registry", envvar="HARNESS_IMAGE_REGISTRY", default=None,
              help="host[:port][/path] to push to [env HARNESS_IMAGE_REGISTRY] (default: the loopback registry).")
def images(jobs: tuple[str, ...], push: bool, registry: str | None) -> None:
    """Build every job's image (or the JOBS named), as tests and releases use them; --push releases them."""
    if push:
        _push_images(registry or _loopback_registry(), jobs)
        return
    from harness.delivery.images import release_jobs
    from harness.deploy import build_job

    for job in release_jobs(jobs):
        console.print(f"built {job}: {build_job(job).ref}")


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


@click.command("diff")
@click.argument("revisions", metavar="BASE..HEAD")
@click.option("--env", "environments", multiple=True, metavar="ENV",
              help="Only the Applications of this environment (values/<env>); repeat for several "
                   "[default: every environment].")
@click.option("--output", type=click.Choice(["text", "markdown"]), default="text", show_default=True,
              help="text for a terminal or job log; markdown (fenced diff blocks) for a merge-request note.")
@click.option("--repo", type=click.Path(exists=True, file_okay=False), default=str(REPO_ROOT),
              help="The git repository holding deploy/argocd, charts/ and values/ [default: this checkout].")
def diff(revisions: str, environments: tuple[str, ...], output: str, repo: str) -> None:
    """What the change BASE..HEAD (or BASE...HEAD: from their merge base) does to the objects Argo CD renders for
    each Application: added, removed and modified objects, with a YAML diff of each modified one, on stdout.
    Exits 0 whether or not anything changed."""
    from pathlib import Path

    from harness.delivery.diff import diff_revisions, format_markdown, format_text

    result = diff_revisions(Path(repo), revisions, environments)
    click.echo(format_markdown(result) if output == "markdown" else format_text(result), nl=False)
