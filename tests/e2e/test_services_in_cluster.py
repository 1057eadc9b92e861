"""Test services as workloads in the cluster (harness/services/incluster.py, docs/services.md).

HDFS, the Pushgateway, OpenSearch and Elasticsearch run from their locally built images in the namespace
``cronharness-services`` with readiness probes and small requests; a pod in a test namespace writes to each
by its Service DNS name (as a job does), and the test host reads the result back through a port-forward (the
Kubernetes API), never through a pod address. The same code runs on the local cluster, on kind and on an
existing cluster. The pods run the service's own image (its rootfs has python3), so nothing else is built.
"""

from __future__ import annotations

import json

import pytest
import requests
from kubernetes import client

from harness.checks import metrics, search
from harness.cluster.base import Cluster
from harness.kube import Kube
from harness.pytest.scope import DataScope, clean_scope
from harness.services.hdfs import site_xml, webhdfs_client
from harness.services.incluster import NAMESPACE, ClusterServices
from harness.services.pool import ServicePool
from harness.waiting import wait_until

pytestmark = pytest.mark.e2e

# PUT argv[2] (a body) to the URL argv[1] with content type argv[3], as a job would.
PUT = """
import sys, urllib.request
request = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method="PUT",
                                 headers={"Content-Type": sys.argv[3]})
urllib.request.urlopen(request, timeout=30).close()
"""


def service_image(kube: Kube, name: str) -> str:
    deployment = client.AppsV1Api(kube.api_client).read_namespaced_deployment(name, NAMESPACE)
    return str(kube.plain(deployment)["spec"]["template"]["spec"]["containers"][0]["image"])


def put_from_a_pod(cluster: Cluster, namespace: str, image: str, url: str, body: str, content_type: str) -> None:
    """Run a pod (no host network) in ``namespace`` that PUTs ``body`` to ``url``; wait until it succeeded."""
    run_pod(cluster, namespace, image, ["python3", "-c", PUT, url, body, content_type])


def run_pod(cluster: Cluster, namespace: str, image: str, command: list[str], env: dict[str, str] | None = None) -> str:
    """Run ``command`` in a pod (no host network) in ``namespace``; wait until it succeeded; return its log."""
    pod = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "writer"},
        "spec": {
            "restartPolicy": "Never",
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
            "containers": [{"name": "writer", "image": image, "imagePullPolicy": "IfNotPresent",
                            "command": command,
                            "env": [{"name": k, "value": v} for k, v in (env or {}).items()]}],
        },
    }
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input_text=json.dumps(pod))

    def phase() -> str:
        return cluster.kubectl("get", "-n", namespace, "pod/writer", "-o", "jsonpath={.status.phase}")

    wait_until(lambda: phase() in ("Succeeded", "Failed"), timeout=180, what="the writer pod to finish")
    logs = cluster.kubectl("logs", "-n", namespace, "pod/writer")
    assert phase() == "Succeeded", f"the writer pod failed:\n{logs}"
    return logs


def test_pushgateway_deployment_has_probe_requests_and_no_host_network(cluster_services: ClusterServices,
                                                                         kube: Kube) -> None:
    gateway = cluster_services.get("pushgateway")
    assert gateway.job_url == "http://pushgateway.cronharness-services.svc:9091"
    assert gateway.url.startswith("http://127.0.0.1:")
    spec = kube.plain(client.AppsV1Api(kube.api_client).read_namespaced_deployment("pushgateway", NAMESPACE))
    pod = spec["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert "hostNetwork" not in pod
    assert container["readinessProbe"]["httpGet"] == {"path": "/-/ready", "port": "http", "scheme": "HTTP"}
    assert container["resources"] == {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}
    assert container["image"].endswith(f"/cronharness/services/pushgateway:{container['image'].rsplit(':', 1)[1]}")
    assert spec["status"]["readyReplicas"] == 1


def test_job_pod_pushes_by_service_name_and_the_host_reads_through_the_api(
    cluster_services: ClusterServices, cluster: Cluster, kube: Kube, namespace: str, scope: DataScope,
    services: ServicePool,
) -> None:
    gateway = cluster_services.get("pushgateway")
    job = scope.push_job("probe")
    put_from_a_pod(cluster, namespace, service_image(kube, "pushgateway"), f"{gateway.job_url}/metrics/job/{job}",
                   "probe_value 42\n", "text/plain; version=0.0.4")
    pushed = metrics.pushed(gateway, job)
    assert pushed["probe_value"] == 42.0
    assert set(pushed) == {"probe_value", "push_time_seconds", "push_failure_time_seconds"}
    # the test's teardown removes its group from the in-cluster Pushgateway like from a host service
    assert clean_scope(scope, services, cluster_services) == []
    assert metrics.pushed(gateway, job) == {}


@pytest.mark.parametrize("name", ["opensearch", "elasticsearch"])
def test_search_node_indexes_a_pod_s_document_and_the_host_reads_it(
    name: str, cluster_services: ClusterServices, cluster: Cluster, kube: Kube, namespace: str, scope: DataScope,
    services: ServicePool,
) -> None:
    node = cluster_services.get(name)
    assert node.job_url == f"http://{name}.cronharness-services.svc:9200"
    index = scope.index("probe")
    put_from_a_pod(cluster, namespace, service_image(kube, name), f"{node.job_url}/{index}/_doc/a?refresh=true",
                   json.dumps({"n": 7, "site": "T2_CH_CERN"}), "application/json")
    assert search.documents(node, f"{scope.index_prefix}*") == {index: {"a": {"n": 7, "site": "T2_CH_CERN"}}}
    assert clean_scope(scope, services, cluster_services) == []
    assert search.indices(node, f"{scope.index_prefix}*") == []



def test_hdfs_pod_reads_over_rpc_what_the_host_wrote_through_the_api(
    cluster_services: ClusterServices, cluster: Cluster, kube: Kube, namespace: str, scope: DataScope,
    services: ServicePool,
) -> None:
    """The host writes through WebHDFS (port-forwards); a pod reads the file the way Spark does (NameNode RPC by
    Service name, then the blocks from the DataNode at the address it registered, the HDFS pod's own)."""
    hdfs = cluster_services.hdfs()
    assert hdfs.rpc_url == "hdfs://hdfs.cronharness-services.svc:8020"
    hdfs_pod = kube.plain(kube.core.list_namespaced_pod(NAMESPACE, label_selector="app.kubernetes.io/name=hdfs"))
    pod_ip = hdfs_pod["items"][0]["status"]["podIP"]
    live = requests.get(f"{hdfs.webhdfs_url}/jmx", params={"qry": "Hadoop:service=NameNode,name=NameNodeInfo"},
                        timeout=10).json()["beans"][0]["LiveNodes"]
    assert [node["xferaddr"] for node in json.loads(live).values()] == [f"{pod_ip}:9866"]

    path = f"{scope.hdfs_root}/probe/part-00000.json"
    lines = "".join(json.dumps({"n": n, "site": f"T2_SITE_{n}"}) + "\n" for n in range(500))
    webhdfs_client(hdfs).write(path, data=lines.encode(), overwrite=True)
    # Hadoop's shell, as a job's Hadoop client: fs.defaultFS from a core-site.xml on its classpath
    log = run_pod(cluster, namespace, service_image(kube, "hdfs"),
                  ["sh", "-c", 'mkdir /tmp/conf && printf %s "$CORE_SITE" > /tmp/conf/core-site.xml && exec java '
                   '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "/tmp/conf:/opt/service/lib/*" '
                   'org.apache.hadoop.fs.FsShell -cat "$1"', "sh", path],
                  env={"HADOOP_USER_NAME": "probe", "CORE_SITE": site_xml({"fs.defaultFS": hdfs.rpc_url})})
    assert lines in log
    assert clean_scope(scope, services, cluster_services) == []
    assert not webhdfs_client(hdfs).status(scope.hdfs_root, strict=False)
