"""Fields an imported manifest needs, each a documented value: container identity and hooks, pod names,
mutable image tags, exact security contexts, exact volume settings, env order, objects beside the CronJob."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from harness.charts.render import render_chart
from tests.charts.conftest import TEST_CHART, Render, main_container, pod_spec


def test_container_identity_hooks_and_terminal(render: Render) -> None:
    hook = {"postStart": {"exec": {"command": ["sh", "-c", "export > /etc/environment"]}}}
    objects = render({"container": {"name": "spark", "lifecycle": hook, "stdin": True, "tty": True,
                                    "workingDir": "/data", "terminationMessagePath": "/dev/termination-log",
                                    "terminationMessagePolicy": "File"},
                      "pod": {"hostname": "rucio", "subdomain": "drivers"}})
    main = main_container(objects)
    assert (main["name"], main["lifecycle"], main["stdin"], main["tty"], main["workingDir"]) == (
        "spark", hook, True, True, "/data")
    assert (main["terminationMessagePath"], main["terminationMessagePolicy"]) == ("/dev/termination-log", "File")
    template = objects["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]
    assert template["metadata"]["annotations"]["kubectl.kubernetes.io/default-container"] == "spark"
    assert (template["spec"]["hostname"], template["spec"]["subdomain"]) == ("rucio", "drivers")


def test_defaults_render_no_terminal_or_hooks(render: Render) -> None:
    main = main_container(render())
    assert main["name"] == "main"
    assert not {"stdin", "tty", "lifecycle", "workingDir", "terminationMessagePath"} & set(main)


def test_latest_or_untagged_image_only_when_allowed(render: Render) -> None:
    latest = main_container(render({"image": {"tag": "latest", "allowLatest": True}}))["image"]
    untagged = main_container(render({"image": {"tag": "", "allowLatest": True}}))["image"]
    assert (latest, untagged) == ("registry.cern.ch/cmsmonitoring/test-job:latest",
                                  "registry.cern.ch/cmsmonitoring/test-job")


def test_security_defaults_off_uses_exactly_what_is_given(render: Render) -> None:
    objects = render({"securityDefaults": {"pod": False, "container": False},
                      "pod": {"securityContext": {}}, "containerSecurityContext": {"runAsUser": 0}})
    assert "securityContext" not in pod_spec(objects)
    assert main_container(objects)["securityContext"] == {"runAsUser": 0}


def test_empty_security_context_still_merges_over_defaults(render: Render) -> None:
    objects = render({"pod": {"securityContext": {}}})
    assert pod_spec(objects)["securityContext"]["runAsNonRoot"] is True


def test_volume_settings_are_exact(render: Render) -> None:
    objects = render({"persistence": {
        "eos": {"type": "hostPath", "path": "/var/eos", "hostPathType": "", "mountPath": "/eos"},
        "data": {"type": "hostPath", "path": "/data", "mountPath": "/data"},
        "keys": {"type": "secret", "secretName": "k", "mountPath": "/etc/secrets", "readOnly": False,
                 "defaultMode": 420},
        "proxy": {"type": "secret", "secretName": "p", "mountPath": "/etc/proxy"},
        "spare": {"type": "secret", "secretName": "s"},
        "cvmfs": {"type": "pvc", "claimName": "c", "claimReadOnly": True, "mountPath": "/cvmfs"},
    }})
    volumes = {v["name"]: v for v in pod_spec(objects)["volumes"]}
    mounts = {m["name"]: m for m in main_container(objects)["volumeMounts"]}
    assert volumes["eos"]["hostPath"] == {"path": "/var/eos", "type": ""}
    assert volumes["data"]["hostPath"] == {"path": "/data", "type": "Directory"}
    assert volumes["keys"]["secret"]["defaultMode"] == 420 and "readOnly" not in mounts["keys"]
    assert volumes["proxy"]["secret"]["defaultMode"] == 0o400 and mounts["proxy"]["readOnly"] is True
    assert "spare" in volumes and "spare" not in mounts
    assert volumes["cvmfs"]["persistentVolumeClaim"]["readOnly"] is True and "readOnly" not in mounts["cvmfs"]


def test_extra_env_vars_keep_their_order_after_the_wiring(render: Render) -> None:
    node = {"fieldRef": {"fieldPath": "spec.nodeName"}}
    env = main_container(render({"extraEnvVars": [{"name": "NODE", "valueFrom": node},
                                                  {"name": "OUT", "value": "/data/$(NODE)"},
                                                  {"name": "A_FIRST", "value": "1"}],
                                 "env": {"B": "2"}}))["env"]
    assert [e["name"] for e in env] == ["PUSHGATEWAY_URL", "PUSHGATEWAY_JOB", "PUSHGATEWAY_INSTANCE",
                                        "METRICS_ENV", "NODE", "OUT", "A_FIRST", "B"]
    assert env[4] == {"name": "NODE", "valueFrom": node}


def test_pushgateway_url_may_be_host_and_port(render: Render) -> None:
    env = main_container(render({"metrics": {"pushgateway": {"url": "cms-monitoring:30091"}}}))["env"]
    assert env[0] == {"name": "PUSHGATEWAY_URL", "value": "cms-monitoring:30091"}


def test_objects_beside_the_cronjob(render: Render) -> None:
    ports = [{"name": "driver", "port": 31207, "nodePort": 31207, "targetPort": 31207, "protocol": "TCP"}]
    values: dict[str, Any] = {
        "configMaps": {"script": {"data": {"run.sh": "echo {{ not templated }}\n"}, "labels": {"app": "x"}}},
        "services": {"driver": {"type": "NodePort", "ports": ports}},
        "serviceAccount": {"automountServiceAccountToken": True},
        "rbac": {"clusterRoles": ["edit"]},
        "metrics": {"dashboard": {"enabled": False}},
    }
    objects = render(values)
    config_map, service, binding = objects["ConfigMap"], objects["Service"], objects["RoleBinding"]
    assert config_map["metadata"]["name"] == "t-test-chart-script"
    assert config_map["data"] == {"run.sh": "echo {{ not templated }}\n"}
    assert config_map["metadata"]["labels"]["app"] == "x"
    assert service["spec"] == {"type": "NodePort", "ports": ports,
                               "selector": {"app.kubernetes.io/name": "test-chart", "app.kubernetes.io/instance": "t"}}
    assert binding["metadata"]["name"] == "t-test-chart-edit"
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "t-test-chart", "namespace": "default"}]


def test_owned_objects_keep_a_given_name(render: Render) -> None:
    objects = render({"configMaps": {"script": {"name": "cm-rucio", "data": {"a": "b"}}},
                      "metrics": {"dashboard": {"enabled": False}}})
    assert objects["ConfigMap"]["metadata"]["name"] == "cm-rucio"


def _notes(tmp_path: Path, values: dict[str, Any]) -> str:
    """The NOTES warnings, rendered through a copy of the test chart that shows them as a ConfigMap."""
    chart = tmp_path / "notes-chart"
    shutil.copytree(TEST_CHART, chart, ignore=shutil.ignore_patterns("charts", "tmpcharts*", "Chart.lock"))
    (chart / "Chart.yaml").write_text((chart / "Chart.yaml").read_text().replace("file://..",
                                                                                  f"file://{TEST_CHART.parent}"))
    (chart / "templates" / "job.yaml").write_text(
        'kind: ConfigMap\napiVersion: v1\nmetadata: {name: notes}\ndata:\n  notes: '
        '{{ include "cronjob-common.loader.notes" . | quote }}\n')
    import yaml

    values_file = tmp_path / "values.yaml"
    values_file.write_text(yaml.safe_dump(values))
    objects = render_chart(chart, values_files=[values_file], release="t")
    notes: str = objects[0]["data"]["notes"]
    return notes


def test_notes_warn_of_each_opt_out(tmp_path: Path) -> None:
    notes = _notes(tmp_path, {"image": {"tag": "latest", "allowLatest": True},
                              "securityDefaults": {"pod": False, "container": False},
                              "pod": {"securityContext": {}}, "containerSecurityContext": {},
                              "persistence": {"eos": {"type": "hostPath", "path": "/var/eos", "hostPathType": "",
                                                      "mountPath": "/eos"}}})
    assert notes.splitlines() == [
        "WARNING (4):",
        "- image registry.cern.ch/cmsmonitoring/test-job:latest: mutable tag (latest or none); a re-pushed image "
        "changes what runs. Pin image.tag or image.digest.",
        "- securityDefaults.pod is false: pod securityContext is {}, without the secure defaults.",
        "- securityDefaults.container is false: container securityContext is {}, without the secure defaults.",
        "- persistence.eos: hostPathType \"\" mounts /var/eos without checking what is there (no type check, as "
        "Kubernetes defaults).",
    ]
    assert _notes(tmp_path / "plain", {}) == "no warnings"
