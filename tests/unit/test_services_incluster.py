"""The in-cluster services' chart values and rendering (harness/services/incluster.py, harness/services/chart)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
import requests.adapters
import yaml

from harness.charts.render import helm_binary
from harness.errors import HarnessError
from harness.services.incluster import CHART, NAMESPACE, job_url, workload

IMAGE = "127.0.0.1:5000/cronharness/services/pushgateway:0123abcd4567"


def render(tmp_path: Path, services: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"services": services}))
    return subprocess.run([helm_binary(3), "template", "services", str(CHART), "--namespace", NAMESPACE,
                           "--values", str(values)], capture_output=True, text=True, check=False)


def test_pushgateway_values_and_urls() -> None:
    assert workload("pushgateway").values(IMAGE) == {
        "image": IMAGE,
        "command": ["/usr/bin/prometheus-pushgateway", "--web.listen-address=:9091",
                    "--persistence.file=/data/metrics.db", "--persistence.interval=5s"],
        "env": {},
        "ports": {"http": 9091},
        "readiness": {"port": "http", "path": "/-/ready"},
        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
    }
    assert job_url("pushgateway") == "http://pushgateway.cronharness-services.svc:9091"
    with pytest.raises(HarnessError, match=r"service 'mongo' does not run in the cluster; in-cluster services: "
                                           r"hdfs, yarn, kdc, opensearch, elasticsearch, ferretdb, pushgateway"):
        workload("mongo")


def test_ferretdb_serves_the_wire_protocol_on_its_data_volume_and_is_reached_by_mongodb_urls() -> None:
    values = workload("ferretdb").values(IMAGE)
    assert values["command"] == ["/opt/service/bin/ferretdb", "--listen-addr=:27017", "--sqlite-url=file:/data/"]
    assert values["ports"] == {"mongo": 27017}
    assert values["readiness"] == {"port": "mongo"}  # a TCP connect: the wire protocol has no HTTP probe
    assert job_url("ferretdb") == "mongodb://ferretdb.cronharness-services.svc:27017"


@pytest.mark.parametrize(("name", "main"), [("opensearch", "OpenSearchLauncher"),
                                            ("elasticsearch", "ElasticsearchLauncher")])
def test_search_nodes_bind_every_pod_address_and_wait_for_yellow(name: str, main: str) -> None:
    values = workload(name).values("img")
    assert values["command"] == [
        "/usr/bin/java", "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-Dcronharness.bind=0.0.0.0",
        "-Djava.io.tmpdir=/tmp", "-cp", "/opt/service/classes:/opt/service/lib/*", main, "/data", "9200", "9300",
        "cronharness"]
    assert values["ports"] == {"http": 9200, "transport": 9300}
    assert values["readiness"] == {"port": "http", "path": "/_cluster/health?wait_for_status=yellow&timeout=1s"}
    assert values["resources"] == {"requests": {"cpu": "100m", "memory": "768Mi"}, "limits": {"memory": "1536Mi"}}
    assert job_url(name) == f"http://{name}.cronharness-services.svc:9200"


def test_chart_renders_a_deployment_and_service_per_entry(tmp_path: Path) -> None:
    done = render(tmp_path, {"pushgateway": workload("pushgateway").values(IMAGE)})
    assert done.returncode == 0, done.stderr
    objects = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(done.stdout) if d}
    assert set(objects) == {("Deployment", "pushgateway"), ("Service", "pushgateway")}
    pod = objects["Deployment", "pushgateway"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert "hostNetwork" not in pod and pod["securityContext"]["runAsNonRoot"] is True
    assert container["image"] == IMAGE
    assert container["readinessProbe"]["httpGet"] == {"path": "/-/ready", "port": "http"}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert [m["mountPath"] for m in container["volumeMounts"]] == ["/data", "/tmp"]
    assert container["env"] == [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}]
    assert objects["Service", "pushgateway"]["spec"]["ports"] == [{"name": "http", "port": 9091, "targetPort": "http"}]
    tcp = render(tmp_path, {"x": {**workload("pushgateway").values(IMAGE), "readiness": {"port": "http"}}})
    probe = next(d for d in yaml.safe_load_all(tcp.stdout) if d and d["kind"] == "Deployment")
    assert probe["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["tcpSocket"] == {"port": "http"}


def test_chart_names_a_missing_key(tmp_path: Path) -> None:
    values = workload("pushgateway").values(IMAGE)
    del values["resources"]
    done = render(tmp_path, {"pushgateway": values})
    assert done.returncode != 0
    assert "services.pushgateway.resources is required" in done.stderr


def test_hdfs_listens_in_the_pod_and_registers_its_datanode_at_the_pod_address() -> None:
    values = workload("hdfs").values("img")
    assert values["command"][-8:] == ["HdfsLauncher", "/data", "8020", "9870", "9866", "9864", "9867", "auto"]
    assert "-Dcronharness.bind=0.0.0.0" in values["command"]
    assert "-Dcronharness.advertise=$(POD_IP)" in values["command"]
    assert values["ports"] == {"http": 9870, "rpc": 8020, "dn-transfer": 9866, "dn-http": 9864, "dn-ipc": 9867}
    assert values["readiness"] == {"port": "http", "path": "/jmx?qry=Hadoop:service=NameNode,name=NameNodeStatus"}
    assert values["env"] == {"HADOOP_USER_NAME": "hdfs"}


def test_webhdfs_redirects_to_the_datanode_port_go_to_its_port_forward() -> None:
    from harness.services.hdfs import _Redirected

    sent: list[str] = []
    session = _Redirected({9864: "127.0.0.1:41234"})
    adapter = requests.adapters.HTTPAdapter()

    def record(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        sent.append(request.url or "")
        response = requests.Response()
        response.status_code = 200
        return response

    adapter.send = record  # type: ignore[method-assign,assignment]
    session.mount("http://", adapter)
    session.get("http://127.0.0.1:9864/webhdfs/v1/a?op=OPEN")
    session.get("http://hdfs.cronharness-services.svc:9864/webhdfs/v1/b?op=OPEN")
    session.get("http://127.0.0.1:50070/webhdfs/v1/c?op=GETFILESTATUS")
    assert sent == ["http://127.0.0.1:41234/webhdfs/v1/a?op=OPEN", "http://127.0.0.1:41234/webhdfs/v1/b?op=OPEN",
                    "http://127.0.0.1:50070/webhdfs/v1/c?op=GETFILESTATUS"]


def test_yarn_runs_on_the_spark_base_and_gets_a_pod_name_every_pod_resolves(tmp_path: Path) -> None:
    values = workload("yarn").values(IMAGE)
    at = values["command"].index("YarnLauncher")
    assert values["command"][at:at + 5] == ["YarnLauncher", "/data", "hdfs://hdfs.cronharness-services.svc:8020",
                                            "3072", "4"]
    # the site's name service (values/prod: hdfs://analytix) is the in-cluster NameNode, for the NodeManager too
    assert "dfs.namenode.rpc-address.analytix.nn1=hdfs.cronharness-services.svc:8020" in values["command"]
    assert "-Dcronharness.advertise=$(POD_IP)" in values["command"]
    assert values["ports"] == {"web": 8088, "rm": 8032, "scheduler": 8030, "nm-web": 8042}
    assert values["podDNS"] is True
    assert values["resources"]["limits"] == {"memory": "4Gi"}
    done = render(tmp_path, {"yarn": values})
    assert done.returncode == 0, done.stderr
    objects = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(done.stdout) if d}
    assert set(objects) == {("Deployment", "yarn"), ("Service", "yarn"), ("Service", "yarn-pods")}
    pod = objects["Deployment", "yarn"]["spec"]["template"]["spec"]
    assert (pod["hostname"], pod["subdomain"]) == ("yarn", "yarn-pods")
    assert objects["Service", "yarn-pods"]["spec"]["clusterIP"] == "None"
    plain = render(tmp_path, {"pushgateway": workload("pushgateway").values(IMAGE)})
    assert "subdomain" not in plain.stdout and "-pods" not in plain.stdout


def test_yarn_client_configuration_names_the_services() -> None:
    from harness.services.yarn import client_conf

    files = client_conf("yarn.cronharness-services.svc", "hdfs.cronharness-services.svc:8020")
    assert sorted(files) == ["core-site.xml", "hdfs-site.xml", "yarn-site.xml"]
    assert ("<name>yarn.resourcemanager.hostname</name><value>yarn.cronharness-services.svc</value>"
            in files["yarn-site.xml"])
    assert "<name>fs.defaultFS</name><value>hdfs://analytix</value>" in files["core-site.xml"]
    assert ("<name>dfs.namenode.rpc-address.analytix.nn1</name><value>hdfs.cronharness-services.svc:8020</value>"
            in files["hdfs-site.xml"])
