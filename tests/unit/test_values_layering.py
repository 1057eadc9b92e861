"""Values layering: a job value beats the environment value, which beats the chart default.

Order, later wins: the library defaults (merged under the chart's values at render time), the job chart's
values.yaml, values/<env>/_env.yaml, values/<env>/<job>.yaml. Maps merge key by key; lists and scalars are
replaced. Rendered with the real helm through harness.charts.render.render_chart on a job chart scaffolded in
a temporary copy of the repository, with the real environment files, and on every real job chart.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.charts.discover import VALUES_DIR, environments, job_charts
from harness.charts.render import render_chart
from harness.paths import REPO_ROOT
from harness.scaffold import new_job

JOB = "layering-probe"


def _cronjob(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (cronjob,) = [o for o in objects if o["kind"] == "CronJob"]
    return cronjob


def _main_env(cronjob: dict[str, Any]) -> dict[str, Any]:
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (main,) = [c for c in pod["containers"] if c["name"] == "main"]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in main.get("env", [])}


def _rule_labels(objects: list[dict[str, Any]]) -> dict[str, str]:
    (rule,) = [o for o in objects if o["kind"] == "PrometheusRule"]
    failed = [r for g in rule["spec"]["groups"] for r in g["rules"] if r.get("alert") == "CronJobFailed"]
    return dict(failed[0]["labels"])


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scaffolded job chart (schedule 00 06 * * *, 100m/256Mi) beside a copy of the library."""
    root = tmp_path_factory.mktemp("repo")
    shutil.copytree(REPO_ROOT / "charts" / "cronjob-common", root / "charts" / "cronjob-common",
                    ignore=shutil.ignore_patterns("test-chart"))
    new_job(JOB, root=root)
    return root / "charts" / "jobs" / JOB


@pytest.fixture(scope="module")
def job_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What values/prod/<job>.yaml would say for this job."""
    path = tmp_path_factory.mktemp("values") / f"{JOB}.yaml"
    path.write_text(yaml.safe_dump({
        "cronjob": {"schedule": "15 03 * * *"},
        "env": {"LOG_LEVEL": "DEBUG", "INDEX_PREFIX": "probe", "SINK_URL": "{{ .Values.env.ELASTICSEARCH_URL }}"},
        "metrics": {"prometheusRule": {"alertLabels": {"receiver": "job-owner"}}},
    }))
    return path


def test_environment_file_beats_chart_default(chart: Path) -> None:
    env_file = VALUES_DIR / "prod" / "_env.yaml"
    objects = render_chart(chart, values_files=[env_file], namespace="cmsmon-prod")
    cronjob = _cronjob(objects)
    # library default environment "dev" -> prod's
    assert cronjob["metadata"]["labels"]["environment"] == "prod"
    env = _main_env(cronjob)
    assert env["PUSHGATEWAY_URL"] == "http://pushgateway.cmsmon-prod.svc.cluster.local:9091"
    assert env["OPENSEARCH_URL"] == "https://os-cms.cern.ch:443/os"
    assert "SINK_URL" not in env  # the environment names endpoints; it never picks a job's sink
    # global.imageRegistry replaces the chart's image.registry
    container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.cern.ch/cmsmonitoring/layering-probe:0.1.0"
    assert _rule_labels(objects)["receiver"] == "cms-monitoring-oncall"
    # not set by the environment: the chart's own value stays
    assert cronjob["spec"]["schedule"] == "00 06 * * *"
    assert container["resources"]["requests"] == {"cpu": "100m", "memory": "256Mi"}


def test_job_file_beats_environment_file_and_maps_merge(chart: Path, job_file: Path) -> None:
    env_file = VALUES_DIR / "prod" / "_env.yaml"
    objects = render_chart(chart, values_files=[env_file, job_file], namespace="cmsmon-prod")
    cronjob = _cronjob(objects)
    env = _main_env(cronjob)
    assert cronjob["spec"]["schedule"] == "15 03 * * *"  # job > chart default
    assert env["LOG_LEVEL"] == "DEBUG"  # job > environment (prod says INFO)
    assert env["INDEX_PREFIX"] == "probe"  # added by the job
    assert env["SINK_URL"] == "https://es-cms.cern.ch:9203"  # the job's reference to the environment's endpoint
    assert env["HDFS_URL"] == "hdfs://analytix"  # kept from the environment: env is a map, merged by key
    labels = _rule_labels(objects)
    assert labels["receiver"] == "job-owner"  # job > environment
    assert labels["team"] == "cms-monitoring"  # environment label kept beside it
    assert labels["env"] == "prod"


def test_layering_order_is_file_order(chart: Path, job_file: Path) -> None:
    """Helm applies -f files in order; given the other way round the environment would win."""
    env_file = VALUES_DIR / "prod" / "_env.yaml"
    env = _main_env(_cronjob(render_chart(chart, values_files=[job_file, env_file])))
    assert env["LOG_LEVEL"] == "INFO"


@pytest.mark.parametrize("env_name", environments())
def test_every_environment_file_is_complete(env_name: str) -> None:
    """Each environment names itself, its registry, its Pushgateway and its alert routing."""
    values = yaml.safe_load((VALUES_DIR / env_name / "_env.yaml").read_text())
    assert values["environment"] == env_name
    assert values["global"]["imageRegistry"]
    assert values["metrics"]["pushgateway"]["url"].startswith("http://pushgateway.")
    rule = values["metrics"]["prometheusRule"]
    assert rule["alertLabels"]["env"] == env_name
    assert rule["alertLabels"]["receiver"]
    assert rule["runbookBaseUrl"].startswith("https://")
    assert "resources" not in values, "an environment-wide resources value would override every job's sizing"


@pytest.mark.parametrize(
    ("chart_dir", "env_name"),
    [(c, e) for c in job_charts() for e in environments() if (VALUES_DIR / e / f"{c.name}.yaml").exists()],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_real_job_charts_layer_their_environment(chart_dir: Path, env_name: str) -> None:
    files = [VALUES_DIR / env_name / "_env.yaml", VALUES_DIR / env_name / f"{chart_dir.name}.yaml"]
    env_values = yaml.safe_load(files[0].read_text())
    job_values = yaml.safe_load(files[1].read_text()) or {}
    cronjob = _cronjob(render_chart(chart_dir, values_files=files, namespace=f"cmsmon-{env_name}"))
    assert cronjob["metadata"]["labels"]["environment"] == env_name
    env = _main_env(cronjob)
    assert env["PUSHGATEWAY_URL"] == env_values["metrics"]["pushgateway"]["url"]
    # a job's string values, with references to other variables ({{ .Values.env.X }}) resolved by layering
    layered_env = {**(env_values.get("env") or {}), **(job_values.get("env") or {})}
    expected = {k: re.sub(r"\{\{ *\.Values\.env\.(\w+) *\}\}", lambda m: str(layered_env[m.group(1)]), str(v))
                for k, v in (job_values.get("env") or {}).items() if not isinstance(v, dict)}
    assert {k: env[k] for k in expected} == expected
    if "schedule" in job_values.get("cronjob", {}):
        assert cronjob["spec"]["schedule"] == job_values["cronjob"]["schedule"]


def _host_ports(env_name: str) -> dict[str, set[int]]:
    """{job: its host ports} in environment ``env_name`` (chart values and job file merged)."""
    found: dict[str, set[int]] = {}
    for chart_dir in job_charts():
        job_file = VALUES_DIR / env_name / f"{chart_dir.name}.yaml"
        if not job_file.exists():
            continue
        ports = {**(yaml.safe_load((chart_dir / "values.yaml").read_text()).get("ports") or {}),
                 **(yaml.safe_load(job_file.read_text()).get("ports") or {})}
        found[chart_dir.name] = {port["hostPort"] for port in ports.values() if port.get("hostPort")}
    return found


def test_the_host_port_table_in_docs_matches_the_values() -> None:
    """docs/delivery.md's allocation table is what the prod and preprod values files really use."""
    table: dict[str, dict[str, set[int]]] = {"prod": {}, "preprod": {}}
    for line in (REPO_ROOT / "docs" / "delivery.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"[0-9, ]+", cells[1]) and re.fullmatch(r"[0-9, ]+", cells[2]):
            table["prod"][cells[0]] = {int(p) for p in cells[1].split(",")}
            table["preprod"][cells[0]] = {int(p) for p in cells[2].split(",")}
    for env_name, documented in table.items():
        assert documented == {job: ports for job, ports in _host_ports(env_name).items() if ports}, env_name


@pytest.mark.parametrize("env_name", environments())
def test_host_ports_are_unique_across_the_jobs_of_an_environment(env_name: str) -> None:
    """Host-network Spark drivers of different jobs may share a node: their host ports must not collide
    (the library checks within one job; this checks across jobs, chart values and job file together)."""
    owners: dict[int, str] = {}
    for job, ports in _host_ports(env_name).items():
        for port in ports:
            taken = owners.setdefault(port, job)
            assert taken == job, f"hostPort {port}: {taken} and {job}"
