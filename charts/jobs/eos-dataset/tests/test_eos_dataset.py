"""Success test of eos-dataset: EOS reports and a DBS dump in HDFS -> the job in the cluster -> day partitions
of a parquet dataset on HDFS and dataset totals CSVs on a PersistentVolumeClaim.

The expected rows and totals are computed here, in plain Python over the generators' records, from the
rules the README states (column mapping, the join on ``/eos/cms`` + LOGICAL_FILE_NAME, accounts starting
with ``cms`` left out, units); nothing is imported from the job's code. Deployed over values/dev (no host
network, Spark in local mode in the pod, Kerberos login switched off) against HDFS and the Pushgateway in the
cluster; the CSVs go to a claim in place of EOS and are read back through a pod of the job's image.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from harness.checks import files, hdfs, logs, metrics
from harness.checks.volume import claim_reader, create_claim
from harness.cluster.base import Cluster
from harness.datagen import dbs, eos
from harness.datagen.writers import HdfsSink
from harness.deploy import Deployment, without_kerberos
from harness.jobrun import JobResult
from harness.pytest.scope import DataScope
from harness.services.hdfs import webhdfs_client
from harness.services.incluster import ClusterHdfs, ClusterServices, Endpoint

pytestmark = pytest.mark.e2e

JOB = "eos-dataset"
SEED = 24
CATALOG_FILES = 300
PER_DAY = 400
MALFORMED_PER_DAY = 3
DAY1, DAY2 = date(2026, 11, 1), date(2026, 11, 2)
DBS_DAY = date(2026, 11, 3)
MIB = 1024 * 1024
OUTPUT_DIR = "/output"
CLAIM = "eos-dataset-totals"
# The README's column mapping: dataset column <- report field (timestamp comes from metadata).
COLUMNS = {"rb_max": "rb_max", "session": "td", "file_lfn": "path", "application": "sec.app", "rt": "rt",
           "wt": "wt", "rb": "rb", "wb": "wb", "cts": "cts", "csize": "csize", "user": "sec.name",
           "user_dn": "sec.info"}


# ---------------------------------------------------------------------------------------------- inputs


class Inputs:
    """Where the test's inputs and outputs live (all under the test's HDFS root)."""

    def __init__(self, scope: DataScope) -> None:
        self.eos = f"{scope.hdfs_root}/eos-report/logs/cms"
        self.dbs = f"{scope.hdfs_root}/dbs/PROD_GLOBAL"
        self.dataset = f"{scope.hdfs_root}/cms/eos/full.parquet"

    def seed(self, service: ClusterHdfs, days: Iterable[date]) -> dict[date, list[dict[str, Any]]]:
        """Write the DBS dump and each day's reports (with malformed lines); return the valid records by day."""
        sink = HdfsSink(webhdfs_client(service))
        dbs.write(sink, SEED, CATALOG_FILES, DBS_DAY, root=self.dbs)
        written = {}
        for day in days:
            eos.write(sink, SEED, PER_DAY, day, catalog_files=CATALOG_FILES, corrupt=MALFORMED_PER_DAY, root=self.eos)
            written[day] = list(eos.records(SEED, PER_DAY, day, catalog_files=CATALOG_FILES))
        return written


# ---------------------------------------------------------------------------------------------- expectations


def partition_rows(records: Iterable[dict[str, Any]]) -> list[str]:
    """The rows a day partition holds, from the README's mapping, as sorted JSON texts (order-free equality)."""
    rows = [{"timestamp": r["metadata"]["timestamp"], **{col: r["data"][field] for col, field in COLUMNS.items()}}
            for r in records]
    return sorted(json.dumps(row, sort_keys=True) for row in rows)


def expected_totals(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The totals CSV rows, from the README's rules, in the file's order (dataset, then application)."""
    datasets = {row["DATASET_ID"]: row["DATASET"] for row in dbs.records("DATASETS", SEED, CATALOG_FILES, DBS_DAY)}
    dataset_of = {row["LOGICAL_FILE_NAME"]: datasets[row["DATASET_ID"]]
                  for row in dbs.records("FILES", SEED, CATALOG_FILES, DBS_DAY)}
    groups: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"sessions": set(), "rb": 0, "wb": 0, "rt": Decimal(0), "wt": Decimal(0)})
    for record in records:
        data = record["data"]
        path = data["path"]
        if not path.startswith("/eos/cms") or path[len("/eos/cms"):] not in dataset_of:
            continue
        if data["sec.name"].startswith("cms"):
            continue
        group = groups[(dataset_of[path[len("/eos/cms"):]], data["sec.app"])]
        group["sessions"].add(data["td"])
        group["rb"] += int(data["rb"])
        group["wb"] += int(data["wb"])
        group["rt"] += Decimal(data["rt"])
        group["wt"] += Decimal(data["wt"])
    return [
        {"": i, "d_dataset": dataset, "application": app, "nevents": len(g["sessions"]),
         "total_rb": g["rb"] / MIB, "total_wb": g["wb"] / MIB, "total_rt": float(Fraction(g["rt"]) / 1000),
         "total_wt": float(Fraction(g["wt"]) / 1000), "data_tier": dataset.rsplit("/", 1)[1]}
        for i, ((dataset, app), g) in enumerate(sorted(groups.items()))
    ]


def read_totals(data: bytes) -> list[dict[str, Any]]:
    """The CSV's rows with numbers parsed (compared exactly: the job's sums are exact before the division)."""
    ints, floats = ("", "nevents"), ("total_rb", "total_wb", "total_rt", "total_wt")
    return [{k: int(v) if k in ints else float(v) if k in floats else v for k, v in row.items()}
            for row in files.csv_rows(data.decode())]


def stored_partition(service: ClusterHdfs, dataset: str, day: date) -> list[str]:
    """The rows of one stored day partition, as :func:`partition_rows` gives them."""
    return sorted(json.dumps(row, sort_keys=True) for row in hdfs.read_parquet(service, f"{dataset}/day={day:%Y%m%d}"))


def partitions(service: ClusterHdfs, dataset: str) -> dict[str, list[str]]:
    """``{partition directory: [parquet files]}`` of the dataset (which files: a re-run must not touch others)."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in hdfs.files(service, dataset):
        if path.endswith(".parquet"):
            found[path.split("/")[-2]].append(path.split("/")[-1])
    return dict(found)


# ---------------------------------------------------------------------------------------------- fixtures


Endpoints = tuple[ClusterHdfs, Endpoint]


@pytest.fixture
def endpoints(cluster_services: ClusterServices) -> Endpoints:
    """HDFS and the Pushgateway in the cluster."""
    return cluster_services.hdfs(), cluster_services.get("pushgateway")


@pytest.fixture
def claim(cluster: Cluster, namespace: str) -> str:
    """The CSVs' volume: an empty claim in the test's namespace (deleted with it)."""
    create_claim(cluster, namespace, CLAIM)
    return CLAIM


def csvs(cluster: Cluster, deployment: Deployment) -> dict[str, bytes]:
    """Every file in the CSVs' claim by name, read through a pod of the job's own image."""
    with claim_reader(cluster, deployment.namespace, CLAIM, image=str(deployment.image)) as volume:
        return {name: volume.read(name) for name in volume.files()}


def run_values(service: ClusterHdfs, gateway: Endpoint, scope: DataScope, inputs: Inputs, day: date,
               **env: str) -> dict[str, Any]:
    """The test's values over values/dev: the in-cluster endpoints, its data scope, the CSVs on a claim instead
    of EOS, a small pod, no Kerberos login (the test cluster has no KDC)."""
    return {
        "job": {"activeDeadlineSeconds": 900, "backoffLimit": 0},
        "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "1536Mi"}},
        "metrics": {"pushgateway": {"url": gateway.job_url, "job": scope.push_job(JOB)}},
        **without_kerberos(eos={"enabled": False},
                           totals={"type": "pvc", "claimName": CLAIM, "mountPath": OUTPUT_DIR}),
        "env": {
            "HDFS_URL": service.rpc_url,
            "DATE": day.isoformat(),
            "EOS_PATH": inputs.eos,
            "DBS_PATH": inputs.dbs,
            "PARQUET_LOCATION": inputs.dataset,
            "OUTPUT_DIR": OUTPUT_DIR,
            "SPARK_DRIVER_MEMORY": "768m",
            "SPARK_SHUFFLE_PARTITIONS": "2",
            **env,
        },
    }


def csv_name(day: date) -> str:
    return f"dataset_totals_{day:%Y%m%d}_{day:%Y%m%d}.csv"


# ---------------------------------------------------------------------------------------------- tests


def test_eos_dataset(endpoints: Endpoints, scope: DataScope, claim: str, cluster: Cluster,
                     deploy_job: Callable[..., Deployment], run_job: Callable[..., JobResult],
                     phase_timer: Any) -> None:
    """Day 1 -> exact partition and CSVs; a dry run of day 2 writes nothing; day 2 adds its partition and
    keeps day 1; re-running day 1 replaces only day 1 (no duplicates, day 2's files untouched)."""
    service, gateway = endpoints
    inputs = Inputs(scope)
    started = time.monotonic()
    records = inputs.seed(service, [DAY1, DAY2])
    phase_timer.add({"seed inputs": time.monotonic() - started})

    def deploy(day: date, **env: str) -> Deployment:
        return deploy_job(JOB, env="dev", values=run_values(service, gateway, scope, inputs, day, **env))

    # Day 1: its partition holds exactly its valid reports; the CSVs hold its totals.
    pushed_after = time.time()
    deployment = deploy(DAY1)
    first = run_job(deployment)
    assert first.succeeded and first.exit_code == 0, first.summary()
    assert partitions(service, inputs.dataset).keys() == {"day=20261101"}
    assert stored_partition(service, inputs.dataset, DAY1) == partition_rows(records[DAY1])
    day1_totals = expected_totals(records[DAY1])
    assert len(day1_totals) > 5
    first_csvs = csvs(cluster, deployment)
    assert read_totals(first_csvs[csv_name(DAY1)]) == day1_totals
    assert read_totals(first_csvs["dataset_totals_rolling_year.csv"]) == day1_totals
    # Malformed lines are skipped and counted.
    assert logs.event(first, "input read") == {"lines": PER_DAY + MALFORMED_PER_DAY, "malformed": MALFORMED_PER_DAY,
                                               "days": 1}
    pushed = metrics.pushed(gateway, scope.push_job(JOB))
    assert pushed["push_time_seconds"] >= pushed_after  # this run's push, not an earlier one's
    assert pushed["cronjob_last_status"] == 1
    assert pushed["cronjob_records_in"] == PER_DAY and pushed["cronjob_records_out"] == PER_DAY
    first_files = partitions(service, inputs.dataset)

    # A dry run of day 2 reads and computes, logs what it would write, and writes and pushes nothing.
    dry = run_job(deploy(DAY2, DRY_RUN="1"))
    assert dry.succeeded, dry.summary()
    would = {fields["target"]: fields for fields in logs.events(dry, "dry run: would write")}
    assert would[f"parquet {inputs.dataset}"]["rows"] == PER_DAY
    assert would[f"parquet {inputs.dataset}"]["partitions"] == ["day=20261102"]
    both_totals = expected_totals(records[DAY1] + records[DAY2])
    assert would[f"csv {OUTPUT_DIR}/{csv_name(DAY2)}"]["rows"] == len(expected_totals(records[DAY2]))
    assert would[f"csv {OUTPUT_DIR}/dataset_totals_rolling_year.csv"]["rows"] == len(both_totals)
    assert partitions(service, inputs.dataset) == first_files
    assert csvs(cluster, deployment) == first_csvs
    assert metrics.pushed(gateway, scope.push_job(JOB))["push_time_seconds"] == pushed["push_time_seconds"]

    # Day 2 adds its partition and keeps day 1's; the rolling year now covers both days.
    second = run_job(deploy(DAY2))
    assert second.succeeded, second.summary()
    after_second = partitions(service, inputs.dataset)
    assert after_second.keys() == {"day=20261101", "day=20261102"}
    assert after_second["day=20261101"] == first_files["day=20261101"]
    assert stored_partition(service, inputs.dataset, DAY1) == partition_rows(records[DAY1])
    assert stored_partition(service, inputs.dataset, DAY2) == partition_rows(records[DAY2])
    second_csvs = csvs(cluster, deployment)
    assert read_totals(second_csvs[csv_name(DAY2)]) == expected_totals(records[DAY2])
    assert read_totals(second_csvs["dataset_totals_rolling_year.csv"]) == both_totals
    assert second_csvs[csv_name(DAY1)] == first_csvs[csv_name(DAY1)]

    # Re-running day 1 replaces day 1's partition only: no duplicate rows, day 2's files untouched.
    third = run_job(deploy(DAY1))
    assert third.succeeded, third.summary()
    after_third = partitions(service, inputs.dataset)
    assert after_third.keys() == {"day=20261101", "day=20261102"}
    assert after_third["day=20261102"] == after_second["day=20261102"]
    assert stored_partition(service, inputs.dataset, DAY1) == partition_rows(records[DAY1])
    assert stored_partition(service, inputs.dataset, DAY2) == partition_rows(records[DAY2])
    third_csvs = csvs(cluster, deployment)
    assert third_csvs[csv_name(DAY1)] == first_csvs[csv_name(DAY1)]
    # The rolling year is the year ending with the run's period, so it no longer includes day 2.
    assert read_totals(third_csvs["dataset_totals_rolling_year.csv"]) == day1_totals


def test_missing_day_fails(endpoints: Endpoints, scope: DataScope, claim: str, cluster: Cluster,
                           deploy_job: Callable[..., Deployment], run_job: Callable[..., JobResult]) -> None:
    """A day without its report directory fails with exit code 1 and a one-line reason; nothing is written."""
    service, gateway = endpoints
    inputs = Inputs(scope)
    inputs.seed(service, [DAY1])
    deployment = deploy_job(JOB, env="dev", values=run_values(service, gateway, scope, inputs, DAY2))
    result = run_job(deployment)
    assert not result.succeeded
    assert result.exit_code == 1, result.summary()
    reason = (f"{JOB}: failed: no EOS reports for {DAY2}: {inputs.eos}/2026/11/02 is missing or empty "
              f"(1 of 1 day(s) missing); set ALLOW_MISSING_DAYS=1 to process the other days")
    assert reason in result.summary(), result.summary()
    assert hdfs.files(service, inputs.dataset) == []
    assert csvs(cluster, deployment) == {}
