"""The log collector's objects and configuration (harness/monitoring/logs.py), checked offline."""

from __future__ import annotations

from pathlib import PurePosixPath

import yaml

from harness.charts.validate import validate_objects
from harness.images.reference import ImageRef
from harness.monitoring.logs import CRONJOB_KEY, LABEL, NAMESPACE, LogLine, collector_config, manifests

OPENSEARCH = "http://opensearch.cronharness-services.svc:9200"


def test_objects_are_valid_and_read_the_providers_pod_log_directory() -> None:
    objects = manifests(ImageRef("127.0.0.1:5000", "cronharness/services/log-collector", "k"), OPENSEARCH,
                        PurePosixPath("/root/.local/state/cronharness/cluster/pod-logs"))
    assert validate_objects(objects) == []
    (daemonset,) = [o for o in objects if o["kind"] == "DaemonSet"]
    volumes = {v["name"]: v for v in daemonset["spec"]["template"]["spec"]["volumes"]}
    assert volumes["pod-logs"]["hostPath"]["path"] == "/root/.local/state/cronharness/cluster/pod-logs"
    # offsets beside the logs on the node: kept across collector restarts, gone with the cluster's data
    assert volumes["offsets"]["hostPath"]["path"] == "/root/.local/state/cronharness/cluster/cronharness-log-offsets"
    (config,) = [o for o in objects if o["kind"] == "ConfigMap"]
    assert yaml.safe_load(config["data"]["config.yaml"]) == collector_config(OPENSEARCH)


def test_config_keeps_only_labelled_job_pods_and_never_its_own_lines() -> None:
    config = collector_config(OPENSEARCH)
    filelog = config["receivers"]["filelog"]
    assert filelog["exclude"] == [f"/var/log/pods/{NAMESPACE}_*/*/*.log"]
    assert filelog["start_at"] == "beginning" and filelog["storage"] == "file_storage"
    k8s = config["processors"]["k8sattributes"]
    assert k8s["extract"]["labels"] == [{"tag_name": CRONJOB_KEY, "key": LABEL, "from": "pod"}]
    assert config["processors"]["filter/job-runs"]["logs"]["log_record"] == [
        f'resource.attributes["{CRONJOB_KEY}"] == nil']
    assert config["service"]["pipelines"]["logs"]["processors"] == ["k8sattributes", "filter/job-runs", "batch"]
    assert config["exporters"]["opensearch"]["http"]["endpoint"] == OPENSEARCH


def test_a_stored_document_reads_back_as_a_line() -> None:
    source = {
        "@timestamp": "2026-12-07T10:59:59.500586056Z", "body": '{"msg":"wrote","docs":3}',
        "attributes": {"log.iostream": "stdout", "json": {"msg": "wrote", "docs": 3}},
        "resource": {"k8s.namespace.name": "ns", "k8s.cronjob.name": "cj", "k8s.job.name": "cj-1",
                     "k8s.pod.name": "cj-1-abcde", "k8s.container.name": "main"},
    }
    line = LogLine.from_document(source)
    assert line == LogLine("2026-12-07T10:59:59.500586056Z", "ns", "cj", "cj-1", "cj-1-abcde", "main", "stdout",
                           '{"msg":"wrote","docs":3}', {"msg": "wrote", "docs": 3})
    assert line.render(prefix=False) == '{"msg":"wrote","docs":3}'
    assert line.render(prefix=True) == '2026-12-07T10:59:59.500586056Z cj-1-abcde/main {"msg":"wrote","docs":3}'
