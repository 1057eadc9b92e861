"""The operator stack's objects (harness/monitoring/operator.py), checked offline: selectors and schemas."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.charts.discover import VALUES_DIR
from harness.charts.validate import validate_objects
from harness.errors import HarnessError
from harness.images.reference import ImageRef
from harness.monitoring import operator
from harness.monitoring.operator import StackImages, manifests, rule_selector


def images() -> StackImages:
    names = ("operator", "config_reloader", "prometheus", "alertmanager", "kube_state_metrics", "receiver")
    refs = {n: ImageRef("127.0.0.1:5000", f"cronharness/services/{n.replace('_', '-')}", "k") for n in names}
    return StackImages(**refs, prometheus_version="v2.42.0", alertmanager_version="v0.25.0")


def test_rule_selector_is_what_production_values_put_on_the_rule() -> None:
    prod = yaml.safe_load((VALUES_DIR / "prod" / "_env.yaml").read_text())
    assert rule_selector() == prod["metrics"]["prometheusRule"]["labels"] == {"release": "prometheus"}


@pytest.mark.parametrize(("prod", "preprod", "message"), [
    ({"release": "prometheus"}, {"release": "kube-prometheus"}, "differ between environments"),
    ({}, {"release": "prometheus"}, "values/prod/_env.yaml sets no metrics.prometheusRule.labels"),
])
def test_rule_selector_refuses_environments_prometheus_would_not_select_alike(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prod: dict[str, str], preprod: dict[str, str],
        message: str) -> None:
    for env, labels in (("prod", prod), ("preprod", preprod)):
        (tmp_path / env).mkdir()
        (tmp_path / env / "_env.yaml").write_text(yaml.safe_dump({"metrics": {"prometheusRule": {"labels": labels}}}))
    monkeypatch.setattr(operator, "VALUES_DIR", tmp_path)
    with pytest.raises(HarnessError, match=message):
        rule_selector()


def test_objects_are_valid_and_select_by_production_labels() -> None:
    objects = manifests(images(), {"release": "prometheus"})
    assert validate_objects(objects) == []
    (prometheus,) = [o for o in objects if o["kind"] == "Prometheus"]
    spec = prometheus["spec"]
    for kind in ("rule", "serviceMonitor", "podMonitor"):  # production's; see the note on Debian's Prometheus
        assert spec[f"{kind}Selector"] == {"matchLabels": {"release": "prometheus"}}
        assert spec[f"{kind}NamespaceSelector"] == {}  # every namespace, as kube-prometheus-stack's default
    assert spec["scrapeConfigSelector"] == {"matchLabels": {"release": "prometheus"}}
    scrapes = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ScrapeConfig"}
    assert sorted(scrapes) == ["kube-state-metrics", "pushgateway"]
    for scrape in scrapes.values():
        assert scrape["metadata"]["labels"] == {"release": "prometheus"}
        assert scrape["spec"]["honorLabels"] is True  # the series' own namespace/job labels, not the target's
    assert scrapes["pushgateway"]["spec"]["staticConfigs"] == [
        {"targets": ["pushgateway.cronharness-services.svc:9091"]}]
    # A resend delay of 10 s: an alert dropped during a reload is sent again within seconds.
    assert spec["additionalArgs"] == [{"name": "rules.alert.resend-delay", "value": "10s"}]
    # Debian's Prometheus has no Kubernetes discovery: nothing the operator writes may need it.
    assert "alerting" not in spec and not [o for o in objects if o["kind"] in ("ServiceMonitor", "PodMonitor")]
    # The operator runs the reloader from /bin and servers by the image's entrypoint: both set by name.
    commands = {c["name"]: c["command"] for c in [*spec["containers"], *spec["initContainers"]]}
    assert commands == {"prometheus": ["/usr/bin/prometheus"],
                        "config-reloader": ["/opt/service/prometheus-config-reloader"],
                        "init-config-reloader": ["/opt/service/prometheus-config-reloader"]}
    cluster_scoped = [o for o in objects if o["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    assert all(o["metadata"]["labels"] == operator.PART_OF for o in cluster_scoped)
