"""HDFS (MiniDFSCluster from Maven Central) started from cold, written and read back through WebHDFS
with the ``hdfs`` client, restarted with its files kept, and stopped with no process or port left.
Start times and resident memory are printed as ``FIGURE`` lines (``-s`` shows them).
"""

from __future__ import annotations

import hashlib
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from harness.services.hdfs import Hdfs, webhdfs_client
from tests.e2e.service_checks import stop_and_check_gone, timed_start

pytestmark = pytest.mark.e2e

# Deterministic contents: a text file, a binary file spanning several packets, and an empty file.
FILES: dict[str, bytes] = {
    "/cms/condor/2026/11/22/part-00000.json": b'{"GlobalJobId": "crab3@vocms0001#1.0", "CpuTimeHr": 1.5}\n' * 100,
    "/cms/condor/2026/11/22/part-00001.bin": random.Random(42).randbytes(3 * 1024 * 1024 + 17),
    "/cms/condor/2026/11/22/_SUCCESS": b"",
}
DAY = "/cms/condor/2026/11/22"




@pytest.fixture(scope="module")
def hdfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hdfs]:
    service = Hdfs(root=tmp_path_factory.mktemp("hdfs"))
    timed_start(service, "cold", extra_ports=True)
    yield service
    stop_and_check_gone(service)
    service.destroy()
    assert not service.root.exists()


def fs_shell(service: Hdfs, *args: str) -> bytes:
    done = subprocess.run(service.fs_shell(*args), capture_output=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def read_all(service: Hdfs) -> dict[str, bytes]:
    client = webhdfs_client(service)
    contents = {}
    for path in FILES:
        with client.read(path) as reader:
            contents[path] = reader.read()
    return contents


def seed(service: Hdfs) -> None:
    client = webhdfs_client(service)
    for path, data in FILES.items():
        client.write(path, data=data, overwrite=True)


def test_write_list_read_back(hdfs: Hdfs) -> None:
    seed(hdfs)
    client = webhdfs_client(hdfs)

    assert sorted(client.list(DAY)) == ["_SUCCESS", "part-00000.json", "part-00001.bin"]
    assert {p: client.status(p)["length"] for p in FILES} == {p: len(d) for p, d in FILES.items()}
    assert {p: hashlib.sha256(d).hexdigest() for p, d in read_all(hdfs).items()} == {
        p: hashlib.sha256(d).hexdigest() for p, d in FILES.items()
    }


def test_webhdfs_redirects_to_loopback_datanode(hdfs: Hdfs) -> None:
    seed(hdfs)
    reply = requests.get(
        f"{hdfs.webhdfs_url}/webhdfs/v1{next(iter(FILES))}",
        params={"op": "OPEN", "user.name": "test"}, allow_redirects=False, timeout=10,
    )
    assert reply.status_code == 307
    location = urlsplit(reply.headers["Location"])
    assert (location.hostname, location.port) == ("127.0.0.1", hdfs.ports["dn_http"])


def test_rpc_clients_read_and_write_through_the_loopback_datanode(hdfs: Hdfs, tmp_path: Path) -> None:
    """Hadoop's own client over hdfs://127.0.0.1:<rpc> (as Spark uses it) sees the same files."""
    seed(hdfs)
    json_path = next(iter(FILES))
    assert fs_shell(hdfs, "-cat", json_path) == FILES[json_path]

    local = tmp_path / "rpc.bin"
    local.write_bytes(random.Random(7).randbytes(1024 * 1024 + 3))
    fs_shell(hdfs, "-put", str(local), "/cms/rpc.bin")
    with webhdfs_client(hdfs).read("/cms/rpc.bin") as reader:
        assert reader.read() == local.read_bytes()


def test_restart_keeps_files(hdfs: Hdfs) -> None:
    seed(hdfs)
    stop_and_check_gone(hdfs)
    timed_start(hdfs, "warm", extra_ports=True)
    assert read_all(hdfs) == FILES
    assert sorted(webhdfs_client(hdfs).list(DAY)) == ["_SUCCESS", "part-00000.json", "part-00001.bin"]
