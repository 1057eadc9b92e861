"""Success test of hpc-usage: condor records in HDFS -> the job in the cluster -> monthly CSV + HTML files.

The expected rows are computed here, in plain Python over the generator's records, from the rules the
README states (window, HPC site rules, one Completed record per job, 12-minute bins, decimal half-up
rounding, zero-filled days); nothing is imported from the job's code.

Deployed the way dev deploys it (values/dev under the test's values: no host network, Spark in local mode in
the pod) against HDFS and the Pushgateway in the cluster; the report directory is a PersistentVolumeClaim of
the cluster's default StorageClass (in place of dev's EOS host mount), read back through the Kubernetes API
(a reader pod running the job's own image), so the same test passes on any cluster.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from typing import Any

import pytest

from harness.checks import files, logs, metrics
from harness.checks.volume import ClaimReader, claim_reader, create_claim
from harness.cluster.base import Cluster
from harness.datagen import condor
from harness.datagen.archive import day_dir, to_line
from harness.datagen.writers import HdfsSink, text_lines
from harness.deploy import Deployment, without_kerberos
from harness.jobrun import JobResult
from harness.pytest.scope import DataScope
from harness.services.hdfs import webhdfs_client
from harness.services.incluster import ClusterHdfs, ClusterServices, Endpoint

pytestmark = pytest.mark.e2e

JOB = "hpc-usage"
SEED = 83
PER_DAY = 80
MALFORMED_PER_DAY = 1
LATE = 30
LATE_DAYS = 2  # the job's default
MOUNT = "/report"
CLAIM = "hpc-usage-report"
SITES = ("ANL", "ANVIL", "BSC", "CINECA", "HOREKA", "NERSC", "OSG", "PSC", "RWTH", "SDSC", "TACC", "VEGA", "CHULA")
WHOLE_SITES = {"T3_US_ANL": "ANL", "T3_US_Anvil": "ANVIL", "T3_US_NERSC": "NERSC", "T3_US_OSG": "OSG",
               "T3_US_PSC": "PSC", "T3_US_SDSC": "SDSC", "T3_US_TACC": "TACC"}
DAILY_COLUMNS = ["Site", "month", "dayofmonth", "sum CoreHr", "running_cores_daily_avg"]
MONTHLY_COLUMNS = ["Site", "month", "sum CoreHr", "running_cores_monthly_avg"]


# ---------------------------------------------------------------------------------------------- inputs


def default_window(today: date) -> tuple[date, date]:
    """The README's default window: first day of the previous month (of the last day) to today - 2."""
    end = today - timedelta(days=2)
    last_month_end = (end - timedelta(days=1)).replace(day=1) - timedelta(days=1)
    return last_month_end.replace(day=1), end


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def midnight_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


def clear_partitions(hdfs: ClusterHdfs, root: str, start: date, end: date) -> None:
    """Remove every day directory the job may read for this window (leftovers of earlier runs or dates)."""
    client = webhdfs_client(hdfs)
    for day in days(start - timedelta(days=LATE_DAYS), end + timedelta(days=LATE_DAYS)):
        client.delete(day_dir(root, day), recursive=True)


def seed(hdfs: ClusterHdfs, root: str, start: date, end: date, skip: Iterable[date] = ()) -> list[dict[str, Any]]:
    """Write a realistic archive around the window and return every valid record written.

    - each window day: PER_DAY records (about 1% re-deliveries) and MALFORMED_PER_DAY malformed lines;
    - the day before the window: records outside the window (read as a late neighbour, all ignored);
    - the day after the window (``end``, never after today): its own records (ignored) plus LATE records of
      the window's last day archived late (counted).
    """
    sink = HdfsSink(webhdfs_client(hdfs))
    written: list[dict[str, Any]] = []
    for day in [start - timedelta(days=1), *days(start, end), end]:
        if day in skip:
            continue
        corrupt = MALFORMED_PER_DAY if start <= day < end else 0
        condor.write(sink, SEED, PER_DAY, day, corrupt=corrupt, root=root, parts=1)
        written.extend(condor.records(SEED, PER_DAY, day))
    late = list(condor.records(SEED + 1, LATE, end - timedelta(days=1)))
    sink.put(f"{root}/{end:%Y/%m/%d}/part-late.json", text_lines(map(to_line, late)))
    return [*written, *late]


# ---------------------------------------------------------------------------------------------- expectations


def hpc_site(site: str, subsite: str | None) -> str | None:
    """The README's HPC site rules."""
    if site in WHOLE_SITES:
        return WHOLE_SITES[site]
    sub = subsite or ""
    if (site.endswith("_ES_PIC") or site.endswith("_ES_PIC_BSC")) and sub == "PIC-BSC":
        return "BSC"
    rules = [("CINECA", "T1_IT_CNAF", sub in ("CNAF-CINECA", "CNAF-LEONARDO")),
             ("HOREKA", "T1_DE_KIT", sub == "KIT-HOREKA"), ("RWTH", "T2_DE_RWTH", sub == "RWTH-HPC"),
             ("VEGA", "T1_IT_CNAF", sub == "CNAF-VEGA"), ("CHULA", "T1_IT_CNAF", "CHULA" in sub)]
    for name, grid_site, matches in rules:
        if site == grid_site and matches:
            return name
    return None


def half_up(value: Decimal, step: str) -> Decimal:
    return value.quantize(Decimal(step), rounding=ROUND_HALF_UP)


def hpc_records(records: Iterable[dict[str, Any]], start: date, end: date) -> list[tuple[str, dict[str, Any]]]:
    """(site, data) of the records that count: HPC site, Running or Completed, RecordTime in the window."""
    low, high = midnight_ms(start), midnight_ms(end)
    selected = []
    for record in records:
        data = record["data"]
        site = hpc_site(data["Site"], data.get("MachineAttrCMSSubSiteName0"))
        if site and data["Status"] in ("Running", "Completed") and low <= data["RecordTime"] < high:
            selected.append((site, data))
    return selected


def expected_files(records: Iterable[dict[str, Any]], start: date, end: date
                   ) -> dict[str, tuple[list[dict[str, str]], list[dict[str, str]]]]:
    """{month: (daily rows, monthly rows)} from the README's rules, independently of the job's code."""
    first_completed: dict[str, tuple[int, str, Decimal]] = {}
    bin_cores: dict[tuple[str, date, int, str], Decimal] = {}
    for site, data in hpc_records(records, start, end):
        day = datetime.fromtimestamp(data["RecordTime"] // 1000, UTC).date()
        if data["Status"] == "Completed":
            core_hours = Decimal(repr(float(data["CoreHr"])))  # the exact decimal of the JSON text
            candidate = (data["RecordTime"], site, core_hours)
            first_completed[data["GlobalJobId"]] = min(first_completed.get(data["GlobalJobId"], candidate), candidate)
        else:
            key = (site, day, data["RecordTime"] // 1000 // 720, data["GlobalJobId"])
            cpus = Decimal(repr(float(data.get("RequestCpus") or 1)))
            bin_cores[key] = max(bin_cores.get(key, cpus), cpus)
    core_sum: dict[tuple[str, date], Decimal] = {}
    for record_ms, site, core_hours in first_completed.values():
        site_day = (site, datetime.fromtimestamp(record_ms // 1000, UTC).date())
        core_sum[site_day] = core_sum.get(site_day, Decimal(0)) + core_hours
    cores_sum: dict[tuple[str, date], Decimal] = {}
    for (site, day, _, _), cpus in bin_cores.items():
        cores_sum[(site, day)] = cores_sum.get((site, day), Decimal(0)) + cpus
    months: dict[str, list[date]] = {}
    for day in days(start, end):
        months.setdefault(f"{day:%Y-%m}", []).append(day)
    files = {}
    for month, month_days in months.items():
        daily, monthly = [], []
        for site in SITES:
            hours = [half_up(half_up(core_sum.get((site, day), Decimal(0)), "1e-9"), "0.1") for day in month_days]
            cores = [half_up(cores_sum.get((site, day), Decimal(0)) / 120, "0.1") for day in month_days]
            daily += [{"Site": site, "month": month, "dayofmonth": str(day.day), "sum CoreHr": str(h),
                       "running_cores_daily_avg": str(c)} for day, h, c in zip(month_days, hours, cores, strict=True)]
            monthly.append({"Site": site, "month": month, "sum CoreHr": str(half_up(sum(hours, Decimal(0)), "0.01")),
                            "running_cores_monthly_avg": str(half_up(sum(cores, Decimal(0)) / len(cores), "0.01"))})
        files[month] = (daily, monthly)
    return files


# ---------------------------------------------------------------------------------------------- outputs


class Tables(HTMLParser):
    """The tables of an HTML page by id: {id: [row cells, ...]} (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._table is not None and self._cell is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_rows(page: str, table_id: str) -> list[dict[str, str]]:
    parser = Tables()
    parser.feed(page)
    header, *rows = parser.tables[table_id]
    return [dict(zip(header, row, strict=True)) for row in rows]


# ---------------------------------------------------------------------------------------------- fixtures


Endpoints = tuple[ClusterHdfs, Endpoint]


@pytest.fixture
def endpoints(cluster_services: ClusterServices) -> Endpoints:
    """HDFS and the Pushgateway in the cluster."""
    return cluster_services.hdfs(), cluster_services.get("pushgateway")


@pytest.fixture
def claim(cluster: Cluster, namespace: str) -> str:
    """The report volume: an empty claim in the test's namespace (deleted with it)."""
    create_claim(cluster, namespace, CLAIM)
    return CLAIM


def report(cluster: Cluster, deployment: Deployment) -> contextlib.AbstractContextManager[ClaimReader]:
    """The report claim's files, read by a pod of the job's own image (any cluster's nodes can pull it)."""
    return claim_reader(cluster, deployment.namespace, CLAIM, image=str(deployment.image))


def run_values(services: Endpoints, *, root: str, push_job: str, **env: str) -> dict[str, Any]:
    """The test's values over values/dev: the in-cluster endpoints, its data scope, the report claim, a small
    pod; dev's EOS host mount and Kerberos login are left out (the test cluster has neither)."""
    hdfs, gateway = services
    return {
        "job": {"activeDeadlineSeconds": 900},
        "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "1536Mi"}},
        "metrics": {"pushgateway": {"url": gateway.job_url, "job": push_job}},
        **without_kerberos(eos={"enabled": False}, report={"type": "pvc", "claimName": CLAIM, "mountPath": MOUNT}),
        "env": {
            "HDFS_URL": hdfs.rpc_url,
            "INPUT_PATH": root,
            "OUTPUT_DIR": MOUNT,
            "SPARK_DRIVER_MEMORY": "768m",
            "SPARK_SHUFFLE_PARTITIONS": "2",
            **env,
        },
    }


def short_window(today: date) -> tuple[date, date]:
    """Four days from the first of the previous month: a small window for the failure and dry-run tests."""
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return start, start + timedelta(days=4)


# ---------------------------------------------------------------------------------------------- tests


def test_hpc_usage(endpoints: Endpoints, scope: DataScope, claim: str, cluster: Cluster,
                   deploy_job: Callable[..., Deployment], run_job: Callable[..., JobResult],
                   phase_timer: Any) -> None:
    """Default window -> exact CSV and HTML per month; a re-run leaves byte-identical files."""
    hdfs, gateway = endpoints
    start, end = default_window(datetime.now(UTC).date())
    root = f"{scope.hdfs_root}/condor/raw/metric"
    started = time.monotonic()
    clear_partitions(hdfs, root, start, end)
    records = seed(hdfs, root, start, end)
    expected = expected_files(records, start, end)
    phase_timer.add({"seed inputs": time.monotonic() - started})

    push_job = scope.push_job(JOB)
    pushed_after = time.time()
    deployment = deploy_job(JOB, env="dev", values=run_values(endpoints, root=root, push_job=push_job))
    first = run_job(deployment)
    assert first.succeeded, first.summary()
    assert first.exit_code == 0

    started = time.monotonic()
    with report(cluster, deployment) as volume:
        assert volume.files() == sorted([*(f"csv/{m}.csv" for m in expected), *(f"html/{m}.html" for m in expected)])
        for month, (daily, monthly) in expected.items():
            rows = files.csv_rows(volume.text(f"csv/{month}.csv"))
            assert list(rows[0]) == DAILY_COLUMNS
            assert rows == daily, month
            page = volume.text(f"html/{month}.html")
            assert html_rows(page, "daily") == daily, month
            assert html_rows(page, "monthly") == monthly, month
        before = volume.digests()
    # Some site-days must be non-zero, or the comparison above proves little.
    assert any(row["sum CoreHr"] != "0.0" for daily, _ in expected.values() for row in daily)
    assert any(row["running_cores_daily_avg"] != "0.0" for daily, _ in expected.values() for row in daily)

    stats = logs.event(first, "input read")
    assert stats["malformed"] == MALFORMED_PER_DAY * len(days(start, end))
    assert stats["hpc_records"] == len(hpc_records(records, start, end))
    assert stats["lines"] == len(records) + stats["malformed"]
    pushed = metrics.pushed(gateway, push_job)
    assert pushed["push_time_seconds"] >= pushed_after
    assert pushed["cronjob_last_status"] == 1
    assert pushed["cronjob_records_in"] == len(records)
    assert pushed["cronjob_records_out"] == sum(len(daily) for daily, _ in expected.values())
    phase_timer.add({"checks": time.monotonic() - started})

    second = run_job(deployment)
    assert second.succeeded, second.summary()
    with report(cluster, deployment) as volume:
        assert volume.digests() == before


def test_missing_day_partition_fails(endpoints: Endpoints, scope: DataScope, claim: str, cluster: Cluster,
                                     deploy_job: Callable[..., Deployment],
                                     run_job: Callable[..., JobResult]) -> None:
    """A window day without its directory fails the run with a one-line reason; no file is written."""
    hdfs, _ = endpoints
    start, end = short_window(datetime.now(UTC).date())
    root = f"{scope.hdfs_root}/condor/raw/metric"
    missing = start + timedelta(days=2)
    clear_partitions(hdfs, root, start, end)
    seed(hdfs, root, start, end, skip=[missing])

    values = run_values(endpoints, root=root, push_job=scope.push_job(JOB), START_DATE=start.isoformat(),
                        END_DATE=end.isoformat())
    deployment = deploy_job(JOB, env="dev", values=values)
    result = run_job(deployment)
    assert not result.succeeded
    assert result.exit_code == 1, result.summary()
    reason = (f"{JOB}: failed: input partition {root}/{missing:%Y/%m/%d} for day {missing} of the window "
              f"{start}..{end} (exclusive) is missing or empty (1 day(s) missing); set ALLOW_MISSING_DAYS=1 "
              f"to report without them")
    assert reason in result.summary(), result.summary()
    with report(cluster, deployment) as volume:
        assert volume.digests() == {}


def test_dry_run_writes_nothing(endpoints: Endpoints, scope: DataScope, claim: str, cluster: Cluster,
                                deploy_job: Callable[..., Deployment],
                                run_job: Callable[..., JobResult]) -> None:
    """DRY_RUN=1 reads and computes, logs the files it would write, and writes no file and no metrics."""
    hdfs, gateway = endpoints
    start, end = short_window(datetime.now(UTC).date())
    root = f"{scope.hdfs_root}/condor/raw/metric"
    push_job = scope.push_job(JOB)
    clear_partitions(hdfs, root, start, end)
    expected = expected_files(seed(hdfs, root, start, end), start, end)

    values = run_values(endpoints, root=root, push_job=push_job, DRY_RUN="1", START_DATE=start.isoformat(),
                        END_DATE=end.isoformat())
    deployment = deploy_job(JOB, env="dev", values=values)
    result = run_job(deployment)
    assert result.succeeded, result.summary()
    (month, (daily, monthly)), = expected.items()
    would_write = {fields["target"]: fields["records"] for fields in logs.events(result, "dry run: would write")}
    assert would_write == {f"file {MOUNT}/csv/{month}.csv": len(daily),
                           f"file {MOUNT}/html/{month}.html": len(daily) + len(monthly)}
    with report(cluster, deployment) as volume:
        assert volume.digests() == {}
    assert metrics.pushed(gateway, push_job) == {}
