"""jobkit's HDFS outputs against a real NameNode + DataNode: a WebHDFS file replaced on every run
(no temporary file left), and Spark (local master, driver bound to 127.0.0.1 on fixed ports) writing
parquet to a day directory and to ``day=`` partitions, where a re-run replaces only its own partition.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from harness.process import distinct_free_ports
from harness.services.hdfs import Hdfs
from jobkit.config import load
from jobkit.sinks.base import WriteResult
from jobkit.sinks.spark_hdfs import day_path, write_parquet
from jobkit.sinks.webhdfs import WEBHDFS_VARS, WebHdfsFileSink, webhdfs_client_from_config
from jobkit.spark import SPARK_VARS, build_session

pytestmark = pytest.mark.e2e

ROWS: list[dict[str, Any]] = [
    {"RSE_ID": "a1b2", "f_dataset_id": 11, "SCOPE": "cms", "tally_day": "2026-11-01", "rep_size": 1024},
    {"RSE_ID": "a1b2", "f_dataset_id": 12, "SCOPE": "cms", "tally_day": "2026-11-01", "rep_size": 2048},
    {"RSE_ID": "c3d4", "f_dataset_id": 11, "SCOPE": "cms", "tally_day": "2026-11-01", "rep_size": 4096},
]


@pytest.fixture(scope="module")
def hdfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hdfs]:
    service = Hdfs(root=tmp_path_factory.mktemp("hdfs"))
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def webhdfs(hdfs: Hdfs) -> Any:
    return webhdfs_client_from_config(load(WEBHDFS_VARS, {"WEBHDFS_URL": hdfs.webhdfs_url, "HDFS_USER": "cmsmon"}))


DRIVER_PORT, BLOCKMANAGER_PORT = distinct_free_ports(2)


@pytest.fixture(scope="module")
def spark(hdfs: Hdfs) -> Iterator[Any]:
    environ = {"SPARK_MASTER": "local[2]", "SPARK_LOCAL_IP": "127.0.0.1", "HDFS_URL": hdfs.rpc_url,
               "SPARK_DRIVER_PORT": str(DRIVER_PORT), "SPARK_BLOCKMANAGER_PORT": str(BLOCKMANAGER_PORT),
               "SPARK_DRIVER_MEMORY": "512m"}
    session = build_session(load(SPARK_VARS, environ), "jobkit-e2e")
    yield session
    session.stop()


def test_driver_listens_on_its_fixed_ports_on_loopback_only(spark: Any) -> None:
    out = subprocess.run(["ss", "-Hltn"], capture_output=True, text=True, check=True).stdout
    listening = {line.split()[3] for line in out.splitlines()}
    for port in (DRIVER_PORT, BLOCKMANAGER_PORT):
        bound = {a.rsplit(":", 1)[0] for a in listening if a.rsplit(":", 1)[1] == str(port)}
        # The JVM's dual-stack socket shows 127.0.0.1 in its IPv4-mapped form; either way only loopback.
        assert len(bound) == 1 and bound <= {"127.0.0.1", "[::ffff:127.0.0.1]"}, bound


def test_webhdfs_file_is_replaced(webhdfs: Any) -> None:
    sink = WebHdfsFileSink(webhdfs, "/cms/reports/2026/11/usage.csv", "csv", ("RSE_ID", "rep_size"))
    assert sink.write([{"RSE_ID": "a", "rep_size": 1}, {"RSE_ID": "b", "rep_size": 2}]) == WriteResult(
        "hdfs file /cms/reports/2026/11/usage.csv", 2)
    sink.write([{"RSE_ID": "c", "rep_size": 3}])
    with webhdfs.read("/cms/reports/2026/11/usage.csv") as reader:
        assert reader.read() == b"RSE_ID,rep_size\nc,3\n"
    assert webhdfs.list("/cms/reports/2026/11") == ["usage.csv"]


def test_day_directory_is_replaced(spark: Any, hdfs: Hdfs) -> None:
    path = day_path(f"{hdfs.rpc_url}/cms/rucio", date(2026, 11, 1))
    assert path.endswith("/cms/rucio/2026/11/01")
    assert write_parquet(spark.createDataFrame(ROWS), path).written == 3
    assert write_parquet(spark.createDataFrame(ROWS[:2]), path).written == 2
    back = sorted((row.asDict() for row in spark.read.parquet(path).collect()), key=repr)
    assert back == sorted(ROWS[:2], key=repr)


def test_day_directory_is_swapped_in_and_a_killed_runs_leftovers_are_recovered(spark: Any, hdfs: Hdfs,
                                                                                webhdfs: Any) -> None:
    """What a run killed mid-write leaves, as the next run finds it: a half-written staging directory beside the
    previous output (killed before the swap), or the previous output under the old name and none under the
    day's (killed between the two renames). Either way the next write leaves exactly its rows and nothing else."""
    path = day_path(f"{hdfs.rpc_url}/cms/swap", date(2026, 11, 1))
    write_parquet(spark.createDataFrame(ROWS), path)
    assert webhdfs.list("/cms/swap/2026/11") == ["01"]  # staged beside, swapped in, old copy deleted

    webhdfs.write("/cms/swap/2026/11/.01.jobkit-new/part-00000-half.snappy.parquet", data=b"PAR1 half")
    assert sorted(row.asDict()["rep_size"] for row in spark.read.parquet(path).collect()) == [1024, 2048, 4096]
    write_parquet(spark.createDataFrame(ROWS[:1]), path)
    assert [row.asDict() for row in spark.read.parquet(path).collect()] == ROWS[:1]
    assert webhdfs.list("/cms/swap/2026/11") == ["01"]

    webhdfs.rename("/cms/swap/2026/11/01", "/cms/swap/2026/11/.01.jobkit-old")  # killed between the renames
    write_parquet(spark.createDataFrame(ROWS[1:]), path)
    assert sorted((row.asDict() for row in spark.read.parquet(path).collect()), key=repr) == sorted(ROWS[1:], key=repr)
    assert webhdfs.list("/cms/swap/2026/11") == ["01"]


def test_dynamic_partition_overwrite_keeps_other_days(spark: Any, hdfs: Hdfs, webhdfs: Any) -> None:
    base = f"{hdfs.rpc_url}/cms/eos-dataset"
    day1 = [{**r, "day": "2026-11-01"} for r in ROWS]
    day2 = [{**r, "day": "2026-11-02", "rep_size": r["rep_size"] + 1} for r in ROWS]
    write_parquet(spark.createDataFrame(day1 + day2), base, partition_by=("day",))
    rerun_day1 = [{**ROWS[0], "day": "2026-11-01", "rep_size": 7}]
    assert write_parquet(spark.createDataFrame(rerun_day1), base, partition_by=("day",)).written == 1
    # The partition column is read back typed (a date); compare its text.
    back = {(str(row["day"]), row["f_dataset_id"], row["RSE_ID"], row["rep_size"])
            for row in spark.read.parquet(base).collect()}
    assert back == {(r["day"], r["f_dataset_id"], r["RSE_ID"], r["rep_size"]) for r in rerun_day1 + day2}
    assert sorted(webhdfs.list("/cms/eos-dataset")) == ["day=2026-11-01", "day=2026-11-02"]


def test_dry_run_writes_nothing(spark: Any, hdfs: Hdfs, webhdfs: Any) -> None:
    result = write_parquet(spark.createDataFrame(ROWS), f"{hdfs.rpc_url}/cms/dry", dry_run=True)
    assert result == WriteResult(f"parquet {hdfs.rpc_url}/cms/dry", 3, dry_run=True)
    assert webhdfs.status("/cms/dry", strict=False) is None
