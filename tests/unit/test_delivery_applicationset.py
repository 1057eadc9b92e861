"""deploy/argocd: the ApplicationSet maps the values tree to exactly the expected Applications, every object
validates against the Argo CD CRD schemas, and the AppProject admits everything the Applications deploy."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.charts.discover import VALUES_DIR, environments, job_charts
from harness.charts.render import render_chart
from harness.charts.validate import validate_objects
from harness.delivery.applicationset import (
    APPLICATIONSET,
    APPPROJECT,
    expand,
    generated_applications,
    resolve_value_file,
    sanitize_name,
)
from harness.delivery.gotemplate import TemplateError, render
from harness.errors import HarnessError
from harness.paths import REPO_ROOT


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def values_repo(tmp_path: Path) -> Path:
    """A git repository with a small values tree, some of it committed, some not, some ignored."""
    files = {
        "values/dev/_env.yaml": "environment: dev\n",
        "values/dev/rucio-daily.yaml": "cronjob: {schedule: '07 08 * * *'}\n",
        "values/prod/_env.yaml": "environment: prod\n",
        "values/prod/rucio-daily.yaml": "{}\n",
        "values/prod/cpueff.yaml": "",  # empty: still one Application (an empty object)
        "values/README.md": "not a values file\n",
        "values/prod/notes.txt": "neither\n",
        "charts/jobs/rucio-daily/values.yaml": "not under values/\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "values/dev", "values/prod/_env.yaml", "values/README.md")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "values")
    (tmp_path / ".gitignore").write_text("*.swp\n")
    (tmp_path / "values/prod/.cpueff.yaml.swp").write_text("editor backup: ignored\n")
    return tmp_path


def test_values_tree_maps_to_one_application_per_job_and_environment(values_repo: Path) -> None:
    apps = generated_applications(APPLICATIONSET, values_repo)
    assert {(a.name, a.namespace, a.value_files, a.chart_path) for a in apps} == {
        ("dev-rucio-daily", "cmsmon-dev",
         ("$values/values/dev/_env.yaml", "$values/values/dev/rucio-daily.yaml"), "charts/jobs/rucio-daily"),
        ("prod-cpueff", "cmsmon-prod",
         ("$values/values/prod/_env.yaml", "$values/values/prod/cpueff.yaml"), "charts/jobs/cpueff"),
        ("prod-rucio-daily", "cmsmon-prod",
         ("$values/values/prod/_env.yaml", "$values/values/prod/rucio-daily.yaml"), "charts/jobs/rucio-daily"),
    }
    # Argo CD's order: sorted file paths
    assert [a.name for a in apps] == ["dev-rucio-daily", "prod-cpueff", "prod-rucio-daily"]
    by_name = {a.name: a.manifest for a in apps}
    prod = by_name["prod-rucio-daily"]
    assert prod["metadata"]["namespace"] == "argocd"
    assert prod["metadata"]["labels"] == {"cronharness.io/environment": "prod", "cronharness.io/job": "rucio-daily"}
    chart_source, values_source = prod["spec"]["sources"]
    assert chart_source["helm"]["releaseName"] == "rucio-daily"
    assert {a.name: a.release for a in apps}["prod-rucio-daily"] == "rucio-daily"
    assert values_source == {"repoURL": chart_source["repoURL"], "targetRevision": "HEAD", "ref": "values"}
    assert resolve_value_file("$values/values/prod/cpueff.yaml", prod, values_repo) == \
        values_repo / "values/prod/cpueff.yaml"


def test_removing_a_values_file_removes_its_application(values_repo: Path) -> None:
    (values_repo / "values/prod/rucio-daily.yaml").unlink()
    assert {a.name for a in generated_applications(APPLICATIONSET, values_repo)} == {"dev-rucio-daily", "prod-cpueff"}


def test_git_pathspec_star_crosses_directories_like_argo_cd(values_repo: Path) -> None:
    """`values/*/*.yaml` is a git pathspec: its `*` matches `/`, so a nested file becomes an Application too
    (named after its own directory); the repository rule below forbids such nesting."""
    (values_repo / "values/prod/old").mkdir()
    (values_repo / "values/prod/old/cpueff.yaml").write_text("{}\n")
    names = {a.name for a in generated_applications(APPLICATIONSET, values_repo)}
    assert "old-cpueff" in names


def test_a_values_file_holding_a_list_gives_one_application_per_item(values_repo: Path) -> None:
    (values_repo / "values/dev/rucio-daily.yaml").write_text("- {a: 1}\n- {a: 2}\n")
    names = [a.name for a in generated_applications(APPLICATIONSET, values_repo)]
    assert names.count("dev-rucio-daily") == 2


def test_repository_values_tree_maps_to_expected_applications() -> None:
    expected = {
        (f"{env}-{path.stem}", f"cmsmon-{env}",
         (f"$values/values/{env}/_env.yaml", f"$values/values/{env}/{path.name}"))
        for env in environments()
        for path in sorted((VALUES_DIR / env).glob("*.yaml"))
        if path.name != "_env.yaml"
    }
    apps = generated_applications()
    assert {(a.name, a.namespace, a.value_files) for a in apps} == expected
    assert len({a.name for a in apps}) == len(apps)


def test_repository_values_tree_has_only_environment_and_job_files() -> None:
    """Each environment has its _env.yaml; every other file is <job>.yaml of an existing job chart."""
    charts = {c.name for c in job_charts()}
    for path in sorted(p for p in VALUES_DIR.rglob("*") if p.is_file()):
        relative = path.relative_to(VALUES_DIR)
        assert len(relative.parts) == 2, f"values/{relative}: only values/<env>/<file> is deployed as intended"
        assert path.suffix == ".yaml", f"values/{relative}: not a .yaml file (the generator would skip it)"
        assert path.name == "_env.yaml" or path.stem in charts, f"values/{relative}: no chart charts/jobs/{path.stem}"
    for env in environments():
        assert (VALUES_DIR / env / "_env.yaml").is_file(), f"values/{env}/_env.yaml is missing"


def test_manifests_and_generated_applications_validate_against_argo_cd_crds() -> None:
    objects = [yaml.safe_load(APPPROJECT.read_text()), yaml.safe_load(APPLICATIONSET.read_text())]
    objects += [a.manifest for a in generated_applications()]
    assert validate_objects(objects) == []


def test_validation_catches_a_misspelt_sync_option_field() -> None:
    appset = yaml.safe_load(APPLICATIONSET.read_text())
    appset["spec"]["template"]["spec"]["syncPolicy"]["automated"]["selfheal"] = True
    assert validate_objects([appset]) == [
        "ApplicationSet/cms-cronjobs: spec.template.spec.syncPolicy.automated: "
        "Additional properties are not allowed ('selfheal' was unexpected)"]


def _allowed(project: dict[str, Any], group: str, kind: str, namespaced: bool) -> bool:
    listed = project["spec"]["namespaceResourceWhitelist" if namespaced else "clusterResourceWhitelist"]
    return any(entry["group"] == group and entry["kind"] == kind for entry in listed)


@pytest.mark.parametrize("app", generated_applications(), ids=lambda a: a.name)
def test_project_admits_everything_each_application_deploys(app: Any) -> None:
    project = yaml.safe_load(APPPROJECT.read_text())
    spec = app.manifest["spec"]
    assert spec["project"] == project["metadata"]["name"]
    assert {s["repoURL"] for s in spec["sources"]} <= set(project["spec"]["sourceRepos"])
    assert any(d["server"] == spec["destination"]["server"] and fnmatch.fnmatchcase(app.namespace, d["namespace"])
               for d in project["spec"]["destinations"])
    assert _allowed(project, "", "Namespace", namespaced=False)  # CreateNamespace=true
    chart = REPO_ROOT / app.chart_path
    files = [resolve_value_file(v, app.manifest) for v in app.value_files]
    objects = render_chart(chart, values_files=files, release=app.release, namespace=app.namespace)
    for obj in objects:
        group = obj["apiVersion"].rpartition("/")[0]
        assert _allowed(project, group, obj["kind"], namespaced=True), f"{obj['kind']} is not whitelisted"
        assert obj["metadata"].get("namespace", app.namespace) == app.namespace


def test_sanitize_name_matches_argo_cd() -> None:
    assert sanitize_name("Rucio_Daily.yaml") == "rucio-daily.yaml"
    assert sanitize_name("-.dev.-") == "dev"


def test_template_model_renders_fields_functions_and_pipes() -> None:
    data = {"path": {"basename": "prod", "filename": "cpueff.yaml", "segments": ["values", "prod"]}}
    assert render('{{ .path.basename }}-{{ trimSuffix ".yaml" .path.filename }}', data) == "prod-cpueff"
    assert render('{{ .path.filename | trimSuffix ".yaml" | upper }}', data) == "CPUEFF"
    assert render("a {{- .path.basename -}} b", data) == "aprodb"
    assert render("{{ .path.segments }}", data) == "[values prod]"
    assert render("no action", data) == "no action"


def test_template_model_refuses_what_it_does_not_implement() -> None:
    with pytest.raises(TemplateError, match="no entry for key 'nope'"):
        render("{{ .path.nope }}", {"path": {}})
    with pytest.raises(TemplateError, match="'if' is not supported"):
        render("{{ if .path }}x{{ end }}", {"path": {}})
    appset = yaml.safe_load(APPLICATIONSET.read_text())
    appset["spec"]["templatePatch"] = "spec: {}"
    with pytest.raises(HarnessError, match="without templatePatch"):
        expand(appset)


def test_model_needs_a_git_work_tree(tmp_path: Path) -> None:
    shutil.copytree(VALUES_DIR, tmp_path / "values")
    with pytest.raises(HarnessError, match="is it a git work tree"):
        generated_applications(APPLICATIONSET, tmp_path)
