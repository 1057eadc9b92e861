"""Success test of cpueff: condor records in HDFS -> the job in the cluster -> MongoDB collections (FerretDB).

Every expected document is computed here, in plain Python over the generator's records, from the rules
the README states (window, late partitions, the job filter, de-duplication by GlobalJobId, each field's
formula, null fields left out, the document ids); nothing is imported from the job's code. Documents are
read back with find() only: FerretDB 1.x computes just the first accumulator of a $group. Deployed over
values/dev (no host network, Spark in local mode in the pod, no Kerberos login) against HDFS, FerretDB and the
Pushgateway in the cluster.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import islice
from typing import Any

import pytest

from harness import faults, jobrun
from harness.checks import logs, metrics, mongo, spark, yarn
from harness.cluster.base import Cluster
from harness.datagen import condor
from harness.datagen.archive import day_dir, to_line
from harness.datagen.writers import HdfsSink, text_lines
from harness.deploy import (
    KEYTAB_SECRET,
    SPARK_ENGINES,
    Deployment,
    on_spark_engine,
    on_test_site,
    prepare_spark_engine,
    without_credentials,
    without_kerberos,
)
from harness.jobrun import JobResult
from harness.kube import Kube
from harness.pytest.scope import DataScope
from harness.services.hdfs import webhdfs_client
from harness.services.incluster import NAMESPACE as SERVICES
from harness.services.incluster import ClusterHdfs, ClusterServices, Endpoint
from harness.waiting import wait_until

pytestmark = pytest.mark.e2e

JOB = "cpueff"
SEED = 67
PER_DAY = 40
MALFORMED_PER_DAY = 1
LATE_NEW = 15  # records of the window's last day archived the day after
LATE_REDELIVERED = 10  # records of the window's last day re-delivered the day after
COLLECTIONS = ("condor_detailed", "condor_main", "condor_tiers", "source_timestamp")
MAIN_KEYS = ("Type", "Workflow", "WmagentRequestName", "CpuEffOutlier")
DETAILED_KEYS = ("Type", "Workflow", "WmagentRequestName", "Site", "Tier", "CpuEffOutlier")
TIER_KEYS = ("Tier", "Type")
ID_INDEXES = {
    "_id_": [("_id", 1)],
    "_id_1_Workflow_1": [("_id", 1), ("Workflow", 1)],
    "_id_1_WmagentRequestName_1": [("_id", 1), ("WmagentRequestName", 1)],
    "Workflow_1": [("Workflow", 1)],
    "WmagentRequestName_1": [("WmagentRequestName", 1)],
}
INDEXES = {
    "condor_main": ID_INDEXES,
    "condor_detailed": {**ID_INDEXES, "Site_1": [("Site", 1)]},
    "condor_tiers": {"_id_": [("_id", 1)], "Tier_1_Type_1": [("Tier", 1), ("Type", 1)]},
    "source_timestamp": {"_id_": [("_id", 1)]},
}


# ---------------------------------------------------------------------------------------------- inputs


def window_for(today: date) -> tuple[date, date]:
    """The production window of a run on ``today``: the 30 days before yesterday (end exclusive)."""
    end = today - timedelta(days=1)
    return end - timedelta(days=30), end


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def midnight_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


def seed(hdfs: ClusterHdfs, root: str, start: date, end: date,
         skip: Iterable[date] = ()) -> tuple[list[dict[str, Any]], int]:
    """Write a realistic archive around the window; return every valid record written and the line count.

    - each window day: PER_DAY records (about 1% re-deliveries) and MALFORMED_PER_DAY malformed lines, in
      two part files; the window's last day in ``DD.tmp`` (not yet compacted by MONIT);
    - the day before the window: records outside the window (read as a late neighbour, all ignored);
    - the day after the window (``end``): its own records (ignored), LATE_NEW records of the window's last
      day archived late (counted) and LATE_REDELIVERED re-deliveries of that day's records (counted once).
    """
    client = webhdfs_client(hdfs)
    client.delete(root, recursive=True)
    sink = HdfsSink(client)
    written: list[dict[str, Any]] = []
    lines = 0
    last = end - timedelta(days=1)
    for day in [start - timedelta(days=1), *days(start, end), end]:
        if day in skip:
            continue
        corrupt = MALFORMED_PER_DAY if start <= day < end else 0
        directory = day_dir(root, day) + (".tmp" if day == last else "")
        stream = condor.lines(SEED, PER_DAY, day, corrupt=corrupt)
        half = (PER_DAY + corrupt) // 2
        sink.put(f"{directory}/part-00000.json", text_lines(islice(stream, half)))
        sink.put(f"{directory}/part-00001.json", text_lines(stream))
        written.extend(day_records(day))
        lines += PER_DAY + corrupt
    late = late_records(last)
    sink.put(f"{day_dir(root, end)}/part-late.json", text_lines(map(to_line, late)))
    return [*written, *late], lines + len(late)


@cache
def day_records(day: date) -> tuple[dict[str, Any], ...]:
    """The valid records of ``day`` (the same on every call: the generator is seeded by day)."""
    return tuple(condor.records(SEED, PER_DAY, day))


def late_records(last: date) -> list[dict[str, Any]]:
    """The records of the window's last day archived the day after: LATE_NEW new ones and LATE_REDELIVERED
    re-deliveries of that day's records that pass the job filter, so that every one of them is counted as a
    duplicate whatever the date (``data_assumptions`` checks there are enough on every day)."""
    passing = [record for record in day_records(last) if selected(record["data"])]
    return [*condor.records(SEED + 1, LATE_NEW, last, duplicate_rate=0), *passing[:LATE_REDELIVERED]]


def data_assumptions(today: date) -> None:
    """What test_cpueff's data must give on ``today`` for its assertions to test what they say.

    tests/unit/test_job_tests_any_date.py runs this over every day of a year: the inputs depend on the
    run's date, and an assumption that holds on some dates only would make the e2e verdict depend on the day.
    """
    start, end = window_for(today)
    last = end - timedelta(days=1)
    assert len(late_records(last)) == LATE_NEW + LATE_REDELIVERED, f"too few selected records on {last}"
    records = [record for day in [start - timedelta(days=1), *days(start, end), end]
               for record in day_records(day)]
    jobs, counts = counted_jobs([*records, *late_records(last)], start, end)
    assert counts["selected"] - len(jobs) >= LATE_REDELIVERED, f"re-deliveries not all counted on {today}"
    assert expected_collections(jobs)["condor_tiers"], f"no tier documents on {today}"


# ---------------------------------------------------------------------------------------------- expectations


def doc_id(doc: dict[str, Any], keys: Sequence[str]) -> str:
    """The README's id contract: sha1 of the compact JSON array of the key fields."""
    return hashlib.sha1(json.dumps([doc[k] for k in keys], separators=(",", ":")).encode()).hexdigest()


def total(values: Iterable[float | None]) -> float | None:
    """Spark's sum: nulls ignored, null when every value is null."""
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def percent(numerator: float | None, denominator: float | None) -> float | None:
    """100 * a / b, null when either is null or b is 0 (Spark's division)."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return 100 * numerator / denominator


def selected(data: dict[str, Any]) -> bool:
    """The README's job filter: completed jobs that did not fail."""
    return bool(data["Status"] == "Completed" and data["JobFailed"] == 0)


def counted_jobs(records: Iterable[dict[str, Any]], start: date,
                 end: date) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The jobs the README counts, with derived fields, and the input counters it states."""
    low, high = midnight_ms(start), midnight_ms(end)
    seen: set[str] = set()
    jobs = []
    counts = {"in_window": 0, "selected": 0}
    for record in records:
        data = record["data"]
        if not low <= data["RecordTime"] < high:
            continue
        counts["in_window"] += 1
        if not selected(data):
            continue
        counts["selected"] += 1
        if data["GlobalJobId"] in seen:
            continue
        seen.add(data["GlobalJobId"])
        cpus = data.get("RequestCpus", 1)
        jobs.append({
            **data,
            "WmagentRequestName": data.get("WMAgent_RequestName", "NULL"),
            "Tier": data["Tier"].upper(),
            "RequestCpus": cpus,
            "CoreTimeHr": data["WallClockHr"] * cpus,
            "WastedCpuTimeHr": cpus * data["WallClockHr"] - data["CpuTimeHr"],
            "CommittedOverMaxWallTime": 60 * data["CommittedWallClockHr"] / data["MaxWallTimeMins"],
        })
    return jobs, counts


def efficiencies(group: list[dict[str, Any]]) -> dict[str, Any]:
    """The fields condor_main and condor_detailed share."""
    def s(name: str, rows: list[dict[str, Any]] = group) -> float | None:
        return total(row.get(name) for row in rows)

    read_ms = s("ChirpCMSSWReadTimeMsecs")
    fields = {
        "CpuEff": percent(s("CpuTimeHr"), s("CoreTimeHr")),
        "NonEvictionEff": percent(s("CpuTimeHr"), s("CommittedCoreHr")),
        "ScheduleEff": percent(s("CommittedWallClockHr"), s("WallClockHr")),
        "CmsswReadTimePercentage": percent(None if read_ms is None else read_ms / 1000, s("ChirpCMSSWElapsed")),
        "Cpus": s("RequestCpus"),
        "CpuTimeHr": s("CpuTimeHr"),
        "WallClockHr": s("WallClockHr"),
        "CoreTimeHr": s("CoreTimeHr"),
        "CommittedCoreHr": s("CommittedCoreHr"),
        "CommittedWallClockHr": s("CommittedWallClockHr"),
        "WastedCpuTimeHr": s("WastedCpuTimeHr"),
        "CommittedOverMaxWallTimeAvg": sum(r["CommittedOverMaxWallTime"] for r in group) / len(group),
    }
    diff = None if fields["NonEvictionEff"] is None or fields["CpuEff"] is None else (
        fields["NonEvictionEff"] - fields["CpuEff"])
    return {**fields, "EvictionAwareEffDiff": diff}


def t1_t2(group: list[dict[str, Any]]) -> dict[str, Any]:
    """condor_main's sums over the jobs at T1 and T2 sites (null when there are none)."""
    rows = [row for row in group if row["Tier"] in ("T1", "T2")]

    def s(name: str) -> float | None:
        return total(row[name] for row in rows)

    return {
        "CpuEffT1T2": percent(s("CpuTimeHr"), s("CoreTimeHr")),
        "CpusT1T2": s("RequestCpus"),
        "CpuTimeHrT1T2": s("CpuTimeHr"),
        "WallClockHrT1T2": s("WallClockHr"),
        "CoreTimeHrT1T2": s("CoreTimeHr"),
        "WastedCpuTimeHrT1T2": s("WastedCpuTimeHr"),
    }


def grouped(jobs: Iterable[dict[str, Any]], keys: Sequence[str]) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for job in jobs:
        groups[tuple(job[k] for k in keys)].append(job)
    return groups


def documents(keys: Sequence[str], rows: Iterable[tuple[tuple[Any, ...], dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Documents by id: the key fields plus the aggregates that are not null."""
    docs = {}
    for key, fields in rows:
        doc = {**dict(zip(keys, key, strict=True)), **{k: v for k, v in fields.items() if v is not None}}
        doc["_id"] = doc_id(doc, keys)
        docs[doc["_id"]] = doc
    return docs


def expected_collections(jobs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """condor_main, condor_detailed and condor_tiers by id, from the README's field rules."""
    def detailed_extra(group: list[dict[str, Any]]) -> dict[str, Any]:
        job_ids = {row["WMAgent_JobID"] for row in group if "WMAgent_JobID" in row}
        return {"Schedds": sorted({row["ScheddName"] for row in group}),
                "MaxWmagentJobId": max(job_ids) if job_ids else None}

    def tier_fields(group: list[dict[str, Any]]) -> dict[str, Any]:
        cpu, core = sum(r["CpuTimeHr"] for r in group), sum(r["CoreTimeHr"] for r in group)
        return {"TierCpuEff": percent(cpu, core), "TierCpus": sum(r["RequestCpus"] for r in group),
                "TierCpuTimeHr": cpu, "TierWallClockHr": sum(r["WallClockHr"] for r in group)}

    return {
        "condor_main": documents(MAIN_KEYS, (
            (key, {**efficiencies(group), **t1_t2(group)}) for key, group in grouped(jobs, MAIN_KEYS).items())),
        "condor_detailed": documents(DETAILED_KEYS, (
            (key, {**efficiencies(group), **detailed_extra(group)})
            for key, group in grouped(jobs, DETAILED_KEYS).items())),
        "condor_tiers": documents(TIER_KEYS, (
            (key, tier_fields(group))
            for key, group in grouped((j for j in jobs if j["Tier"] != "UNKNOWN"), TIER_KEYS).items())),
    }


# ---------------------------------------------------------------------------------------------- outputs


def assert_documents(actual: list[dict[str, Any]], expected: dict[str, dict[str, Any]], name: str) -> None:
    """Same ids and field names; strings, lists and ints equal; sums equal to 1e-9 relative."""
    by_id = {doc["_id"]: doc for doc in actual}
    assert len(by_id) == len(actual), f"{name}: repeated _id"
    assert sorted(by_id) == sorted(expected), name
    for key, want in expected.items():
        got = by_id[key]
        assert sorted(got) == sorted(want), (name, key)
        for field_name, value in want.items():
            if isinstance(value, float):
                assert got[field_name] == pytest.approx(value, rel=1e-9, abs=1e-9), (name, key, field_name)
            else:
                assert got[field_name] == value, (name, key, field_name)


def run_values(hdfs: ClusterHdfs, ferretdb: Endpoint, gateway: Endpoint, *, root: str, end: date, database: str,
               push_job: str, **env: str) -> dict[str, Any]:
    """The test's values over values/dev: the in-cluster endpoints, its data scope, a small pod, no Kerberos."""
    return {
        "job": {"activeDeadlineSeconds": 900},
        "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "1536Mi"}},
        **without_kerberos(),
        "metrics": {"pushgateway": {"url": gateway.job_url, "job": push_job}},
        "env": {
            "HDFS_URL": hdfs.rpc_url,
            "INPUT_PATH": root,
            "END_DATE": end.isoformat(),
            "MONGO_URI": ferretdb.job_url,
            "MONGO_DB": database,
            "SPARK_DRIVER_MEMORY": "768m",
            "SPARK_SHUFFLE_PARTITIONS": "2",
            **without_credentials("MONGO_USERNAME", "MONGO_PASSWORD"),
            **env,
        },
    }


Endpoints = tuple[ClusterHdfs, Endpoint, Endpoint]


@pytest.fixture
def endpoints(cluster_services: ClusterServices) -> Endpoints:
    """HDFS, FerretDB and the Pushgateway in the cluster."""
    return cluster_services.hdfs(), cluster_services.get("ferretdb"), cluster_services.get("pushgateway")


# ---------------------------------------------------------------------------------------------- tests


# spark_k8s: make test's e2e of executors as pods; YARN's is test_preprod_values_run_on_yarn_after_a_kerberos_login
@pytest.mark.parametrize("engine", [pytest.param(engine, marks=[pytest.mark.matrix] if engine == "yarn" else [])
                                    for engine in SPARK_ENGINES])
def test_cpueff(endpoints: Endpoints, scope: DataScope, engine: str, kube: Kube, namespace: str,
                cluster_services: ClusterServices, deploy_job: Callable[..., Deployment],
                run_job: Callable[..., JobResult], phase_timer: Any) -> None:
    """Seeded archive -> exact documents and indexes in the four collections; a re-run changes nothing. The same
    on each Spark engine: local mode in the job's pod, executors as pods (which the run leaves none of), and
    executors as YARN containers (one finished application per run, none of its containers left)."""
    hdfs, ferretdb, gateway = endpoints
    today = datetime.now(UTC).date()
    data_assumptions(today)
    start, end = window_for(today)
    root = f"{scope.hdfs_root}/condor/raw/metric"
    started = time.monotonic()
    records, lines = seed(hdfs, root, start, end)
    jobs, counts = counted_jobs(records, start, end)
    expected = expected_collections(jobs)
    phase_timer.add({"seed inputs": time.monotonic() - started})

    push_job = scope.push_job(JOB)
    pushed_after = time.time()
    values = run_values(hdfs, ferretdb, gateway, root=root, end=end, database=scope.database, push_job=push_job)
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
    assert mongo.collections(ferretdb, scope.database) == list(COLLECTIONS)
    after_first = {name: mongo.documents(ferretdb, scope.database, name) for name in COLLECTIONS}
    for name in ("condor_main", "condor_detailed", "condor_tiers"):
        assert_documents(after_first[name], expected[name], name)
    for name in COLLECTIONS:
        assert mongo.indexes(ferretdb, scope.database, name) == INDEXES[name], name
    # Malformed lines are skipped and counted (the original lost them silently); re-deliveries count once.
    malformed = MALFORMED_PER_DAY * len(days(start, end))
    source = {
        "_id": "source_timestamp", "createdAt": end.isoformat(), "startDate": start.isoformat(),
        "endDate": end.isoformat(), "inputPath": root, "partitions": len(days(start, end)) + 2, "missingDays": [],
        "lines": lines, "malformed": malformed, "inWindow": counts["in_window"], "selected": counts["selected"],
        "jobs": len(jobs),
    }
    assert after_first["source_timestamp"] == [source]
    stats = logs.event(first, "input read")
    duplicates = counts["selected"] - len(jobs)
    assert (stats["lines"], stats["malformed"], stats["duplicates"]) == (lines, malformed, duplicates)
    assert duplicates >= LATE_REDELIVERED
    pushed = metrics.pushed(gateway, push_job)
    assert pushed["push_time_seconds"] >= pushed_after  # this run's push, not a previous session's
    assert pushed["cronjob_last_status"] == 1
    assert pushed["cronjob_records_in"] == lines - malformed
    assert pushed["cronjob_records_out"] == sum(len(docs) for docs in expected.values()) + 1
    phase_timer.add({"checks": time.monotonic() - started})

    second = run_job(deployment)
    assert second.succeeded, second.summary()
    assert mongo.collections(ferretdb, scope.database) == list(COLLECTIONS)
    assert {name: mongo.documents(ferretdb, scope.database, name) for name in COLLECTIONS} == after_first


@pytest.mark.parametrize("engine", ["local", pytest.param("spark_k8s", marks=pytest.mark.matrix),
                                    pytest.param("yarn", marks=pytest.mark.matrix)])
def test_missing_day_partition_fails(endpoints: Endpoints, scope: DataScope, engine: str, kube: Kube,
                                     namespace: str, cluster_services: ClusterServices,
                                     deploy_job: Callable[..., Deployment],
                                     run_job: Callable[..., JobResult]) -> None:
    """A window day without its directory fails the run with a one-line reason; nothing is written. With
    executors on Kubernetes or YARN, the failed run leaves no executor behind."""
    hdfs, ferretdb, gateway = endpoints
    start, end = window_for(datetime.now(UTC).date())
    root = f"{scope.hdfs_root}/condor/raw/metric"
    missing = start + timedelta(days=11)
    seed(hdfs, root, start, end, skip=[missing])

    values = run_values(hdfs, ferretdb, gateway, root=root, end=end, database=scope.database,
                        push_job=scope.push_job(JOB))
    prepare_spark_engine(engine, kube, namespace, cluster_services)
    deployment = deploy_job(JOB, env="dev", values=on_spark_engine(engine, values))
    submitted = time.time()
    result = run_job(deployment)
    assert not result.succeeded
    assert result.exit_code == 1, result.summary()
    reason = (f"{JOB}: failed: input partition {root}/{missing:%Y/%m/%d} for day {missing} of the window "
              f"{start}..{end} (exclusive) is missing or empty (1 day(s) missing); set ALLOW_MISSING_DAYS=1 "
              f"to aggregate without them")
    assert reason in result.summary().splitlines(), result.summary()
    assert mongo.collections(ferretdb, scope.database) == []
    if engine == "spark_k8s":
        assert len(spark.executor_pods_scheduled(kube, namespace)) >= 2
        assert spark.executor_pods_left(kube, namespace) == []
    if engine == "yarn":
        [run] = yarn.finished_runs(cluster_services.yarn(), JOB, submitted, count=1)
        assert len(run.executors) == 2, run  # the two asked for, none replaced after a failure


def preprod_values(ferretdb: Endpoint, gateway: Endpoint, *, root: str, end: date, database: str,
                   push_job: str) -> dict[str, Any]:
    """The test's values over values/preprod: the test site's endpoints where the values name them directly (MongoDB,
    the Pushgateway; HDFS, YARN and the KDC come from the ConfigMaps the values mount, production_site), this test's
    data scope, the test site's differences (on_test_site) and a small pod."""
    return on_test_site({
        "job": {"activeDeadlineSeconds": 900},
        "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "1536Mi"}},
        "metrics": {"pushgateway": {"url": gateway.job_url, "job": push_job}},
        "env": {"INPUT_PATH": root, "END_DATE": end.isoformat(), "MONGO_URI": ferretdb.job_url, "MONGO_DB": database,
                "SPARK_DRIVER_MEMORY": "768m", "SPARK_SHUFFLE_PARTITIONS": "2",
                **without_credentials("MONGO_USERNAME", "MONGO_PASSWORD")},
    })


@pytest.mark.usefixtures("production_site")
def test_preprod_values_run_on_yarn_after_a_kerberos_login(endpoints: Endpoints, scope: DataScope, kube: Kube,
                                                           namespace: str, cluster_services: ClusterServices,
                                                           deploy_job: Callable[..., Deployment],
                                                           run_job: Callable[..., JobResult]) -> None:
    """values/preprod as written — kinit from the keytab Secret, HDFS as hdfs://analytix and YARN from the site's
    Hadoop client configuration, the driver on fixed ports — on the test site: the init container logs in at the
    KDC once per run, the executors are YARN containers, and the collections are exactly those of local mode."""
    hdfs, ferretdb, gateway = endpoints
    kdc = cluster_services.kdc()
    today = datetime.now(UTC).date()
    start, end = window_for(today)
    root = f"{scope.hdfs_root}/condor/raw/metric"
    records, _ = seed(hdfs, root, start, end)
    expected = expected_collections(counted_jobs(records, start, end)[0])
    values = preprod_values(ferretdb, gateway, root=root, end=end, database=scope.database,
                            push_job=scope.push_job(JOB))
    deployment = deploy_job(JOB, env="preprod", values=values)
    logins = kdc.tickets_issued("cmsmonit@CERN.CH")
    submitted = time.time()
    result = run_job(deployment)
    assert result.succeeded, result.summary()
    assert kdc.tickets_issued("cmsmonit@CERN.CH") == logins + 1
    [run] = yarn.finished_runs(cluster_services.yarn(), JOB, submitted, count=1)
    assert len(run.executors) == 2, run
    assert mongo.collections(ferretdb, scope.database) == list(COLLECTIONS)
    for name in ("condor_main", "condor_detailed", "condor_tiers"):
        assert_documents(mongo.documents(ferretdb, scope.database, name), expected[name], name)


@pytest.mark.parametrize(("keytab", "reason"), [
    ("someone-else", "kinit: Keytab contains no suitable keys for cmsmonit@CERN.CH while getting initial credentials"),
    pytest.param("not-a-keytab", "kinit: Unsupported key table format version number while getting initial credentials",
                 marks=pytest.mark.matrix),
])
@pytest.mark.usefixtures("production_site")
def test_a_wrong_keytab_fails_the_run_before_the_job_starts(endpoints: Endpoints, scope: DataScope, keytab: str,
                                                            reason: str, kube: Kube, namespace: str,
                                                            cluster_services: ClusterServices,
                                                            deploy_job: Callable[..., Deployment],
                                                            run_job: Callable[..., JobResult]) -> None:
    """values/preprod with the keytab of another principal, or a file that is no keytab, in the Secret: the kinit
    init container fails with kinit's one-line reason, the job's container never starts, nothing is written."""
    _, ferretdb, gateway = endpoints
    _, end = window_for(datetime.now(UTC).date())
    root = f"{scope.hdfs_root}/condor/raw/metric"
    wrong = cluster_services.kdc().keytab("someone-else@CERN.CH") if keytab == "someone-else" else b"no keytab\n"
    kube.put_secret(namespace, KEYTAB_SECRET, {"keytab": wrong})
    values = preprod_values(ferretdb, gateway, root=root, end=end, database=scope.database,
                            push_job=scope.push_job(JOB))
    result = run_job(deploy_job(JOB, env="preprod", values=values))
    assert not result.succeeded
    assert result.exit_code is None, result.summary()  # the job's own container never ran
    assert [line for source, text in result.logs.items() if source.endswith("/kinit")
            for line in text.splitlines()] == [reason], result.summary()
    assert mongo.collections(ferretdb, scope.database) == []


def test_dry_run_writes_nothing(endpoints: Endpoints, scope: DataScope,
                                deploy_job: Callable[..., Deployment],
                                run_job: Callable[..., JobResult]) -> None:
    """DRY_RUN=1 reads and aggregates, logs what it would write, and writes no collection and no metrics."""
    hdfs, ferretdb, gateway = endpoints
    start, end = window_for(datetime.now(UTC).date())
    root = f"{scope.hdfs_root}/condor/raw/metric"
    push_job = scope.push_job(JOB)
    records, _ = seed(hdfs, root, start, end)
    expected = expected_collections(counted_jobs(records, start, end)[0])

    deployment = deploy_job(JOB, env="dev", values=run_values(hdfs, ferretdb, gateway, root=root, end=end,
                                                   database=scope.database, push_job=push_job, DRY_RUN="1"))
    result = run_job(deployment)
    assert result.succeeded, result.summary()
    would_write = {fields["target"]: int(fields["records"]) for fields in logs.events(result, "dry run: would write")}
    assert would_write == {
        **{f"mongodb collection {scope.database}.{name}": len(docs) for name, docs in expected.items()},
        f"mongodb collection {scope.database}.source_timestamp": 1,
    }
    assert mongo.collections(ferretdb, scope.database) == []
    assert metrics.pushed(gateway, push_job) == {}


@pytest.mark.fault
def test_mongodb_killed_mid_write_then_a_rerun_leaves_exactly_the_expected_collections(
        endpoints: Endpoints, cluster: Cluster, kube: Kube, cluster_services: ClusterServices, scope: DataScope,
        deploy_job: Callable[..., Deployment], run_job: Callable[..., JobResult]) -> None:
    """FerretDB's container is killed (SIGKILL) once the first documents are in, and the kubelet restarts it.
    A collection is only ever seen whole (jobkit writes a staging collection and renames it in), whether the
    run rides the kill out with retries or fails with one line; a re-run leaves exactly the four expected
    collections, with no staging or old collection left over (0 lost, 0 duplicated)."""
    hdfs, ferretdb, gateway = endpoints
    start, end = window_for(datetime.now(UTC).date())
    root = f"{scope.hdfs_root}/condor/raw/metric"
    records, _ = seed(hdfs, root, start, end)
    expected = expected_collections(counted_jobs(records, start, end)[0])
    # One document per insert: the ~360 documents take hundreds of requests, so the kill lands mid-write.
    deployment = deploy_job(JOB, env="dev", values=run_values(hdfs, ferretdb, gateway, root=root, end=end,
                                                              database=scope.database, push_job=scope.push_job(JOB),
                                                              MONGO_BATCH_SIZE="1"))
    selector = "app.kubernetes.io/name=ferretdb"
    service = faults.running_container(kube, SERVICES, selector)

    def documents_in() -> int:
        with mongo.client(ferretdb) as client:
            database = client[scope.database]
            return sum(database[name].count_documents({}) for name in database.list_collection_names())

    job = jobrun.trigger(kube, deployment.namespace, deployment.cronjob)
    seen = wait_until(documents_in, timeout=600, interval=0.05, what=f"the first documents in {scope.database}")
    killed = faults.kill(cluster, service)
    result = jobrun.wait(kube, deployment.namespace, job, timeout=900)
    faults.wait_restarted(kube, SERVICES, selector, service)
    back = time.monotonic() - killed
    ferretdb = cluster_services.get("ferretdb")  # the port-forward ended with the container
    visible = [name for name in mongo.collections(ferretdb, scope.database) if name in expected]
    for name in visible:  # a collection under its own name is complete, even after a failed run
        assert_documents(mongo.documents(ferretdb, scope.database, name), expected[name], name)

    outcome = faults.outcome_under_fault(result, JOB, f"mongodb collection {scope.database}.")
    rerun = run_job(deployment)
    assert rerun.succeeded, rerun.summary()
    assert mongo.collections(ferretdb, scope.database) == list(COLLECTIONS)
    for name, docs in expected.items():
        assert_documents(mongo.documents(ferretdb, scope.database, name), docs, name)
    total = sum(len(docs) for docs in expected.values())
    print(f"FIGURE fault ferretdb killed mid-write: {seen} of {total} documents in at the kill; back and Ready "
          f"{back:.1f}s later; the run {outcome}; complete collections visible after it: {visible or 'none'}; "
          f"after the re-run {total} of {total}, 0 lost, 0 duplicated")
