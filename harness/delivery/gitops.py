"""A values repository synced by the real Argo CD, for tests: the GitOps path as users take it.

:func:`values_repository` installs Argo CD and its git server (harness/delivery/argocd.py), pushes a copy of
this checkout's HEAD to the git server with only the environments asked for, and applies our
``deploy/argocd`` AppProject and ApplicationSet as they are except for their repoURL (the git server's
instead of GitLab's). The ApplicationSet then generates one Application per values file and Argo CD syncs it.
On leaving, the Applications are deleted while Argo CD runs (their finalizer deletes what they made), then
Argo CD and the environments' namespaces.

:func:`deliver` is what a job test does with it (the ``deploy_by_argocd`` fixture): given the job's image
released to a registry the cluster pulls from, commit the test's values into ``values/<env>/<job>.yaml`` (so
Helm layers them as the environment's job file), push, and wait until the Application is synced at that
commit. The result is a :class:`harness.deploy.Deployment`, so the job test runs and checks it as it does a
``helm install``.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.charts.discover import environments
from harness.cluster.base import Cluster
from harness.delivery.applicationset import APPLICATIONSET, APPPROJECT
from harness.delivery.argocd import NAMESPACE, REPO_URL, GitServer, install_argocd, load_images, uninstall_argocd
from harness.delivery.gitrepo import git
from harness.delivery.images import ReleasedImage
from harness.deploy import Deployment, merged
from harness.errors import HarnessError
from harness.paths import REPO_ROOT
from harness.toolchain.progress import step
from harness.waiting import wait_until

#: where deploy/argocd points; replaced by the in-cluster git server's URL
PRODUCTION_REPO = "https://gitlab.cern.ch/cmsmonitoring/cronjobs.git"
APPLICATIONSET_NAME = "cms-cronjobs"


def target_namespace(env: str) -> str:
    """The namespace the ApplicationSet deploys environment ``env`` to."""
    return f"cmsmon-{env}"


@dataclass
class Gitops:
    """Argo CD syncing a copy of this repository from the git server in the cluster.

    Attributes:
        cluster: the cluster Argo CD runs in and deploys to.
        git: the git server.
        checkout: the local clone whose ``main`` is pushed.
    """

    cluster: Cluster
    git: GitServer
    checkout: Path

    def head(self) -> str:
        return git(self.checkout, "rev-parse", "HEAD")

    def commit(self, message: str, files: dict[str, str | None]) -> str:
        """Commit ``files`` (path -> text, None to delete) on ``main``, push it and return the commit.

        Then the Applications are told to refresh, which is what Argo CD's git webhook does (without it Argo CD
        polls every 3 minutes).
        """
        for path, text in files.items():
            if text is None:
                (self.checkout / path).unlink()
            else:
                (self.checkout / path).parent.mkdir(parents=True, exist_ok=True)
                (self.checkout / path).write_text(text)
        git(self.checkout, "add", "-A")
        git(self.checkout, "-c", "user.name=cronharness", "-c", "user.email=cronharness@localhost",
            "commit", "--quiet", "--allow-empty", "-m", message)
        commit = self.git.push(self.checkout)
        for app in self.applications():
            self.refresh(app)
        return commit

    def refresh(self, app: str) -> None:
        self.cluster.kubectl("annotate", "-n", NAMESPACE, f"application/{app}",
                             "argocd.argoproj.io/refresh=normal", "--overwrite")

    def applications(self) -> list[str]:
        """The names of the Applications the ApplicationSet has generated so far."""
        names = self.cluster.kubectl("get", "-n", NAMESPACE, "applications", "-o", "name").split()
        return sorted(name.split("/", 1)[1] for name in names)

    def application(self, name: str) -> dict[str, Any]:
        return dict(json.loads(self.cluster.kubectl("get", "-n", NAMESPACE, f"application/{name}", "-o", "json")))

    def cronjobs(self, env: str) -> dict[str, dict[str, Any]]:
        """The CronJobs in environment ``env``'s namespace, by name."""
        items = json.loads(self.cluster.kubectl("get", "cronjobs", "-n", target_namespace(env), "-o", "json",
                                                "--ignore-not-found") or '{"items": []}')["items"]
        return {c["metadata"]["name"]: c for c in items}

    def _synced_at(self, app: str, commit: str) -> dict[str, Any] | None:
        if app not in self.applications():  # not generated yet: keep waiting
            return None
        status = self.application(app).get("status", {})
        operation = status.get("operationState", {})
        done = (status.get("sync", {}).get("status") == "Synced" and operation.get("phase") == "Succeeded"
                and commit in operation.get("syncResult", {}).get("revisions", []))
        return status if done else None

    def wait_synced(self, app: str, commit: str, timeout: float = 600) -> None:
        """Until Application ``app`` exists and its last sync, at ``commit``, succeeded.

        Raises:
            HarnessTimeout: after ``timeout`` seconds, with the Application's status (or the ApplicationSet's).
        """
        def status() -> str:
            shown = f"application/{app}" if app in self.applications() else f"applicationset/{APPLICATIONSET_NAME}"
            return self.cluster.kubectl("get", "-n", NAMESPACE, shown, "-o", "jsonpath={.status}")[-2000:]

        wait_until(lambda: self._synced_at(app, commit), timeout=timeout, interval=1,
                   what=f"Argo CD Application {app} synced at {commit[:12]}", describe=status)


def applicationset_for(repo_url: str) -> list[dict[str, Any]]:
    """deploy/argocd's AppProject and ApplicationSet with ``repo_url`` in place of the production repository."""
    documents = [yaml.safe_load(f.read_text().replace(PRODUCTION_REPO, repo_url)) for f in (APPPROJECT, APPLICATIONSET)]
    if PRODUCTION_REPO in json.dumps(documents):
        raise HarnessError(f"deploy/argocd still names {PRODUCTION_REPO} after the substitution")
    return documents


@contextmanager
def values_repository(cluster: Cluster, workdir: Path, envs: Sequence[str], jobs: Sequence[str] | None = None,
                      edit: Callable[[Path], None] | None = None) -> Iterator[Gitops]:
    """Argo CD in ``cluster`` syncing this checkout's HEAD with only the environments ``envs``.

    Args:
        cluster: where Argo CD runs and deploys.
        workdir: an empty directory for the clone.
        envs: the environments whose values stay (the others' directories are deleted in the copy).
        jobs: the jobs whose values files stay in them (default: all); one Application is generated per file.
        edit: changes made to the clone before the first push (committed with the removals).

    Yields:
        The synced repository; the ApplicationSet is applied, its Applications may not be synced yet.
    """
    started = time.monotonic()
    with step("Argo CD images (built once, cached)"):
        images = load_images(cluster)
    loaded = time.monotonic() - started
    try:
        with step("Argo CD install"):
            server = install_argocd(cluster, images)
        installed = time.monotonic() - started - loaded
        checkout = workdir / "cronjobs"
        git(workdir, "clone", "--quiet", str(REPO_ROOT), str(checkout))
        git(checkout, "checkout", "--quiet", "-B", "main", git(REPO_ROOT, "rev-parse", "HEAD"))
        for other in environments():
            if other not in envs:
                shutil.rmtree(checkout / "values" / other)
            elif jobs is not None:
                for values in (checkout / "values" / other).glob("*.yaml"):
                    if values.name != "_env.yaml" and values.stem not in jobs:
                        values.unlink()
        if edit is not None:
            edit(checkout)
        gitops = Gitops(cluster, server, checkout)
        gitops.commit(f"test: environments {', '.join(envs)} only", {})
        cluster.apply(applicationset_for(REPO_URL), namespace=NAMESPACE, timeout=120)
        print(f"FIGURE argocd images {loaded:.1f}s, install to Ready {installed:.1f}s")
        yield gitops
    finally:
        remove(cluster, [target_namespace(env) for env in envs])


def remove(cluster: Cluster, namespaces: Sequence[str]) -> None:
    """Delete the ApplicationSet, wait for its Applications to go (their finalizer deletes what they deployed,
    while Argo CD still runs), then the project, Argo CD and ``namespaces``."""
    cluster.kubectl("delete", "-n", NAMESPACE, f"applicationset/{APPLICATIONSET_NAME}", "--ignore-not-found")
    try:
        wait_until(lambda: not cluster.kubectl("get", "-n", NAMESPACE, "applications", "-o", "name").strip(),
                   timeout=180, what="the Applications to be deleted", interval=2)
        cluster.kubectl("delete", "-n", NAMESPACE, f"appproject/{APPLICATIONSET_NAME}", "--ignore-not-found",
                        timeout=120)
    except HarnessError:
        pass  # uninstall_argocd releases what is left
    finally:
        uninstall_argocd(cluster)
        # Waited for: the next install's Applications cannot create a namespace that is still Terminating.
        for namespace in namespaces:
            cluster.kubectl("delete", "namespace", namespace, "--ignore-not-found", "--timeout=180s", timeout=210)


def deliver(gitops: Gitops, released: ReleasedImage, env: str, values: dict[str, Any],
            timeout: float = 600) -> Deployment:
    """The released job in environment ``env`` as Argo CD deploys it, with ``values`` layered on its job file.

    The job file also sets ``global.imageRegistry`` to the registry ``released`` is in, as an environment that
    pulls from its own registry or mirror does, and suspends the CronJob (it runs when the test triggers it).
    The commit is pushed and the Application waited for until it is synced at that commit.

    Raises:
        HarnessError: when the Application is not synced in time or does not hold one CronJob of the job.
    """
    job = released.job
    job_file = f"values/{env}/{job}.yaml"
    path = gitops.checkout / job_file
    own = (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}
    layered = merged(merged(own, values), {"global": {"imageRegistry": released.ref.registry},
                                           "cronjob": {"suspend": True}})
    started = time.monotonic()
    commit = gitops.commit(f"test: {job} in {env}", {job_file: yaml.safe_dump(layered, sort_keys=False)})
    app = f"{env}-{job}"
    with step(f"Argo CD sync of {app}"):
        gitops.wait_synced(app, commit, timeout)
    synced = time.monotonic() - started
    print(f"FIGURE argocd {app} commit-to-synced {synced:.1f}s")
    names = [name for name, c in gitops.cronjobs(env).items()
             if c["metadata"].get("labels", {}).get("app.kubernetes.io/instance") == job]
    if len(names) != 1:
        raise HarnessError(f"Application {app} is synced but {target_namespace(env)} holds {len(names)} CronJobs of "
                           f"{job}: {names}")
    return Deployment(job=job, release=job, namespace=target_namespace(env), cronjob=names[0],
                      phases={"commit to synced": synced}, image=released.ref)
