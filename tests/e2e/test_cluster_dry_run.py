"""Server-side dry run of every rendered chart scenario (the library's test chart and every job chart,
with its defaults, its ci values and every environment) against the real apiserver with the
prometheus-operator and Argo CD CRDs installed: what the apiserver would store, not only what a
client-side schema says.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml

from harness.charts.discover import Scenario, scenarios
from harness.charts.render import render_chart
from harness.cluster.base import Cluster

pytestmark = pytest.mark.e2e

NAMESPACE = "dry-run"


class Namespaces:
    """Namespaces the rendered objects live in, created on demand and deleted after the module."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.created: list[str] = []

    def ensure(self, name: str) -> None:
        existing = self.cluster.kubectl("get", "namespace", name, "--ignore-not-found", "-o", "name")
        if not existing:
            self.cluster.kubectl("create", "namespace", name)
            self.created.append(name)


@pytest.fixture(scope="module")
def namespaces(cluster: Cluster) -> Iterator[Namespaces]:
    cluster.install_crds()
    created = Namespaces(cluster)
    yield created
    for name in created.created:
        cluster.kubectl("delete", "namespace", name, "--wait=false")


@pytest.mark.parametrize("scenario", scenarios(), ids=lambda s: s.label)
def test_rendered_chart_passes_server_side_dry_run(namespaces: Namespaces, scenario: Scenario) -> None:
    objects = render_chart(scenario.chart, values_files=scenario.values_files, namespace=NAMESPACE)
    assert objects, f"{scenario.label} rendered nothing"
    for name in {NAMESPACE} | {obj["metadata"]["namespace"] for obj in objects if "namespace" in obj["metadata"]}:
        namespaces.ensure(name)
    out = namespaces.cluster.kubectl("apply", "--dry-run=server", "-f", "-",
                                     input_text=yaml.safe_dump_all(objects))
    lines = out.splitlines()
    assert len(lines) == len(objects)
    assert all(line.endswith("(server dry run)") for line in lines), out
