"""Argo CD itself in a cluster: built from its Go module, installed from the manifests that module ships.

- ``build_argocd``: the one ``argocd`` binary (every component is chosen by argv[0], as in Argo CD's
  own image), from tools/go/argo-cd (Argo CD's ``replace`` block copied), cached by version.
- Images, made by the shared service image builder (harness/images/service.py): argocd (the binary,
  git, gpg and the pinned Helm 3 the repo-server renders charts with), Redis (bookworm's redis-server)
  and a git server (bookworm's git: ``git daemon``, the smart git protocol, which both the repo-server's
  go-git ``ls-remote`` and its ``git fetch`` speak, with no web server or CGI to configure).
- ``load_images`` + ``install_argocd``: ``manifests/core-install.yaml`` of the pinned module in namespace
  ``argocd``, with only the image names substituted (and the Redis command, which the Debian image has
  no entrypoint for); its CRDs are left out because the cluster fixture installs the same version's (harness/crds.py).
- ``GitServer``: the repository Argo CD reads, ``git://argocd-git.argocd.svc.cluster.local/cronjobs.git``;
  commits reach it as a git bundle through ``kubectl cp``/``exec``, so the host needs no route to pods.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.cluster.base import Cluster
from harness.crds import module_dir
from harness.delivery.gitrepo import git
from harness.errors import HarnessError
from harness.images.service import ServiceImageSpec, build_service_image
from harness.paths import cache_root
from harness.toolchain import go_build, pinned

MODULE = "github.com/argoproj/argo-cd/v3"
WRAPPER = "argo-cd"
NAMESPACE = "argocd"
UPSTREAM_IMAGE = "quay.io/argoproj/argocd"
# The components core-install.yaml starts by absolute path, plus the API server and the CMP sidecar name.
COMPONENTS = ("argocd-application-controller", "argocd-applicationset-controller", "argocd-repo-server",
              "argocd-server", "argocd-cmp-server")
UPSTREAM_SCRIPTS = ("gpg-wrapper.sh", "git-verify-wrapper.sh")
GIT_NAME = "argocd-git"
GIT_REPO = "cronjobs.git"
GIT_ROOT = "/srv/git"
REPO_URL = f"git://{GIT_NAME}.{NAMESPACE}.svc.cluster.local/{GIT_REPO}"


def argocd_version() -> str:
    return pinned("go", "argo-cd")


def build_argocd() -> Path:
    """The ``argocd`` binary of the pinned version (built once, cached by version).

    Raises:
        HarnessError: when the build fails.
    """
    version = argocd_version()
    # The version stamp Argo CD's Makefile sets (without the leading v), so the components report what runs.
    ldflags = f"-s -w -X {MODULE}/common.version={version.removeprefix('v')} -X {MODULE}/common.gitTreeState=clean"
    try:
        bin_dir = go_build(WRAPPER, [f"{MODULE}/cmd"], version=version, ldflags=ldflags, env={"CGO_ENABLED": "0"})
    except RuntimeError as exc:
        raise HarnessError(f"cannot build Argo CD {version}: {exc}") from exc
    return bin_dir / "cmd"


def _upstream_scripts() -> dict[str, Path]:
    """The scripts Argo CD's image puts beside the binary (the repo-server runs them), from the module's hack/,
    copied executable (the module cache is read-only, mode 0444)."""
    target = cache_root() / "argocd" / argocd_version()
    target.mkdir(parents=True, exist_ok=True)
    scripts = {}
    for name in UPSTREAM_SCRIPTS:
        copy = target / name
        if not copy.exists():
            shutil.copyfile(module_dir(MODULE, argocd_version()) / "hack" / name, copy)
            copy.chmod(0o755)
        scripts[f"bin/{name}"] = copy
    return scripts


def image_specs() -> dict[str, ServiceImageSpec]:
    """The three images, by the role they play in the install."""
    from harness.toolchain.tools import ensure

    argocd = build_argocd()
    # The component names are hard links of the one binary in the build context (one copy in the image).
    binaries = {f"bin/{name}": argocd for name in ("argocd", *COMPONENTS)}
    return {
        # What Argo CD's own image installs for the repo-server: git and gpg (its keyring is set up at start).
        # helm is .tools/bin/helm, a symlink: stage the binary it names.
        "argocd": ServiceImageSpec("argocd", packages=("git", "gpg", "gpg-agent", "tini"),
                                   files={**binaries, **_upstream_scripts(), "bin/helm": ensure("helm").resolve()}),
        "redis": ServiceImageSpec("argocd-redis", packages=("redis-server", "tini")),
        "git": ServiceImageSpec("argocd-git", packages=("git", "tini")),
    }


def install_manifest(images: dict[str, str]) -> list[dict[str, Any]]:
    """core-install.yaml of the pinned module, its CRDs left out, with ``images`` (role -> reference)."""
    text = (module_dir(MODULE, argocd_version()) / "manifests" / "core-install.yaml").read_text()
    documents = [d for d in yaml.safe_load_all(text) if d and d["kind"] != "CustomResourceDefinition"]
    for doc in documents:
        pod = doc.get("spec", {}).get("template", {}).get("spec", {})
        for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
            if container["image"].startswith(f"{UPSTREAM_IMAGE}:"):
                container["image"] = images["argocd"]
            elif container["name"] == "redis":
                container["image"] = images["redis"]
                # Upstream's image starts redis-server by its entrypoint; ours runs the chart's command (tini).
                container["command"] = ["redis-server"]
    return documents


def git_server_manifest(image: str) -> list[dict[str, Any]]:
    """A git daemon serving one bare repository (``main``) from an emptyDir; pushes come as bundles."""
    labels = {"app.kubernetes.io/name": GIT_NAME}
    script = (
        f"git init --quiet --bare --initial-branch=main {GIT_ROOT}/{GIT_REPO} && "
        # The daemon serves read-only; commits are fetched from bundles by `kubectl exec`.
        f"exec git daemon --reuseaddr --export-all --base-path={GIT_ROOT} --port=9418 {GIT_ROOT}"
    )
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": GIT_NAME, "labels": labels},
         "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
             "metadata": {"labels": labels},
             "spec": {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                      "containers": [{
                          "name": "git", "image": image, "command": ["/usr/bin/tini", "--", "sh", "-c", script],
                          "ports": [{"containerPort": 9418, "name": "git"}],
                          "readinessProbe": {"tcpSocket": {"port": 9418}, "periodSeconds": 2},
                          "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                              "capabilities": {"drop": ["ALL"]}},
                          "volumeMounts": [{"name": "repos", "mountPath": GIT_ROOT},
                                           {"name": "tmp", "mountPath": "/tmp"}]}],
                      "volumes": [{"name": "repos", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": GIT_NAME, "labels": labels},
         "spec": {"selector": labels, "ports": [{"port": 9418, "targetPort": "git", "name": "git"}]}},
    ]


@dataclass(frozen=True)
class GitServer:
    """The in-cluster git server's pod, to push commits into."""

    cluster: Cluster
    pod: str

    def push(self, checkout: Path, branch: str = "main") -> str:
        """Make ``branch`` of the server's repository what it is in ``checkout``; return the commit.

        Raises:
            HarnessError: when the bundle cannot be made, copied or fetched.
        """
        commit = git(checkout, "rev-parse", branch)
        with tempfile.TemporaryDirectory() as tmp:
            bundle = Path(tmp) / "push.bundle"
            git(checkout, "bundle", "create", str(bundle), branch)
            self.cluster.kubectl("cp", str(bundle), f"{NAMESPACE}/{self.pod}:/tmp/push.bundle", "-c", "git")
        self.cluster.kubectl("exec", "-n", NAMESPACE, self.pod, "-c", "git", "--", "git", "-C",
                             f"{GIT_ROOT}/{GIT_REPO}", "fetch", "--quiet", "--force", "/tmp/push.bundle",
                             f"{branch}:{branch}")
        return commit


def load_images(cluster: Cluster) -> dict[str, str]:
    """Build (cached) and load the three images; return role -> the reference pods pull.

    Raises:
        HarnessError: when the Argo CD build, an image build or the load fails.
    """
    return {role: str(cluster.load_image(built.archive, built.ref))
            for role, built in ((r, build_service_image(s)) for r, s in image_specs().items())}


def install_argocd(cluster: Cluster, images: dict[str, str], timeout: float = 600) -> GitServer:
    """Install Argo CD and the git server into namespace ``argocd`` and wait until every workload is ready.

    Args:
        images: ``load_images``'s references.

    Raises:
        HarnessError: when the apply fails or a workload is not ready within ``timeout`` seconds.
    """
    finish_terminating_namespace(cluster)
    cluster.ensure_namespace(NAMESPACE)
    cluster.apply(install_manifest(images) + git_server_manifest(images["git"]), namespace=NAMESPACE,
                  timeout=300)
    deadline = time.monotonic() + timeout
    for workload in ("deployment/argocd-redis", "deployment/argocd-repo-server",
                     "deployment/argocd-applicationset-controller", "statefulset/argocd-application-controller",
                     f"deployment/{GIT_NAME}"):
        left = max(1.0, deadline - time.monotonic())
        cluster.kubectl("rollout", "status", "-n", NAMESPACE, workload, f"--timeout={left:.0f}s",
                        timeout=left + 30)
    pods = json.loads(cluster.kubectl("get", "pods", "-n", NAMESPACE, "-l", f"app.kubernetes.io/name={GIT_NAME}",
                                      "--field-selector=status.phase=Running", "-o", "json"))["items"]
    if not pods:
        raise HarnessError(f"the git server {GIT_NAME} in namespace {NAMESPACE} has no running pod")
    return GitServer(cluster, pods[0]["metadata"]["name"])


def uninstall_argocd(cluster: Cluster) -> None:
    """Remove what ``install_argocd`` made: the namespace and Argo CD's cluster-wide RBAC objects.

    Argo CD's own objects left in the namespace lose their finalizers first: with its controllers gone nothing
    would ever remove them, and the namespace would stay Terminating for good (an AppProject deleted while the
    controller shut down did exactly that, and the next session could not create the namespace).
    """
    cluster_wide = [d for d in install_manifest({"argocd": "", "redis": ""}) if d["kind"].startswith("Cluster")]
    for doc in cluster_wide:
        cluster.kubectl("delete", doc["kind"].lower(), doc["metadata"]["name"], "--ignore-not-found")
    release_finalizers(cluster)
    cluster.kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=false")


#: Argo CD's resources that carry finalizers only its controllers remove
FINALIZED_KINDS = ("applications.argoproj.io", "applicationsets.argoproj.io", "appprojects.argoproj.io")


def release_finalizers(cluster: Cluster) -> list[str]:
    """Clear the finalizers of Argo CD's objects in its namespace (for after its controllers are gone);
    the objects whose finalizers were cleared."""
    released = []
    for kind in FINALIZED_KINDS:
        try:
            names = cluster.kubectl("get", kind, "-n", NAMESPACE, "-o", "name", "--ignore-not-found").split()
        except HarnessError:  # the CRD is not installed: no such object
            continue
        for name in names:
            cluster.kubectl("patch", name, "-n", NAMESPACE, "--type=merge", "-p",
                            '{"metadata":{"finalizers":null}}')
            released.append(name)
    return released


def finish_terminating_namespace(cluster: Cluster, timeout: float = 120) -> None:
    """When Argo CD's namespace is still Terminating (a session ended before its teardown was done), release its
    objects' finalizers and wait until it is gone, so it can be created again.

    Raises:
        HarnessError: when it is still there after ``timeout`` seconds (kubectl's message).
    """
    phase = cluster.kubectl("get", "namespace", NAMESPACE, "-o", "jsonpath={.status.phase}", "--ignore-not-found")
    if phase.strip() != "Terminating":
        return
    release_finalizers(cluster)
    cluster.kubectl("wait", "--for=delete", f"namespace/{NAMESPACE}", f"--timeout={timeout:.0f}s",
                    timeout=timeout + 30)
