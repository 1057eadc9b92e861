"""The `harness` command line: what the Make targets call."""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.table import Table

from harness.console import console
from harness.paths import REPO_ROOT

if TYPE_CHECKING:  # imported where used: the CLI starts without loading every subsystem
    from harness.cluster.base import Cluster
    from harness.kube import Kube
    from harness.services.prometheus import PrometheusQueries


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Cron jobs on Kubernetes: lint charts, run clusters and services, test jobs."""


@main.command("lint-charts")
@click.option("--no-scan", is_flag=True, help="Skip the checkov security scan.")
def lint_charts(no_scan: bool) -> None:
    """helm lint, render every chart x scenario with Helm 3 and 4, validate, scan."""
    from harness.charts.discover import scenarios
    from harness.charts.lint import check_scenario, helm_lint, security_scan

    started = time.monotonic()
    all_scenarios = scenarios()
    problems: list[str] = []
    for chart in sorted({s.chart for s in all_scenarios}):
        problems += helm_lint(chart)
    results = [check_scenario(s) for s in all_scenarios]
    table = Table(title="charts x scenarios (Helm 3 and 4, Kubernetes 1.34 + CRD schemas)")
    for column in ("chart (scenario)", "objects", "problems", "seconds"):
        table.add_column(column)
    for r in results:
        table.add_row(escape(r.scenario.label), str(len(r.objects)), str(len(r.problems)) if r.problems else "ok",
                      f"{r.seconds:.2f}")
        problems += [f"{r.scenario.label}: {p}" for p in r.problems]
    console.print(table)
    if not no_scan:
        problems += security_scan(results)
    for problem in problems:
        console.print(f"[red]x[/red] {escape(problem)}", highlight=False)
    console.print(f"{len(results)} renders, {len(problems)} problems in {time.monotonic() - started:.1f}s")
    sys.exit(1 if problems else 0)


@main.command("package")
@click.option("--destination", default=str(REPO_ROOT / "dist"), show_default=True)
def package(destination: str) -> None:
    """helm package the library and every job chart (with the library bundled) into dist/."""
    from harness.charts.discover import job_charts
    from harness.charts.render import LIBRARY_DIR, build_dependencies, helm_binary

    helm = helm_binary(3)
    for chart in [LIBRARY_DIR, *job_charts()]:
        if chart != LIBRARY_DIR:
            build_dependencies(chart, helm)
        subprocess.run([helm, "package", str(chart), "--destination", destination], check=True)


@main.command("status")
@click.option("--cluster", "provider", default=None,
              help="Cluster provider (local, kind, existing) [env HARNESS_CLUSTER].")
@click.option("--prometheus", default=None, envvar="HARNESS_PROMETHEUS_URL",
              help="Prometheus base URL for firing alerts (default: the monitoring stack's in the cluster, through "
                   "the API server, when installed).")
def status(provider: str | None, prometheus: str | None) -> None:
    """Table of the cluster's cron jobs: schedule, suspended, last runs, active, outcome, firing alerts."""
    from harness.cluster.providers import get_cluster
    from harness.kube import Kube
    from harness.services.prometheus import PrometheusAt
    from harness.status import status_table

    cluster = get_cluster(provider)
    kube = Kube(cluster.kubeconfig)
    console.print(status_table(kube, PrometheusAt(prometheus) if prometheus else _found_prometheus(cluster, kube)))


@main.command("logs")
@click.argument("cronjob")
@click.option("--run", "run", default=None, help="Only this run (the Job's name, as alerts give it in job_name).")
@click.option("--namespace", "-n", default=None, help="Only the CronJob of this namespace.")
@click.option("--opensearch", default=None, envvar="HARNESS_LOGS_OPENSEARCH",
              help="OpenSearch base URL holding the lines (default: the test services' OpenSearch in the cluster, "
                   "through a port-forward) [env HARNESS_LOGS_OPENSEARCH].")
@click.option("--cluster", "provider", default=None,
              help="Cluster provider (local, kind, existing) [env HARNESS_CLUSTER].")
@click.option("--prefix/--no-prefix", default=True, help="Print each line after its time, pod and container.")
def logs(cronjob: str, run: str | None, namespace: str | None, opensearch: str | None, provider: str | None,
         prefix: bool) -> None:
    """Print the kept log lines of CRONJOB's runs (or of one run), oldest first, also after their pods are gone."""
    from harness.monitoring.logs import LogStore

    def show(url: str) -> None:
        lines = LogStore.at(url).lines(cronjob, run=run, namespace=namespace)
        if not lines:
            what = f"run {run} of CronJob {cronjob}" if run else f"CronJob {cronjob}"
            raise click.ClickException(f"no kept log lines of {what}{f' in {namespace}' if namespace else ''}; "
                                       "check the name and that its chart sets logs.collect")
        for line in lines:
            click.echo(line.render(prefix))

    if opensearch:
        show(opensearch)
        return
    from harness.cluster.providers import get_cluster
    from harness.services.incluster import PortForward, workload

    # Read where the collector ships, without installing anything: no OpenSearch there is an error.
    spec = workload("opensearch")
    forward = PortForward(get_cluster(provider), "opensearch", spec.ports[spec.main_role])
    try:
        show(f"{spec.scheme}://127.0.0.1:{forward.start()}")
    finally:
        forward.stop()


def _found_prometheus(cluster: Cluster, kube: Kube) -> PrometheusQueries | None:
    """The monitoring stack's Prometheus when it is installed in the cluster (harness/monitoring), else None."""
    from harness.monitoring.operator import ClusterPrometheus, installed

    return ClusterPrometheus(kube) if installed(cluster) else None


@main.command("test-job", context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def test_job(name: str, pytest_args: tuple[str, ...]) -> None:
    """Deploy job NAME, trigger it, wait, and run its success test (extra args go to pytest)."""
    from harness.testjob import run_test_job

    sys.exit(run_test_job(name, list(pytest_args), console))


@main.command("new-job")
@click.argument("name")
def new_job(name: str) -> None:
    """Scaffold charts/jobs/NAME with chart, app and a failing-until-written test."""
    from harness.scaffold import new_job as scaffold

    for path in scaffold(name):
        console.print(f"created {path.relative_to(REPO_ROOT)}")
    console.print(f"next: write app/main.py and tests/test_{name.replace('-', '_')}.py, then "
                  f"`make test-job NAME={name}`")


@main.command("import")
@click.argument("source")
@click.option("--name", default=None, help="Job (chart) name; default the CronJob's name.")
@click.option("--script", type=click.Path(path_type=Path), default=None,
              help="With a crontab line as SOURCE: the script it runs (carried in a ConfigMap).")
@click.option("--image", default=None, help="With a crontab line: the image to run the script in.")
@click.option("--env", "env", default=None,
              help="Environment the manifest belongs to (default: its K8S_ENV variable or environment label).")
@click.option("--time-zone", default="", help="With a crontab line: the time zone crond ran in (IANA name).")
@click.option("--force", is_flag=True, help="Overwrite an existing chart.")
def import_command(source: str, name: str | None, script: Path | None, image: str | None, env: str | None,
                   time_zone: str, force: bool) -> None:
    """Turn a CronJob manifest (or a crontab line + --script) into charts/jobs/<name>."""
    from harness.importer.notes import Kind
    from harness.importer.run import import_job

    imported, paths = import_job(source, name=name, script=script, image=image, env=env, time_zone=time_zone,
                                 force=force)
    for path in paths:
        console.print(f"wrote {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}")
    counts = {kind: sum(1 for n in imported.notes if n.kind == kind) for kind in Kind}
    console.print(", ".join(f"{count} {kind.value}" for kind, count in counts.items())
                  + f" (listed in charts/jobs/{imported.name}/README.md)")
    console.print(f"next: `make lint`, then write tests/test_{imported.name.replace('-', '_')}.py and "
                  f"`make test-job NAME={imported.name}` (docs/migration.md)")


def _attach_delivery_commands() -> None:
    from harness.delivery.cli import check_versions, diff, images, publish, registry

    for command in (check_versions, diff, images, publish, registry):
        main.add_command(command)


_attach_delivery_commands()


def _attach_optional_groups() -> None:
    # Cluster and services commands live with their code; attach them when those packages provide them.
    for module, attr in (("harness.cluster.cli", "cluster"), ("harness.services.cli", "services"),
                         ("harness.datagen.cli", "datagen"), ("harness.monitoring.cli", "monitoring")):
        try:
            group = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            continue
        main.add_command(group)


_attach_optional_groups()


def cli() -> None:
    """Entry point: user-actionable errors print one clear message and exit 1, without a traceback."""
    from harness.errors import HarnessError

    try:
        main(standalone_mode=False)
    except HarnessError as exc:
        # soft_wrap: one message, one line (a job log or `2>&1 | grep` wraps it, not rich at the console width).
        console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    cli()
