"""Success test of eos-dataset: EOS reports and a DBS dump in HDFS -> the job in the cluster -> day partitions
of a parquet dataset on HDFS and dataset totals CSVs on a host volume.

The expected rows and totals are computed here, in plain Python over the generators' records, from the
rules the README states (column mapping, the join on ``/eos/cms`` + LOGICAL_FILE_NAME, accounts starting
with ``cms`` left out, units); nothing is imported from the job's code.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from harness.checks import files, hdfs, logs, metrics
from harness.datagen import dbs, eos
from harness.datagen.writers import HdfsSink
from harness.deploy import Deployment
from harness.jobrun import JobResult
from harness.pytest.scope import DataScope
from harness.services.hdfs import Hdfs, webhdfs_client
from harness.services.pool import ServicePool
from harness.services.pushgateway import Pushgateway

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

    def seed(self, service: Hdfs, days: Iterable[date]) -> dict[date, list[dict[str, Any]]]:
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


def read_totals(path: Path) -> list[dict[str, Any]]:
    """The CSV's rows with numbers parsed (compared exactly: the job's sums are exact before the division)."""
    ints, floats = ("", "nevents"), ("total_rb", "total_wb", "total_rt", "total_wt")
    return [{k: int(v) if k in ints else float(v) if k in floats else v for k, v in row.items()}
            for row in files.read_csv(path)]


def stored_partition(service: Hdfs, dataset: str, day: date) -> list[str]:
    """The rows of one stored day partition, as :func:`partition_rows` gives them."""
    return sorted(json.dumps(row, sort_keys=True) for row in hdfs.read_parquet(service, f"{dataset}/day={day:%Y%m%d}"))


def partitions(service: Hdfs, dataset: str) -> dict[str, list[str]]:
    """``{partition directory: [parquet files]}`` of the dataset (which files: a re-run must not touch others)."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in hdfs.files(service, dataset):
        if path.endswith(".parquet"):
            found[path.split("/")[-2]].append(path.split("/")[-1])
    return dict(found)


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def endpoints(services: ServicePool) -> tuple[Hdfs, Pushgateway]:
    service, gateway = services.get("hdfs"), services.get("pushgateway")
    assert isinstance(service, Hdfs) and isinstance(gateway, Pushgateway)
    return service, gateway


def run_values(service: Hdfs, gateway: Pushgateway, scope: DataScope, inputs: Inputs, day: date,
               **env: str) -> dict[str, Any]:
    """Chart values for a test run: host network to reach the loopback services, local Spark, small pod,
    the CSVs on the test's host volume instead of EOS."""
    return {
        "pod": {"hostNetwork": True},
        "job": {"activeDeadlineSeconds": 900, "backoffLimit": 0},
        "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "1536Mi"}},
        "metrics": {"pushgateway": {"url": gateway.url, "job": scope.push_job(JOB)}},
        "persistence": {
            "eos": {"enabled": False},
            "totals": {"type": "hostPath", "path": str(scope.volume), "mountPath": OUTPUT_DIR},
        },
        "env": {
            "HDFS_URL": service.rpc_url,
            "DATE": day.isoformat(),
            "EOS_PATH": inputs.eos,
            "DBS_PATH": inputs.dbs,
            "PARQUET_LOCATION": inputs.dataset,
            "OUTPUT_DIR": OUTPUT_DIR,
            "SPARK_MASTER": "local[2]",
            "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_DRIVER_MEMORY": "768m",
            "SPARK_SHUFFLE_PARTITIONS": "2",
            **env,
        },
    }


def csv_name(day: date) -> str:
    return f"dataset_totals_{day:%Y%m%d}_{day:%Y%m%d}.csv"


# ---------------------------------------------------------------------------------------------- tests


def test_eos_dataset(endpoints: tuple[Hdfs, Pushgateway], scope: DataScope,
                     deploy_job: Callable[..., Deployment], run_job: Callable[..., JobResult],
                     phase_timer: Any) -> None:
    """Day 1 -> exact partition and CSVs; a dry run of day 2 writes nothing; day 2 adds its partition and
    keeps day 1; re-running day 1 replaces only day 1 (no duplicates, day 2's files untouched)."""
    service, gateway = endpoints
    inputs = Inputs(scope)
    started = time.monotonic()
    records = inputs.seed(service, [DAY1, DAY2])
    phase_timer.add({"seed inputs": time.monotonic() - started})
    volume = scope.volume

    def deploy(day: date, **env: str) -> Deployment:
        return deploy_job(JOB, values=run_values(service, gateway, scope, inputs, day, **env))

    # Day 1: its partition holds exactly its valid reports; the CSVs hold its totals.
    pushed_after = time.time()
    first = run_job(deploy(DAY1))
    assert first.succeeded and first.exit_code == 0, first.summary()
    assert partitions(service, inputs.dataset).keys() == {"day=20261101"}
    assert stored_partition(service, inputs.dataset, DAY1) == partition_rows(records[DAY1])
    day1_totals = expected_totals(records[DAY1])
    assert len(day1_totals) > 5
    assert read_totals(volume / csv_name(DAY1)) == day1_totals
    assert read_totals(volume / "dataset_totals_rolling_year.csv") == day1_totals
    # Malformed lines are skipped and counted.
    assert logs.event(first, "input read") == {"lines": PER_DAY + MALFORMED_PER_DAY, "malformed": MALFORMED_PER_DAY,
                                               "days": 1}
    pushed = metrics.pushed(gateway, scope.push_job(JOB))
    assert pushed["push_time_seconds"] >= pushed_after  # this run's push, not an earlier one's
    assert pushed["cronjob_last_status"] == 1
    assert pushed["cronjob_records_in"] == PER_DAY and pushed["cronjob_records_out"] == PER_DAY
    first_files = partitions(service, inputs.dataset)
    first_csvs = {path.name: path.read_bytes() for path in volume.iterdir()}

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
    assert {path.name: path.read_bytes() for path in volume.iterdir()} == first_csvs
    assert metrics.pushed(gateway, scope.push_job(JOB))["push_time_seconds"] == pushed["push_time_seconds"]

    # Day 2 adds its partition and keeps day 1's; the rolling year now covers both days.
    second = run_job(deploy(DAY2))
    assert second.succeeded, second.summary()
    after_second = partitions(service, inputs.dataset)
    assert after_second.keys() == {"day=20261101", "day=20261102"}
    assert after_second["day=20261101"] == first_files["day=20261101"]
    assert stored_partition(service, inputs.dataset, DAY1) == partition_rows(records[DAY1])
    assert stored_partition(service, inputs.dataset, DAY2) == partition_rows(records[DAY2])
    assert read_totals(volume / csv_name(DAY2)) == expected_totals(records[DAY2])
    assert read_totals(volume / "dataset_totals_rolling_year.csv") == both_totals
    assert (volume / csv_name(DAY1)).read_bytes() == first_csvs[csv_name(DAY1)]

    # Re-running day 1 replaces day 1's partition only: no duplicate rows, day 2's files untouched.
    third = run_job(deploy(DAY1))
    assert third.succeeded, third.summary()
    after_third = partitions(service, inputs.dataset)
    assert after_third.keys() == {"day=20261101", "day=20261102"}
    assert after_third["day=20261102"] == after_second["day=20261102"]
    assert stored_partition(service, inputs.dataset, DAY1) == partition_rows(records[DAY1])
    assert stored_partition(service, inputs.dataset, DAY2) == partition_rows(records[DAY2])
    assert (volume / csv_name(DAY1)).read_bytes() == first_csvs[csv_name(DAY1)]
    # The rolling year is the year ending with the run's period, so it no longer includes day 2.
    assert read_totals(volume / "dataset_totals_rolling_year.csv") == day1_totals


def test_missing_day_fails(endpoints: tuple[Hdfs, Pushgateway], scope: DataScope,
                           deploy_job: Callable[..., Deployment], run_job: Callable[..., JobResult]) -> None:
    """A day without its report directory fails with exit code 1 and a one-line reason; nothing is written."""
    service, gateway = endpoints
    inputs = Inputs(scope)
    inputs.seed(service, [DAY1])
    result = run_job(deploy_job(JOB, values=run_values(service, gateway, scope, inputs, DAY2)))
    assert not result.succeeded
    assert result.exit_code == 1, result.summary()
    reason = (f"{JOB}: failed: no EOS reports for {DAY2}: {inputs.eos}/2026/11/02 is missing or empty "
              f"(1 of 1 day(s) missing); set ALLOW_MISSING_DAYS=1 to process the other days")
    assert reason in result.summary(), result.summary()
    assert hdfs.files(service, inputs.dataset) == []
    assert list(scope.volume.iterdir()) == []
