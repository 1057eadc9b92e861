"""The storage provisioner's objects (harness.cluster.storage): one default class, nothing pulled."""

from __future__ import annotations

import json

import yaml

from harness.cluster import storage


def _objects() -> dict[tuple[str, str], dict[str, object]]:
    return {(str(o["kind"]), str(o["metadata"]["name"])): o  # type: ignore[index]
            for o in storage.manifests("prov:1", "helper:1", "/var/volumes")}


def test_one_default_class_that_binds_where_the_pod_runs_and_deletes_the_data() -> None:
    [cls] = [o for (kind, _), o in _objects().items() if kind == "StorageClass"]
    assert cls["metadata"]["name"] == "standard"  # type: ignore[index]
    assert cls["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}  # type: ignore[index]
    assert (cls["provisioner"], cls["volumeBindingMode"], cls["reclaimPolicy"]) == (
        "rancher.io/local-path", "WaitForFirstConsumer", "Delete")


def test_config_puts_volumes_under_the_base_path_and_helper_pods_never_pull() -> None:
    data = _objects()[("ConfigMap", storage.CONFIG)]["data"]
    assert json.loads(data["config.json"]) == {  # type: ignore[index]
        "nodePathMap": [{"node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": ["/var/volumes"]}]}
    helper = yaml.safe_load(data["helperPod.yaml"])["spec"]["containers"][0]  # type: ignore[index]
    assert (helper["image"], helper["imagePullPolicy"]) == ("helper:1", "Never")
    assert "rm -rf \"$VOL_DIR\"" in data["teardown"]  # type: ignore[index]
    [container] = _objects()[("Deployment", storage.NAME)]["spec"]["template"]["spec"]["containers"]  # type: ignore[index]
    assert (container["image"], container["imagePullPolicy"]) == ("prov:1", "Never")
    assert container["securityContext"]["runAsNonRoot"] is True
