"""Pod and container fields: security defaults, image, env, ports, volumes, extra containers."""

from __future__ import annotations

from tests.charts.conftest import Render, main_container, pod_spec


def test_secure_defaults(render: Render) -> None:
    objects = render()
    pod, main = pod_spec(objects), main_container(objects)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    ctx = main["securityContext"]
    assert ctx["readOnlyRootFilesystem"] is True and ctx["allowPrivilegeEscalation"] is False
    assert ctx["capabilities"] == {"drop": ["ALL"]} and ctx["privileged"] is False
    assert {"name": "tmp", "mountPath": "/tmp"} in main["volumeMounts"]
    assert {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}} in pod["volumes"]
    assert main["resources"]["limits"]["memory"] == "256Mi"


def test_security_opt_out_is_explicit(render: Render) -> None:
    objects = render({"containerSecurityContext": {"readOnlyRootFilesystem": False}, "tmpVolume": {"enabled": False}})
    main = main_container(objects)
    assert main["securityContext"]["readOnlyRootFilesystem"] is False
    assert main["securityContext"]["allowPrivilegeEscalation"] is False  # the rest stays
    assert "volumeMounts" not in main and "volumes" not in pod_spec(objects)


def test_image_tag_defaults_to_app_version_and_global_registry_wins(render: Render) -> None:
    assert main_container(render())["image"] == "registry.cern.ch/cmsmonitoring/test-job:1.0.0"
    image = main_container(render({"global": {"imageRegistry": "mirror.local:5000"}, "image": {"tag": "2.1"}}))["image"]
    assert image == "mirror.local:5000/cmsmonitoring/test-job:2.1"


def test_image_digest(render: Render) -> None:
    digest = "sha256:" + "a" * 64
    assert main_container(render({"image": {"digest": digest, "tag": ""}}))["image"] == (
        f"registry.cern.ch/cmsmonitoring/test-job@{digest}")


def test_env_forms_and_pushgateway_wiring(render: Render) -> None:
    env = main_container(render({
        "env": {"B_PLAIN": "x", "A_NUMBER": 5, "C_SECRET": {"secretKeyRef": {"name": "s", "key": "k"}},
                "D_NODE": {"fieldRef": {"fieldPath": "spec.nodeName"}}, "E_TPL": "{{ .Release.Name }}-x"},
        "envFrom": [{"configMapRef": {"name": "cfg"}}],
    }))
    by_name = {e["name"]: e for e in env["env"]}
    assert by_name["PUSHGATEWAY_URL"]["value"] == "http://127.0.0.1:9091"
    assert by_name["PUSHGATEWAY_JOB"]["value"] == "t-test-chart"
    assert by_name["A_NUMBER"] == {"name": "A_NUMBER", "value": "5"}
    assert by_name["C_SECRET"]["valueFrom"] == {"secretKeyRef": {"name": "s", "key": "k"}}
    assert by_name["D_NODE"]["valueFrom"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}
    assert by_name["E_TPL"]["value"] == "t-x"
    user = [e["name"] for e in env["env"]][4:]
    assert user == sorted(user)
    assert env["envFrom"] == [{"configMapRef": {"name": "cfg"}}]


def test_pushgateway_disabled_removes_env(render: Render) -> None:
    assert "env" not in main_container(render({"metrics": {"pushgateway": {"enabled": False}}}))


def test_host_network_sets_dns_policy_and_host_ports(render: Render) -> None:
    objects = render({"pod": {"hostNetwork": True},
                      "ports": {"driver": {"containerPort": 5001, "hostPort": 5001},
                                "blockmanager": {"containerPort": 5002, "hostPort": 5002}}})
    pod = pod_spec(objects)
    assert pod["hostNetwork"] is True and pod["dnsPolicy"] == "ClusterFirstWithHostNet"
    assert main_container(objects)["ports"] == [
        {"name": "blockmanager", "containerPort": 5002, "hostPort": 5002, "protocol": "TCP"},
        {"name": "driver", "containerPort": 5001, "hostPort": 5001, "protocol": "TCP"},
    ]


def test_volumes_of_every_type(render: Render) -> None:
    objects = render({"persistence": {
        "keytab": {"type": "secret", "secretName": "kt", "mountPath": "/etc/keytab"},
        "cfg": {"type": "configMap", "configMapName": "c", "mountPath": "/etc/cfg", "defaultMode": 0o440},
        "cvmfs": {"type": "pvc", "claimName": "cvmfs-cms", "mountPath": "/cvmfs/cms.cern.ch", "readOnly": True},
        "eos": {"type": "hostPath", "path": "/eos", "mountPath": "/eos", "mountPropagation": "HostToContainer"},
        "scratch": {"type": "emptyDir", "medium": "Memory", "sizeLimit": "1Gi", "mountPath": "/scratch"},
        "off": {"enabled": False, "type": "secret", "secretName": "x", "mountPath": "/off"},
    }})
    volumes = {v["name"]: v for v in pod_spec(objects)["volumes"]}
    assert volumes["keytab"]["secret"] == {"secretName": "kt", "defaultMode": 0o400}
    assert volumes["cfg"]["configMap"] == {"name": "c", "defaultMode": 0o440}
    assert volumes["cvmfs"]["persistentVolumeClaim"] == {"claimName": "cvmfs-cms", "readOnly": True}
    assert volumes["eos"]["hostPath"] == {"path": "/eos", "type": "Directory"}
    assert volumes["scratch"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "1Gi"}
    assert "off" not in volumes
    mounts = {m["name"]: m for m in main_container(objects)["volumeMounts"]}
    assert mounts["keytab"] == {"name": "keytab", "mountPath": "/etc/keytab", "readOnly": True}
    assert mounts["eos"]["mountPropagation"] == "HostToContainer"
    assert mounts["cvmfs"]["readOnly"] is True and "readOnly" not in mounts["scratch"]


def test_init_containers_and_native_sidecars(render: Render) -> None:
    objects = render({
        "persistence": {"keytab": {"type": "secret", "secretName": "kt", "mountPath": "/etc/keytab"}},
        "initContainers": {"kinit": {"command": ["kinit"]}},
        "sidecars": {"shipper": {"image": "shipper:1"}},
    })
    init = {c["name"]: c for c in pod_spec(objects)["initContainers"]}
    assert list(init) == ["kinit", "shipper"]
    assert init["kinit"]["image"] == main_container(objects)["image"]
    assert "restartPolicy" not in init["kinit"] and init["shipper"]["restartPolicy"] == "Always"
    assert {"name": "keytab", "mountPath": "/etc/keytab", "readOnly": True} in init["kinit"]["volumeMounts"]
    assert init["shipper"]["securityContext"]["readOnlyRootFilesystem"] is True
    assert init["shipper"]["resources"] == main_container(objects)["resources"]


def test_a_disabled_init_container_or_sidecar_is_left_out(render: Render) -> None:
    """An environment's kinit switched off for one job (enabled: false); the others keep theirs."""
    objects = render({
        "initContainers": {"kinit": {"command": ["kinit"], "enabled": False}, "wait": {"command": ["true"],
                                                                                      "enabled": True}},
        "sidecars": {"shipper": {"image": "shipper:1", "enabled": False}},
    })
    init = pod_spec(objects)["initContainers"]
    assert [c["name"] for c in init] == ["wait"] and "enabled" not in init[0]
    assert "initContainers" not in pod_spec(render({"initContainers": {"kinit": {"command": ["kinit"],
                                                                                  "enabled": False}}}))


def test_scheduling_fields(render: Render) -> None:
    pod = pod_spec(render({"pod": {
        "nodeSelector": {"role": "batch"}, "tolerations": [{"key": "k", "operator": "Exists"}],
        "affinity": {"nodeAffinity": {}}, "priorityClassName": "low", "imagePullSecrets": ["reg"],
        "restartPolicy": "OnFailure", "terminationGracePeriodSeconds": 0,
    }}))
    assert pod["nodeSelector"] == {"role": "batch"} and pod["priorityClassName"] == "low"
    assert pod["tolerations"] == [{"key": "k", "operator": "Exists"}]
    assert pod["imagePullSecrets"] == [{"name": "reg"}] and pod["restartPolicy"] == "OnFailure"
    assert pod["terminationGracePeriodSeconds"] == 0
