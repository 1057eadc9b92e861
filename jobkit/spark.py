"""A SparkSession configured from the environment; pyspark is imported only when a session is built.

Tests run Spark locally (``SPARK_MASTER=local[2]``); production sets ``yarn`` or ``k8s://...``. In
client mode the executors must call back to the driver, so its ports are fixed
(``SPARK_DRIVER_PORT``, ``SPARK_BLOCKMANAGER_PORT``) and, with ``SPARK_LOCAL_IP`` set, the driver binds and
advertises that address (by default 127.0.0.1 in local mode; the pod's IP with executors on Kubernetes).
With ``k8s://`` the executors are pods of the job's own image in the job's namespace, owned by the driver's pod;
the chart's ``spark.kubernetes`` switch sets the ``SPARK_KUBERNETES_*`` variables (charts/cronjob-common). With
``yarn`` the executors are YARN containers; Spark finds the ResourceManager in the Hadoop client configuration
under ``HADOOP_CONF_DIR`` (a ConfigMap the values mount, docs/spark.md).
Memory defaults are small: these jobs aggregate days of monitoring records, not the whole archive.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from jobkit.config import Config, Var
from jobkit.errors import ConfigError, JobError
from jobkit.logs import job_logger

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SPARK_VARS = (
    Var("SPARK_MASTER", "str", default="local[2]", help="Spark master: local[N], yarn or k8s://https://host:port"),
    Var("SPARK_DRIVER_PORT", "int", help="fixed driver RPC port the executors call back on (client mode)"),
    Var("SPARK_BLOCKMANAGER_PORT", "int", help="fixed port of the driver's block manager (the executors' stay free)"),
    Var("SPARK_LOCAL_IP", "str", help="address the driver binds and advertises (default: 127.0.0.1 in local mode)"),
    Var("SPARK_DRIVER_MEMORY", "str", default="1g", help="spark.driver.memory"),
    Var("SPARK_EXECUTOR_MEMORY", "str", default="1g", help="spark.executor.memory"),
    Var("SPARK_EXECUTOR_INSTANCES", "int", default=2, help="executors on yarn/k8s"),
    Var("SPARK_SHUFFLE_PARTITIONS", "int", default=8, help="spark.sql.shuffle.partitions"),
    Var("HADOOP_CONF_DIR", "str", help="directory of the Hadoop client configuration (yarn-site.xml, core-site.xml); "
        "required with SPARK_MASTER=yarn"),
    Var("SPARK_YARN_JARS", "str", help="spark.yarn.jars: where YARN containers find Spark's jars, e.g. "
        "local:/path/jars/* when the nodes have them (empty: uploaded from the driver on every run)"),
    Var("SPARK_KUBERNETES_NAMESPACE", "str", help="namespace of the executor pods (k8s:// masters)"),
    Var("SPARK_KUBERNETES_DRIVER_POD", "str", help="the driver's pod: owns the executor pods, which go with it"),
    Var("SPARK_KUBERNETES_IMAGE", "str", help="executor image (the job's own)"),
    Var("SPARK_KUBERNETES_IMAGE_PULL_POLICY", "str", default="IfNotPresent", help="executor image pull policy"),
    Var("SPARK_KUBERNETES_IMAGE_PULL_SECRETS", "str", help="comma-separated Secrets to pull the executor image"),
    Var("SPARK_KUBERNETES_EXECUTOR_REQUEST_CORES", "str", help="CPU request of an executor pod, e.g. 500m"),
    Var("SPARK_KUBERNETES_EXECUTOR_POD_TEMPLATE", "str", help="file of the pod executors start from (the chart's)"),
    Var("HDFS_URL", "str", help="default file system, e.g. hdfs://127.0.0.1:8020 (empty: Hadoop's default)",
        schemes=(("hdfs", "hdfs://host:port"), ("viewfs", "viewfs://cluster"), ("file", "file:///"))),
)


def spark_conf(config: Config, app_name: str) -> dict[str, str]:
    """The Spark settings for this run, from :data:`SPARK_VARS`.

    Args:
        config: a configuration loaded with :data:`SPARK_VARS` among its variables.
        app_name: the application name (the job's name).

    Returns:
        ``spark.*`` keys and values, including ``spark.master``.
    """
    master = config.text("SPARK_MASTER")
    conf = {
        "spark.master": master,
        "spark.app.name": app_name,
        "spark.driver.memory": config.text("SPARK_DRIVER_MEMORY"),
        "spark.executor.memory": config.text("SPARK_EXECUTOR_MEMORY"),
        "spark.sql.shuffle.partitions": str(config.integer("SPARK_SHUFFLE_PARTITIONS")),
        # Re-runs overwrite only the partitions they write (idempotent date partitions).
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        # Dates and day boundaries must not depend on the node's time zone.
        "spark.sql.session.timeZone": "UTC",
        # No UI port to collide with other drivers on a host-network node, no progress bars in logs.
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
    }
    if not master.startswith("local"):
        conf["spark.executor.instances"] = str(config.integer("SPARK_EXECUTOR_INSTANCES"))
    # The driver's own block manager port: spark.blockManager.port would fix the executors' too, and two executors
    # on one YARN node would then collide (the second fails to start, over and over).
    ports = {"spark.driver.port": "SPARK_DRIVER_PORT", "spark.driver.blockManager.port": "SPARK_BLOCKMANAGER_PORT"}
    for key, name in ports.items():
        value = config.values.get(name)
        if isinstance(value, int):
            conf[key] = str(value)
            # One fixed port per role: a taken port must fail the run, not silently move elsewhere.
            conf["spark.port.maxRetries"] = "0"
    # A local-mode driver talks only to itself, so loopback unless told otherwise (on the pod's address a
    # local-mode query was seen to hang: docs/services.md).
    local_ip = config.text("SPARK_LOCAL_IP") or ("127.0.0.1" if master.startswith("local") else "")
    if local_ip:
        conf["spark.driver.bindAddress"] = local_ip
        conf["spark.driver.host"] = local_ip
    hdfs = config.text("HDFS_URL")
    if hdfs:
        conf["spark.hadoop.fs.defaultFS"] = hdfs
    if master.startswith("k8s://"):
        conf.update(kubernetes_conf(config))
    if master == "yarn":
        conf.update(yarn_conf(config))
    return conf


def yarn_conf(config: Config) -> dict[str, str]:
    """The settings of executors as YARN containers (client mode: the driver runs in the job's pod).

    Raises:
        ConfigError: when the Hadoop client configuration or the driver's address is missing.
    """
    if not config.text("HADOOP_CONF_DIR"):
        raise ConfigError("HADOOP_CONF_DIR is required with SPARK_MASTER=yarn: Spark finds the ResourceManager in "
                          "its yarn-site.xml; mount the cluster's Hadoop client configuration (a ConfigMap in "
                          "persistence) and set env.HADOOP_CONF_DIR to its mountPath")
    if not config.text("SPARK_LOCAL_IP"):
        raise ConfigError("SPARK_LOCAL_IP is required with SPARK_MASTER=yarn: executors call back to the driver at "
                          "this address; set env.SPARK_LOCAL_IP from the pod's IP (fieldRef status.podIP) or, on the "
                          "host network, the node's (status.hostIP)")
    jars = config.text("SPARK_YARN_JARS")
    return {"spark.yarn.jars": jars} if jars else {}


KUBERNETES_KEYS = {
    "spark.kubernetes.namespace": "SPARK_KUBERNETES_NAMESPACE",
    "spark.kubernetes.driver.pod.name": "SPARK_KUBERNETES_DRIVER_POD",
    "spark.kubernetes.container.image": "SPARK_KUBERNETES_IMAGE",
    "spark.kubernetes.container.image.pullPolicy": "SPARK_KUBERNETES_IMAGE_PULL_POLICY",
    "spark.kubernetes.container.image.pullSecrets": "SPARK_KUBERNETES_IMAGE_PULL_SECRETS",
    "spark.kubernetes.executor.request.cores": "SPARK_KUBERNETES_EXECUTOR_REQUEST_CORES",
    "spark.kubernetes.executor.podTemplateFile": "SPARK_KUBERNETES_EXECUTOR_POD_TEMPLATE",
}


def kubernetes_conf(config: Config) -> dict[str, str]:
    """The settings of executors as pods (client mode: the driver runs in the job's pod).

    Raises:
        ConfigError: when the executor image or the driver's address is missing (the chart's ``spark.kubernetes``
            switch sets both).
    """
    for name in ("SPARK_KUBERNETES_IMAGE", "SPARK_LOCAL_IP"):
        if not config.text(name):
            raise ConfigError(f"{name} is required with SPARK_MASTER={config.text('SPARK_MASTER')}: executor pods "
                              "need the image to run and the driver's address to call back; set "
                              "spark.kubernetes.enabled in the chart's values, which sets both")
    conf = {key: config.text(name) for key, name in KUBERNETES_KEYS.items() if config.text(name)}
    if "spark.kubernetes.executor.podTemplateFile" in conf:
        conf["spark.kubernetes.executor.podTemplateContainerName"] = "executor"  # the chart's template's container
    # Spark's default, kept explicit: an executor pod is deleted when it ends, so a run leaves none behind.
    conf["spark.kubernetes.executor.deleteOnTermination"] = "true"
    # Client mode has no driver Service; without this Spark's stop would try to delete one, which the job's Role
    # rightly does not allow (deleting Services by label could reach other workloads' Services).
    conf["spark.kubernetes.driver.service.deleteOnTermination"] = "false"
    return conf


def build_session(config: Config, app_name: str, extra: Mapping[str, str] | None = None) -> SparkSession:
    """Start (or reuse) the SparkSession for this run.

    Args:
        config: a configuration loaded with :data:`SPARK_VARS` among its variables.
        app_name: the application name (the job's name).
        extra: further settings (win over the computed ones).

    Returns:
        The session.

    Raises:
        JobError: when pyspark is not installed (the job needs the spark base image).
    """
    try:
        sql = importlib.import_module("pyspark.sql")
    except ImportError as exc:
        raise JobError(f"pyspark is not installed ({exc}); build the job on the spark base image") from None
    conf = {**spark_conf(config, app_name), **(extra or {})}
    builder = sql.SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    session: SparkSession = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    job_logger().info("spark session started", master=conf["spark.master"], version=session.version,
                      driver_port=conf.get("spark.driver.port"),
                      block_manager_port=conf.get("spark.driver.blockManager.port"))
    return session


@contextmanager
def spark_session(config: Config, app_name: str, extra: Mapping[str, str] | None = None) -> Iterator[SparkSession]:
    """:func:`build_session` (same arguments) for the block, stopped when it ends (also when it fails)."""
    session = build_session(config, app_name, extra)
    try:
        yield session
    finally:
        session.stop()
