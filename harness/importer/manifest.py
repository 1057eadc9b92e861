"""Map a CronJob manifest (and the objects beside it) onto cronjob-common values.

Rule: behaviour does not change on migration. Every field is carried with the source's value; where the
library's default differs from Kubernetes' (concurrencyPolicy Forbid, backoffLimit 0, startingDeadlineSeconds
300, a ServiceAccount per job, secure security contexts, /tmp volume, read-only secret mounts, defaultMode
0400), the import sets Kubernetes' value explicitly. What the library cannot express becomes a Note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from harness.errors import HarnessError
from harness.importer.defaults import KUBERNETES_DEFAULTS as K8S_DEFAULTS
from harness.importer.notes import Kind, Note

POD = "spec.jobTemplate.spec.template.spec"
JOB_SPEC = "spec.jobTemplate.spec"
CARRIED_CRONJOB = {"schedule", "timeZone", "suspend", "concurrencyPolicy", "startingDeadlineSeconds",
                   "successfulJobsHistoryLimit", "failedJobsHistoryLimit", "jobTemplate"}
CARRIED_JOB = {"backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished", "podFailurePolicy",
               "parallelism", "completions", "template"}
CARRIED_POD = {"restartPolicy", "terminationGracePeriodSeconds", "hostNetwork", "dnsPolicy", "nodeSelector",
               "affinity", "tolerations", "priorityClassName", "imagePullSecrets", "hostname", "subdomain",
               "serviceAccountName", "serviceAccount", "automountServiceAccountToken", "securityContext",
               "volumes", "containers", "initContainers"}
CARRIED_CONTAINER = {"name", "image", "imagePullPolicy", "command", "args", "workingDir", "env", "envFrom",
                     "ports", "lifecycle", "resources", "securityContext", "stdin", "tty",
                     "terminationMessagePath", "terminationMessagePolicy", "volumeMounts"}
VOLUME_TYPES = {"secret": "secret", "configMap": "configMap", "emptyDir": "emptyDir",
                "persistentVolumeClaim": "pvc", "hostPath": "hostPath"}
# checkov findings of a pod without the secure defaults (no privilege-escalation block, writable root, root
# user, capabilities kept, no security context, no seccomp profile, low uid; CKV_K8S_14 for a mutable tag):
# accepted on the imported job's CronJob by annotation, each with its reason, so `make lint` passes while the
# README lists the hardening to do.
SECURITY_FINDINGS = ("CKV_K8S_20", "CKV_K8S_22", "CKV_K8S_23", "CKV_K8S_28", "CKV_K8S_29", "CKV_K8S_30",
                     "CKV_K8S_31", "CKV_K8S_37", "CKV_K8S_40")
NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass
class Imported:
    """The result of an import: the job's values, per-environment values, and every difference's reason.

    Attributes:
        name: the job (chart) name.
        source_name: the CronJob's name in the source (kept as fullnameOverride, so objects keep their names).
        values: the chart's values.yaml content.
        env_values: values/<env>/<name>.yaml contents by environment.
        notes: one Note per changed, hardened or dropped field.
        objects: the source objects carried beside the CronJob, by (kind, name).
        cronjob: the source CronJob as parsed.
    """

    name: str
    source_name: str
    values: dict[str, Any]
    env_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    objects: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    cronjob: dict[str, Any] = field(default_factory=dict)

    def note(self, path: str, kind: Kind, reason: str) -> None:
        self.notes.append(Note(path, kind, reason))


def escape_templates(value: Any) -> Any:
    """Strings the library renders through `tpl` (args, env values, labels, annotations) keep a literal `{{`."""
    if isinstance(value, str):
        return value.replace("{{", '{{ "{{" }}') if "{{" in value else value
    if isinstance(value, list):
        return [escape_templates(v) for v in value]
    if isinstance(value, dict):
        return {k: escape_templates(v) for k, v in value.items()}
    return value


def split_image(image: str) -> dict[str, Any]:
    """registry/repository:tag@digest -> image values; no tag or `latest` sets allowLatest (warned in NOTES)."""
    ref, _, digest = image.strip().partition("@")
    first, _, rest = ref.partition("/")
    registry = ""
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, ref = first, rest
    repository, tag = ref, ""
    if ":" in ref.rsplit("/", 1)[-1]:
        repository, _, tag = ref.rpartition(":")
    out: dict[str, Any] = {"registry": registry, "repository": repository, "tag": tag}
    if digest:
        out["digest"] = digest
    if not digest and tag in ("", "latest"):
        out["allowLatest"] = True
    return out


def cronjobs_in(documents: list[Any]) -> list[dict[str, Any]]:
    return [d for d in documents if isinstance(d, dict) and d.get("kind") == "CronJob"]


def import_manifest(documents: list[Any], name: str | None = None, env: str | None = None,
                    env_overrides: dict[str, set[str]] | None = None) -> Imported:
    """Map the one CronJob of ``documents`` (and its side objects) to values.

    Args:
        documents: the parsed YAML documents of the manifest.
        name: the job (chart) name; default the CronJob's name.
        env: the environment the manifest belongs to (default: from K8S_ENV or an `environment` label).
        env_overrides: per environment, the env variable names its values/<env>/_env.yaml sets (they would
            override the job's own value, so the import re-asserts it in values/<env>/<name>.yaml).

    Raises:
        HarnessError: no CronJob, several CronJobs, or no container.
    """
    found = cronjobs_in(documents)
    if len(found) != 1:
        names = [str(c.get("metadata", {}).get("name")) for c in found]
        raise HarnessError(f"the manifest has {len(found)} CronJobs ({', '.join(names) or 'none'}); "
                           "import needs exactly one: split the file")
    cronjob = found[0]
    meta = cronjob.get("metadata") or {}
    source_name = str(meta.get("name") or name or "")
    job_name = name or source_name
    if not NAME.match(job_name) or len(job_name) > 42:
        raise HarnessError(f"job name {job_name!r} must be at most 42 lower-case letters, digits and -; "
                           "pass --name")
    result = Imported(job_name, source_name, {}, cronjob=cronjob)
    _metadata(result, cronjob, meta)
    pod = _cronjob_spec(result, cronjob.get("spec") or {})
    container = _containers(result, pod)
    inferred_env = env or _environment_of(cronjob, container)
    _pod(result, pod)
    _service_account(result, pod, documents)
    _volumes(result, pod, container)
    _main_container(result, container)
    _side_objects(result, documents, cronjob)
    _environment_values(result, inferred_env, env_overrides or {})
    return result


def _metadata(result: Imported, cronjob: dict[str, Any], meta: dict[str, Any]) -> None:
    values = result.values
    values["fullnameOverride"] = result.source_name
    if cronjob.get("apiVersion") != "batch/v1":
        result.note("apiVersion", Kind.CHANGED, f"{cronjob.get('apiVersion')} is rendered as batch/v1 (the only "
                    "CronJob API served since Kubernetes 1.25; same fields)")
    if meta.get("namespace"):
        result.note("metadata.namespace", Kind.DROPPED, f"namespace {meta['namespace']!r}: a chart is installed "
                    "into the release namespace (Argo CD: cmsmon-<env>); deploy there or pass --namespace to helm")
    if meta.get("labels"):
        values.setdefault("cronjob", {})["labels"] = escape_templates(meta["labels"])
    if meta.get("annotations"):
        values.setdefault("cronjob", {})["annotations"] = escape_templates(meta["annotations"])
    for key in sorted(set(meta) - {"name", "namespace", "labels", "annotations"}):
        result.note(f"metadata.{key}", Kind.DROPPED, "set by the API server or not a chart's business")


def _cronjob_spec(result: Imported, spec: dict[str, Any]) -> dict[str, Any]:
    cron: dict[str, Any] = result.values.setdefault("cronjob", {})
    cron["schedule"] = spec.get("schedule", "")
    if spec.get("timeZone"):
        cron["timeZone"] = spec["timeZone"]
    for key in ("concurrencyPolicy", "suspend", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        cron[key] = spec.get(key, K8S_DEFAULTS[key])
    # 0 means none (Kubernetes' default): a null in a chart's values.yaml is dropped by Helm 4, not by Helm 3.
    cron["startingDeadlineSeconds"] = spec.get("startingDeadlineSeconds") or 0
    for key in sorted(set(spec) - CARRIED_CRONJOB):
        result.note(f"spec.{key}", Kind.DROPPED, "not a CronJob field the library renders")
    template = spec.get("jobTemplate") or {}
    job_meta = template.get("metadata") or {}
    job_values: dict[str, Any] = {}
    if job_meta.get("labels"):
        job_values["labels"] = escape_templates(job_meta["labels"])
    if job_meta.get("annotations"):
        job_values["annotations"] = escape_templates(job_meta["annotations"])
    job_spec = template.get("spec") or {}
    for key in ("backoffLimit", "parallelism", "completions"):
        job_values[key] = job_spec.get(key, K8S_DEFAULTS[key])
    for key in ("activeDeadlineSeconds", "ttlSecondsAfterFinished", "podFailurePolicy"):
        if key in job_spec:
            job_values[key] = job_spec[key]
    for key in sorted(set(job_spec) - CARRIED_JOB):
        result.note(f"{JOB_SPEC}.{key}", Kind.DROPPED, "Job field the library does not render")
    result.values["job"] = job_values
    pod_template = job_spec.get("template") or {}
    pod_meta = pod_template.get("metadata") or {}
    pod_values: dict[str, Any] = result.values.setdefault("pod", {})
    if pod_meta.get("labels"):
        pod_values["labels"] = escape_templates(pod_meta["labels"])
    if pod_meta.get("annotations"):
        pod_values["annotations"] = escape_templates(pod_meta["annotations"])
    pod: dict[str, Any] = pod_template.get("spec") or {}
    return pod


def _containers(result: Imported, pod: dict[str, Any]) -> dict[str, Any]:
    containers = pod.get("containers") or []
    if not containers:
        raise HarnessError(f"CronJob {result.source_name}: the pod template has no container")
    for extra in containers[1:]:
        result.note(f"{POD}.containers[{extra.get('name')}]", Kind.DROPPED,
                    "a second container: the library runs one main container plus native sidecars "
                    "(sidecars.<name>, which stop when the main container exits); move it there if it is a helper")
    main: dict[str, Any] = containers[0]
    return main


def _environment_of(cronjob: dict[str, Any], container: dict[str, Any]) -> str | None:
    for var in container.get("env") or []:
        if var.get("name") == "K8S_ENV" and var.get("value"):
            return str(var["value"])
    label = ((cronjob.get("metadata") or {}).get("labels") or {}).get("environment")
    return {"production": "prod"}.get(str(label), str(label)) if label else None


def _pod(result: Imported, pod: dict[str, Any]) -> None:
    values: dict[str, Any] = result.values["pod"]
    if "restartPolicy" not in pod:
        raise HarnessError(f"CronJob {result.source_name}: restartPolicy is required for a Job (Never or OnFailure)")
    values["restartPolicy"] = pod["restartPolicy"]
    values["terminationGracePeriodSeconds"] = pod.get("terminationGracePeriodSeconds",
                                                      K8S_DEFAULTS["terminationGracePeriodSeconds"])
    for key in ("hostNetwork", "dnsPolicy", "nodeSelector", "affinity", "tolerations", "priorityClassName",
                "hostname", "subdomain"):
        if key in pod:
            values[key] = pod[key]
    if pod.get("imagePullSecrets"):
        values["imagePullSecrets"] = [s["name"] for s in pod["imagePullSecrets"]]
    result.values["securityDefaults"] = {"pod": False, "container": False}
    values["securityContext"] = _security_context(result, pod, POD, "pod", "run as non-root with seccomp "
                                                  "RuntimeDefault")
    for key in sorted(set(pod) - CARRIED_POD):
        result.note(f"{POD}.{key}", Kind.DROPPED, "pod field the library does not render")
    for init in pod.get("initContainers") or []:
        key = "sidecars" if init.get("restartPolicy") == "Always" else "initContainers"
        body = {k: v for k, v in init.items() if k not in ("name", "restartPolicy")}
        result.values.setdefault(key, {})[init["name"]] = body


def _service_account(result: Imported, pod: dict[str, Any], documents: list[Any]) -> None:
    name = pod.get("serviceAccountName") or pod.get("serviceAccount") or "default"
    own = next((d for d in documents if isinstance(d, dict) and d.get("kind") == "ServiceAccount"
                and (d.get("metadata") or {}).get("name") == name), None)
    sa: dict[str, Any] = {"create": own is not None, "name": name}
    if own is not None:
        result.objects[("ServiceAccount", name)] = own
        if (own.get("metadata") or {}).get("annotations"):
            sa["annotations"] = own["metadata"]["annotations"]
    automount = pod.get("automountServiceAccountToken",
                        (own or {}).get("automountServiceAccountToken", True))
    granted = any(_binds(d, name) for d in documents)
    if automount and not granted and name == "default" and "automountServiceAccountToken" not in pod:
        automount = False
        result.note(f"{POD}.automountServiceAccountToken", Kind.HARDENING,
                    "the pod ran as the namespace's default ServiceAccount and the manifest grants it no role: "
                    "no API token is mounted. Set serviceAccount.automountServiceAccountToken true if the job "
                    "calls the Kubernetes API")
    sa["automountServiceAccountToken"] = bool(automount)
    result.values["serviceAccount"] = sa


def _binds(document: Any, service_account: str) -> bool:
    if not isinstance(document, dict) or document.get("kind") not in ("RoleBinding", "ClusterRoleBinding"):
        return False
    return any(s.get("kind") == "ServiceAccount" and s.get("name") == service_account
               for s in document.get("subjects") or [])


def _volumes(result: Imported, pod: dict[str, Any], container: dict[str, Any]) -> None:
    mounts: dict[str, list[dict[str, Any]]] = {}
    for mount in container.get("volumeMounts") or []:
        mounts.setdefault(mount["name"], []).append(mount)
    persistence: dict[str, Any] = {}
    cpath = f"{POD}.containers[{container.get('name')}]"
    for volume in pod.get("volumes") or []:
        vname = volume["name"]
        kinds = [k for k in volume if k != "name"]
        source_kind = kinds[0] if kinds else ""
        if source_kind not in VOLUME_TYPES or vname == "tmp":
            why = (f"volume type {source_kind!r} is not one the library renders (secret, configMap, emptyDir, "
                   "persistentVolumeClaim, hostPath)") if vname != "tmp" else "the name tmp is the library's /tmp"
            result.note(f"{POD}.volumes[{vname}]", Kind.DROPPED, why)
            for _ in mounts.pop(vname, []):
                result.note(f"{cpath}.volumeMounts[{vname}]", Kind.DROPPED, "its volume is not carried")
            continue
        src = volume[source_kind] or {}
        entry: dict[str, Any] = {"type": VOLUME_TYPES[source_kind]}
        if source_kind in ("secret", "configMap"):
            entry["secretName" if source_kind == "secret" else "configMapName"] = (
                src.get("secretName") if source_kind == "secret" else src.get("name"))
            entry["defaultMode"] = src.get("defaultMode", K8S_DEFAULTS["defaultMode"])
            if "items" in src:
                entry["items"] = src["items"]
            for key in sorted(set(src) - {"secretName", "name", "defaultMode", "items"}):
                result.note(f"{POD}.volumes[{vname}].{source_kind}.{key}", Kind.DROPPED,
                            "volume field the library does not render")
        elif source_kind == "emptyDir":
            entry.update({k: src[k] for k in ("medium", "sizeLimit") if k in src})
        elif source_kind == "persistentVolumeClaim":
            entry["claimName"] = src.get("claimName")
            entry["claimReadOnly"] = bool(src.get("readOnly", False))
        else:
            entry["path"] = src.get("path")
            entry["hostPathType"] = src.get("type", "")
        volume_mounts = mounts.pop(vname, [])
        if volume_mounts:
            mount = volume_mounts[0]
            entry["mountPath"] = mount["mountPath"]
            entry["readOnly"] = bool(mount.get("readOnly", False))
            for key in ("subPath", "mountPropagation"):
                if key in mount:
                    entry[key] = mount[key]
            for key in sorted(set(mount) - {"name", "mountPath", "readOnly", "subPath", "mountPropagation"}):
                result.note(f"{cpath}.volumeMounts[{vname}].{key}", Kind.DROPPED, "mount field the library "
                            "does not render")
            for extra in volume_mounts[1:]:
                result.note(f"{cpath}.volumeMounts[{vname}@{extra['mountPath']}]", Kind.DROPPED,
                            "a second mount of the same volume: the library mounts each volume once")
        persistence[vname] = entry
    for vname in mounts:
        result.note(f"{cpath}.volumeMounts[{vname}]", Kind.DROPPED, "mounts a volume the pod does not declare")
    if persistence:
        result.values["persistence"] = persistence
    result.values["tmpVolume"] = {"enabled": False}


def _main_container(result: Imported, c: dict[str, Any]) -> None:
    values = result.values
    cpath = f"{POD}.containers[{c.get('name')}]"
    values["container"] = {"name": c.get("name", "main")}
    for key in ("workingDir", "lifecycle", "stdin", "tty", "terminationMessagePath", "terminationMessagePolicy"):
        if key in c:
            values["container"][key] = c[key]
    image = split_image(str(c.get("image", "")))
    tag = image.get("tag", "")
    pull = c.get("imagePullPolicy") or ("Always" if tag in ("", "latest") and "digest" not in image
                                        else "IfNotPresent")
    image["pullPolicy"] = pull
    values["image"] = image
    if image.get("allowLatest"):
        result.note(f"{cpath}.image", Kind.HARDENING, f"{c.get('image')!r} has a mutable tag: kept "
                    "(image.allowLatest, warned in NOTES). Pin image.tag or image.digest")
    for key in ("command", "args"):
        if key in c:
            values[key] = escape_templates([str(a) for a in c[key]])
    if c.get("envFrom"):
        values["envFrom"] = c["envFrom"]
    _env(result, c.get("env") or [], cpath)
    _ports(result, c.get("ports") or [], cpath)
    _resources(result, c.get("resources") or {}, cpath)
    values["containerSecurityContext"] = _security_context(result, c, cpath, "container", "no privilege "
                                                           "escalation, drop all capabilities, read-only root "
                                                           "filesystem with tmpVolume")
    for key in sorted(set(c) - CARRIED_CONTAINER):
        result.note(f"{cpath}.{key}", Kind.DROPPED, "container field the library does not render")
    _accepted_findings(result)


def _security_context(result: Imported, source: dict[str, Any], path: str, level: str, todo: str) -> dict[str, Any]:
    """The source's security context, used exactly (securityDefaults.<level> false); none is noted as to harden."""
    context: dict[str, Any] = source.get("securityContext") or {}
    if not context:
        result.note(f"{path}.securityContext", Kind.HARDENING, f"none in the source: kept none (securityDefaults."
                    f"{level} false). Hardening to do: {todo}, then drop securityDefaults.{level}")
    return context


def _accepted_findings(result: Imported) -> None:
    """Annotate the CronJob with the security-scan findings the source's security contexts cause."""
    annotations: dict[str, Any] = result.values.setdefault("cronjob", {}).setdefault("annotations", {})
    taken = [k for k in annotations if k.startswith("checkov.io/skip")]
    findings = [*SECURITY_FINDINGS, *(["CKV_K8S_14"] if result.values["image"].get("allowLatest") else [])]
    first = len(taken) + 1
    for number, check in enumerate(findings, start=first):
        annotations[f"checkov.io/skip{number}"] = (f"{check}=kept from the source manifest on import; "
                                                   "hardening to do: see README")
    result.note("metadata.annotations.checkov.io/skip*", Kind.CHANGED,
                f"checkov.io/skip{first}..{first + len(findings) - 1} accept the security-scan findings "
                f"{', '.join(findings)} for this imported job (so make lint passes) until the hardening "
                "listed below is done; remove them with it")


def _env(result: Imported, env: list[dict[str, Any]], cpath: str) -> None:
    result.values["metrics"] = {"pushgateway": {"enabled": False},
                                "prometheusRule": {"alerts": {"CronJobPushStale": {"enabled": False}}}}
    names = [str(v.get("name")) for v in env]
    if "PUSHGATEWAY_URL" in names:
        result.note(f"{cpath}.env[PUSHGATEWAY_URL]", Kind.CHANGED, "kept as the job's own variable; the "
                    "library's Pushgateway wiring (metrics.pushgateway) is off and the CronJobPushStale alert "
                    "disabled, as the job pushes under its own grouping key. To use the wiring: remove the "
                    "variable, set metrics.pushgateway.url/job and enable both")
    ordered: list[dict[str, Any]] = []
    for var in env:
        entry = {k: escape_templates(v) if k == "value" else v for k, v in var.items()}
        ordered.append(entry)
    if ordered:
        result.values["extraEnvVars"] = ordered


def _ports(result: Imported, ports: list[dict[str, Any]], cpath: str) -> None:
    out: dict[str, Any] = {}
    for port in ports:
        number = port.get("containerPort")
        name = port.get("name") or f"port-{number}"
        if not PORT_NAME.match(str(name)) or len(str(name)) > 15:
            name = f"port-{number}"
        entry = {"containerPort": number}
        if "hostPort" in port:
            entry["hostPort"] = port["hostPort"]
        if "protocol" in port:
            entry["protocol"] = port["protocol"]
        out[str(name)] = entry
        if not port.get("name"):
            result.note(f"{cpath}.ports[{number}].name", Kind.CHANGED, f"unnamed port named {name} (the library "
                        "keys ports by name; a name changes nothing at run time)")
        if "hostIP" in port:
            result.note(f"{cpath}.ports[{number}].hostIP", Kind.DROPPED, "the library does not render hostIP")
    if out:
        result.values["ports"] = out


def _quantity(q: Any) -> float:
    text = str(q)
    factors = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30,
               "Ti": 2**40}
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", text)
    if not match:
        return 0.0
    return float(match.group(1)) * factors.get(match.group(2), 1.0)


def _resources(result: Imported, resources: dict[str, Any], cpath: str) -> None:
    requests = dict(resources.get("requests") or {})
    limits = dict(resources.get("limits") or {})
    rpath = f"{cpath}.resources"
    if "cpu" not in requests:
        requests["cpu"] = limits.get("cpu", "100m")
        result.note(f"{rpath}.requests.cpu", Kind.HARDENING, f"none in the source: {requests['cpu']} (the library "
                    "needs a CPU request so the scheduler places the pod; adjust to the job's use)")
    if "memory" not in requests:
        requests["memory"] = limits.get("memory", "512Mi")
        result.note(f"{rpath}.requests.memory", Kind.HARDENING, f"none in the source: {requests['memory']} "
                    "(the library needs a memory request; adjust to the job's use)")
    if "memory" not in limits:
        limits["memory"] = requests["memory"] if _quantity(requests["memory"]) > _quantity("2Gi") else "2Gi"
        result.note(f"{rpath}.limits.memory", Kind.HARDENING, f"none in the source: {limits['memory']} (the "
                    "library refuses unbounded pods; raise it if the job needs more)")
    result.values["resources"] = {"requests": requests, "limits": limits}


def _side_objects(result: Imported, documents: list[Any], cronjob: dict[str, Any]) -> None:
    sa = result.values["serviceAccount"]["name"]
    cluster_roles: list[str] = []
    for doc in documents:
        if not isinstance(doc, dict) or doc is cronjob:
            continue
        kind = str(doc.get("kind"))
        name = str((doc.get("metadata") or {}).get("name"))
        where = f"{kind}/{name}"
        if kind == "ServiceAccount" and name == sa and result.values["serviceAccount"]["create"]:
            continue
        role_ref = doc.get("roleRef") or {}
        if (kind == "RoleBinding" and _binds(doc, sa) and role_ref.get("kind") == "ClusterRole"
                and result.values["serviceAccount"]["create"]):
            cluster_roles.append(role_ref["name"])
            result.objects[(kind, name)] = doc
            result.note(where, Kind.CHANGED, f"carried as rbac.clusterRoles [{role_ref['name']}]: RoleBinding "
                        f"named {result.source_name}-{role_ref['name']}, subject the job's ServiceAccount in the "
                        "release namespace")
            continue
        if kind == "ConfigMap":
            body = {k: v for k, v in (("data", doc.get("data")), ("binaryData", doc.get("binaryData"))) if v}
            meta = doc.get("metadata") or {}
            body.update({"name": name, **{k: meta[k] for k in ("labels", "annotations") if meta.get(k)}})
            result.values.setdefault("configMaps", {})[_key(name, result.source_name)] = body
            result.objects[(kind, name)] = doc
            continue
        if kind == "Service":
            meta = doc.get("metadata") or {}
            spec = dict(doc.get("spec") or {})
            if not spec.get("selector"):
                result.note(f"{where}.spec.selector", Kind.DROPPED, "a Service without selector: the chart's "
                            "Service selects the job's pods by default; set services.<key>.selector")
            body = {"name": name, **{k: meta[k] for k in ("labels", "annotations") if meta.get(k)}, **spec}
            result.values.setdefault("services", {})[_key(name, result.source_name)] = body
            result.objects[(kind, name)] = doc
            continue
        result.note(where, Kind.DROPPED, f"a {kind} beside the CronJob: not an object the chart owns "
                    "(ConfigMap, Service, the job's ServiceAccount and its ClusterRole bindings are); keep it "
                    "in its own manifest")
    if cluster_roles:
        result.values.setdefault("rbac", {})["clusterRoles"] = cluster_roles


def _key(name: str, source_name: str) -> str:
    key = name.removeprefix(source_name + "-") or name
    return key if NAME.match(key) else "object"


def _environment_values(result: Imported, env: str | None, env_overrides: dict[str, set[str]]) -> None:
    """Variables an environment's _env.yaml also sets move from extraEnvVars to env (a map, so the layers
    merge); the job's own environment re-asserts the source's value in values/<env>/<name>.yaml."""
    clashing = set().union(*env_overrides.values()) if env_overrides else set()
    ordered = result.values.get("extraEnvVars", [])
    moved = [v for v in ordered if v["name"] in clashing]
    if moved:
        result.values["extraEnvVars"] = [v for v in ordered if v["name"] not in clashing]
        env_map = result.values.setdefault("env", {})
        for var in moved:
            env_map[var["name"]] = {"value": var["value"]} if "value" in var else var.get("valueFrom", {})
            result.note(f"{POD}.containers[{result.values['container']['name']}].env[{var['name']}]", Kind.CHANGED,
                        "also set by an environment's values/<env>/_env.yaml: moved to the env map so the "
                        "layers merge (it is rendered after extraEnvVars)")
        if not result.values["extraEnvVars"]:
            del result.values["extraEnvVars"]
    if env:
        own = {v["name"]: result.values["env"][v["name"]] for v in moved
               if v["name"] in env_overrides.get(env, set())}
        result.env_values[env] = {"env": own} if own else {}
