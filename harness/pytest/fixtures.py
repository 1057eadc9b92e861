"""Fixtures of the harness, in scoped pairs that clean up what they create.

``cluster`` (session) brings the cluster up once; ``services`` (session) starts host services lazily by name,
``cluster_services`` (session) installs services in the cluster lazily by name (harness/services/incluster.py).
All are shared with concurrent sessions (xdist workers, other runs): ``test_sessions`` records what a
session started, and the last session to end stops it (harness/sessions.py). ``namespace`` (function)
gives each test its own namespace, unique per xdist worker, and ``scope`` the names its data lives under
in the services; at teardown both are deleted. ``deploy_job`` installs a job chart, ``deploy_by_argocd`` has
Argo CD deliver it from a values repository; ``run_job`` triggers and waits.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from harness import jobrun
from harness.cluster.base import Cluster
from harness.cluster.providers import get_cluster
from harness.crds import JOB_CHART_CRDS
from harness.deploy import Deployment, deploy, prepare_site, unlabel_nodes
from harness.jobrun import JobResult
from harness.kube import Kube
from harness.monitoring import LOGS_SESSION_RESOURCE, SESSION_RESOURCE
from harness.prerequisites import once
from harness.pytest.options import HarnessOptions, read_options
from harness.pytest.scope import DataScope, clean_scope
from harness.services.incluster import ClusterServices, uninstall
from harness.services.pool import SERVICES, ServicePool
from harness.sessions import SessionRegistry
from harness.waiting import wait_until

__all__ = ["cluster", "cluster_services", "deleted_namespaces", "deploy_by_argocd", "deploy_job", "harness_options",
           "kube", "namespace", "phase_timer", "production_site", "run_job", "scope", "services", "test_sessions"]


@pytest.fixture(scope="session")
def harness_options(pytestconfig: pytest.Config) -> HarnessOptions:
    return read_options(pytestconfig)


@pytest.fixture(scope="session")
def test_sessions(harness_options: HarnessOptions) -> Iterator[SessionRegistry]:
    """This session's entry among the live ones; at its end, if it is the last, what sessions started
    (services first, then the local cluster) is stopped — never what was started by hand."""
    registry = SessionRegistry()
    registry.join()
    yield registry
    chosen = get_cluster(harness_options.cluster)
    pool = ServicePool()
    stoppers = [(f"service-{name}", pool.handle(name).stop) for name in reversed(SERVICES)]
    stoppers.append((SESSION_RESOURCE, lambda: _remove_monitoring(chosen)))
    stoppers.append((LOGS_SESSION_RESOURCE, lambda: _remove_log_collector(chosen)))
    stoppers.append((IN_CLUSTER_SERVICES, lambda: uninstall(chosen)))
    stoppers.append(("cluster-local", get_cluster("local").down))
    registry.leave([] if harness_options.keep else stoppers)


def _remove_monitoring(cluster: Cluster) -> None:
    from harness.monitoring.operator import uninstall  # builds nothing; imported only when a session installed it

    uninstall(cluster)


def _remove_log_collector(cluster: Cluster) -> None:
    from harness.monitoring.logs import uninstall

    uninstall(cluster)


@pytest.fixture(scope="session")
def cluster(harness_options: HarnessOptions, test_sessions: SessionRegistry) -> Cluster:
    """The cluster, up for the whole session (and for other sessions using it at the same time)."""
    if harness_options.kubeconfig:
        os.environ["KUBECONFIG"] = str(harness_options.kubeconfig)
    chosen = get_cluster(harness_options.cluster, registry=harness_options.registry)
    was_up = all(c.healthy for c in chosen.status())
    once(f"the {chosen.provider} cluster", chosen.up)
    if not was_up and chosen.provider == "local":
        test_sessions.mark_started("cluster-local")
    # Job charts render PrometheusRule/ServiceMonitor/PodMonitor objects. A cluster the harness does not own is
    # only checked for their CRDs unless the user asked for them to be applied.
    if chosen.provider == "existing" and not harness_options.install_crds:
        chosen.require_crds(JOB_CHART_CRDS)
    else:
        chosen.install_crds()
    return chosen


@pytest.fixture(scope="session")
def services(test_sessions: SessionRegistry) -> Iterator[ServicePool]:
    """Services started lazily by name (``services.get("hdfs")``), once per session, shared with other
    sessions; the last session to end stops the ones sessions started (unless --keep)."""
    pool = ServicePool()
    yield pool
    for name in pool.started:
        test_sessions.mark_started(f"service-{name}")


@pytest.fixture(scope="session")
def cluster_services(cluster: Cluster, test_sessions: SessionRegistry) -> Iterator[ClusterServices]:
    """Services in the cluster, installed on first use (``cluster_services.get("pushgateway")``) and reached
    from here through port-forwards; the last session to end uninstalls them (unless --keep)."""
    in_cluster = ClusterServices(cluster)
    yield in_cluster
    in_cluster.close()
    if in_cluster.installed:
        test_sessions.mark_started(IN_CLUSTER_SERVICES)


@pytest.fixture(scope="session")
def kube(cluster: Cluster) -> Kube:
    return Kube(cluster.kubeconfig)


IN_CLUSTER_SERVICES = "services-in-cluster"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


def _delete_namespace(kube: Kube, name: str, *, wait: bool = True, timeout: float = 120) -> None:
    """Delete namespace ``name`` and, with ``wait``, wait until it is gone (a no-op when it does not exist)."""
    try:
        kube.core.delete_namespace(name)
    except ApiException as exc:
        if exc.status == 404:
            return
        raise
    if wait:
        _wait_namespaces_gone(kube, [name], timeout)


def _wait_namespaces_gone(kube: Kube, names: list[str], timeout: float = 120) -> None:
    def gone(name: str) -> bool:
        try:
            kube.core.read_namespace(name)
        except ApiException as exc:
            return bool(exc.status == 404)
        return False

    wait_until(lambda: all(gone(name) for name in names), timeout=timeout,
               what=f"namespace(s) {', '.join(names)} to be deleted",
               describe=lambda: f"still there: {[name for name in names if not gone(name)]}")


def release_namespace(kube: Kube, pool: ServicePool, name: str, in_cluster: ClusterServices | None = None, *,
                      wait: bool = True) -> list[str]:
    """Delete namespace ``name`` (with ``wait``, waiting until it is gone) and its data scope in every running host
    service and every in-cluster service this session reached.

    Returns:
        What could not be removed, one line each (empty when everything went).
    """
    problems = clean_scope(DataScope(name), pool, in_cluster)
    try:
        _delete_namespace(kube, name, wait=wait)
    except Exception as exc:  # reported by the caller, like the services' problems
        problems.append(f"namespace {name}: {exc}")
    return problems


@pytest.fixture(scope="session")
def deleted_namespaces(kube: Kube) -> Iterator[list[str]]:
    """The test namespaces whose deletion this session requested; at its end it waits until all are gone.

    A namespace takes seconds to go (the namespace controller deletes its objects first): waiting once for all
    of them, while later tests run, instead of after every test saves those seconds per test.
    """
    names: list[str] = []
    yield names
    try:
        _wait_namespaces_gone(kube, names, timeout=300)
    except Exception as exc:  # reported, not raised over the tests' results
        warnings.warn(f"test namespaces left behind: {exc}", stacklevel=1)


@pytest.fixture
def namespace(request: pytest.FixtureRequest, kube: Kube, services: ServicePool, cluster_services: ClusterServices,
              harness_options: HarnessOptions, deleted_namespaces: list[str]) -> Iterator[str]:
    """A fresh namespace for this test (name from the test and the xdist worker), deleted afterwards
    together with the test's data in the services (see ``scope``); the session waits for the deletions at its
    end (``deleted_namespaces``).

    A namespace and data of the same name left by an interrupted earlier run are deleted first, so one
    killed run never breaks the next.
    """
    digest = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:8]
    name = f"t-{_worker()}-{digest}"
    for problem in release_namespace(kube, services, name, cluster_services):
        raise RuntimeError(f"cannot start from a clean namespace: {problem}")
    kube.core.create_namespace({"metadata": {"name": name, "labels": {"cronharness.io/test": "true"}}})  # type: ignore[arg-type]
    yield name
    if harness_options.keep:
        return
    # reported, not raised over the test's result
    for problem in release_namespace(kube, services, name, cluster_services, wait=False):
        warnings.warn(f"teardown of {name} left something behind: {problem}", stacklevel=1)
    deleted_namespaces.append(name)


@pytest.fixture
def scope(namespace: str) -> DataScope:
    """Names for this test's data in the services (HDFS root, index prefix, database, Pushgateway job,
    host volume), derived from its namespace and removed with it."""
    return DataScope(namespace)


class PhaseTimer:
    """Seconds per phase of a job test, written to <report-dir>/phases/<test>.json for `harness test-job`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.phases: dict[str, float] = {}

    def add(self, phases: dict[str, float]) -> None:
        for name, seconds in phases.items():
            self.phases[name] = self.phases.get(name, 0.0) + seconds

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.phases, indent=2))


@pytest.fixture
def phase_timer(request: pytest.FixtureRequest, harness_options: HarnessOptions) -> Iterator[PhaseTimer]:
    safe = request.node.nodeid.replace("/", "_").replace("::", "__")
    timer = PhaseTimer(harness_options.report_dir / "phases" / f"{safe}.json")
    started = time.monotonic()
    yield timer
    timer.add({"test total": time.monotonic() - started})
    timer.write()


@pytest.fixture
def production_site(kube: Kube, namespace: str, cluster_services: ClusterServices) -> Iterator[None]:
    """The test's namespace and the nodes as values/preprod and values/prod expect a site (harness.deploy.prepare_site:
    the test YARN's and KDC's client configurations, the keytab, the CVMFS claim, the drivers' node label); the node
    label is taken off again at the end."""
    labelled = prepare_site(kube, namespace, cluster_services)
    yield
    unlabel_nodes(kube, labelled)


@pytest.fixture
def deploy_job(cluster: Cluster, namespace: str, harness_options: HarnessOptions,
               phase_timer: PhaseTimer) -> Callable[..., Deployment]:
    """deploy_job(job, values={...}, env="dev") -> Deployment: build/load the image and install the chart, over
    the values/<env>/ files of ``--env-values`` or else of the test's own ``env`` (none: the chart's defaults)."""

    def _deploy(job: str, values: dict[str, Any] | None = None, *, env: str | None = None,
                **kwargs: Any) -> Deployment:
        deployment = deploy(cluster, job, namespace, values=values, env=harness_options.env or env, **kwargs)
        phase_timer.add(deployment.phases)
        return deployment

    return _deploy


@pytest.fixture
def deploy_by_argocd(cluster: Cluster, namespace: str, tmp_path: Path,
                     phase_timer: PhaseTimer) -> Iterator[Callable[..., Deployment]]:
    """deploy_by_argocd(job, values={...}, env="dev") -> Deployment: the job as Argo CD delivers it
    (harness/delivery/gitops.py). Its image is released to the machine registry under a path of this test's
    (``<registry>/<namespace>/<image.repository>:<appVersion>``); Argo CD, installed for the test, syncs a copy of
    this checkout with only ``env``'s ``_env.yaml`` and the job's file, the test's values layered on it. At the end
    the Application, Argo CD, the environment's namespace and the released manifest are removed.
    Local provider only: its containerd pulls from the machine registry."""
    from harness.delivery.gitops import deliver, values_repository
    from harness.delivery.images import publish_images
    from harness.registry import Registry, delete_manifest

    with ExitStack() as cleanup:
        def _deploy(job: str, values: dict[str, Any] | None = None, *, env: str = "dev") -> Deployment:
            if cluster.provider != "local":
                pytest.skip("the released image is pulled from the machine registry, which only the local "
                            "cluster pulls from")
            machine = Registry()
            machine.start()
            started = time.monotonic()
            (released,) = publish_images(f"{machine.address}/{namespace}", [job])
            cleanup.callback(delete_manifest, released.ref, released.digest)
            phase_timer.add({"release image": time.monotonic() - started})
            started = time.monotonic()
            gitops = cleanup.enter_context(values_repository(cluster, tmp_path, [env], jobs=[job]))
            phase_timer.add({"argocd install": time.monotonic() - started})
            deployment = deliver(gitops, released, env, values or {})
            phase_timer.add(deployment.phases)
            return deployment

        yield _deploy


@pytest.fixture
def run_job(kube: Kube, phase_timer: PhaseTimer) -> Callable[..., JobResult]:
    """run_job(deployment, timeout=900) -> JobResult: trigger the CronJob now and wait for its verdict."""

    def _run(deployment: Deployment, timeout: float = 900) -> JobResult:
        result = jobrun.run(kube, deployment.namespace, deployment.cronjob, timeout=timeout)
        phase_timer.add({"trigger to pod start": result.pod_started or 0.0,
                         "job run": result.duration - (result.pod_started or 0.0)})
        return result

    return _run
