"""Success test of promxy-to-opensearch: a daily series in a real Prometheus -> the job in the cluster -> documents.

Deployed the way dev deploys it (values/dev under the test's values: no host network), against OpenSearch and
the Pushgateway running in the cluster (harness/services/incluster.py). The series comes from the generator
(``harness/datagen/used_space.py``), backfilled with ``promtool tsdb create-blocks-from openmetrics`` into a
Prometheus of this test alone, in its namespace (harness/services/backfilled.py). The job reaches every service
by its Service name and the test host through the Kubernetes API only, so the test passes on any provider.

The expected documents are computed here, in plain Python over the generator's records, from the rules the
README states (window, skipped series and samples, fields, ids); nothing is imported from the job's code.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import elasticsearch
import opensearchpy
import pytest

from harness import faults, jobrun
from harness.checks import logs, metrics, search
from harness.cluster.base import Cluster
from harness.datagen import used_space
from harness.deploy import Deployment, without_credentials
from harness.jobrun import JobResult
from harness.kube import Kube
from harness.pytest.scope import DataScope
from harness.services.backfilled import serve_backfilled
from harness.services.incluster import NAMESPACE as SERVICES
from harness.services.incluster import ClusterServices, Endpoint
from harness.waiting import wait_until

pytestmark = pytest.mark.e2e

JOB = "promxy-to-opensearch"
INDEX = "rucio-used-space-1d"
QUERY = "avg_over_time:rucio_report_used_space:1d"
SEED = 23
GENERATED_DAYS = 40  # the series starts 40 days back; the job's default window is the last 30
WINDOW_DAYS = 30
DAY_S = 86_400
CHUNK_POINTS = 30  # the README: at most 30 days of evaluation times per query
ATTEMPTS = 5  # jobkit's default backoff: 5 attempts, 1 + 2 + 4 + 8 s apart

# ---------------------------------------------------------------------------------------------- Prometheus


def midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


@pytest.fixture
def prometheus(cluster: Cluster, namespace: str) -> Iterator[Endpoint]:
    """A Prometheus of this test alone, in its namespace, serving the generated series."""
    today = datetime.now(UTC).date()
    with serve_backfilled(cluster, namespace,
                          used_space.openmetrics(SEED, today - timedelta(days=GENERATED_DAYS), today)) as server:
        yield server


def query_range(base: str) -> str:
    """The query_range URL of the Prometheus at ``base`` (a job's Service-name URL or the host's port-forward)."""
    return f"{base}/api/v1/query_range"


def prometheus_error(server: Endpoint, query: str, start: int, end: int) -> str:
    """What Prometheus itself answers to a query it rejects: ``<errorType>: <error>``."""
    params = urllib.parse.urlencode({"query": query, "start": start, "end": end, "step": DAY_S})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{query_range(server.url)}?{params}", timeout=10)
    answer = json.loads(caught.value.read())
    return f"HTTP {caught.value.code} {answer['errorType']}: {answer['error']}"


# ---------------------------------------------------------------------------------------------- expectations


def window(today: date) -> tuple[int, int]:
    """The default window's first and last evaluation time: 00:00 UTC 30 days back and today."""
    return midnight(today - timedelta(days=WINDOW_DAYS)), midnight(today)


def doc_id(rse: str, timestamp: str, instance: str, source: str) -> str:
    """The README's id contract: sha1 of the compact JSON array [rse, timestamp, rucioInstance, source]."""
    return hashlib.sha1(json.dumps([rse, timestamp, instance, source], separators=(",", ":")).encode()).hexdigest()


def in_window(today: date) -> list[dict[str, Any]]:
    """The generated samples inside the default window (all samples sit at 00:00 UTC, on the step grid)."""
    start, end = window(today)
    generated = used_space.records(SEED, today - timedelta(days=GENERATED_DAYS), today)
    return [r for r in generated if start <= r["timestamp"] <= end]


def expected_documents(samples: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Documents by id: samples of series with an rse label and a finite value, the README's fields."""
    found = {}
    for sample in samples:
        labels, value = sample["labels"], sample["value"]
        if "rse" not in labels or not math.isfinite(value):
            continue
        stamp = datetime.fromtimestamp(sample["timestamp"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        found[doc_id(labels["rse"], stamp, labels["rucioInstance"], labels["source"])] = {
            "timestamp": stamp,
            "rse": labels["rse"],
            "rse_type": labels["rse_type"],
            "tier": labels["rse"][:2],
            "country": labels["country"],
            "rucioInstance": labels["rucioInstance"],
            "source": labels["source"],
            "used_bytes": value,
        }
    return found


# ---------------------------------------------------------------------------------------------- fixtures


Endpoints = tuple[Endpoint, Endpoint]


@pytest.fixture
def endpoints(cluster_services: ClusterServices) -> Endpoints:
    """OpenSearch and the Pushgateway in the cluster."""
    return cluster_services.get("opensearch"), cluster_services.get("pushgateway")


def run_values(services: Endpoints, scope: DataScope, promxy_url: str, **env: str) -> dict[str, Any]:
    """The test's values over values/dev: the in-cluster endpoints, its data scope, one try, a small pod."""
    search_node, gateway = services
    return {
        # One pod per run: a failure test must see the first pod's verdict, not two retries.
        "job": {"backoffLimit": 0, "activeDeadlineSeconds": 600},
        "resources": {"requests": {"cpu": "200m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "metrics": {"pushgateway": {"url": gateway.job_url, "job": scope.push_job(JOB)}},
        "env": {"PROMXY_URL": promxy_url, "SINK_URL": search_node.job_url, "INDEX_NAME": scope.index(INDEX),
                **without_credentials("SINK_USERNAME", "SINK_PASSWORD"), **env},
    }


# ---------------------------------------------------------------------------------------------- tests


def test_promxy_to_opensearch(endpoints: Endpoints, prometheus: Endpoint, scope: DataScope,
                              deploy_job: Callable[..., Deployment], run_job: Callable[..., JobResult],
                              phase_timer: Any) -> None:
    """Backfilled series -> exact documents in the index; a re-run writes the same ids and no more."""
    search_node, gateway = endpoints
    today = datetime.now(UTC).date()
    started = time.monotonic()
    samples = in_window(today)
    expected = expected_documents(samples)
    index = scope.index(INDEX)
    phase_timer.add({"expectations": time.monotonic() - started})

    promxy_url = query_range(prometheus.job_url)
    pushed_after = time.time()
    deployment = deploy_job(JOB, env="dev", values=run_values(endpoints, scope, promxy_url))
    first = run_job(deployment)
    assert first.succeeded, first.summary()
    assert first.exit_code == 0
    # The job's own duration (process start to exit), shown by `make test-job` beside the pod's.
    phase_timer.add({"job own (first run)": logs.event(first, "job finished")["duration_s"]})

    started = time.monotonic()
    after_first = search.documents(search_node, f"{scope.index_prefix}*")
    assert sorted(after_first) == [index]
    assert sorted(after_first[index]) == sorted(expected)
    assert after_first[index] == expected
    assert search.mapping(search_node, index)["used_bytes"] == {"type": "double"}
    # Two queries: 30 evaluation days, then the 31st (the README's chunking).
    start, end = window(today)
    chunk_end = start + (CHUNK_POINTS - 1) * DAY_S
    assert [(e["start"], e["end"]) for e in logs.events(first, "queried")] == [(start, chunk_end), (end, end)]
    read = logs.event(first, "samples read")
    no_rse = [s for s in samples if "rse" not in s["labels"]]
    non_finite = [s for s in samples if "rse" in s["labels"] and not math.isfinite(s["value"])]
    assert len(no_rse) == WINDOW_DAYS + 1 and len(non_finite) == 1  # the generator's quirks fall in the window
    assert read["samples"] == len(samples)
    assert read["skipped_no_rse_samples"] == len(no_rse)
    assert read["skipped_non_finite"] == len(non_finite)
    assert read["documents"] == len(expected)
    pushed = metrics.pushed(gateway, scope.push_job(JOB))
    assert pushed["push_time_seconds"] >= pushed_after
    assert pushed["cronjob_last_status"] == 1
    assert pushed["cronjob_records_in"] == len(samples)
    assert pushed["cronjob_records_out"] == len(expected)
    phase_timer.add({"checks": time.monotonic() - started})

    second = run_job(deployment)
    assert second.succeeded, second.summary()
    phase_timer.add({"job own (re-run)": logs.event(second, "job finished")["duration_s"]})
    assert search.documents(search_node, f"{scope.index_prefix}*") == after_first


def test_query_error_fails(endpoints: Endpoints, prometheus: Endpoint, scope: DataScope,
                           deploy_job: Callable[..., Deployment], run_job: Callable[..., JobResult]) -> None:
    """A query Prometheus rejects, then one matching nothing: exit 1 with a one-line reason each; no index."""
    search_node, _ = endpoints
    bad = "sum(avg_over_time:rucio_report_used_space:1d"
    start, _ = window(datetime.now(UTC).date())
    error = prometheus_error(prometheus, bad, start, start + (CHUNK_POINTS - 1) * DAY_S)
    promxy_url = query_range(prometheus.job_url)
    deployment = deploy_job(JOB, env="dev", values=run_values(endpoints, scope, promxy_url, PROM_QUERY=bad))
    result = run_job(deployment)
    assert not result.succeeded
    assert result.exit_code == 1, result.summary()
    reason = f"{JOB}: failed: query_range of {bad!r} at {promxy_url} failed: {error}"
    assert reason in result.summary().splitlines(), result.summary()
    assert not [line for text in result.logs.values() for line in text.splitlines()
                if "failed, retrying" in line], result.summary()  # a 400 is not retried
    assert search.indices(search_node, f"{scope.index_prefix}*") == []

    # A valid query that matches no series: a vanished series fails the run instead of writing nothing.
    today = datetime.now(UTC).date()
    empty = "avg_over_time:rucio_report_used_space:1d{rse=\"T9_XX_Nowhere\"}"
    deployment = deploy_job(JOB, env="dev", values=run_values(endpoints, scope, promxy_url, PROM_QUERY=empty))
    result = run_job(deployment)
    assert result.exit_code == 1, result.summary()
    reason = (f"{JOB}: failed: query_range of {empty!r} at {promxy_url} returned no usable sample for "
              f"{today - timedelta(days=WINDOW_DAYS)}..{today} (0 samples); nothing to write")
    assert reason in result.summary().splitlines(), result.summary()
    assert search.indices(search_node, f"{scope.index_prefix}*") == []


def test_unreachable_promxy_fails(endpoints: Endpoints, scope: DataScope,
                                  deploy_job: Callable[..., Deployment],
                                  run_job: Callable[..., JobResult]) -> None:
    """Nothing listens at PROMXY_URL: retried with backoff, then exit 1 with one line; no index."""
    search_node, _ = endpoints
    # Port 1 of the pod's own loopback: nothing listens there, so every attempt is refused at once.
    url = query_range("http://127.0.0.1:1")
    deployment = deploy_job(JOB, env="dev", values=run_values(endpoints, scope, url))
    result = run_job(deployment)
    assert not result.succeeded
    assert result.exit_code == 1, result.summary()
    reason = f"{JOB}: failed: query_range of {QUERY!r} at {url} failed after {ATTEMPTS} attempts: Connection refused"
    assert reason in result.summary().splitlines(), result.summary()
    retries = [e for text in result.logs.values() for e in text.splitlines() if "failed, retrying" in e]
    assert len(retries) == ATTEMPTS - 1, result.summary()
    assert search.indices(search_node, f"{scope.index_prefix}*") == []


def test_dry_run_writes_nothing(endpoints: Endpoints, prometheus: Endpoint, scope: DataScope,
                                deploy_job: Callable[..., Deployment],
                                run_job: Callable[..., JobResult]) -> None:
    """DRY_RUN=1 queries and flattens, logs what it would write, and writes no index and no metrics."""
    search_node, gateway = endpoints
    expected = expected_documents(in_window(datetime.now(UTC).date()))
    promxy_url = query_range(prometheus.job_url)
    deployment = deploy_job(JOB, env="dev", values=run_values(endpoints, scope, promxy_url, DRY_RUN="1"))
    result = run_job(deployment)
    assert result.succeeded, result.summary()
    would = logs.event(result, "dry run: would write")
    assert would["target"] == f"opensearch index {scope.index(INDEX)}"
    assert would["records"] == len(expected)
    assert search.indices(search_node, f"{scope.index_prefix}*") == []
    assert metrics.pushed(gateway, scope.push_job(JOB)) == {}


@pytest.mark.fault
def test_pushgateway_down_the_job_still_writes_every_document(endpoints: Endpoints, prometheus: Endpoint,
                                                              scope: DataScope,
                                                              deploy_job: Callable[..., Deployment],
                                                              run_job: Callable[..., JobResult]) -> None:
    """Nothing listens at the Pushgateway's URL for the whole run: the pushes are retried, logged as lost, and
    the run still succeeds with exactly the expected documents (the job's outcome never depends on its
    monitoring); the missing push is what CronJobPushStale alerts on."""
    search_node, _ = endpoints
    expected = expected_documents(in_window(datetime.now(UTC).date()))
    values = run_values(endpoints, scope, query_range(prometheus.job_url))
    down = "http://127.0.0.1:1"  # port 1 of the pod's own loopback: every push is refused
    values["metrics"]["pushgateway"]["url"] = down
    result = run_job(deploy_job(JOB, env="dev", values=values))
    assert result.succeeded, result.summary()
    assert result.exit_code == 0
    lost = [logs.event(result, f"metrics: could not push {what} metrics; the job goes on without them")
            for what in ("start", "end")]
    assert [event["pushgateway"] for event in lost] == [down, down]
    assert all("Connection refused" in event["error"] for event in lost), lost
    assert search.documents(search_node, f"{scope.index_prefix}*") == {scope.index(INDEX): expected}


# ---------------------------------------------------------------------------------------------- faults mid-write

# Two documents per bulk request: the job's ~2,800 documents then take over a thousand requests, so the fault
# lands while the write is under way, not before or after it (the default is 1,000 per request).
SLOW_BATCH = "2"


def first_documents(search_node: Endpoint, index: str) -> int:
    """How many documents were searchable when the first ones appeared (polled every 50 ms)."""
    def searchable() -> int:
        try:
            return search.count(search_node, index)
        except (opensearchpy.TransportError, elasticsearch.ApiError):  # 503 until the new index's shard starts
            return 0

    found: int = wait_until(searchable, timeout=300, interval=0.05, what=f"the first documents in {index}")
    return found


def assert_converged(search_node: Endpoint, scope: DataScope, expected: dict[str, dict[str, Any]]) -> None:
    """The index holds exactly the expected documents: none missing, none extra, none twice."""
    index = scope.index(INDEX)
    assert search.documents(search_node, f"{scope.index_prefix}*") == {index: expected}
    assert search.count(search_node, index) == len(expected)


@pytest.mark.fault
@pytest.mark.parametrize("kind", ["opensearch", "elasticsearch"])
def test_sink_killed_mid_write_then_a_rerun_writes_exactly_the_expected_documents(
        kind: str, cluster: Cluster, kube: Kube, cluster_services: ClusterServices, prometheus: Endpoint,
        scope: DataScope, deploy_job: Callable[..., Deployment], run_job: Callable[..., JobResult]) -> None:
    """The search engine's container is killed (SIGKILL) once the first documents are searchable and the kubelet
    restarts it. The run either rides it out with jobkit's retries or fails with one line naming the index;
    a re-run then leaves exactly the expected documents (0 lost, 0 duplicated)."""
    search_node, gateway = cluster_services.get(kind), cluster_services.get("pushgateway")
    expected = expected_documents(in_window(datetime.now(UTC).date()))
    index = scope.index(INDEX)
    values = run_values((search_node, gateway), scope, query_range(prometheus.job_url), SINK_KIND=kind,
                        SINK_BATCH_SIZE=SLOW_BATCH)
    deployment = deploy_job(JOB, env="dev", values=values)
    selector = f"app.kubernetes.io/name={kind}"
    service = faults.running_container(kube, SERVICES, selector)

    job = jobrun.trigger(kube, deployment.namespace, deployment.cronjob)
    seen = first_documents(search_node, index)
    killed = faults.kill(cluster, service)
    result = jobrun.wait(kube, deployment.namespace, job, timeout=600)
    faults.wait_restarted(kube, SERVICES, selector, service)
    back = time.monotonic() - killed
    search_node = cluster_services.get(kind)  # the port-forward ended with the container
    left = search.documents(search_node, index).get(index, {})
    assert set(left) <= set(expected)  # what the killed run left is part of the output, never something else

    outcome = faults.outcome_under_fault(result, JOB, f"{kind} index {index}")
    rerun = run_job(deployment)
    assert rerun.succeeded, rerun.summary()
    assert_converged(search_node, scope, expected)
    print(f"FIGURE fault {kind} killed mid-write: {seen} of {len(expected)} documents searchable at the kill; "
          f"back and Ready {back:.1f}s later; the run {outcome}; {len(left)} documents after it; "
          f"after the re-run {len(expected)} of {len(expected)}, 0 lost, 0 duplicated")


@pytest.mark.fault
def test_job_pod_killed_mid_write_then_the_jobs_retry_writes_exactly_the_expected_documents(
        cluster: Cluster, kube: Kube, endpoints: Endpoints, prometheus: Endpoint, scope: DataScope,
        deploy_job: Callable[..., Deployment]) -> None:
    """The job's container is killed (SIGKILL, as the OOM killer does) once its first documents are searchable.
    The Job's retry (backoffLimit 1) runs a new pod, which leaves exactly the expected documents."""
    search_node, _ = endpoints
    expected = expected_documents(in_window(datetime.now(UTC).date()))
    index = scope.index(INDEX)
    values = run_values(endpoints, scope, query_range(prometheus.job_url), SINK_BATCH_SIZE=SLOW_BATCH)
    values["job"]["backoffLimit"] = 1
    deployment = deploy_job(JOB, env="dev", values=values)

    job = jobrun.trigger(kube, deployment.namespace, deployment.cronjob)
    seen = first_documents(search_node, index)
    faults.kill(cluster, faults.running_container(kube, deployment.namespace, f"job-name={job}"))
    result = jobrun.wait(kube, deployment.namespace, job, timeout=600)

    assert result.succeeded, result.summary()
    status = kube.plain(kube.batch.read_namespaced_job(job, deployment.namespace))["status"]
    assert status.get("failed") == 1 and status.get("succeeded") == 1, status
    assert_converged(search_node, scope, expected)
    print(f"FIGURE fault job pod SIGKILL mid-write: {seen} of {len(expected)} documents searchable at the kill; "
          f"the Job's second pod succeeded, {result.duration:.1f}s in all; {len(expected)} of {len(expected)}, "
          "0 lost, 0 duplicated")
