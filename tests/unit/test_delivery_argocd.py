"""The Argo CD install manifest: Argo CD's own core-install.yaml (pinned module) with only our images."""

from __future__ import annotations

import json

from harness.delivery.argocd import UPSTREAM_IMAGE, git_server_manifest, install_manifest
from harness.delivery.argocd import argocd_version as version
from harness.delivery.gitops import applicationset_for
from harness.deploy import merged

IMAGES = {"argocd": "127.0.0.1:5000/argocd:abc", "redis": "127.0.0.1:5000/argocd-redis:def"}


def _containers(docs: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for doc in docs:
        pod = doc.get("spec", {}).get("template", {}).get("spec", {})  # type: ignore[attr-defined]
        for c in [*pod.get("initContainers", []), *pod.get("containers", [])]:
            found[f"{doc['metadata']['name']}/{c['name']}"] = c  # type: ignore[index]
    return found


def test_only_image_names_and_the_redis_command_change() -> None:
    docs = install_manifest(IMAGES)
    text = json.dumps(docs)
    assert UPSTREAM_IMAGE not in text and "redis:8" not in text
    assert not [d for d in docs if d["kind"] == "CustomResourceDefinition"]  # the cluster fixture's, same version
    images = {name: c["image"] for name, c in _containers(docs).items()}
    assert images == {
        "argocd-applicationset-controller/argocd-applicationset-controller": IMAGES["argocd"],
        "argocd-redis/redis": IMAGES["redis"],
        "argocd-redis/secret-init": IMAGES["argocd"],
        "argocd-repo-server/copyutil": IMAGES["argocd"],
        "argocd-repo-server/argocd-repo-server": IMAGES["argocd"],
        "argocd-application-controller/argocd-application-controller": IMAGES["argocd"],
    }
    assert _containers(docs)["argocd-redis/redis"]["command"] == ["redis-server"]
    assert version().startswith("v3.2.")


def test_git_server_serves_one_bare_repository() -> None:
    deployment, service = git_server_manifest("127.0.0.1:5000/argocd-git:0")
    script = deployment["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert "git daemon" in script and "--enable=receive-pack" not in script
    assert service["spec"]["ports"] == [{"port": 9418, "targetPort": "git", "name": "git"}]


def test_test_values_are_layered_on_a_job_file_as_helm_layers_a_later_values_file() -> None:
    """harness.delivery.gitops.merged: maps merge key by key, lists and scalars are replaced whole."""
    job_file = {"env": {"SPARK_MASTER": "local[2]", "KRB5CCNAME": "FILE:/cc"}, "initContainers": {"kinit": {
        "command": ["kinit"]}}, "tolerations": [{"key": "a"}], "resources": {"limits": {"memory": "4Gi"}}}
    test = {"env": {"HDFS_URL": "hdfs://h:8020"}, "initContainers": {"kinit": {"enabled": False}},
            "tolerations": [], "resources": {"limits": {"memory": "1Gi"}}}
    assert merged(job_file, test) == {
        "env": {"SPARK_MASTER": "local[2]", "KRB5CCNAME": "FILE:/cc", "HDFS_URL": "hdfs://h:8020"},
        "initContainers": {"kinit": {"command": ["kinit"], "enabled": False}},
        "tolerations": [], "resources": {"limits": {"memory": "1Gi"}}}
    assert job_file["env"] == {"SPARK_MASTER": "local[2]", "KRB5CCNAME": "FILE:/cc"}  # not changed in place


def test_the_applicationset_for_the_git_server_names_no_production_repository() -> None:
    documents = applicationset_for("git://argocd-git.argocd.svc.cluster.local/cronjobs.git")
    assert [d["kind"] for d in documents] == ["AppProject", "ApplicationSet"]
    text = json.dumps(documents)
    assert "gitlab.cern.ch" not in text and text.count("git://argocd-git.argocd.svc.cluster.local/cronjobs.git") >= 3
