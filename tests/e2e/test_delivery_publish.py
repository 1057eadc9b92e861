"""Chart delivery end to end: `harness package` -> helm push to a real OCI registry (Debian's docker-registry on
127.0.0.1) -> helm pull the same bytes back -> helm template the pulled chart with an environment's values, as
`helm install` per job would. Every job chart is published, plus a freshly scaffolded one so the test means
something before job charts exist. A job's image is released with its chart (`<image.repository>:<appVersion>`)
and a chart installed from the registry runs its job from that image."""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.charts.discover import VALUES_DIR, job_charts
from harness.charts.render import KUBE_VERSION, LIBRARY_DIR, helm_binary
from harness.charts.validate import validate_objects
from harness.cluster.base import Cluster
from harness.cluster.containerd import write_registry_host
from harness.cluster.local import LocalCluster
from harness.delivery.images import ReleasedImage, publish_images, release_ref
from harness.delivery.publish import packages_in, publish
from harness.deploy import build_job, without_credentials
from harness.images.reference import ImageRef
from harness.jobrun import JobResult, run
from harness.kube import Kube
from harness.paths import REPO_ROOT
from harness.registry import Registry, delete_manifest, has_image, push_archive, write_htpasswd
from harness.scaffold import new_job

pytestmark = pytest.mark.e2e

PROBE = "publish-probe"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _chart_meta(package: Path) -> dict[str, Any]:
    out = subprocess.run([helm_binary(3), "show", "chart", str(package)], capture_output=True, text=True, check=True)
    return dict(yaml.safe_load(out.stdout))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    # A throw-away registry on a free port: the machine registry (harness/registry.py) may hold other
    # sessions' charts and images.
    service = Registry(root=tmp_path_factory.mktemp("registry"), port=0)
    started = time.monotonic()
    service.start()
    print(f"FIGURE registry start {time.monotonic() - started:.2f}s")
    try:
        yield service
    finally:
        service.destroy()
    assert not service.process.running()


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`harness package` output plus a scaffolded job chart packaged the same way."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "harness", "package", "--destination", str(out)], check=True, cwd=REPO_ROOT)
    repo = tmp_path_factory.mktemp("repo")
    shutil.copytree(LIBRARY_DIR, repo / "charts" / "cronjob-common", ignore=shutil.ignore_patterns("test-chart"))
    new_job(PROBE, root=repo)
    helm = helm_binary(3)
    chart = repo / "charts" / "jobs" / PROBE
    subprocess.run([helm, "dependency", "build", "--skip-refresh", str(chart)], check=True, capture_output=True)
    subprocess.run([helm, "package", str(chart), "--destination", str(out)], check=True, capture_output=True)
    return out


def test_registry_listens_on_loopback_only(registry: Registry) -> None:
    listeners = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout
    mine = [line.split()[3] for line in listeners.splitlines() if f"pid={registry.process.pid}," in line]
    assert mine == [registry.address]


def test_package_contains_the_library_and_every_job_chart(dist: Path) -> None:
    names = {_chart_meta(p)["name"] for p in packages_in(dist)}
    assert names == {"cronjob-common", PROBE, *(c.name for c in job_charts())}
    for package in packages_in(dist):
        listing = subprocess.run(["tar", "-tzf", str(package)], capture_output=True, text=True, check=True).stdout
        name = _chart_meta(package)["name"]
        if name != "cronjob-common":
            # the library travels inside each job chart; the job's code and tests stay out (.helmignore)
            assert f"{name}/charts/cronjob-common/Chart.yaml" in listing.split()
            assert f"{name}/app/" not in listing and f"{name}/tests/" not in listing


def test_publish_then_pull_and_template(registry: Registry, dist: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    pushed = publish(packages_in(dist), f"oci://{registry.address}/charts", plain_http=True)
    print(f"FIGURE helm push of {len(pushed)} charts {time.monotonic() - started:.2f}s")
    helm = helm_binary(3)
    assert {p.reference for p in pushed} == {
        f"{registry.address}/charts/{_chart_meta(p)['name']}:{_chart_meta(p)['version']}" for p in packages_in(dist)}
    for item in pushed:
        meta = _chart_meta(item.package)
        pulled_dir = tmp_path / meta["name"]
        pulled_dir.mkdir()
        subprocess.run([helm, "pull", f"oci://{registry.address}/charts/{meta['name']}", "--version",
                        meta["version"], "--plain-http", "--destination", str(pulled_dir)],
                       check=True, capture_output=True)
        pulled = pulled_dir / item.package.name
        assert _sha256(pulled) == _sha256(item.package)
        if meta["name"] == "cronjob-common":
            continue  # a library chart is not installable by itself
        env_files = [VALUES_DIR / "prod" / "_env.yaml", VALUES_DIR / "prod" / f"{meta['name']}.yaml"]
        cmd = [helm, "template", meta["name"], str(pulled), "--namespace", "cmsmon-prod",
               "--kube-version", KUBE_VERSION]
        for values in (f for f in env_files if f.exists()):
            cmd += ["-f", str(values)]
        rendered = subprocess.run(cmd, capture_output=True, text=True, check=False)
        assert rendered.returncode == 0, rendered.stderr
        objects = [o for o in yaml.safe_load_all(rendered.stdout) if o]
        assert validate_objects(objects) == []
        (cronjob,) = [o for o in objects if o["kind"] == "CronJob"]
        assert cronjob["metadata"]["labels"]["environment"] == "prod"
        assert cronjob["metadata"]["labels"]["helm.sh/chart"] == f"{meta['name']}-{meta['version']}"


def test_install_straight_from_the_registry_reference(registry: Registry, dist: Path) -> None:
    """`helm template oci://...` (and so `helm install oci://...`) resolves the pushed chart by version."""
    publish([p for p in packages_in(dist) if p.name.startswith(PROBE)], f"{registry.address}/charts",
            plain_http=True)
    done = subprocess.run([helm_binary(3), "template", PROBE, f"oci://{registry.address}/charts/{PROBE}",
                           "--version", "0.1.0", "--plain-http", "--kube-version", KUBE_VERSION,
                           "--set", "environment=preprod"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    kinds = sorted(o["kind"] for o in yaml.safe_load_all(done.stdout) if o)
    assert kinds == ["ConfigMap", "CronJob", "PrometheusRule", "ServiceAccount"]


def test_helm_install_from_the_registry_into_the_cluster(
    registry: Registry, dist: Path, cluster: Cluster, namespace: str,
) -> None:
    """`helm install` of each job chart straight from the registry, with the prod environment's values, creates
    its objects on the real API server (suspended, so nothing runs)."""
    pushed = publish([p for p in packages_in(dist) if not p.name.startswith("cronjob-common-")],
                     f"oci://{registry.address}/charts", plain_http=True)
    helm = helm_binary(3)
    for item in pushed:
        meta = _chart_meta(item.package)
        cmd = [helm, "install", meta["name"], f"oci://{registry.address}/charts/{meta['name']}", "--version",
               meta["version"], "--plain-http", "--namespace", namespace, "--kubeconfig", str(cluster.kubeconfig),
               "--set", "cronjob.suspend=true", "--wait", "--timeout", "2m"]
        for values in (VALUES_DIR / "prod" / "_env.yaml", VALUES_DIR / "prod" / f"{meta['name']}.yaml"):
            cmd += ["-f", str(values)] if values.exists() else []
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        cronjobs = json.loads(cluster.kubectl("get", "cronjobs", "-n", namespace, "-l",
                                              f"app.kubernetes.io/instance={meta['name']}", "-o", "json"))["items"]
        assert [c["spec"]["suspend"] for c in cronjobs] == [True]
        assert cronjobs[0]["metadata"]["labels"]["helm.sh/chart"] == f"{meta['name']}-{meta['version']}"


RELEASED = "wma-agent-count"


def test_released_image_runs_from_a_chart_installed_from_the_registry(
    dist: Path, cluster: Cluster, kube: Kube, namespace: str,
) -> None:
    """`publish_images` pushes the job's image as <image.repository>:<appVersion>; its chart, installed from the
    registry with only the registry overridden, pulls exactly that image (digest) and runs the job's own code:
    given a bad END_DATE it exits 2 with the job's one-line reason (the success path is the job's own test)."""
    if cluster.provider != "local":
        pytest.skip("the pull goes through the machine registry, which only the local cluster pulls from")
    machine = Registry()  # the registry the local cluster's containerd pulls from
    machine.start()
    scope = f"{machine.address}/{namespace}"  # a path no other session pushes to
    started = time.monotonic()
    (released,) = publish_images(scope, [RELEASED])
    print(f"FIGURE build (cached) and push of the {RELEASED} image {time.monotonic() - started:.2f}s")
    package = next(p for p in packages_in(dist) if _chart_meta(p)["name"] == RELEASED)
    meta = _chart_meta(package)
    assert str(released.ref) == f"{scope}/cmsmonitoring/{RELEASED}:{meta['appVersion']}"
    assert has_image(released.ref)
    (chart,) = publish([package], f"oci://{scope}/charts", plain_http=True)
    try:
        _install_and_run(released, meta, scope, cluster, kube, namespace)
    finally:  # the machine registry keeps nothing of this test (its blobs are shared with the test builds)
        delete_manifest(released.ref, released.digest)
        delete_manifest(ImageRef(f"{scope}/charts", RELEASED, meta["version"]), chart.digest)
    assert not has_image(released.ref)


# The job's own code runs and stops at its configuration check: exit 2 with its one-line END_DATE reason (the
# success path is the job's own test).
BAD_END_DATE = {"cronjob": {"suspend": True},
                "env": {**without_credentials("SINK_USERNAME", "SINK_PASSWORD"), "END_DATE": "not-a-date"}}


def _install_and_run(released: ReleasedImage, meta: dict[str, Any], scope: str, cluster: Cluster, kube: Kube,
                     namespace: str) -> None:
    result = _helm_install_and_run(f"oci://{scope}/charts/{RELEASED}", {"global": {"imageRegistry": scope},
                                                                        **BAD_END_DATE},
                                   cluster, kube, namespace, "--version", meta["version"], "--plain-http")
    pods = json.loads(cluster.kubectl("get", "pods", "-n", namespace, "-l", f"job-name={result.name}",
                                      "-o", "json"))["items"]
    # The spec names the released reference; the status' imageID is the digest that was pulled (its `image` may
    # show another name of the same image that containerd already had).
    assert {c["image"] for pod in pods for c in pod["spec"]["containers"]} == {str(released.ref)}
    _assert_the_job_ran_the_digest(result, released.digest, cluster, namespace)


def _assert_the_job_ran_the_digest(result: JobResult, digest: str, cluster: Cluster, namespace: str) -> None:
    pods = json.loads(cluster.kubectl("get", "pods", "-n", namespace, "-l", f"job-name={result.name}",
                                      "-o", "json"))["items"]
    statuses = [s for pod in pods for s in pod["status"].get("containerStatuses", [])]
    assert statuses, result.summary()
    assert all(s["imageID"].endswith(f"@{digest}") for s in statuses), statuses
    assert (result.outcome, result.exit_code) == ("failed", 2), result.summary()
    assert any("END_DATE" in text.strip().splitlines()[-1] for text in result.logs.values()), result.summary()


def test_a_registry_that_needs_credentials_is_pulled_from_with_the_pull_secret(
    dist: Path, cluster: Cluster, kube: Kube, namespace: str, tmp_path: Path,
) -> None:
    """A registry that serves only with credentials (htpasswd, as a production registry or mirror does) holds the
    released image, pushed with them. The environment points at it with `global.imageRegistry`. Without a pull
    secret the run cannot start, and the wait reports the registry's refusal at once. With
    `pod.imagePullSecrets` naming a dockerconfigjson Secret, the pod pulls the image and runs the job's own code
    (a bad END_DATE: exit 2 with the job's one-line reason)."""
    if not isinstance(cluster, LocalCluster):
        pytest.skip("containerd's hosts file for the registry is written on the local cluster's node")
    user, password = "cms-robot", secrets.token_hex(12)
    secure = Registry(root=tmp_path / "registry", port=0,
                      htpasswd=write_htpasswd(tmp_path / "htpasswd", user, password))
    secure.start()
    try:
        write_registry_host(cluster.layout.containerd, secure.address)
        ref = release_ref(RELEASED, secure.address)
        digest = push_archive(build_job(RELEASED).archive, ref, content_addressed=False,
                              credentials=f"{user}:{password}")
        assert digest is not None
        package = next(p for p in packages_in(dist) if _chart_meta(p)["name"] == RELEASED)
        # A small pod: the run ends at its configuration check, and the refused run's pod keeps its request.
        values = {"global": {"imageRegistry": secure.address}, **BAD_END_DATE,
                  "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}}}

        refused = _helm_install_and_run(str(package), values, cluster, kube, namespace)
        assert refused.outcome == "failed" and refused.exit_code is None, refused.summary()
        assert "ErrImagePull" in refused.reason or "ImagePullBackOff" in refused.reason, refused.reason
        assert "401 Unauthorized" in refused.reason, refused.reason
        cluster.kubectl("delete", "jobs", "--all", "-n", namespace, "--cascade=foreground", "--wait=true", timeout=120)

        cluster.kubectl("create", "secret", "docker-registry", "registry-login", "-n", namespace,
                        f"--docker-server={secure.address}", f"--docker-username={user}",
                        f"--docker-password={password}")
        pulled = _helm_install_and_run(str(package), {**values, "pod": {"imagePullSecrets": ["registry-login"]}},
                                       cluster, kube, namespace)
        _assert_the_job_ran_the_digest(pulled, digest, cluster, namespace)
    finally:
        secure.destroy()
        shutil.rmtree(cluster.layout.containerd.hosts_dir / secure.address, ignore_errors=True)


def _helm_install_and_run(chart: str, values: dict[str, Any], cluster: Cluster, kube: Kube, namespace: str,
                          *helm_args: str) -> JobResult:
    """`helm upgrade --install` the chart (a package file or an ``oci://`` reference, with ``helm_args``) with
    ``values``, then trigger its CronJob and wait."""
    done = subprocess.run(
        [helm_binary(3), "upgrade", "--install", RELEASED, chart, *helm_args, "--namespace", namespace,
         "--kubeconfig", str(cluster.kubeconfig), "--values", "-", "--wait", "--timeout", "2m"],
        input=yaml.safe_dump(values), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    (cronjob,) = json.loads(cluster.kubectl("get", "cronjobs", "-n", namespace, "-o", "json"))["items"]
    return run(kube, namespace, cronjob["metadata"]["name"], timeout=300)
