"""Success test of wma-agent-count: WMArchive reports in HDFS -> the job in the cluster -> OpenSearch documents.

Deployed the way dev deploys it (values/dev layered under the test's values: no host network, Spark in local
mode in the pod), against HDFS, OpenSearch and the Pushgateway running in the cluster (harness/services/
incluster.py): the job reaches them by Service name, the test host through the Kubernetes API only, so the
same test passes on the local cluster, kind and an existing cluster.

The expected documents are computed here, in plain Python over the generator's records, from the rules
the README states (window, late partitions, de-duplication by wmaid, the site of a report, the id of a
document); nothing is imported from the job's code.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import yaml

from harness.checks import logs, metrics, search, spark, yarn
from harness.datagen import wmarchive
from harness.datagen.archive import to_line
from harness.datagen.writers import HdfsSink, text_lines
from harness.deploy import (
    Deployment,
    job_chart,
    on_spark_engine,
    prepare_spark_engine,
    without_credentials,
    without_kerberos,
)
from harness.jobrun import JobResult
from harness.kube import Kube
from harness.pytest.scope import DataScope
from harness.services.hdfs import webhdfs_client
from harness.services.incluster import ClusterHdfs, ClusterServices, Endpoint

pytestmark = pytest.mark.e2e

JOB = "wma-agent-count"
PREFIX = "wmarchive-agent-count"
SEED = 61
PER_DAY = 400
MALFORMED_PER_DAY = 3
LATE = 25
DAY_S = 86_400


# ---------------------------------------------------------------------------------------------- inputs


def window_for(today: date) -> tuple[date, date]:
    """The production window of a run on ``today``: days -10 (inclusive) to -3 (exclusive)."""
    return today - timedelta(days=10), today - timedelta(days=3)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def seed(hdfs: ClusterHdfs, root: str, start: date, end: date, skip: Iterable[date] = ()) -> list[dict[str, Any]]:
    """Write a realistic archive around the window and return every valid record written.

    - each window day: PER_DAY reports (about 1% re-deliveries) and MALFORMED_PER_DAY malformed lines;
    - the day before the window: reports outside the window (read as a late neighbour, all ignored);
    - the day after the window (``end``): its own reports (ignored) plus LATE reports of the window's last
      day archived late (counted);
    - the days two away from the window stay absent (missing neighbours are normal).
    """
    sink = HdfsSink(webhdfs_client(hdfs))
    written: list[dict[str, Any]] = []
    for day in [start - timedelta(days=1), *days(start, end), end]:
        if day in skip:
            continue
        corrupt = MALFORMED_PER_DAY if start <= day < end else 0
        wmarchive.write(sink, SEED, PER_DAY, day, corrupt=corrupt, root=root)
        written.extend(wmarchive.records(SEED, PER_DAY, day))
    late = list(wmarchive.records(SEED + 1, LATE, end - timedelta(days=1)))
    sink.put(f"{root}/{end:%Y/%m/%d}/part-late.json", text_lines(map(to_line, late)))
    return [*written, *late]


# ---------------------------------------------------------------------------------------------- expectations


def doc_id(day: str, host: str) -> str:
    """The README's id contract: sha1 of the compact JSON array [day, host]."""
    return hashlib.sha1(json.dumps([day, host], separators=(",", ":")).encode()).hexdigest()


def expected_documents(records: Iterable[dict[str, Any]], start: date, end: date) -> dict[str, dict[str, Any]]:
    """Documents by id, from the README's rules, independently of the job's code."""
    low, high = midnight(start), midnight(end)
    seen: set[str] = set()
    groups: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for record in records:
        data = record["data"]
        if not low <= data["wmats"] < high or data["wmaid"] in seen:
            continue
        seen.add(data["wmaid"])
        steps = data.get("steps") or []
        named = [step["site"] for step in steps if step.get("site") is not None]
        day = datetime.fromtimestamp(data["wmats"], UTC).date().isoformat()
        groups[(day, data["meta_data"]["host"])].append((len(steps), named[-1] if named else "UNKNOWN"))
    return {
        doc_id(day, host): {
            "wmats_midday": midnight(date.fromisoformat(day)) + DAY_S // 2,
            "day": day,
            "host": host,
            "count": len(items),
            "avg_steps_count": sum(n for n, _ in items) / len(items),
            "sites": sorted({site for _, site in items}),
        }
        for (day, host), items in groups.items()
    }


# ---------------------------------------------------------------------------------------------- outputs


def assert_documents(actual: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]]) -> None:
    """Same ids; same fields; equal values (avg_steps_count to 1e-9)."""
    assert sorted(actual) == sorted(expected)
    for key, want in expected.items():
        got = dict(actual[key])
        assert got.pop("avg_steps_count") == pytest.approx(want["avg_steps_count"], abs=1e-9), key
        assert got == {k: v for k, v in want.items() if k != "avg_steps_count"}, key



# ---------------------------------------------------------------------------------------------- fixtures


Endpoints = tuple[ClusterHdfs, Endpoint, Endpoint]


@pytest.fixture
def endpoints(cluster_services: ClusterServices) -> Endpoints:
    """HDFS, OpenSearch and the Pushgateway in the cluster."""
    return cluster_services.hdfs(), cluster_services.get("opensearch"), cluster_services.get("pushgateway")


def run_values(services: Endpoints, *, root: str, end: date, prefix: str, push_job: str, **env: str) -> dict[str, Any]:
    """The test's values over values/dev: the in-cluster endpoints, its data scope, a small pod, and no Kerberos
    login (no KDC here; the unused ticket cache dev names is harmless)."""
    hdfs, opensearch, gateway = services
    return {
        "job": {"activeDeadlineSeconds": 900},
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "1536Mi"}},
        **without_kerberos(),
        "metrics": {"pushgateway": {"url": gateway.job_url, "job": push_job}},
        "env": {
            "HDFS_URL": hdfs.rpc_url,
            "INPUT_PATH": root,
            "END_DATE": end.isoformat(),
            "SINK_URL": opensearch.job_url,
            "INDEX_PREFIX": prefix,
            "SPARK_DRIVER_MEMORY": "768m",
            "SPARK_SHUFFLE_PARTITIONS": "4",
            **without_credentials("SINK_USERNAME", "SINK_PASSWORD"),
            **env,
        },
    }


# ---------------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("engine", ["local", pytest.param("spark_k8s", marks=pytest.mark.matrix),
                                    pytest.param("yarn", marks=pytest.mark.matrix)])
def test_wma_agent_count(endpoints: Endpoints, scope: DataScope, engine: str, kube: Kube, namespace: str,
                         cluster_services: ClusterServices, deploy_job: Callable[..., Deployment],
                         run_job: Callable[..., JobResult], phase_timer: Any) -> None:
    """Seeded archive -> exact documents in wmarchive-agent-count-YYYY-MM; a re-run changes nothing. The same on
    each Spark engine: local mode in the job's pod, executors as pods (which the run leaves none of), and executors
    as YARN containers (one finished application per run, none of its containers left)."""
    hdfs, opensearch, gateway = endpoints
    start, end = window_for(datetime.now(UTC).date())
    root, prefix = f"{scope.hdfs_root}{wmarchive.ROOT}", scope.index(PREFIX)
    started = time.monotonic()
    records = seed(hdfs, root, start, end)
    expected = expected_documents(records, start, end)
    indices = sorted({f"{prefix}-{doc['day'][:7]}" for doc in expected.values()})
    phase_timer.add({"seed inputs": time.monotonic() - started})

    push_job = scope.push_job(JOB)
    pushed_after = time.time()
    values = run_values(endpoints, root=root, end=end, prefix=prefix, push_job=push_job)
    prepare_spark_engine(engine, kube, namespace, cluster_services)
    deployment = deploy_job(JOB, env="dev", values=on_spark_engine(engine, values))
    submitted = time.time()
    first = run_job(deployment)
    assert first.succeeded, first.summary()
    assert first.exit_code == 0
    if engine == "spark_k8s":  # two executor pods ran the work, and the run left none behind
        assert len(spark.executor_pods_scheduled(kube, namespace)) >= 2
        assert spark.executor_pods_left(kube, namespace) == []
    if engine == "yarn":  # one application, its two executor containers ran the work, none left running
        [run] = yarn.finished_runs(cluster_services.yarn(), JOB, submitted, count=1)
        assert len(run.executors) == 2, run  # the two asked for, none replaced after a failure

    started = time.monotonic()
    after_first = search.documents(opensearch, f"{prefix}-*")
    assert sorted(name for name in after_first if name in indices) == indices
    assert_documents({k: v for name in indices for k, v in after_first[name].items()}, expected)
    # Malformed lines are skipped and counted, as the original skips them; re-deliveries count once.
    window_records = [r for r in records if midnight(start) <= r["data"]["wmats"] < midnight(end)]
    stats = logs.event(first, "input read")
    assert stats["malformed"] == MALFORMED_PER_DAY * len(days(start, end))
    assert stats["in_window"] == len(window_records)
    assert stats["duplicates"] == len(window_records) - sum(doc["count"] for doc in expected.values())
    samples = metrics.pushed(gateway, push_job)
    assert samples["push_time_seconds"] >= pushed_after  # this run's push, not a previous session's
    assert samples["cronjob_last_status"] == 1
    assert samples["cronjob_records_out"] == len(expected)
    assert samples["cronjob_last_success_timestamp_seconds"] == samples["cronjob_last_end_timestamp_seconds"]
    phase_timer.add({"checks": time.monotonic() - started})

    second = run_job(deployment)
    assert second.succeeded, second.summary()
    after_second = search.documents(opensearch, f"{prefix}-*")
    assert {name: after_second[name] for name in indices} == {name: after_first[name] for name in indices}


@pytest.mark.gitops
def test_delivered_by_argocd_from_its_released_image(endpoints: Endpoints, scope: DataScope, kube: Kube,
                                                     deploy_by_argocd: Callable[..., Deployment],
                                                     run_job: Callable[..., JobResult]) -> None:
    """The GitOps path: Argo CD syncs dev's values with this test's values in the job file from a git server in
    the cluster; the CronJob runs the image released to the registry as <image.repository>:<appVersion>, and a run
    writes exactly the expected documents."""
    hdfs, opensearch, _ = endpoints
    start, end = window_for(datetime.now(UTC).date())
    root, prefix = f"{scope.hdfs_root}{wmarchive.ROOT}", scope.index(PREFIX)
    expected = expected_documents(seed(hdfs, root, start, end), start, end)

    deployment = deploy_by_argocd(JOB, env="dev", values=run_values(endpoints, root=root, end=end, prefix=prefix,
                                                                    push_job=scope.push_job(JOB)))
    result = run_job(deployment)
    assert result.succeeded, result.summary()

    pods = kube.plain(kube.core.list_namespaced_pod(deployment.namespace,
                                                    label_selector=f"job-name={result.name}"))["items"]
    assert {c["image"] for pod in pods for c in pod["spec"]["containers"]} == {str(deployment.image)}
    app_version = yaml.safe_load((job_chart(JOB) / "Chart.yaml").read_text())["appVersion"]
    assert str(deployment.image).endswith(f"/{scope.namespace}/cmsmonitoring/{JOB}:{app_version}")
    found = search.documents(opensearch, f"{prefix}-*")
    assert_documents({k: v for docs in found.values() for k, v in docs.items()}, expected)


def test_missing_day_partition_fails(endpoints: Endpoints, scope: DataScope,
                                     deploy_job: Callable[..., Deployment],
                                     run_job: Callable[..., JobResult]) -> None:
    """A window day without its directory fails the run with a one-line reason; nothing is written."""
    hdfs, opensearch, _ = endpoints
    start, end = window_for(datetime.now(UTC).date())
    root, prefix = f"{scope.hdfs_root}{wmarchive.ROOT}", scope.index(PREFIX)
    missing = start + timedelta(days=3)
    seed(hdfs, root, start, end, skip=[missing])

    deployment = deploy_job(JOB, env="dev", values=run_values(endpoints, root=root, end=end, prefix=prefix,
                                                    push_job=scope.push_job(JOB)))
    result = run_job(deployment)
    assert not result.succeeded
    assert result.exit_code == 1, result.summary()
    reason = (f"{JOB}: failed: input partition {root}/{missing:%Y/%m/%d} for day {missing} of the window "
              f"{start}..{end} (exclusive) is missing or empty (1 day(s) missing); set ALLOW_MISSING_DAYS=1")
    assert reason in result.summary(), result.summary()
    assert search.documents(opensearch, f"{prefix}-*") == {}


def test_dry_run_writes_nothing(endpoints: Endpoints, scope: DataScope,
                                deploy_job: Callable[..., Deployment],
                                run_job: Callable[..., JobResult]) -> None:
    """DRY_RUN=1 reads and aggregates, logs what it would write, and writes no index and no metrics."""
    hdfs, opensearch, gateway = endpoints
    start, end = window_for(datetime.now(UTC).date())
    root, prefix = f"{scope.hdfs_root}{wmarchive.ROOT}", scope.index(PREFIX)
    push_job = scope.push_job(JOB)
    expected = expected_documents(seed(hdfs, root, start, end), start, end)

    deployment = deploy_job(JOB, env="dev", values=run_values(endpoints, root=root, end=end, prefix=prefix,
                                                   push_job=push_job, DRY_RUN="1"))
    result = run_job(deployment)
    assert result.succeeded, result.summary()
    would_write = logs.events(result, "dry run: would write")
    indices = {f"{prefix}-{doc['day'][:7]}" for doc in expected.values()}
    assert {fields["target"] for fields in would_write} == {f"opensearch index {index}" for index in indices}
    assert sum(int(fields["records"]) for fields in would_write) == len(expected)
    assert search.documents(opensearch, f"{prefix}-*") == {}
    assert metrics.pushed(gateway, push_job) == {}


def test_bad_sink_url_fails_fast(endpoints: Endpoints, scope: DataScope, kube: Kube,
                                 deploy_job: Callable[..., Deployment],
                                 run_job: Callable[..., JobResult]) -> None:
    """An invalid SINK_URL scheme: exit code 2, the reason in one line, the verdict seconds after the pod."""
    end = window_for(datetime.now(UTC).date())[1]
    values = run_values(endpoints, root="/nonexistent", end=end, prefix=scope.index(PREFIX),
                         push_job=scope.push_job(JOB), SINK_URL="ftp://127.0.0.1:21")
    deployment = deploy_job(JOB, env="dev", values=values)
    result = run_job(deployment, timeout=300)
    verdict_at = datetime.now(UTC)
    assert not result.succeeded
    assert result.exit_code == 2, result.summary()
    reason = (f"{JOB}: failed: invalid configuration: SINK_URL='ftp://127.0.0.1:21' is not a URL with scheme "
              f"http or https and a host; allowed: http://host:port, https://host:port")
    assert reason in result.summary(), result.summary()
    pods = kube.plain(kube.core.list_namespaced_pod(scope.namespace,
                                                    label_selector=f"job-name={result.name}"))["items"]
    terminated = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    finished = datetime.fromisoformat(terminated["finishedAt"])
    # Reported from the Job's Failed condition, not by waiting for the 300 s timeout.
    assert (verdict_at - finished).total_seconds() < 15, result.summary()
    assert result.duration < 120, result.summary()
