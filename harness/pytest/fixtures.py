"""Fixtures of the harness, in scoped pairs that clean up what they create.

``cluster`` (session) brings the cluster up once and stops it at the end only if this session started
it; ``namespace`` (function) gives each test its own namespace, unique per xdist worker, deleted at
teardown; ``deploy_job`` installs a job chart there; ``run_job`` triggers and waits.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from harness import jobrun
from harness.cluster.base import Cluster
from harness.cluster.providers import get_cluster
from harness.deploy import Deployment, deploy
from harness.jobrun import JobResult
from harness.kube import Kube
from harness.pytest.options import HarnessOptions, read_options
from harness.services.pool import ServicePool
from harness.waiting import wait_until

__all__ = ["cluster", "deploy_job", "harness_options", "kube", "namespace", "phase_timer", "run_job", "services"]


@pytest.fixture(scope="session")
def harness_options(pytestconfig: pytest.Config) -> HarnessOptions:
    return read_options(pytestconfig)


@pytest.fixture(scope="session")
def cluster(harness_options: HarnessOptions) -> Iterator[Cluster]:
    """The cluster, up for the whole session; stopped at the end only if this session started it."""
    if harness_options.kubeconfig:
        os.environ["KUBECONFIG"] = str(harness_options.kubeconfig)
    chosen = get_cluster(harness_options.cluster)
    was_up = all(c.healthy for c in chosen.status())
    chosen.up()
    chosen.install_crds()  # job charts render PrometheusRule/ServiceMonitor/PodMonitor objects
    yield chosen
    if not was_up and not harness_options.keep and chosen.provider == "local":
        chosen.down()


@pytest.fixture(scope="session")
def services(harness_options: HarnessOptions) -> Iterator[ServicePool]:
    """Services started lazily by name (``services.get("hdfs")``), once per session; the ones this session
    started are stopped at its end (unless --keep)."""
    pool = ServicePool(kubeconfig=get_cluster(harness_options.cluster).kubeconfig)
    yield pool
    if not harness_options.keep:
        pool.stop_started()


@pytest.fixture(scope="session")
def kube(cluster: Cluster) -> Kube:
    return Kube(cluster.kubeconfig)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


def _delete_namespace(kube: Kube, name: str, timeout: float = 120) -> None:
    """Delete namespace ``name`` and wait until it is gone (a no-op when it does not exist)."""
    try:
        kube.core.delete_namespace(name)
    except ApiException as exc:
        if exc.status == 404:
            return
        raise

    def gone() -> bool:
        try:
            kube.core.read_namespace(name)
        except ApiException as exc:
            return bool(exc.status == 404)
        return False

    wait_until(gone, timeout=timeout, what=f"namespace {name} to be deleted")


@pytest.fixture
def namespace(request: pytest.FixtureRequest, kube: Kube, harness_options: HarnessOptions) -> Iterator[str]:
    """A fresh namespace for this test (name from the test and the xdist worker), deleted afterwards.

    A namespace of the same name left by an interrupted earlier run is deleted first, so one killed run
    never breaks the next.
    """
    digest = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:8]
    name = f"t-{_worker()}-{digest}"
    _delete_namespace(kube, name)
    kube.core.create_namespace({"metadata": {"name": name, "labels": {"cronharness.io/test": "true"}}})  # type: ignore[arg-type]
    yield name
    if harness_options.keep:
        return
    try:
        _delete_namespace(kube, name)
    except Exception as exc:  # teardown problems are reported, not raised over the test's own result
        warnings.warn(f"could not delete namespace {name}: {exc}", stacklevel=1)


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
def deploy_job(cluster: Cluster, namespace: str, harness_options: HarnessOptions,
               phase_timer: PhaseTimer) -> Callable[..., Deployment]:
    """deploy_job(job, values={...}) -> Deployment: build/load the image and install the chart."""

    def _deploy(job: str, values: dict[str, Any] | None = None, **kwargs: Any) -> Deployment:
        deployment = deploy(cluster, job, namespace, values=values, env=harness_options.env, **kwargs)
        phase_timer.add(deployment.phases)
        return deployment

    return _deploy


@pytest.fixture
def run_job(kube: Kube, phase_timer: PhaseTimer) -> Callable[..., JobResult]:
    """run_job(deployment, timeout=900) -> JobResult: trigger the CronJob now and wait for its verdict."""

    def _run(deployment: Deployment, timeout: float = 900) -> JobResult:
        result = jobrun.run(kube, deployment.namespace, deployment.cronjob, timeout=timeout)
        phase_timer.add({"trigger to pod start": result.pod_started or 0.0,
                         "job run": result.duration - (result.pod_started or 0.0)})
        return result

    return _run
