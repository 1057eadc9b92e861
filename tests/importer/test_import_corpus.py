"""`harness import` on the corpus: each manifest is imported, rendered with the real helm (3) and its CronJob
compared field by field with the source. Every difference has a reason (an import note); fields added on
purpose are listed as hardening; each imported chart passes `helm lint --strict` (3 and 4) and validates
against the Kubernetes 1.34 schemas.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.importer.compare import Comparison
from harness.importer.manifest import Imported
from harness.importer.notes import Kind
from harness.importer.run import check_import

CORPUS = sorted((Path(__file__).parent / "import_corpus").glob("*.yaml"))
FULLY_CARRIED = [p for p in CORPUS if p.name != "not-carried.yaml"]


def _check(manifest: Path, tmp_path: Path) -> tuple[Imported, Comparison, list[str]]:
    return check_import(str(manifest), tmp_path)


@pytest.mark.parametrize("manifest", CORPUS, ids=[p.stem for p in CORPUS])
def test_every_difference_is_explained_and_the_chart_lints(manifest: Path, tmp_path: Path) -> None:
    imported, comparison, problems = _check(manifest, tmp_path)
    report = comparison.report(manifest.name)
    assert problems == [], report
    assert comparison.unexplained() == [], report
    assert comparison.added_by_kind()["unexplained"] == [], report
    assert (tmp_path / "charts" / "jobs" / imported.name / "README.md").read_text().count("`") > 0


@pytest.mark.parametrize("manifest", FULLY_CARRIED, ids=[p.stem for p in FULLY_CARRIED])
def test_carried_fields_are_identical(manifest: Path, tmp_path: Path) -> None:
    _, comparison, _ = _check(manifest, tmp_path)
    different = {f.path for f in comparison.differences}
    # Only the API version of a batch/v1beta1 manifest differs: everything else renders as in the source.
    assert different <= {"apiVersion"}, comparison.report(manifest.name)


def test_what_cannot_be_carried_is_listed(tmp_path: Path) -> None:
    imported, comparison, _ = _check(Path(__file__).parent / "import_corpus" / "not-carried.yaml", tmp_path)
    dropped = {n.path for n in imported.notes if n.kind == Kind.DROPPED}
    pod = "spec.jobTemplate.spec.template.spec"
    assert dropped == {
        f"{pod}.hostAliases", f"{pod}.containers[helper]", f"{pod}.containers[exporter].livenessProbe",
        f"{pod}.volumes[store]", f"{pod}.containers[exporter].volumeMounts[store]", "Secret/exporter-token",
    }
    readme = (tmp_path / "charts" / "jobs" / "odd-exporter" / "README.md").read_text()
    assert all(f"`{path}`" in readme for path in dropped)
    assert {f.path for f in comparison.differences} == {
        f"{pod}.hostAliases", f"{pod}.containers[helper].name", f"{pod}.containers[helper].image",
        f"{pod}.containers[exporter].livenessProbe.exec.command",
        f"{pod}.volumes[store].name", f"{pod}.volumes[store].csi.driver",
        f"{pod}.containers[exporter].volumeMounts[store].name",
        f"{pod}.containers[exporter].volumeMounts[store].mountPath",
    }


def test_library_defaults_that_differ_from_kubernetes_are_set_to_the_source(tmp_path: Path) -> None:
    imported, comparison, _ = _check(Path(__file__).parent / "import_corpus" / "token-refresher-rbac.yaml", tmp_path)
    values = imported.values
    assert values["cronjob"]["concurrencyPolicy"] == "Allow"
    assert values["cronjob"]["startingDeadlineSeconds"] == 0
    assert values["job"]["backoffLimit"] == 6
    assert values["serviceAccount"] == {"create": True, "name": "token-refresher", "automountServiceAccountToken": True}
    assert values["rbac"] == {"clusterRoles": ["edit"]}
    added = {f.path: f.rendered for f in comparison.added}
    assert added["spec.concurrencyPolicy"] == "Allow"
    assert "spec.startingDeadlineSeconds" not in added
    assert added["spec.jobTemplate.spec.backoffLimit"] == 6
    hardening = {f.path for f in comparison.added_by_kind()["hardening"]}
    assert hardening == {f"spec.jobTemplate.spec.template.spec.containers[refresher].resources.{k}"
                         for k in ("requests.cpu", "requests.memory", "limits.memory")}


def test_side_objects_are_carried(tmp_path: Path) -> None:
    from harness.charts.render import render_chart

    imported, _, _ = _check(Path(__file__).parent / "import_corpus" / "script-configmap-service.yaml", tmp_path)
    objects = {(o["kind"], o["metadata"]["name"]): o
               for o in render_chart(tmp_path / "charts" / "jobs" / imported.name, release="r")}
    for kind, name in (("Service", "dataset-census"), ("ConfigMap", "dataset-census-script")):
        source = imported.objects[(kind, name)]
        rendered = objects[(kind, name)]
        field = "spec" if kind == "Service" else "data"
        assert rendered[field] == source[field]
        assert source["metadata"].get("labels", {}).items() <= rendered["metadata"]["labels"].items()


def test_crontab_line_and_script(tmp_path: Path) -> None:
    script = tmp_path / "cron4usage.sh"
    script.write_text("#!/bin/bash\necho usage \"$@\"\n")
    imported, comparison, problems = check_import("10 02 * * * /data/cron4usage.sh --out /eos/usage",
                                                  tmp_path / "repo", script=script, name="usage-report",
                                                  image="registry.example.org/monitoring/usage:1.0")
    assert problems == []
    assert comparison.unexplained() == []
    assert imported.values["cronjob"]["schedule"] == "10 02 * * *"
    assert imported.values["command"] == ["/bin/bash", "/opt/cronjob/cron4usage.sh"]
    assert imported.values["args"] == ["--out", "/eos/usage"]
    assert imported.values["configMaps"]["script"]["data"] == {"cron4usage.sh": script.read_text()}


def test_imported_charts_pass_make_lint_in_every_environment(tmp_path: Path) -> None:
    """What `make lint` does to a chart in charts/jobs: Helm 3 and 4 agree, objects validate, checkov is clean,
    with each environment's values/<env>/_env.yaml (and the job's file) layered on top."""
    from harness.charts.discover import VALUES_DIR, Scenario
    from harness.charts.lint import check_scenario, security_scan
    from harness.importer.run import import_job

    for env_file in VALUES_DIR.glob("*/_env.yaml"):
        target = tmp_path / "values" / env_file.parent.name / "_env.yaml"
        target.parent.mkdir(parents=True)
        target.write_text(env_file.read_text())
    (tmp_path / "charts").mkdir()
    (tmp_path / "charts" / "cronjob-common").symlink_to(Path(__file__).parents[2] / "charts" / "cronjob-common")
    scenarios = []
    for manifest in CORPUS:
        imported, _ = import_job(str(manifest), root=tmp_path, env="prod")
        chart = tmp_path / "charts" / "jobs" / imported.name
        scenarios.append(Scenario(chart, "defaults"))
        for env_dir in sorted((tmp_path / "values").iterdir()):
            files = [env_dir / "_env.yaml", env_dir / f"{imported.name}.yaml"]
            scenarios.append(Scenario(chart, env_dir.name, tuple(f for f in files if f.exists())))
    results = [check_scenario(s) for s in scenarios]
    assert [(r.scenario.label, r.problems) for r in results if r.problems] == []
    assert security_scan(results) == []
