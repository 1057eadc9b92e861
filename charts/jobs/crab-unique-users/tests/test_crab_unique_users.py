"""Success test of crab-unique-users: condor records in HDFS -> the job in the cluster -> CSV and PNG files.

The expected CSV files are computed here, in plain Python over the generator's records, from the rules
the README states (window, neighbour and ``.tmp`` partitions, the selection, months and ISO weeks,
distinct users); nothing is imported from the job's code.

Deployed over values/dev (no host network, Spark in local mode in the pod; dev's EOS host mount and Kerberos
login switched off) against HDFS and the Pushgateway in the cluster; the output area is a
PersistentVolumeClaim read back (and damaged before a re-run) through pods of the job's own image.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from harness import faults, jobrun
from harness.checks import files, logs, metrics
from harness.checks.volume import ClaimReader, claim_reader, create_claim
from harness.cluster.base import Cluster
from harness.datagen import condor
from harness.datagen.archive import day_dir
from harness.datagen.writers import HdfsSink, text_lines
from harness.deploy import Deployment, without_kerberos
from harness.jobrun import JobResult
from harness.kube import Kube
from harness.pytest.scope import DataScope
from harness.services.hdfs import webhdfs_client
from harness.services.incluster import ClusterHdfs, ClusterServices, Endpoint
from harness.waiting import wait_until

pytestmark = pytest.mark.e2e

JOB = "crab-unique-users"
SEED = 27
PER_DAY = 30
MALFORMED_PER_DAY = 1
LATE = 20
# Two months across a year boundary: ISO week 2026-W01 starts on Mon 2025-12-29, so the last window days
# belong to ISO year 2026 and the chart labels carry years.
START, END = date(2025, 11, 1), date(2026, 1, 1)
# The window's last day arrives not yet compacted, in <day>.tmp.
TMP_DAY = date(2025, 12, 31)
MOUNT = "/output"
CLAIM = "crab-unique-users-output"
OUTPUT_SUBDIR = "crab_uu"
PNG_SIZE = (1800, 850)  # FIGSIZE 18 x 8.5 inches at 100 dpi (README)
GROUPINGS = ("month", "weekofyear")
BAR_RGB = (31, 119, 180)  # the bars' colour, matplotlib's tab:blue (README)
COUNT = "count_CRAB_UserHN"


# ---------------------------------------------------------------------------------------------- inputs


def assert_bars_show(heights: list[int], counts: list[int]) -> None:
    """The chart has one bar per row, left to right, each as tall as its count relative to the largest
    (within two pixels: each bar's and the tallest bar's edges are rounded to whole pixels)."""
    assert len(heights) == len(counts), (heights, counts)
    tallest, most = max(heights), max(counts)
    assert all(abs(height - count * tallest / most) <= 2.5 for height, count in zip(heights, counts, strict=True)), (
        heights, counts)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def seed(hdfs: ClusterHdfs, root: str, start: date, end: date, skip: Iterable[date] = ()) -> list[dict[str, Any]]:
    """Write the window's days and one neighbour on each side; return every valid record written.

    Each day has its own seed (so its own CRAB users) and PER_DAY records (about 1% re-deliveries); each
    window day also has MALFORMED_PER_DAY malformed lines; TMP_DAY (when inside) goes to ``<day>.tmp``;
    the day after the window holds LATE records of the window's last day, archived late (counted).
    """
    sink = HdfsSink(webhdfs_client(hdfs))
    written: list[dict[str, Any]] = []
    for k, day in enumerate([start - timedelta(days=1), *days(start, end), end]):
        if day in skip:
            continue
        corrupt = MALFORMED_PER_DAY if start <= day < end else 0
        directory = day_dir(root, day) + (".tmp" if day == TMP_DAY else "")
        sink.put(f"{directory}/part-00000.json", text_lines(condor.lines(SEED + k, PER_DAY, day, corrupt=corrupt)))
        written.extend(condor.records(SEED + k, PER_DAY, day))
    last = end - timedelta(days=1)
    late = list(condor.records(SEED + 1000, LATE, last))
    sink.put(f"{day_dir(root, end)}/part-late.json", text_lines(condor.lines(SEED + 1000, LATE, last)))
    return [*written, *late]


# ---------------------------------------------------------------------------------------------- expectations


def midnight_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


def selected(records: Iterable[dict[str, Any]], start: date, end: date) -> list[dict[str, Any]]:
    """The README's selection: completed analysis jobs at T2 sites other than CERN, RecordTime in the window."""
    low, high = midnight_ms(start), midnight_ms(end)
    return [
        r["data"] for r in records
        if r["data"]["Status"] == "Completed" and r["data"]["Type"] == "analysis"
        and re.search(r"^T2_.*$", r["data"]["Site"]) and not re.search(r".*_CERN.*", r["data"]["Site"])
        and low <= r["data"]["RecordTime"] < high
    ]


def expected_csv(records: Iterable[dict[str, Any]], start: date, end: date) -> dict[str, str]:
    """The text of both CSV files: distinct users per (year, month) and per (ISO year, ISO week)."""
    users: dict[str, dict[tuple[int, int], set[str]]] = {grouping: defaultdict(set) for grouping in GROUPINGS}
    for data in selected(records, start, end):
        if data.get("CRAB_UserHN") is None:
            continue
        day = datetime.fromtimestamp(data["RecordTime"] / 1000, UTC).date()
        iso = day.isocalendar()
        users["month"][(day.year, day.month)].add(data["CRAB_UserHN"])
        users["weekofyear"][(iso.year, iso.week)].add(data["CRAB_UserHN"])
    return {
        grouping: f"year,{grouping},{COUNT}\n" + "".join(f"{y},{p},{len(u)}\n" for (y, p), u in sorted(periods.items()))
        for grouping, periods in users.items()
    }


def stem(grouping: str, start: date, end: date) -> str:
    return f"UniqueUsersBy_{grouping}_{start:%Y%m%d}-{end:%Y%m%d}"


def expected_names(start: date, end: date) -> set[str]:
    """Every name the output directory holds after a run: the dated files and the _latest links."""
    return {f"{prefix}.{ext}" for grouping in GROUPINGS for ext in ("csv", "png")
            for prefix in (stem(grouping, start, end), f"UniqueUsersBy_{grouping}_latest")}


# ---------------------------------------------------------------------------------------------- fixtures


Endpoints = tuple[ClusterHdfs, Endpoint]


@pytest.fixture
def endpoints(cluster_services: ClusterServices) -> Endpoints:
    """HDFS and the Pushgateway in the cluster."""
    return cluster_services.hdfs(), cluster_services.get("pushgateway")


@pytest.fixture
def claim(cluster: Cluster, namespace: str) -> str:
    """The output area: an empty claim in the test's namespace (deleted with it)."""
    create_claim(cluster, namespace, CLAIM)
    return CLAIM


def output(cluster: Cluster, deployment: Deployment, writable: bool = False
           ) -> contextlib.AbstractContextManager[ClaimReader]:
    """The output claim's files, through a pod of the job's own image (any cluster's nodes can pull it)."""
    return claim_reader(cluster, deployment.namespace, CLAIM, image=str(deployment.image), writable=writable)


def run_values(hdfs: ClusterHdfs, gateway: Endpoint, scope: DataScope, *, root: str, start: date, end: date,
               **env: str) -> dict[str, Any]:
    """The test's values over values/dev: the in-cluster endpoints, its data scope, the output claim, a small
    pod; dev's EOS host mount and Kerberos login are left out (the test cluster has neither)."""
    return {
        "job": {"activeDeadlineSeconds": 900},
        "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "1536Mi"}},
        "metrics": {"pushgateway": {"url": gateway.job_url, "job": scope.push_job(JOB)}},
        **without_kerberos(eos={"enabled": False}, output={"type": "pvc", "claimName": CLAIM, "mountPath": MOUNT}),
        "env": {
            "HDFS_URL": hdfs.rpc_url,
            "INPUT_PATH": root,
            "START_DATE": start.isoformat(),
            "END_DATE": end.isoformat(),
            "OUTPUT_DIR": f"{MOUNT}/{OUTPUT_SUBDIR}",
            "SPARK_DRIVER_MEMORY": "768m",
            "SPARK_SHUFFLE_PARTITIONS": "4",
            **env,
        },
    }


# ---------------------------------------------------------------------------------------------- tests


def test_crab_unique_users(endpoints: Endpoints, scope: DataScope, claim: str, cluster: Cluster, tmp_path: Path,
                           deploy_job: Callable[..., Deployment], run_job: Callable[..., JobResult],
                           phase_timer: Any) -> None:
    """Seeded archive -> exact CSVs, PNGs of the stated size, _latest links; a re-run replaces them unchanged."""
    hdfs, gateway = endpoints
    root = f"{scope.hdfs_root}{condor.ROOT}"
    started = time.monotonic()
    records = seed(hdfs, root, START, END)
    expected = expected_csv(records, START, END)
    phase_timer.add({"seed inputs": time.monotonic() - started})

    pushed_after = time.time()
    deployment = deploy_job(JOB, env="dev", values=run_values(hdfs, gateway, scope, root=root, start=START, end=END))
    first = run_job(deployment)
    assert first.succeeded, first.summary()
    assert first.exit_code == 0

    started = time.monotonic()
    # Exactly the dated files and the links; no temporary file left behind.
    links = {f"UniqueUsersBy_{g}_latest.{ext}": f"{stem(g, START, END)}.{ext}"
             for g in GROUPINGS for ext in ("csv", "png")}
    with output(cluster, deployment) as volume:
        assert volume.listing(OUTPUT_SUBDIR) == {**{name: "file" for name in links.values()}, **links}
        for grouping in GROUPINGS:
            assert volume.text(f"{OUTPUT_SUBDIR}/{stem(grouping, START, END)}.csv") == expected[grouping], grouping
            png = tmp_path / f"{stem(grouping, START, END)}.png"
            png.write_bytes(volume.read(f"{OUTPUT_SUBDIR}/{png.name}"))
            assert files.png_size(png) == PNG_SIZE
            assert_bars_show(files.png_bars(png, BAR_RGB), [int(line.rsplit(",", 1)[1])
                                                            for line in expected[grouping].splitlines()[1:]])
    # The window crosses into ISO year 2026: its last days are week 2026-W01, not a week 1 of 2025.
    assert expected["weekofyear"].splitlines()[-1].startswith("2026,1,")
    # Malformed lines are skipped and counted; every line of every partition read is seen.
    picked = selected(records, START, END)
    stats = logs.event(first, "input read")
    assert stats["malformed"] == MALFORMED_PER_DAY * len(days(START, END))
    assert stats["lines"] == len(records) + stats["malformed"]
    assert stats["selected"] == len(picked)
    assert stats["users"] == len({data["CRAB_UserHN"] for data in picked})
    rows = sum(len(text.splitlines()) - 1 for text in expected.values())
    pushed = metrics.pushed(gateway, scope.push_job(JOB))
    assert pushed["push_time_seconds"] >= pushed_after  # this run's push, not an earlier one
    assert pushed["cronjob_last_status"] == 1
    assert pushed["cronjob_records_in"] == len(records)
    assert pushed["cronjob_records_out"] == rows
    phase_timer.add({"checks": time.monotonic() - started})

    # A re-run replaces the files (a damaged one included) with the same bytes.
    with output(cluster, deployment, writable=True) as volume:
        before = {name: volume.read(f"{OUTPUT_SUBDIR}/{name}") for name in expected_names(START, END)}
        volume.write(f"{OUTPUT_SUBDIR}/{stem('month', START, END)}.csv", b"damaged\n")
    second = run_job(deployment)
    assert second.succeeded, second.summary()
    with output(cluster, deployment) as volume:
        assert {name: volume.read(f"{OUTPUT_SUBDIR}/{name}") for name in expected_names(START, END)} == before
        assert set(volume.listing(OUTPUT_SUBDIR)) == expected_names(START, END)


def test_missing_day_partition_fails(endpoints: Endpoints, scope: DataScope, claim: str, cluster: Cluster,
                                     deploy_job: Callable[..., Deployment],
                                     run_job: Callable[..., JobResult]) -> None:
    """A window day without its directory fails the run with a one-line reason; no file is written."""
    hdfs, gateway = endpoints
    root = f"{scope.hdfs_root}{condor.ROOT}"
    start, end = date(2025, 11, 3), date(2025, 11, 10)
    missing = date(2025, 11, 6)
    seed(hdfs, root, start, end, skip=[missing])

    deployment = deploy_job(JOB, env="dev", values=run_values(hdfs, gateway, scope, root=root, start=start, end=end))
    result = run_job(deployment)
    assert not result.succeeded
    assert result.exit_code == 1, result.summary()
    reason = (f"{JOB}: failed: input partition {day_dir(root, missing)} for day {missing} of the window "
              f"{start}..{end} (exclusive) is missing or empty (1 day(s) missing); "
              f"set ALLOW_MISSING_DAYS=1 to count without them")
    assert reason in result.summary(), result.summary()
    with output(cluster, deployment) as volume:
        assert volume.listing(OUTPUT_SUBDIR) == {}


def test_dry_run_writes_nothing(endpoints: Endpoints, scope: DataScope, claim: str, cluster: Cluster,
                                deploy_job: Callable[..., Deployment],
                                run_job: Callable[..., JobResult]) -> None:
    """DRY_RUN=1 reads and counts, logs the files it would write, and writes no file and no metrics."""
    hdfs, gateway = endpoints
    root = f"{scope.hdfs_root}{condor.ROOT}"
    start, end = date(2025, 11, 3), date(2025, 11, 10)
    expected = expected_csv(seed(hdfs, root, start, end), start, end)

    deployment = deploy_job(JOB, env="dev", values=run_values(hdfs, gateway, scope, root=root, start=start, end=end,
                                                   DRY_RUN="1"))
    result = run_job(deployment)
    assert result.succeeded, result.summary()
    would_write = {fields["target"]: fields["records"] for fields in logs.events(result, "dry run: would write")}
    rows = {grouping: len(text.splitlines()) - 1 for grouping, text in expected.items()}
    assert would_write == {f"file {MOUNT}/{OUTPUT_SUBDIR}/{stem(g, start, end)}.{ext}": rows[g]
                           for g in GROUPINGS for ext in ("csv", "png")}
    with output(cluster, deployment) as volume:
        assert volume.listing() == {}
    assert metrics.pushed(gateway, scope.push_job(JOB)) == {}


def first_file_in(directory: Path) -> str | None:
    """The name of a file the job has finished (not a hidden temporary) in ``directory``, if any."""
    with contextlib.suppress(FileNotFoundError):
        return next((entry.name for entry in os.scandir(directory) if not entry.name.startswith(".")), None)
    return None


@pytest.mark.fault
def test_volume_full_mid_write_leaves_only_whole_files_and_a_rerun_converges(
        endpoints: Endpoints, scope: DataScope, cluster: Cluster, kube: Kube, namespace: str, tmp_path: Path,
        deploy_job: Callable[..., Deployment], run_job: Callable[..., JobResult]) -> None:
    """The output volume runs out of space (as an EOS quota does) once the run's first file is in. The run fails
    with one line naming the file it could not write; a reader finds only whole files, links that point at
    files and no temporary; with the space given back a re-run leaves exactly the expected files."""
    hdfs, gateway = endpoints
    root = f"{scope.hdfs_root}{condor.ROOT}"
    expected = expected_csv(seed(hdfs, root, START, END), START, END)
    with faults.quota_volume(cluster, namespace, CLAIM, size_mib=16) as area:
        deployment = deploy_job(JOB, env="dev", values=run_values(hdfs, gateway, scope, root=root, start=START,
                                                                  end=END))
        job = jobrun.trigger(kube, namespace, deployment.cronjob)
        first = wait_until(lambda: first_file_in(area / OUTPUT_SUBDIR), timeout=600, interval=0.02,
                           what=f"the job's first file in {area / OUTPUT_SUBDIR}")
        filler = faults.fill(area)
        result = jobrun.wait(kube, namespace, job, timeout=900)
        outcome = faults.outcome_under_fault(result, JOB, f"{MOUNT}/{OUTPUT_SUBDIR}/")
        assert outcome.endswith(": No space left on device"), outcome

        with output(cluster, deployment) as volume:
            seen = volume.listing(OUTPUT_SUBDIR)
            assert set(seen) <= expected_names(START, END), f"a temporary or stray file is visible: {seen}"
            assert all(seen.get(target) == "file" for target in seen.values() if target != "file"), seen
            for grouping in GROUPINGS:
                name = f"{stem(grouping, START, END)}.csv"
                if name in seen:
                    assert volume.text(f"{OUTPUT_SUBDIR}/{name}") == expected[grouping], name
                png = tmp_path / f"{stem(grouping, START, END)}.png"
                if png.name in seen:
                    png.write_bytes(volume.read(f"{OUTPUT_SUBDIR}/{png.name}"))
                    assert files.png_size(png) == PNG_SIZE, png.name

        filler.unlink()
        rerun = run_job(deployment)
        assert rerun.succeeded, rerun.summary()
        with output(cluster, deployment) as volume:
            assert set(volume.listing(OUTPUT_SUBDIR)) == expected_names(START, END)
            for grouping in GROUPINGS:
                assert volume.text(f"{OUTPUT_SUBDIR}/{stem(grouping, START, END)}.csv") == expected[grouping]
                png = tmp_path / f"{stem(grouping, START, END)}.png"
                png.write_bytes(volume.read(f"{OUTPUT_SUBDIR}/{png.name}"))
                assert files.png_size(png) == PNG_SIZE
    rows = sum(len(text.splitlines()) - 1 for text in expected.values())
    print(f"FIGURE fault volume full mid-write (crab-unique-users): filled once {first} was in; the run {outcome}; "
          f"a reader found {len(seen)} entr{'y' if len(seen) == 1 else 'ies'}, each whole, no temporary; after the "
          f"re-run {len(expected_names(START, END))} of {len(expected_names(START, END))} files, {rows} of {rows} "
          "rows, 0 lost, 0 duplicated")
