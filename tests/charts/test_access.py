"""ServiceAccount, RBAC and NetworkPolicy."""

from __future__ import annotations

import yaml

from tests.charts.conftest import Render, pod_spec


def test_service_account_created_without_token(render: Render) -> None:
    objects = render()
    assert objects["ServiceAccount"]["automountServiceAccountToken"] is False
    assert pod_spec(objects)["serviceAccountName"] == "t-test-chart"
    assert "Role" not in objects and "NetworkPolicy" not in objects


def test_existing_service_account(render: Render) -> None:
    objects = render({"serviceAccount": {"create": False, "name": "shared"}})
    assert "ServiceAccount" not in objects and pod_spec(objects)["serviceAccountName"] == "shared"


def test_role_and_binding(render: Render) -> None:
    rules = [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]
    objects = render({"rbac": {"create": True, "rules": rules},
                      "serviceAccount": {"automountServiceAccountToken": True}})
    assert objects["Role"]["rules"] == rules
    binding = objects["RoleBinding"]
    assert binding["roleRef"]["name"] == "t-test-chart"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "t-test-chart", "namespace": "default"}]
    assert pod_spec(objects)["automountServiceAccountToken"] is True


def test_network_policy_allowlist(render: Render) -> None:
    egress = [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443, "protocol": "TCP"}]}]
    policy = render({"networkPolicy": {"enabled": True, "egress": egress}})["NetworkPolicy"]["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"] and policy["ingress"] == []
    assert policy["egress"][0]["ports"] == [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
    assert policy["egress"][1:] == egress
    assert policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "test-chart",
                                                    "app.kubernetes.io/instance": "t"}


def test_spark_on_kubernetes_gets_a_role_for_executor_pods_a_token_and_the_driver_wiring(render: Render) -> None:
    own = [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]
    objects = render({"spark": {"kubernetes": {"enabled": True, "executorRequestCores": "250m"}},
                      "env": {"SPARK_MASTER": "k8s://https://kubernetes.default.svc"},
                      "rbac": {"create": True, "rules": own}, "serviceAccount": {"automountServiceAccountToken": True},
                      "pod": {"imagePullSecrets": ["regcred", "mirror"]}})
    manage = ["create", "get", "list", "watch", "delete", "deletecollection"]
    assert objects["Role"]["rules"] == [*own, {"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": manage},
                                        {"apiGroups": [""], "resources": ["persistentvolumeclaims"],
                                         "verbs": ["list", "deletecollection"]}]
    assert objects["RoleBinding"]["roleRef"]["name"] == "t-test-chart"
    spec = pod_spec(objects)
    assert spec["automountServiceAccountToken"] is True
    container = spec["containers"][0]
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"] if e["name"].startswith("SPARK_")}
    assert env == {
        "SPARK_MASTER": "k8s://https://kubernetes.default.svc",
        "SPARK_LOCAL_IP": {"fieldRef": {"fieldPath": "status.podIP"}},
        "SPARK_DRIVER_PORT": "7078",
        "SPARK_BLOCKMANAGER_PORT": "7079",
        "SPARK_KUBERNETES_NAMESPACE": {"fieldRef": {"fieldPath": "metadata.namespace"}},
        "SPARK_KUBERNETES_DRIVER_POD": {"fieldRef": {"fieldPath": "metadata.name"}},
        "SPARK_KUBERNETES_IMAGE": container["image"],
        "SPARK_KUBERNETES_IMAGE_PULL_POLICY": container["imagePullPolicy"],
        "SPARK_KUBERNETES_IMAGE_PULL_SECRETS": "regcred,mirror",
        "SPARK_KUBERNETES_EXECUTOR_REQUEST_CORES": "250m",
        "SPARK_KUBERNETES_EXECUTOR_POD_TEMPLATE": "/etc/cronjob-common/spark-executor/pod.yaml",
    }
    assert [(p["name"], p["containerPort"]) for p in container["ports"]] == [("spark-driver", 7078),
                                                                            ("spark-blockmgr", 7079)]
    assert {"name": "spark-executor-pod", "mountPath": "/etc/cronjob-common/spark-executor",
            "readOnly": True} in container["volumeMounts"]
    assert {"name": "spark-executor-pod", "configMap": {"name": "t-test-chart-spark-executor", "defaultMode": 0o444}} \
        in spec["volumes"]


def test_executor_pods_start_from_a_template_with_the_jobs_security_placement_and_log_label(
        render: Render) -> None:
    objects = render({"spark": {"kubernetes": {"enabled": True}},
                      "env": {"SPARK_MASTER": "k8s://https://kubernetes.default.svc"},
                      "logs": {"collect": True}, "pod": {"nodeSelector": {"role": "spark"}, "labels": {"team": "x"}},
                      "metrics": {"dashboard": {"enabled": False}}})  # the only other ConfigMap
    template = yaml.safe_load(objects["ConfigMap"]["data"]["pod.yaml"])
    spec = pod_spec(objects)
    assert objects["ConfigMap"]["metadata"]["name"] == "t-test-chart-spark-executor"
    assert template["metadata"]["labels"] == {"logs.cronharness.io/cronjob": "t-test-chart", "team": "x"}
    assert template["spec"]["securityContext"] == spec["securityContext"]
    assert template["spec"]["nodeSelector"] == {"role": "spark"}
    (executor,) = template["spec"]["containers"]
    # No volumes: Spark mounts an emptyDir at the driver's SPARK_LOCAL_DIRS (/tmp in the spark base image).
    assert executor == {"name": "executor", "securityContext": spec["containers"][0]["securityContext"]}
    assert "volumes" not in template["spec"]


def test_spark_on_kubernetes_alone_makes_the_role_and_mounts_the_token(render: Render) -> None:
    objects = render({"spark": {"kubernetes": {"enabled": True}},
                      "env": {"SPARK_MASTER": "k8s://https://kubernetes.default.svc"}})
    assert [rule["resources"] for rule in objects["Role"]["rules"]] == [["pods", "configmaps"],
                                                                        ["persistentvolumeclaims"]]
    assert objects["ServiceAccount"]["automountServiceAccountToken"] is False  # other pods of the SA: no token
    assert pod_spec(objects)["automountServiceAccountToken"] is True
