"""jobkit.spark settings from the environment, and jobkit importing without pyspark installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jobkit.config import load
from jobkit.errors import ConfigError
from jobkit.sinks.spark_hdfs import day_path
from jobkit.sinks.webhdfs import encode
from jobkit.spark import SPARK_VARS, spark_conf

REPO = Path(__file__).resolve().parents[2]


def test_local_defaults() -> None:
    conf = spark_conf(load(SPARK_VARS, {"SPARK_MASTER": "local[2]"}), "cpueff")
    assert conf == {
        "spark.master": "local[2]",
        "spark.app.name": "cpueff",
        "spark.driver.memory": "1g",
        "spark.executor.memory": "1g",
        "spark.sql.shuffle.partitions": "8",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # A local-mode driver talks only to itself: loopback unless SPARK_LOCAL_IP says otherwise.
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.host": "127.0.0.1",
    }


def test_client_mode_on_yarn_with_fixed_ports_and_local_ip() -> None:
    environ = {"SPARK_MASTER": "yarn", "SPARK_DRIVER_PORT": "5001", "SPARK_BLOCKMANAGER_PORT": "5101",
               "SPARK_LOCAL_IP": "127.0.0.1", "HDFS_URL": "hdfs://127.0.0.1:8020", "SPARK_EXECUTOR_INSTANCES": "4",
               "HADOOP_CONF_DIR": "/etc/hadoop/conf"}
    conf = spark_conf(load(SPARK_VARS, environ), "rucio-daily")
    assert {k: conf[k] for k in conf if k not in ("spark.app.name", "spark.sql.session.timeZone")} == {
        "spark.master": "yarn",
        "spark.driver.memory": "1g",
        "spark.executor.memory": "1g",
        "spark.executor.instances": "4",
        "spark.sql.shuffle.partitions": "8",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.port": "5001",
        "spark.driver.blockManager.port": "5101",  # the driver's only: executors sharing a node must not collide
        "spark.port.maxRetries": "0",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.host": "127.0.0.1",
        "spark.hadoop.fs.defaultFS": "hdfs://127.0.0.1:8020",
    }


def test_yarn_takes_spark_jars_from_the_nodes_when_told() -> None:
    environ = {"SPARK_MASTER": "yarn", "SPARK_LOCAL_IP": "192.0.2.7", "HADOOP_CONF_DIR": "/etc/hadoop/conf",
               "SPARK_YARN_JARS": "local:/opt/spark/jars/*"}
    assert spark_conf(load(SPARK_VARS, environ), "cpueff")["spark.yarn.jars"] == "local:/opt/spark/jars/*"
    environ.pop("SPARK_YARN_JARS")
    assert "spark.yarn.jars" not in spark_conf(load(SPARK_VARS, environ), "cpueff")


@pytest.mark.parametrize(("missing", "hint"), [
    ("HADOOP_CONF_DIR", "set env.HADOOP_CONF_DIR to its mountPath"),
    ("SPARK_LOCAL_IP", "fieldRef status.podIP"),
])
def test_yarn_without_client_configuration_or_driver_address_is_a_configuration_error(missing: str,
                                                                                      hint: str) -> None:
    environ = {"SPARK_MASTER": "yarn", "SPARK_LOCAL_IP": "192.0.2.7", "HADOOP_CONF_DIR": "/etc/hadoop/conf"}
    environ.pop(missing)
    with pytest.raises(ConfigError, match=f"{missing} is required with SPARK_MASTER=yarn") as raised:
        spark_conf(load(SPARK_VARS, environ), "cpueff")
    assert hint in str(raised.value)


def test_day_path() -> None:
    from datetime import date

    assert day_path("/out/rucio/", date(2026, 1, 2)) == "/out/rucio/2026/01/02"


def test_encode_jsonl_and_csv() -> None:
    records = [{"b": 2, "a": "x"}, {"a": "y,z", "b": 3}]
    assert encode(records, "jsonl") == (b'{"a":"x","b":2}\n{"a":"y,z","b":3}\n', 2)
    assert encode(records, "csv", ("a", "b")) == (b'a,b\nx,2\n"y,z",3\n', 2)


def test_jobkit_imports_without_pyspark() -> None:
    # A None entry in sys.modules makes "import pyspark" fail as if it were not installed.
    code = textwrap.dedent("""
        import sys
        sys.modules["pyspark"] = None
        import jobkit.config, jobkit.run, jobkit.spark, jobkit.metrics
        import jobkit.sinks.search, jobkit.sinks.mongo, jobkit.sinks.webhdfs, jobkit.sinks.spark_hdfs
        from jobkit.config import load
        from jobkit.errors import JobError
        try:
            jobkit.spark.build_session(load(jobkit.spark.SPARK_VARS, {}), "x")
        except JobError as exc:
            print(exc)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.startswith("pyspark is not installed (")
    assert out.stdout.rstrip().endswith("); build the job on the spark base image")


def test_executors_on_kubernetes_from_the_chart_wiring() -> None:
    environ = {"SPARK_MASTER": "k8s://https://kubernetes.default.svc", "SPARK_LOCAL_IP": "192.0.2.7",
               "SPARK_DRIVER_PORT": "7078", "SPARK_BLOCKMANAGER_PORT": "7079",
               "SPARK_KUBERNETES_NAMESPACE": "cmsmon-dev", "SPARK_KUBERNETES_DRIVER_POD": "cpueff-29412-abcde",
               "SPARK_KUBERNETES_IMAGE": "registry.cern.ch/cmsmonitoring/cpueff:0.4.0",
               "SPARK_KUBERNETES_IMAGE_PULL_SECRETS": "regcred", "SPARK_KUBERNETES_EXECUTOR_REQUEST_CORES": "250m",
               "SPARK_KUBERNETES_EXECUTOR_POD_TEMPLATE": "/etc/cronjob-common/spark-executor/pod.yaml"}
    conf = spark_conf(load(SPARK_VARS, environ), "cpueff")
    assert {k: v for k, v in conf.items() if "kubernetes" in k or "driver" in k or "executor.instances" in k} == {
        "spark.driver.memory": "1g",
        "spark.executor.instances": "2",
        "spark.driver.port": "7078",
        "spark.driver.blockManager.port": "7079",
        "spark.driver.bindAddress": "192.0.2.7",
        "spark.driver.host": "192.0.2.7",
        "spark.kubernetes.namespace": "cmsmon-dev",
        "spark.kubernetes.driver.pod.name": "cpueff-29412-abcde",
        "spark.kubernetes.container.image": "registry.cern.ch/cmsmonitoring/cpueff:0.4.0",
        "spark.kubernetes.container.image.pullPolicy": "IfNotPresent",
        "spark.kubernetes.container.image.pullSecrets": "regcred",
        "spark.kubernetes.executor.request.cores": "250m",
        "spark.kubernetes.executor.podTemplateFile": "/etc/cronjob-common/spark-executor/pod.yaml",
        "spark.kubernetes.executor.podTemplateContainerName": "executor",
        "spark.kubernetes.executor.deleteOnTermination": "true",
        "spark.kubernetes.driver.service.deleteOnTermination": "false",
    }


def test_executors_on_kubernetes_need_the_image_and_the_driver_address() -> None:
    environ = {"SPARK_MASTER": "k8s://https://kubernetes.default.svc", "SPARK_LOCAL_IP": "192.0.2.7"}
    with pytest.raises(ConfigError, match=r"^SPARK_KUBERNETES_IMAGE is required with SPARK_MASTER=k8s://https://"
                                          r"kubernetes\.default\.svc: .*set spark\.kubernetes\.enabled"):
        spark_conf(load(SPARK_VARS, environ), "cpueff")
    environ = {"SPARK_MASTER": "k8s://https://kubernetes.default.svc", "SPARK_KUBERNETES_IMAGE": "i:1"}
    with pytest.raises(ConfigError, match=r"^SPARK_LOCAL_IP is required"):
        spark_conf(load(SPARK_VARS, environ), "cpueff")
