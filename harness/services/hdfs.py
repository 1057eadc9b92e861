"""HDFS for tests: one NameNode and one DataNode (Hadoop's MiniDFSCluster) on 127.0.0.1.

The cluster comes from Maven Central (``org.apache.hadoop:hadoop-client-minicluster``) and runs
through a small launcher (tools/maven/hdfs/HdfsLauncher.java) that fixes every port on loopback and
keeps the file system under the service's data directory: the first start formats it, later starts
reuse it, so files survive a restart. Clients reach it over RPC (``hdfs://127.0.0.1:<rpc>``, Spark)
or WebHDFS (``http://127.0.0.1:<http>/webhdfs/v1``, the ``hdfs`` Python package); WebHDFS redirects
to the DataNode at 127.0.0.1 as well.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any, ClassVar

import requests
from hdfs import InsecureClient

from harness.services.base import HOST, Service
from harness.services.maven import compile_launcher, java_argv, resolve
from harness.toolchain.versions import pinned

LAUNCHER = "hdfs"


class Hdfs(Service):
    """NameNode + DataNode; ports: rpc, http (NameNode web + WebHDFS), and the DataNode's three."""

    name = "hdfs"
    default_ports: ClassVar[dict[str, int]] = {
        "rpc": 0, "http": 0, "dn_transfer": 0, "dn_http": 0, "dn_ipc": 0,
    }
    start_timeout = 180.0

    def _classpath(self) -> tuple[Path, Path]:
        version = pinned("services-java", "hadoop")
        lib = resolve(
            "hdfs", version,
            [
                f"org.apache.hadoop:hadoop-client-minicluster:{version}",
                # Hadoop logs through SLF4J; without a binding a failed start would say nothing.
                f"org.slf4j:slf4j-simple:{pinned('services-java', 'slf4j')}",
            ],
        )
        return compile_launcher(LAUNCHER, lib), lib

    def prepare(self) -> None:
        self._classpath()

    def _formatted(self) -> bool:
        return any(self.data_dir.glob("name*/current/VERSION"))

    def argv(self) -> list[str]:
        classes, lib = self._classpath()
        ports = [str(self.ports[r]) for r in ("rpc", "http", "dn_transfer", "dn_http", "dn_ipc")]
        # Only a directory without a file system image is formatted: a restart keeps the files.
        fmt = "false" if self._formatted() else "true"
        # Jetty unpacks the NameNode/DataNode web apps into java.io.tmpdir: keep them with the service.
        tmp = self.root / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        return java_argv(
            "HdfsLauncher", [str(self.data_dir), *ports, fmt], classes, lib,
            # Warnings only, plus the cluster's own start/stop lines: Hadoop logs every request at INFO.
            options=[f"-Djava.io.tmpdir={tmp}",
                     "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                     "-Dorg.slf4j.simpleLogger.log.org.apache.hadoop.hdfs.MiniDFSCluster=info",
                     "-Dorg.slf4j.simpleLogger.showDateTime=true"],
        )

    @property
    def rpc_url(self) -> str:
        """The file system URI for RPC clients (Spark, hadoop fs): ``hdfs://127.0.0.1:<rpc>``."""
        return f"hdfs://{HOST}:{self.ports['rpc']}"

    @property
    def webhdfs_url(self) -> str:
        """The NameNode's HTTP address, as the ``hdfs`` package's clients want it."""
        return f"http://{HOST}:{self.ports['http']}"

    def _jmx(self, bean: str) -> dict[str, Any]:
        query = {"qry": f"Hadoop:service=NameNode,name={bean}"}
        reply = requests.get(f"{self.webhdfs_url}/jmx", params=query, timeout=5)
        reply.raise_for_status()
        beans: list[dict[str, Any]] = reply.json()["beans"]
        return beans[0] if beans else {}

    def healthy(self) -> bool:
        """The NameNode is out of safe mode and sees its DataNode alive."""
        try:
            state = self._jmx("FSNamesystemState")
            info = self._jmx("NameNodeInfo")
        except (requests.RequestException, ValueError, KeyError):
            return False
        return bool(state.get("NumLiveDataNodes", 0) >= 1 and info.get("Safemode", "x") == "")


def webhdfs_client(service: Hdfs, user: str | None = None) -> InsecureClient:
    """A WebHDFS client of the running ``service`` for seeding inputs and checking outputs.

    Args:
        service: the HDFS service (started).
        user: the HDFS user to act as (default: the current OS user; permissions are off anyway).

    Returns:
        An ``hdfs.InsecureClient``.
    """
    return InsecureClient(service.webhdfs_url, user=user or getpass.getuser())
