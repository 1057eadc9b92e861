"""YARN for tests: a ResourceManager and one NodeManager (Hadoop's own daemons, one JVM) in a pod of the cluster.

The daemons come from the same Maven Central artifact as HDFS (``hadoop-client-minicluster`` holds YARN's server
classes) and run through a small launcher (tools/maven/yarn/YarnLauncher.java). The pod runs the spark base image
(harness/images/service.py, ``base="spark"``), so the containers the NodeManager starts (Spark's application
master and executors) have the job images' Java, Python and pyspark. Jobs reach it the way production clients do:
a Hadoop client configuration (``yarn-site.xml``, ``core-site.xml``) in a ConfigMap mounted as ``HADOOP_CONF_DIR``
(:func:`client_conf`); harness/services/incluster.py runs it, harness/deploy.py points a job at it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from harness.services.hdfs import site_xml
from harness.services.maven import compile_launcher, resolve
from harness.toolchain.versions import pinned

LAUNCHER = "yarn"
LAUNCHER_OPTIONS = ("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "-Dorg.slf4j.simpleLogger.showDateTime=true")
# YARN's default ports, by Kubernetes port name: the ResourceManager's web service (what the host reads), clients,
# application masters; the NodeManager's web service (its containers, read by the host)
PORTS = {"web": 8088, "rm": 8032, "scheduler": 8030, "nm-web": 8042}
# What the one NodeManager offers: an application master and two 512m executors (896 MB each with Spark's
# overhead) fit; the service's pod memory limit is above it.
NODE_MEMORY_MB = 3072
# The launcher's directory in the pod (its emptyDir) and the NodeManager's log directory in it: <app>/<container>/
BASE_DIR = "/data"
NODE_LOG_DIR = f"{BASE_DIR}/nm-logs"
NODE_VCORES = 4
# The HDFS name service the environments' values name (values/prod: HDFS_URL hdfs://analytix); the test site maps it
# to the in-cluster NameNode, for its clients (client_conf) and for the NodeManager, which localizes from it.
NAME_SERVICE = "analytix"


def program() -> tuple[Path, Path]:
    """The compiled launcher's class directory and the jar directory (resolved and compiled if needed)."""
    version = pinned("services-java", "hadoop")
    slf4j = pinned("services-java", "slf4j")
    bouncycastle = pinned("services-java", "bouncycastle")
    lib = resolve(
        "yarn", version,
        [
            f"org.apache.hadoop:hadoop-client-minicluster:{version}",
            f"org.slf4j:slf4j-simple:{slf4j}",
            # The ResourceManager logs through log4j 1's API in places; route it to SLF4J.
            f"org.slf4j:log4j-over-slf4j:{slf4j}",
            # Its web proxy's certificate authority; not among the minicluster's own dependencies.
            f"org.bouncycastle:bcprov-jdk18on:{bouncycastle}",
            f"org.bouncycastle:bcpkix-jdk18on:{bouncycastle}",
        ],
    )
    return compile_launcher(LAUNCHER, lib), lib


def name_service(namenode: str, name: str = NAME_SERVICE) -> dict[str, str]:
    """The HDFS properties that make ``hdfs://<name>`` the NameNode at ``namenode`` (``host:port``): a name service
    of one NameNode, the way a site with highly available NameNodes names its file system."""
    return {
        "dfs.nameservices": name,
        f"dfs.ha.namenodes.{name}": "nn1",
        f"dfs.namenode.rpc-address.{name}.nn1": namenode,
        f"dfs.client.failover.proxy.provider.{name}":
            "org.apache.hadoop.hdfs.server.namenode.ha.ConfiguredFailoverProxyProvider",
    }


def client_conf(resource_manager_host: str, namenode: str) -> dict[str, str]:
    """A Hadoop client configuration directory's files for Spark's driver (``HADOOP_CONF_DIR``), as a site gives its
    clients: the file system is the name service (``hdfs://analytix``, the environments' ``HDFS_URL``), which maps to
    the NameNode at ``namenode`` (``host:port``); YARN is the ResourceManager on ``resource_manager_host``.

    Returns:
        File name -> contents.
    """
    return {
        "core-site.xml": site_xml({"fs.defaultFS": f"hdfs://{NAME_SERVICE}"}),
        "hdfs-site.xml": site_xml({"dfs.replication": "1", **name_service(namenode)}),
        "yarn-site.xml": site_xml({"yarn.resourcemanager.hostname": resource_manager_host}),
    }


def cluster_metrics(web_url: str) -> dict[str, Any]:
    """The ResourceManager's cluster metrics (``/ws/v1/cluster/metrics``), {} when it does not answer."""
    try:
        reply = requests.get(f"{web_url}/ws/v1/cluster/metrics", timeout=5)
        reply.raise_for_status()
        metrics: dict[str, Any] = reply.json()["clusterMetrics"]
        return metrics
    except (requests.RequestException, ValueError, KeyError):
        return {}


def node_ready(web_url: str) -> bool:
    """The NodeManager registered with the ResourceManager and is healthy (never raises)."""
    metrics = cluster_metrics(web_url)
    return bool(metrics.get("activeNodes", 0) >= 1 and metrics.get("unhealthyNodes", 1) == 0)


def node_containers(node_web_url: str) -> list[dict[str, Any]]:
    """The containers the NodeManager ran or runs (``/ws/v1/node/containers``; it keeps finished ones for ten
    minutes, ``yarn.nodemanager.duration-to-track-stopped-containers``).

    Raises:
        requests.RequestException: when the NodeManager does not answer.
    """
    reply = requests.get(f"{node_web_url}/ws/v1/node/containers", timeout=10)
    reply.raise_for_status()
    containers: list[dict[str, Any]] = ((reply.json() or {}).get("containers") or {}).get("container") or []
    return containers


def applications(web_url: str) -> list[dict[str, Any]]:
    """Every application the ResourceManager knows (``/ws/v1/cluster/apps``), oldest first.

    Raises:
        requests.RequestException: when the ResourceManager does not answer.
    """
    reply = requests.get(f"{web_url}/ws/v1/cluster/apps", timeout=10)
    reply.raise_for_status()
    apps: list[dict[str, Any]] = ((reply.json() or {}).get("apps") or {}).get("app") or []
    return sorted(apps, key=lambda app: int(app.get("startedTime", 0)))
