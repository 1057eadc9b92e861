"""ServiceAccount, RBAC and NetworkPolicy."""

from __future__ import annotations

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
