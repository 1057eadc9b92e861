"""Success test of rucio-daily: Rucio replicas (avro) + DBS FILES (csv) in HDFS -> the job -> parquet on HDFS.

The expected rows are computed here, in plain Python over the generators' records, from the rules the
README states (join on the file name, group keys, days from the dump day and from CREATED_AT in UTC, RSE_ID
as lower-case hex, rep_size the sum of BYTES); nothing is imported from the job's code. Deployed over
values/dev (no host network, Spark in local mode in the pod) against HDFS and the Pushgateway in the cluster.
"""

from __future__ import annotations

import io
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness import faults, jobrun
from harness.checks import hdfs as hdfs_checks
from harness.checks import logs, metrics
from harness.cluster.base import Cluster
from harness.datagen import dbs, rucio
from harness.datagen.writers import HdfsSink
from harness.deploy import Deployment, without_kerberos
from harness.jobrun import JobResult
from harness.kube import Kube
from harness.pytest.scope import DataScope
from harness.services.hdfs import webhdfs_client
from harness.services.incluster import NAMESPACE as SERVICES
from harness.services.incluster import ClusterHdfs, ClusterServices, Endpoint
from harness.waiting import wait_until

pytestmark = pytest.mark.e2e

JOB = "rucio-daily"
SEED = 23
N_FILES = 1500  # DBS files of the catalogue: about 2400 Rucio replicas of 21 datasets, about 100 output rows
COLUMNS = ("RSE_ID", "f_dataset_id", "SCOPE", "tally_day", "create_day", "rep_size")
Row = tuple[Any, ...]


# ---------------------------------------------------------------------------------------------- inputs


def dump_day() -> date:
    """The day the tests process: yesterday (UTC), a complete dump in production terms."""
    return datetime.now(UTC).date() - timedelta(days=1)


def roots(scope: DataScope) -> dict[str, str]:
    """The production roots of inputs and output, moved under the test's HDFS scope."""
    return {"RUCIO_PATH": f"{scope.hdfs_root}{rucio.ROOT}", "DBS_PATH": f"{scope.hdfs_root}{dbs.ROOT}",
            "OUTPUT_PATH": f"{scope.hdfs_root}/cms/rucio_daily"}


def seed(hdfs: ClusterHdfs, scope: DataScope, day: date, *, corrupt: int = 0) -> None:
    """Write the Rucio and DBS dumps of ``day``, and a differently seeded dump of the day before (not read)."""
    sink, paths = HdfsSink(webhdfs_client(hdfs)), roots(scope)
    for seed_, when in ((SEED, day), (SEED + 1, day - timedelta(days=1))):
        rucio.write(sink, seed_, N_FILES, when, root=paths["RUCIO_PATH"], corrupt=corrupt if when == day else 0)
        dbs.write(sink, seed_, N_FILES, when, root=paths["DBS_PATH"])


def output_dir(scope: DataScope, day: date) -> str:
    return f"{roots(scope)['OUTPUT_PATH']}/rucio/{day:%Y/%m/%d}"


def put_parquet(hdfs: ClusterHdfs, path: str, rows: list[dict[str, Any]]) -> None:
    """A parquet file at ``path``: a leftover of an earlier run (must be replaced or kept, as the README says)."""
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buffer)
    webhdfs_client(hdfs).write(path, data=buffer.getvalue(), overwrite=True)


# ---------------------------------------------------------------------------------------------- expectations


def utc_day(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y%m%d")


def expected_rows(day: date) -> tuple[list[Row], int, int]:
    """Output rows from the README's rules, sorted; and the replicas read and those without a DBS file."""
    dataset_of = {f["LOGICAL_FILE_NAME"]: f["DATASET_ID"] for f in dbs.records("FILES", SEED, N_FILES, day)}
    sums: dict[Row, int] = defaultdict(int)
    replicas = not_in_dbs = 0
    for replica in rucio.records("replicas", SEED, N_FILES, day):
        replicas += 1
        if replica["NAME"] not in dataset_of:
            not_in_dbs += 1
            continue
        key = (replica["RSE_ID"].hex(), dataset_of[replica["NAME"]], replica["SCOPE"], f"{day:%Y%m%d}",
               utc_day(replica["CREATED_AT"]))
        sums[key] += int(replica["BYTES"])
    return sorted((*key, total) for key, total in sums.items()), replicas, not_in_dbs


def data_assumptions(today: date) -> None:
    """What the data of a run on ``today`` must give for test_rucio_daily to test the join and the grouping
    (tests/unit/test_job_tests_any_date.py runs this over every day of a year)."""
    expected, _, not_in_dbs = expected_rows(today - timedelta(days=1))
    assert not_in_dbs > 0, f"every replica has a DBS file on {today}: the join's miss path is not tested"
    assert len(expected) > 50, f"only {len(expected)} output rows on {today}"


def output_rows(hdfs: ClusterHdfs, path: str) -> list[Row]:
    """The parquet rows under ``path`` as tuples in :data:`COLUMNS` order, sorted (duplicates kept)."""
    rows = hdfs_checks.read_parquet(hdfs, path)
    assert all(tuple(row) == COLUMNS for row in rows), rows[:1]
    return sorted(tuple(row[c] for c in COLUMNS) for row in rows)


# ---------------------------------------------------------------------------------------------- fixtures


Endpoints = tuple[ClusterHdfs, Endpoint]


@pytest.fixture
def endpoints(cluster_services: ClusterServices) -> Endpoints:
    """HDFS and the Pushgateway in the cluster."""
    return cluster_services.hdfs(), cluster_services.get("pushgateway")


def run_values(hdfs: ClusterHdfs, gateway: Endpoint, scope: DataScope, day: date, **env: str) -> dict[str, Any]:
    """The test's values over values/dev: the in-cluster endpoints, its data scope, a small pod, no Kerberos."""
    return {
        "job": {"activeDeadlineSeconds": 900, "backoffLimit": 0},
        "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "1536Mi"}},
        **without_kerberos(),
        "metrics": {"pushgateway": {"url": gateway.job_url, "job": scope.push_job(JOB)}},
        "env": {
            "HDFS_URL": hdfs.rpc_url,
            **roots(scope),
            "DATE": day.isoformat(),
            "SPARK_DRIVER_MEMORY": "768m",
            "SPARK_SHUFFLE_PARTITIONS": "4",
            **env,
        },
    }


# ---------------------------------------------------------------------------------------------- tests


def test_rucio_daily(endpoints: Endpoints, scope: DataScope, deploy_job: Callable[..., Deployment],
                     run_job: Callable[..., JobResult], phase_timer: Any) -> None:
    """DRY_RUN writes nothing; a run writes exactly the expected rows; a re-run gives the same rows."""
    hdfs, gateway = endpoints
    day = dump_day()
    started = time.monotonic()
    seed(hdfs, scope, day)
    data_assumptions(day + timedelta(days=1))
    expected, replicas, not_in_dbs = expected_rows(day)
    # Leftovers: a stale part file in the day's directory (replaced with the directory) and the day
    # before's output (another directory: kept).
    stale_row = dict(zip(COLUMNS, ("00", 1, "cms", f"{day:%Y%m%d}", f"{day:%Y%m%d}", 1), strict=True))
    put_parquet(hdfs, f"{output_dir(scope, day)}/part-00000-stale.snappy.parquet", [stale_row])
    before = day - timedelta(days=1)
    put_parquet(hdfs, f"{output_dir(scope, before)}/part-00000-kept.snappy.parquet", [stale_row])
    phase_timer.add({"seed inputs": time.monotonic() - started})

    # DRY_RUN: reads and aggregates, says what it would write, writes nothing and pushes nothing.
    push_job = scope.push_job(JOB)
    dry = run_job(deploy_job(JOB, env="dev", values=run_values(hdfs, gateway, scope, day, DRY_RUN="1")))
    assert dry.succeeded, dry.summary()
    assert logs.event(dry, "dry run: would write") == {"target": f"parquet {output_dir(scope, day)}",
                                                      "rows": len(expected), "partitions": []}
    stale = f"{output_dir(scope, day)}/part-00000-stale.snappy.parquet"
    assert hdfs_checks.files(hdfs, output_dir(scope, day)) == [stale]
    assert metrics.pushed(gateway, push_job) == {}

    pushed_after = time.time()
    deployment = deploy_job(JOB, env="dev", values=run_values(hdfs, gateway, scope, day))
    first = run_job(deployment)
    assert first.succeeded, first.summary()
    assert first.exit_code == 0

    started = time.monotonic()
    after_first = output_rows(hdfs, output_dir(scope, day))
    assert len(after_first) == len(expected)
    assert after_first == expected
    assert not [key for key, n in Counter(row[:5] for row in after_first).items() if n > 1]  # one row per group
    names = [path.rsplit("/", 1)[1] for path in hdfs_checks.files(hdfs, output_dir(scope, day))]
    assert "_SUCCESS" in names and "part-00000-stale.snappy.parquet" not in names, names
    assert hdfs_checks.read_parquet(hdfs, output_dir(scope, before)) == [stale_row]
    assert logs.event(first, "input read") == {"replicas": replicas, "replicas_in_dbs": replicas - not_in_dbs,
                                               "replicas_not_in_dbs": not_in_dbs, "rows": len(expected)}
    samples = metrics.pushed(gateway, push_job)
    assert samples["push_time_seconds"] >= pushed_after  # this run's push
    assert samples["cronjob_last_status"] == 1
    assert samples["cronjob_records_in"] == replicas
    assert samples["cronjob_records_out"] == len(expected)
    phase_timer.add({"checks": time.monotonic() - started})

    second = run_job(deployment)
    assert second.succeeded, second.summary()
    assert output_rows(hdfs, output_dir(scope, day)) == after_first


def test_bad_inputs_fail(endpoints: Endpoints, scope: DataScope,
                         deploy_job: Callable[..., Deployment], run_job: Callable[..., JobResult]) -> None:
    """A missing dump day, then a damaged replicas avro file: exit 1, one-line reason, nothing written."""
    hdfs, gateway = endpoints
    day = dump_day()
    paths = roots(scope)
    deployment = deploy_job(JOB, env="dev", values=run_values(hdfs, gateway, scope, day))

    missing = run_job(deployment)
    assert not missing.succeeded
    assert missing.exit_code == 1, missing.summary()
    reason = (f"{JOB}: failed: input for {day} is missing: Rucio replicas dump {paths['RUCIO_PATH']}/{day}/replicas/"
              f"part*.avro matches no file; DBS FILES dump {paths['DBS_PATH']}/{day}/FILES/*.gz matches no file "
              f"(that day's sqoop import has not run or failed); nothing was written")
    assert reason in missing.summary(), missing.summary()

    seed(hdfs, scope, day, corrupt=1)
    damaged = run_job(deployment)
    assert not damaged.succeeded
    assert damaged.exit_code == 1, damaged.summary()
    part = f"{paths['RUCIO_PATH']}/{day}/replicas/part-m-00000.avro"
    reason = (f"{JOB}: failed: cannot read the Rucio replicas dump of {day}: file {part}: java.io.IOException: "
              f"Invalid sync!; the file is damaged or not a Rucio replicas dump, re-import it (nothing was written)")
    assert reason in damaged.summary(), damaged.summary()
    assert logs.event(damaged, "job finished")["exit_code"] == 1
    assert hdfs_checks.files(hdfs, paths["OUTPUT_PATH"]) == []


def visible_rows(hdfs: ClusterHdfs, path: str) -> list[Row]:
    """The rows a reader of ``path`` gets: its parquet files outside Spark's hidden (``_``/``.``) entries, such as
    the ``_temporary`` directory of a write under way."""
    visible = [name for name in hdfs_checks.files(hdfs, path)
               if name.endswith(".parquet") and not any(part.startswith(("_", "."))
                                                        for part in name[len(path) + 1:].split("/"))]
    rows = [row for name in visible
            for row in pq.read_table(io.BytesIO(hdfs_checks.read_bytes(hdfs, name))).to_pylist()]
    return sorted(tuple(row[c] for c in COLUMNS) for row in rows)


def seeded_over_a_previous_output(hdfs: ClusterHdfs, scope: DataScope) -> tuple[date, list[Row], str, Row]:
    """The day's inputs seeded, and a complete earlier output of the day in place (one row that no run of the
    seeded inputs gives): the day, the expected rows, the day's directory and the earlier output's row."""
    day = dump_day()
    seed(hdfs, scope, day)
    previous = dict(zip(COLUMNS, ("00", 1, "cms", f"{day:%Y%m%d}", f"{day:%Y%m%d}", 1), strict=True))
    put_parquet(hdfs, f"{output_dir(scope, day)}/part-00000-previous.snappy.parquet", [previous])
    return day, expected_rows(day)[0], output_dir(scope, day), tuple(previous[c] for c in COLUMNS)


def wait_writing(hdfs: ClusterHdfs, parent: str) -> None:
    """Until a Spark write is under way below ``parent``: its _temporary directory, wherever the job stages."""
    wait_until(lambda: any("/_temporary/" in name for name in hdfs_checks.files(hdfs, parent)), timeout=600,
               interval=0.1, what=f"the job to begin writing under {parent}")


@pytest.mark.fault
def test_hdfs_killed_mid_write_leaves_the_previous_output_whole_and_a_rerun_converges(
        cluster: Cluster, kube: Kube, endpoints: Endpoints, cluster_services: ClusterServices, scope: DataScope,
        deploy_job: Callable[..., Deployment], run_job: Callable[..., JobResult]) -> None:
    """HDFS's container (NameNode and DataNode) is killed (SIGKILL) once Spark has begun writing the day, and the
    kubelet restarts it with its files. The run fails with one line naming the output, or rides it out; a
    reader of the day finds the previous output or this run's, each whole; a re-run leaves exactly the expected
    rows and no staging directory (0 lost, 0 duplicated)."""
    hdfs, gateway = endpoints
    day, expected, day_dir, previous = seeded_over_a_previous_output(hdfs, scope)
    parent = day_dir.rsplit("/", 1)[0]
    deployment = deploy_job(JOB, env="dev", values=run_values(hdfs, gateway, scope, day))
    selector = "app.kubernetes.io/name=hdfs"
    service = faults.running_container(kube, SERVICES, selector)

    job = jobrun.trigger(kube, deployment.namespace, deployment.cronjob)
    wait_writing(hdfs, parent)
    killed = faults.kill(cluster, service)
    result = jobrun.wait(kube, deployment.namespace, job, timeout=900)
    faults.wait_restarted(kube, SERVICES, selector, service)
    hdfs = cluster_services.hdfs()  # new port-forwards, the DataNode registered again
    back = time.monotonic() - killed
    after_fault = visible_rows(hdfs, day_dir)
    assert after_fault in ([previous], expected), "a reader saw a half-written day"
    outcome = faults.outcome_under_fault(result, JOB, f"parquet {day_dir}")

    rerun = run_job(deployment)
    assert rerun.succeeded, rerun.summary()
    assert output_rows(hdfs, day_dir) == expected
    assert webhdfs_client(hdfs).list(parent) == [day_dir.rsplit("/", 1)[1]]
    print(f"FIGURE fault hdfs killed mid-write (rucio-daily): back and Ready {back:.1f}s later; the run {outcome}; "
          f"a reader found {'the previous output' if after_fault == [previous] else 'the new output'}, whole; "
          f"after the re-run {len(expected)} of {len(expected)} rows, 0 lost, 0 duplicated")


@pytest.mark.fault
def test_job_pod_killed_mid_write_leaves_the_previous_output_whole_and_the_retry_converges(
        cluster: Cluster, kube: Kube, endpoints: Endpoints, scope: DataScope,
        deploy_job: Callable[..., Deployment]) -> None:
    """The job's container is killed (SIGKILL, as the OOM killer does) once Spark has begun writing the day's
    directory. A reader of the day still finds the previous output, whole; the Job's retry (backoffLimit 1) then
    leaves exactly the expected rows, with no staging directory left beside it."""
    hdfs, gateway = endpoints
    day, expected, day_dir, previous = seeded_over_a_previous_output(hdfs, scope)
    parent = day_dir.rsplit("/", 1)[0]
    values = run_values(hdfs, gateway, scope, day)
    values["job"]["backoffLimit"] = 1
    deployment = deploy_job(JOB, env="dev", values=values)

    job = jobrun.trigger(kube, deployment.namespace, deployment.cronjob)
    wait_writing(hdfs, parent)
    faults.kill(cluster, faults.running_container(kube, deployment.namespace, f"job-name={job}"))
    after_kill = visible_rows(hdfs, day_dir)
    result = jobrun.wait(kube, deployment.namespace, job, timeout=900)

    assert after_kill == [previous], "a reader saw a half-written day"
    assert result.succeeded, result.summary()
    status = kube.plain(kube.batch.read_namespaced_job(job, deployment.namespace))["status"]
    assert status.get("failed") == 1 and status.get("succeeded") == 1, status
    assert output_rows(hdfs, day_dir) == expected
    assert webhdfs_client(hdfs).list(parent) == [day_dir.rsplit("/", 1)[1]]
    print(f"FIGURE fault rucio-daily pod SIGKILL mid-write: the previous output whole after the kill; the Job's "
          f"second pod succeeded, {result.duration:.1f}s in all; {len(expected)} of {len(expected)} rows, "
          "0 lost, 0 duplicated")
