"""GitOps with the real Argo CD (harness/delivery/argocd.py): Argo CD built from its Go module and installed
from its own core-install.yaml, our deploy/argocd AppProject + ApplicationSet applied as they are except for
the repoURL (this repository's copy on the in-cluster git server instead of GitLab).

The copy pushed is this checkout's HEAD with two test edits, committed on top: only the dev environment's
values (the ApplicationSet generates one Application per job of dev), and ``cronjob.suspend: true`` in
values/dev/_env.yaml, because the CronJobs' images (registry.cern.ch) and endpoints do not exist here and
nothing may reach for them. Then: a values change committed to the git server is synced and changes the
CronJob; a commit with invalid values leaves the Application in a ComparisonError naming the key while the
CronJob stays as it was. Figures (`-s`): Argo CD build + images, install to Ready, commit-to-synced.
A push is followed by the refresh annotation, which is what Argo CD's git webhook does (no webhook here)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.charts.discover import environments
from harness.charts.render import render_chart
from harness.cluster.base import Cluster
from harness.delivery.applicationset import APPLICATIONSET, APPPROJECT
from harness.delivery.argocd import NAMESPACE, REPO_URL, GitServer, install_argocd, load_images, uninstall_argocd
from harness.errors import HarnessError
from harness.paths import REPO_ROOT
from harness.waiting import wait_until

pytestmark = pytest.mark.e2e

ENV = "dev"
TARGET = f"cmsmon-{ENV}"
JOB = "cpueff"
APP = f"{ENV}-{JOB}"
PRODUCTION_REPO = "https://gitlab.cern.ch/cmsmonitoring/cronjobs.git"


@dataclass
class Gitops:
    cluster: Cluster
    git: GitServer
    checkout: Path

    def commit(self, message: str, path: str, text: str) -> str:
        (self.checkout / path).write_text(text)
        _git(self.checkout, "add", "-A")
        _git(self.checkout, "-c", "user.name=cronharness", "-c", "user.email=cronharness@localhost",
             "commit", "--quiet", "-m", message)
        return self.git.push(self.checkout)

    def refresh(self, app: str) -> None:
        self.cluster.kubectl("annotate", "-n", NAMESPACE, f"application/{app}",
                             "argocd.argoproj.io/refresh=normal", "--overwrite")

    def application(self, name: str) -> dict[str, Any]:
        return dict(json.loads(self.cluster.kubectl("get", "-n", NAMESPACE, f"application/{name}", "-o", "json")))

    def cronjobs(self) -> dict[str, dict[str, Any]]:
        items = json.loads(self.cluster.kubectl("get", "cronjobs", "-n", TARGET, "-o", "json"))["items"]
        return {c["metadata"]["name"]: c for c in items}


def _git(checkout: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, text=True, check=True).stdout


def _container_env(cronjob: dict[str, Any]) -> dict[str, str]:
    container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    # The API server omits an empty value (`DATE: ""` reads back without "value").
    return {e["name"]: e.get("value", "") for e in container.get("env", []) if "valueFrom" not in e}


def _synced_at(gitops: Gitops, app: str, commit: str) -> dict[str, Any] | None:
    listed = json.loads(gitops.cluster.kubectl("get", "-n", NAMESPACE, "applications", "-o", "json"))["items"]
    found = [a for a in listed if a["metadata"]["name"] == app]  # not yet generated: keep waiting
    status = found[0].get("status", {}) if found else {}
    operation = status.get("operationState", {})
    done = (status.get("sync", {}).get("status") == "Synced" and operation.get("phase") == "Succeeded"
            and commit in operation.get("syncResult", {}).get("revisions", []))
    return status if done else None


def _wait_synced(gitops: Gitops, app: str, commit: str, timeout: float) -> None:
    wait_until(lambda: _synced_at(gitops, app, commit), timeout=timeout, what=f"{app} synced at {commit}",
               interval=1, describe=lambda: gitops.cluster.kubectl("get", "-n", NAMESPACE, "applicationset",
                                                                    "cms-cronjobs", "-o", "json")[-2000:])


def _applicationset_for_git_server() -> list[dict[str, Any]]:
    documents = [yaml.safe_load(f.read_text().replace(PRODUCTION_REPO, REPO_URL)) for f in (APPPROJECT, APPLICATIONSET)]
    assert PRODUCTION_REPO not in json.dumps(documents)
    return documents


@pytest.fixture(scope="module")
def gitops(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gitops]:
    started = time.monotonic()
    images = load_images(cluster)
    print(f"FIGURE argocd build + images + load {time.monotonic() - started:.1f}s")
    started = time.monotonic()
    try:
        git = install_argocd(cluster, images)
        print(f"FIGURE argocd install to Ready {time.monotonic() - started:.1f}s")
        checkout = tmp_path_factory.mktemp("gitops") / "cronjobs"
        subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(checkout)], check=True)
        _git(checkout, "checkout", "--quiet", "-B", "main", _git(REPO_ROOT, "rev-parse", "HEAD").strip())
        for other in environments():
            if other != ENV:
                shutil.rmtree(checkout / "values" / other)
        gitops = Gitops(cluster, git, checkout)
        env_file = f"values/{ENV}/_env.yaml"
        gitops.commit("test: dev only, suspended", env_file,
                      (checkout / env_file).read_text() + "cronjob:\n  suspend: true\n")
        with (tmp_path_factory.mktemp("appset") / "appset.yaml").open("w") as manifest:
            yaml.safe_dump_all(_applicationset_for_git_server(), manifest)
        cluster.kubectl("apply", "-n", NAMESPACE, "-f", manifest.name)
        yield gitops
    finally:
        _remove(cluster)


def _remove(cluster: Cluster) -> None:
    # Applications first, while Argo CD runs: their finalizer deletes the CronJobs; then the project.
    cluster.kubectl("delete", "-n", NAMESPACE, "applicationset/cms-cronjobs", "--ignore-not-found")
    try:
        wait_until(lambda: not cluster.kubectl("get", "-n", NAMESPACE, "applications", "-o", "name").strip(),
                   timeout=180, what="the Applications to be deleted", interval=2)
        cluster.kubectl("delete", "-n", NAMESPACE, "appproject/cms-cronjobs", "--ignore-not-found", timeout=120)
    except HarnessError:
        pass
    finally:
        uninstall_argocd(cluster)
        cluster.kubectl("delete", "namespace", TARGET, "--ignore-not-found", "--wait=false")


def _rendered_cronjobs(checkout: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for values in sorted((checkout / "values" / ENV).glob("*.yaml")):
        if values.name == "_env.yaml":
            continue
        job = values.stem
        objects = render_chart(checkout / "charts" / "jobs" / job, release=job, namespace=TARGET,
                               values_files=[values.parent / "_env.yaml", values])
        found.update({o["metadata"]["name"]: o for o in objects if o["kind"] == "CronJob"})
    return found


def test_applications_generated_and_synced_with_the_environment_values(gitops: Gitops) -> None:
    jobs = sorted(p.stem for p in (gitops.checkout / "values" / ENV).glob("*.yaml") if p.name != "_env.yaml")
    commit = _git(gitops.checkout, "rev-parse", "HEAD").strip()
    started = time.monotonic()
    for job in jobs:
        _wait_synced(gitops, f"{ENV}-{job}", commit, timeout=600)
    print(f"FIGURE argocd {len(jobs)} Applications generated and synced {time.monotonic() - started:.1f}s")
    names = gitops.cluster.kubectl("get", "-n", NAMESPACE, "applications", "-o", "name").split()
    assert sorted(names) == [f"application.argoproj.io/{ENV}-{job}" for job in jobs]

    live = gitops.cronjobs()
    rendered = _rendered_cronjobs(gitops.checkout)
    assert sorted(live) == sorted(rendered)
    for name, want in rendered.items():
        got = live[name]
        assert got["spec"]["suspend"] is True
        assert got["spec"]["schedule"] == want["spec"]["schedule"]
        assert _container_env(got) == _container_env(want)
        assert _container_env(got)["LOG_LEVEL"] == "DEBUG"  # values/dev/_env.yaml
        tracking = got["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"]
        assert tracking.startswith(f"{ENV}-")


def test_values_change_committed_is_synced(gitops: Gitops) -> None:
    job_file = f"values/{ENV}/{JOB}.yaml"
    text = (gitops.checkout / job_file).read_text().replace("env:\n", "env:\n  LOG_LEVEL: INFO\n", 1)
    started = time.monotonic()
    commit = gitops.commit("test: cpueff logs at INFO in dev", job_file, text)
    gitops.refresh(APP)
    _wait_synced(gitops, APP, commit, timeout=300)
    print(f"FIGURE argocd commit-to-synced {time.monotonic() - started:.1f}s")
    changed = [c for c in gitops.cronjobs().values()
               if c["metadata"]["labels"].get("app.kubernetes.io/instance") == JOB]
    assert changed
    assert all(_container_env(c)["LOG_LEVEL"] == "INFO" for c in changed)


def test_invalid_values_leave_a_comparison_error_and_the_cronjob_as_it_was(gitops: Gitops) -> None:
    before = {n: c["spec"] for n, c in gitops.cronjobs().items()}
    job_file = f"values/{ENV}/{JOB}.yaml"
    text = (gitops.checkout / job_file).read_text() + "cronjob:\n  concurrencyPolicy: Sometimes\n"
    gitops.commit("test: invalid concurrencyPolicy", job_file, text)
    gitops.refresh(APP)

    def comparison_error() -> str | None:
        status = gitops.application(APP).get("status", {})
        errors = [c["message"] for c in status.get("conditions", []) if c["type"] == "ComparisonError"]
        return errors[0] if errors else None

    message = wait_until(comparison_error, timeout=300, what=f"a ComparisonError on {APP}", interval=1,
                         describe=lambda: json.dumps(gitops.application(APP).get("status", {}))[:2000])
    print(f"ComparisonError: {message}")
    assert "concurrencyPolicy" in message
    assert gitops.application(APP)["status"]["sync"]["status"] != "Synced"
    assert {n: c["spec"] for n, c in gitops.cronjobs().items()} == before
