"""GitOps with the real Argo CD (harness/delivery/argocd.py): Argo CD built from its Go module and installed
from its own core-install.yaml, our deploy/argocd AppProject + ApplicationSet applied as they are except for
the repoURL (this repository's copy on the in-cluster git server instead of GitLab): harness/delivery/gitops.py.

The copy pushed is this checkout's HEAD with one test edit, committed on top: ``cronjob.suspend: true`` in
every environment's _env.yaml, because the CronJobs' images (registry.cern.ch) and endpoints do not exist here
and nothing may reach for them. The ApplicationSet generates one Application per job of every environment
(dev, preprod, prod); each is synced, and equals what `harness diff`'s offline model expands. Then: a values
change committed to the git server is synced and changes the CronJob; a commit with invalid values leaves the
Application in a ComparisonError naming the key while the CronJob stays as it was. Figures (`-s`): Argo CD
images, install to Ready, commit-to-synced. A push is followed by the refresh annotation, which is what Argo
CD's git webhook does (no webhook here). A job run from its released image, synced by Argo CD, is the job's own
test through the ``deploy_by_argocd`` fixture (charts/jobs/wma-agent-count/tests)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.charts.discover import environments
from harness.charts.render import render_chart
from harness.cluster.base import Cluster
from harness.delivery.applicationset import expand
from harness.delivery.argocd import REPO_URL
from harness.delivery.gitops import Gitops, applicationset_for, target_namespace, values_repository
from harness.waiting import wait_until

pytestmark = pytest.mark.e2e

ENVS = environments()
ENV = "dev"
JOB = "cpueff"
APP = f"{ENV}-{JOB}"


def _container_env(cronjob: dict[str, Any]) -> dict[str, str]:
    container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    # The API server omits an empty value (`DATE: ""` reads back without "value").
    return {e["name"]: e.get("value", "") for e in container.get("env", []) if "valueFrom" not in e}


def _suspended(checkout: Path) -> None:
    for env in ENVS:
        env_file = checkout / "values" / env / "_env.yaml"
        env_file.write_text(env_file.read_text() + "cronjob:\n  suspend: true\n")


@pytest.fixture(scope="module")
def gitops(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gitops]:
    with values_repository(cluster, tmp_path_factory.mktemp("gitops"), ENVS, edit=_suspended) as synced:
        yield synced


def _jobs(checkout: Path, env: str) -> list[str]:
    return sorted(p.stem for p in (checkout / "values" / env).glob("*.yaml") if p.name != "_env.yaml")


def _rendered_cronjobs(checkout: Path, env: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for job in _jobs(checkout, env):
        values = checkout / "values" / env
        objects = render_chart(checkout / "charts" / "jobs" / job, release=job, namespace=target_namespace(env),
                               values_files=[values / "_env.yaml", values / f"{job}.yaml"])
        found.update({o["metadata"]["name"]: o for o in objects if o["kind"] == "CronJob"})
    return found


def test_applications_generated_and_synced_with_the_environment_values(gitops: Gitops) -> None:
    """Every environment's Applications are generated and synced; each CronJob has its environment's values."""
    apps = sorted(f"{env}-{job}" for env in ENVS for job in _jobs(gitops.checkout, env))
    commit = gitops.head()
    started = time.monotonic()
    for app in apps:
        gitops.wait_synced(app, commit, timeout=600)
    print(f"FIGURE argocd {len(apps)} Applications ({', '.join(ENVS)}) generated and synced "
          f"{time.monotonic() - started:.1f}s")
    assert gitops.applications() == apps

    for env in ENVS:
        live = gitops.cronjobs(env)
        rendered = _rendered_cronjobs(gitops.checkout, env)
        assert sorted(live) == sorted(rendered), env
        for name, want in rendered.items():
            got = live[name]
            assert got["spec"]["suspend"] is True
            assert got["spec"]["schedule"] == want["spec"]["schedule"]
            assert _container_env(got) == _container_env(want), (env, name)
            assert got["metadata"]["labels"]["environment"] == env
            tracking = got["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"]
            assert tracking.startswith(f"{env}-")
    assert {_container_env(c)["LOG_LEVEL"] for c in gitops.cronjobs(ENV).values()} == {"DEBUG"}  # values/dev


def test_the_offline_model_expands_the_applicationset_as_argocd_does(gitops: Gitops) -> None:
    """`harness diff` expands the ApplicationSet offline (harness/delivery/applicationset.py); each Application
    it gives for the pushed copy equals the one Argo CD's ApplicationSet controller generated, field for field
    (names, labels, finalizers and the whole spec)."""
    (appset,) = [d for d in applicationset_for(REPO_URL) if d["kind"] == "ApplicationSet"]
    modelled = {a["metadata"]["name"]: a for a in expand(appset, gitops.checkout)}
    assert sorted(modelled) == gitops.applications()
    for name, want in modelled.items():
        got = gitops.application(name)
        for key in ("labels", "finalizers", "namespace"):
            assert got["metadata"].get(key) == want["metadata"].get(key), (name, key)
        assert got["spec"] == _as_stored(want["spec"]), name


def _as_stored(value: Any) -> Any:
    """``value`` as the API server stores an Argo CD object: its Go types drop false and empty fields
    (``omitempty``), so `allowEmpty: false` written in the ApplicationSet reads back absent."""
    if isinstance(value, dict):
        kept = {k: _as_stored(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (False, "", None, [], {})}
    if isinstance(value, list):
        return [_as_stored(v) for v in value]
    return value


def test_values_change_committed_is_synced(gitops: Gitops) -> None:
    job_file = f"values/{ENV}/{JOB}.yaml"
    text = (gitops.checkout / job_file).read_text().replace("env:\n", "env:\n  LOG_LEVEL: INFO\n", 1)
    started = time.monotonic()
    commit = gitops.commit("test: cpueff logs at INFO in dev", {job_file: text})
    gitops.wait_synced(APP, commit, timeout=300)
    print(f"FIGURE argocd commit-to-synced {time.monotonic() - started:.1f}s")
    changed = [c for c in gitops.cronjobs(ENV).values()
               if c["metadata"]["labels"].get("app.kubernetes.io/instance") == JOB]
    assert changed
    assert all(_container_env(c)["LOG_LEVEL"] == "INFO" for c in changed)


def test_invalid_values_leave_a_comparison_error_and_the_cronjob_as_it_was(gitops: Gitops) -> None:
    before = {n: c["spec"] for n, c in gitops.cronjobs(ENV).items()}
    job_file = f"values/{ENV}/{JOB}.yaml"
    text = (gitops.checkout / job_file).read_text() + "cronjob:\n  concurrencyPolicy: Sometimes\n"
    gitops.commit("test: invalid concurrencyPolicy", {job_file: text})

    def comparison_error() -> str | None:
        status = gitops.application(APP).get("status", {})
        errors = [c["message"] for c in status.get("conditions", []) if c["type"] == "ComparisonError"]
        return errors[0] if errors else None

    message = wait_until(comparison_error, timeout=300, what=f"a ComparisonError on {APP}", interval=1,
                         describe=lambda: json.dumps(gitops.application(APP).get("status", {}))[:2000])
    print(f"ComparisonError: {message}")
    assert "concurrencyPolicy" in message
    assert gitops.application(APP)["status"]["sync"]["status"] != "Synced"
    assert {n: c["spec"] for n, c in gitops.cronjobs(ENV).items()} == before
