"""Server-side validation against a real API server with the Argo CD and prometheus-operator CRDs installed:
the AppProject, the ApplicationSet and every Application it generates (the offline model's expansion of the
values tree), and every job chart x environment, all with `kubectl apply --dry-run=server` (strict field
validation: an unknown field is an error, not silently pruned)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.charts.discover import VALUES_DIR, environments, job_charts
from harness.charts.render import render_chart
from harness.cluster.base import Cluster
from harness.delivery.applicationset import APPLICATIONSET, APPPROJECT, generated_applications
from harness.delivery.argocd import NAMESPACE as ARGOCD_NAMESPACE
from harness.delivery.argocd import finish_terminating_namespace
from harness.errors import HarnessError

pytestmark = pytest.mark.e2e



@pytest.fixture(scope="module")
def argocd_namespace(cluster: Cluster) -> Iterator[str]:
    """The namespace the manifests name; created for the test when the cluster has none, then removed."""
    finish_terminating_namespace(cluster)
    existing = cluster.kubectl("get", "namespaces", "-o", "name").split()
    created = f"namespace/{ARGOCD_NAMESPACE}" not in existing
    if created:
        cluster.kubectl("create", "namespace", ARGOCD_NAMESPACE)
    yield ARGOCD_NAMESPACE
    if created:
        # Waited for: the real Argo CD's install (test_delivery_argocd_real) may come next into this name.
        cluster.kubectl("delete", "namespace", ARGOCD_NAMESPACE, "--wait=true", timeout=300)


def _dry_run(cluster: Cluster, documents: list[dict[str, Any]], tmp_path: Path, namespace: str = ARGOCD_NAMESPACE,
             ) -> list[str]:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(yaml.safe_dump_all(documents))
    out = cluster.kubectl("apply", "--dry-run=server", "--validate=strict", "--server-side",
                          "--field-manager=cronharness-test", "-n", namespace, "-f", str(manifest))
    return out.strip().splitlines()


def test_project_and_applicationset_pass_server_side_validation(
    cluster: Cluster, argocd_namespace: str, tmp_path: Path,
) -> None:
    documents = [yaml.safe_load(APPPROJECT.read_text()), yaml.safe_load(APPLICATIONSET.read_text())]
    assert _dry_run(cluster, documents, tmp_path) == [
        "appproject.argoproj.io/cms-cronjobs serverside-applied (server dry run)",
        "applicationset.argoproj.io/cms-cronjobs serverside-applied (server dry run)",
    ]


def test_generated_applications_pass_server_side_validation(
    cluster: Cluster, argocd_namespace: str, tmp_path: Path,
) -> None:
    apps = generated_applications()
    lines = _dry_run(cluster, [a.manifest for a in apps], tmp_path)
    assert lines == [f"application.argoproj.io/{a.name} serverside-applied (server dry run)" for a in apps]


def test_server_rejects_a_misspelt_field(cluster: Cluster, argocd_namespace: str, tmp_path: Path) -> None:
    appset = yaml.safe_load(APPLICATIONSET.read_text())
    appset["spec"]["template"]["spec"]["syncPolicy"]["automated"]["selfheal"] = True
    # server-side apply reports unknown fields of a custom resource from its structural schema
    expected = r"\.spec\.template\.spec\.syncPolicy\.automated\.selfheal: field not declared in schema"
    with pytest.raises(HarnessError, match=expected):
        _dry_run(cluster, [appset], tmp_path)


@pytest.mark.parametrize(
    ("chart", "env"),
    [(c, e) for c in job_charts() for e in environments()],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_job_chart_in_environment_passes_server_side_validation(
    cluster: Cluster, namespace: str, chart: Path, env: str, tmp_path: Path,
) -> None:
    files = [f for f in (VALUES_DIR / env / "_env.yaml", VALUES_DIR / env / f"{chart.name}.yaml") if f.exists()]
    objects = render_chart(chart, values_files=files, release=chart.name, namespace=namespace)
    lines = _dry_run(cluster, objects, tmp_path, namespace)
    assert len(lines) == len(objects)
    assert all(line.endswith("serverside-applied (server dry run)") for line in lines), lines
