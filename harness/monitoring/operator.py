"""prometheus-operator in the test cluster, with the Prometheus and Alertmanager it manages.

Production (kube-prometheus-stack) loads a job's alerts because its PrometheusRule carries the labels the
Prometheus object selects rules by; nothing else connects the two. So the test cluster runs the same chain,
in the namespace ``cronharness-monitoring``:

- prometheus-operator and its config-reloader, built from the pinned Go module (tools/go/prometheus-operator);
- a ``Prometheus`` object whose rule, ServiceMonitor and PodMonitor selectors are the labels the production
  environments give the job charts' PrometheusRule (``metrics.prometheusRule.labels`` of values/prod and
  values/preprod, which must agree), in every namespace;
- an ``Alertmanager`` object routing every alert to an in-cluster webhook receiver (manual runs by a route of
  their own, as :func:`harness.services.alertmanager.routing_config` says);
- kube-state-metrics (built from Go modules), scraped through a ScrapeConfig carrying the same labels;
- the webhook receiver (harness/services/webhook_server.py).

Debian's Prometheus is built without Kubernetes service discovery (``kubernetes_sd_configs`` is an unknown
field to it), which the operator writes for every ServiceMonitor and PodMonitor and for
``alerting.alertmanagers``. So kube-state-metrics is a static target of a ScrapeConfig and Alertmanager one of
``additionalAlertManagerConfigs`` (both by Service DNS name); the ServiceMonitor and PodMonitor selectors are
still production's, but a ServiceMonitor or PodMonitor that matched them would make this Prometheus reject its
configuration (no job chart enables one in prod or preprod).

Prometheus and Alertmanager are bookworm's Debian packages, every image is built with the shared service
image builder (harness/images/service.py) and pushed where the cluster pulls from. The host reads Prometheus'
API and the receiver's notifications through the API server's service proxy (no route to pod addresses).
Scrape and evaluation run every 2 s, as on the host-process stack, so tests wait seconds, not minutes.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from kubernetes.client.exceptions import ApiException

from harness.charts.discover import VALUES_DIR
from harness.cluster.base import Cluster
from harness.crds import module_dir
from harness.errors import HarnessError
from harness.images.reference import ImageRef
from harness.images.service import ServiceImageSpec, build_service_image
from harness.kube import Kube
from harness.locking import cache_lock
from harness.monitoring import namespace
from harness.paths import state_root
from harness.services import kube_state_metrics
from harness.services.alert_receiver import ReceivedAlerts
from harness.services.alertmanager import TEST_TIMING, routing_config
from harness.services.backfilled import prometheus_image_spec
from harness.services.incluster import job_url
from harness.services.prometheus import PrometheusQueries
from harness.services.webhook_server import WEBHOOK_PATH
from harness.toolchain import apt_ensure, go_build, pinned, step
from harness.waiting import wait_until

NAMESPACE = "cronharness-monitoring"
#: label on the cluster-scoped objects (ClusterRoles, bindings), which the namespace's deletion does not remove
PART_OF = namespace.part_of(NAMESPACE)
MODULE = "github.com/prometheus-operator/prometheus-operator"
WRAPPER = "prometheus-operator"
PROGRAMS = (f"{MODULE}/cmd/operator", f"{MODULE}/cmd/prometheus-config-reloader")
ENVIRONMENTS = ("prod", "preprod")
INTERVAL = "2s"
PROMETHEUS = "prometheus"  # the Prometheus object; the operator's Service for it is prometheus-operated
ALERTMANAGER = "alertmanager"
RECEIVER = "alert-receiver"
KSM = "kube-state-metrics"
PUSHGATEWAY = "pushgateway"  # the scrape job of the test services' Pushgateway
HTTP_PORT = 8080
FILES = "/opt/service"  # where the service image builder puts an image's files


def rule_selector() -> dict[str, str]:
    """The labels production's Prometheus selects PrometheusRules by: ``metrics.prometheusRule.labels`` of
    values/prod/_env.yaml, the same in values/preprod/_env.yaml.

    Raises:
        HarnessError: when an environment sets none, or the environments disagree.
    """
    found: dict[str, dict[str, str]] = {}
    for env in ENVIRONMENTS:
        values = yaml.safe_load((VALUES_DIR / env / "_env.yaml").read_text()) or {}
        labels = ((values.get("metrics") or {}).get("prometheusRule") or {}).get("labels") or {}
        if not labels:
            raise HarnessError(f"values/{env}/_env.yaml sets no metrics.prometheusRule.labels: production's "
                               "Prometheus would load no job's alerts; set the labels its ruleSelector matches")
        found[env] = {str(k): str(v) for k, v in labels.items()}
    if len({json.dumps(v, sort_keys=True) for v in found.values()}) != 1:
        raise HarnessError(f"metrics.prometheusRule.labels differ between environments ({found}); both are "
                           "selected by the same kind of Prometheus (kube-prometheus-stack): make them agree")
    return found[ENVIRONMENTS[0]]


# --- programs and images --------------------------------------------------------------------------------


def build_programs() -> Path:
    """Build prometheus-operator and prometheus-config-reloader of the pinned version (cached); their bin dir.

    Raises:
        HarnessError: when the build fails.
    """
    version = pinned("go", "prometheus-operator")
    # The version stamp of upstream's Makefile: the operator reports it and puts it in its objects' labels.
    ldflags = f"-s -w -X github.com/prometheus/common/version.Version={version.removeprefix('v')}"
    try:
        return go_build(WRAPPER, PROGRAMS, version=version, ldflags=ldflags, env={"CGO_ENABLED": "0"})
    except RuntimeError as exc:
        raise HarnessError(f"cannot build prometheus-operator {version}: {exc}") from exc


def debian_version(package: str) -> str:
    """``vX.Y.Z`` of bookworm's ``package`` (installed on the host when missing; the images get the same
    bookworm version).

    Raises:
        HarnessError: when the package cannot be installed or its version read.
    """
    apt_ensure(package)
    done = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True,
                          check=False)
    upstream = done.stdout.split(":")[-1].split("+")[0].split("-")[0]
    if done.returncode != 0 or not upstream:
        raise HarnessError(f"cannot read the version of Debian package {package}: {done.stderr.strip()}")
    return f"v{upstream}"


@dataclass(frozen=True)
class StackImages:
    """The references the cluster's pods pull each piece by."""

    operator: ImageRef
    config_reloader: ImageRef
    prometheus: ImageRef
    alertmanager: ImageRef
    kube_state_metrics: ImageRef
    receiver: ImageRef
    #: the servers' versions (``vX.Y.Z``), which the operator needs to pass the flags that version knows
    prometheus_version: str
    alertmanager_version: str


def image_specs() -> dict[str, ServiceImageSpec]:
    """What each image holds: Go programs as files (the rootfs' ca-certificates stands in for the package the
    builder wants), Prometheus and Alertmanager as bookworm's packages.

    Raises:
        HarnessError: when a Go build fails.
    """
    programs = build_programs()
    ksm = kube_state_metrics.build()
    receiver = Path(__file__).resolve().parent.parent / "services" / "webhook_server.py"
    go_only = ("ca-certificates",)
    return {
        "operator": ServiceImageSpec("prometheus-operator", go_only, {"operator": programs / "operator"}),
        "config_reloader": ServiceImageSpec("prometheus-config-reloader", go_only,
                                            {"prometheus-config-reloader": programs / "prometheus-config-reloader"}),
        "prometheus": prometheus_image_spec(),
        "alertmanager": ServiceImageSpec("alertmanager", (pinned("services-mongo-monitoring", "alertmanager"),)),
        "kube_state_metrics": ServiceImageSpec(KSM, go_only, {"kube-state-metrics": ksm}),
        "receiver": ServiceImageSpec(RECEIVER, ("python3",), {"webhook_server.py": receiver}),
    }


def build_images(cluster: Cluster) -> tuple[StackImages, dict[str, float]]:
    """Build every image of the stack (cached by content) and load it into ``cluster``.

    Returns:
        The references and the seconds each image took to build and load.

    Raises:
        HarnessError: when a build or a push fails.
    """
    refs: dict[str, ImageRef] = {}
    seconds: dict[str, float] = {}
    for key, spec in image_specs().items():
        started = time.monotonic()
        image = build_service_image(spec)
        refs[key] = cluster.load_image(image.archive, image.ref)
        seconds[spec.name] = time.monotonic() - started
    return StackImages(
        **refs,
        prometheus_version=debian_version(pinned("services-mongo-monitoring", "prometheus")),
        alertmanager_version=debian_version(pinned("services-mongo-monitoring", "alertmanager")),
    ), seconds


# --- objects --------------------------------------------------------------------------------------------


def _upstream_cluster_role(path: str, name: str) -> dict[str, Any]:
    """A ClusterRole of the pinned module's example manifests (the permissions that version needs), renamed."""
    role: dict[str, Any] = yaml.safe_load((module_dir(MODULE, pinned("go", "prometheus-operator")) / path).read_text())
    role["metadata"] = {"name": name, "labels": dict(PART_OF)}
    return role


def _service_account(name: str, cluster_role: dict[str, Any]) -> list[dict[str, Any]]:
    """A ServiceAccount in the namespace bound to ``cluster_role`` (included)."""
    role_name = cluster_role["metadata"]["name"]
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": NAMESPACE}},
        cluster_role,
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": role_name, "labels": dict(PART_OF)},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role_name},
         "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": NAMESPACE}]},
    ]


def _deployment(name: str, image: ImageRef, command: list[str], *, service_account: str | None = None,
                data_dir: str | None = None) -> dict[str, Any]:
    """A one-replica Deployment of ``command`` on ``image``, non-root, read-only root, with an HTTP port."""
    labels = {"app.kubernetes.io/name": name}
    container: dict[str, Any] = {
        "name": name, "image": str(image), "imagePullPolicy": "IfNotPresent", "command": command,
        "ports": [{"name": "http", "containerPort": HTTP_PORT}],
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
    }
    pod: dict[str, Any] = {
        "containers": [container],
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
    }
    if service_account:
        pod["serviceAccountName"] = service_account
    else:
        pod["automountServiceAccountToken"] = False
    if data_dir:
        container["volumeMounts"] = [{"name": "data", "mountPath": data_dir}]
        pod["volumes"] = [{"name": "data", "emptyDir": {}}]
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": pod}},
    }


def _service(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NAMESPACE,
                                                                "labels": {"app.kubernetes.io/name": name}},
            "spec": {"selector": {"app.kubernetes.io/name": name},
                     "ports": [{"name": "http", "port": HTTP_PORT, "targetPort": "http"}]}}


def _commands(server: str, program: str) -> dict[str, list[dict[str, Any]]]:
    """``containers``/``initContainers`` of a Prometheus or Alertmanager object that set the commands.

    The operator runs ``/bin/prometheus-config-reloader`` and, for the server itself, passes arguments only
    (upstream images' entrypoint is the server); the images here start with tini and keep their files under
    /opt/service, so the commands are given by container name, which the operator merges into its own.
    """
    reloader = [f"{FILES}/prometheus-config-reloader"]
    return {"containers": [{"name": server, "command": [program]}, {"name": "config-reloader", "command": reloader}],
            "initContainers": [{"name": "init-config-reloader", "command": reloader}]}


def manifests(images: StackImages, selector: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every object of the stack, in apply order.

    Args:
        images: where the pods pull each piece.
        selector: the labels Prometheus selects rules, ServiceMonitors and PodMonitors by (:func:`rule_selector`).
    """
    ksm_role = {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": f"{NAMESPACE}-{KSM}", "labels": dict(PART_OF)},
        "rules": [{"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["list", "watch"]},
                  {"apiGroups": ["batch"], "resources": ["cronjobs", "jobs"], "verbs": ["list", "watch"]}],
    }
    webhook = f"http://{RECEIVER}.{NAMESPACE}.svc:{HTTP_PORT}{WEBHOOK_PATH}"
    alertmanager_config = yaml.safe_dump(routing_config(webhook, TEST_TIMING))
    match = {"matchLabels": dict(selector)}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        # The webhook receiver and kube-state-metrics first: Prometheus' first configuration already has them.
        _deployment(RECEIVER, images.receiver,
                    ["python3", f"{FILES}/webhook_server.py", "--host", "0.0.0.0", "--port", str(HTTP_PORT),
                     "--store", "/data/notifications.jsonl"], data_dir="/data"),
        _service(RECEIVER),
        *_service_account(KSM, ksm_role),
        _deployment(KSM, images.kube_state_metrics,
                    [f"{FILES}/kube-state-metrics", f"--port={HTTP_PORT}", "--telemetry-port=8081",
                     *kube_state_metrics.collector_flags()], service_account=KSM),
        _service(KSM),
        # A ScrapeConfig with a static target, not a ServiceMonitor: see the module's note on Debian's Prometheus.
        {"apiVersion": "monitoring.coreos.com/v1alpha1", "kind": "ScrapeConfig",
         "metadata": {"name": KSM, "namespace": NAMESPACE, "labels": dict(selector)},
         # honorLabels: the series' own namespace/job_name labels, not the target's (kube-prometheus-stack's too).
         "spec": {"jobName": KSM, "honorLabels": True, "scrapeInterval": INTERVAL,
                  "staticConfigs": [{"targets": [f"{KSM}.{NAMESPACE}.svc:{HTTP_PORT}"]}]}},
        # The test services' Pushgateway (harness/services/incluster.py), where job pods push, as production's
        # Prometheus scrapes its Pushgateway: a static target too, keeping the pushing jobs' own labels.
        {"apiVersion": "monitoring.coreos.com/v1alpha1", "kind": "ScrapeConfig",
         "metadata": {"name": PUSHGATEWAY, "namespace": NAMESPACE, "labels": dict(selector)},
         "spec": {"jobName": PUSHGATEWAY, "honorLabels": True, "scrapeInterval": INTERVAL,
                  "staticConfigs": [{"targets": [urlsplit(job_url("pushgateway")).netloc]}]}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"{PROMETHEUS}-alerting", "namespace": NAMESPACE},
         "stringData": {"alertmanagers.yaml": yaml.safe_dump([{
             "api_version": "v2",
             "static_configs": [{"targets": [f"{ALERTMANAGER}-operated.{NAMESPACE}.svc:9093"]}]}])}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"{ALERTMANAGER}-routing", "namespace": NAMESPACE},
         "stringData": {"alertmanager.yaml": alertmanager_config}},
        *_service_account("prometheus-operator", _upstream_cluster_role(
            "example/rbac/prometheus-operator/prometheus-operator-cluster-role.yaml", f"{NAMESPACE}-operator")),
        _deployment("prometheus-operator", images.operator,
                    [f"{FILES}/operator", f"--prometheus-config-reloader={images.config_reloader}",
                     f"--web.listen-address=:{HTTP_PORT}", "--log-level=info"],
                    service_account="prometheus-operator"),
        *_service_account(PROMETHEUS, _upstream_cluster_role(
            "example/rbac/prometheus/prometheus-cluster-role.yaml", f"{NAMESPACE}-prometheus")),
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "Alertmanager",
         "metadata": {"name": ALERTMANAGER, "namespace": NAMESPACE},
         "spec": {"image": str(images.alertmanager), "version": images.alertmanager_version,
                  "replicas": 1, "configSecret": f"{ALERTMANAGER}-routing",
                  **_commands("alertmanager", "/usr/bin/prometheus-alertmanager")}},
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus",
         "metadata": {"name": PROMETHEUS, "namespace": NAMESPACE},
         "spec": {"image": str(images.prometheus),
                  "version": images.prometheus_version,
                  "replicas": 1, "serviceAccountName": PROMETHEUS,
                  "scrapeInterval": INTERVAL, "evaluationInterval": INTERVAL,
                  # Exactly production's selection: these labels, in every namespace.
                  "ruleSelector": match, "ruleNamespaceSelector": {},
                  "serviceMonitorSelector": match, "serviceMonitorNamespaceSelector": {},
                  "podMonitorSelector": match, "podMonitorNamespaceSelector": {},
                  "scrapeConfigSelector": match,
                  "additionalAlertManagerConfigs": {"name": f"{PROMETHEUS}-alerting", "key": "alertmanagers.yaml"},
                  # Prometheus 2.42 forgets its Alertmanagers on every reload until discovery runs again, and
                  # every test's rule is a reload: an alert sent then is dropped and, by default, sent again only
                  # a minute later. Re-sending every 10 s bounds that (Alertmanager then expires an alert no
                  # longer sent after 40 s).
                  "additionalArgs": [{"name": "rules.alert.resend-delay", "value": "10s"}],
                  **_commands("prometheus", "/usr/bin/prometheus")}},
    ]


# --- install, query, remove -----------------------------------------------------------------------------


class ClusterPrometheus(PrometheusQueries):
    """The operator-managed Prometheus' API, through the API server's service proxy."""

    def __init__(self, kube: Kube) -> None:
        self.kube = kube

    def _api(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        answer = self.kube.service_proxy(NAMESPACE, f"{PROMETHEUS}-operated", "web", f"api/v1/{path}", params)
        return answer["data"]


class ClusterReceiver(ReceivedAlerts):
    """The in-cluster webhook receiver's notifications, through the API server's service proxy."""

    def __init__(self, kube: Kube) -> None:
        self.kube = kube

    def notifications(self) -> list[dict[str, Any]]:
        payloads: list[dict[str, Any]] = self.kube.service_proxy(NAMESPACE, RECEIVER, "http", "notifications")
        return payloads


@dataclass(frozen=True)
class OperatorStack:
    """The installed stack and what installing it took."""

    prometheus: ClusterPrometheus
    receiver: ClusterReceiver
    selector: Mapping[str, str]
    seconds: Mapping[str, float]

    def wait_rule_group(self, name: str, timeout: float = 120) -> dict[str, Any]:
        """Wait until Prometheus has loaded and evaluated rule group ``name``; return it as the API shows it.

        The operator writes a selected PrometheusRule into a ConfigMap at once, but the kubelet refreshes a
        mounted ConfigMap only when it syncs the pod (every minute by default: 62 s measured), after which the
        config-reloader reloads Prometheus. Production waits for that minute; a test need not: every few
        seconds this annotates the Prometheus pod, and the kubelet syncs a pod whose object changed at once
        (3.5 s measured). Nothing else changes: the rule still reaches Prometheus only through the operator.

        Raises:
            HarnessTimeout: when the group is not evaluated within ``timeout`` seconds.
        """
        kube = self.prometheus.kube
        last_nudge = 0.0

        def loaded() -> dict[str, Any] | None:
            nonlocal last_nudge
            try:
                groups = self.prometheus.rule_groups()
            except HarnessError:  # its pod is being replaced (a changed spec): ask again
                return None
            found = next((g for g in groups if g["name"] == name and g.get("lastEvaluation", "").startswith("20")),
                         None)
            if found is None and time.monotonic() - last_nudge > 5:
                kube.core.patch_namespaced_pod(f"prometheus-{PROMETHEUS}-0", NAMESPACE, {"metadata": {
                    "annotations": {"cronharness.io/rules-wanted": f"{time.time():.3f}"}}})
                last_nudge = time.monotonic()
            return found

        group: dict[str, Any] = wait_until(loaded, timeout=timeout, interval=1,
                                           what=f"rule group {name} loaded by the operator-managed Prometheus")
        return group


def _not_ready(kube: Kube) -> list[str]:
    """What is not ready yet: Deployments without an available replica, Prometheus/Alertmanager not Available."""
    waiting = []
    for name in (RECEIVER, KSM, "prometheus-operator"):
        try:
            status = kube.plain(kube.apps.read_namespaced_deployment_status(name, NAMESPACE)).get("status") or {}
        except ApiException as exc:
            waiting.append(f"deployment {name}: {exc.reason}")
            continue
        if not status.get("availableReplicas"):
            waiting.append(f"deployment {name}")
    for plural, name in (("prometheuses", PROMETHEUS), ("alertmanagers", ALERTMANAGER)):
        try:
            obj = kube.plain(kube.custom.get_namespaced_custom_object(
                "monitoring.coreos.com", "v1", NAMESPACE, plural, name))
        except ApiException as exc:
            waiting.append(f"{plural}/{name}: {exc.reason}")
            continue
        conditions = {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}
        available = conditions.get("Available", {})
        # A changed spec rolls the pods: until the operator has reported on this generation, "Available"
        # still describes the old pods.
        if available.get("observedGeneration") != obj["metadata"].get("generation"):
            waiting.append(f"{plural}/{name}: the operator has not reported on its current spec yet")
        elif available.get("status") != "True":
            waiting.append(f"{plural}/{name}: {available.get('message') or available.get('reason') or 'no status'}")
    # Why a pod is not running says more than "not ready" (e.g. the node is tainted for disk pressure).
    for pod in kube.plain(kube.core.list_namespaced_pod(NAMESPACE))["items"]:
        unscheduled = [c.get("message", "") for c in pod["status"].get("conditions") or []
                       if c["type"] == "PodScheduled" and c["status"] != "True"]
        if unscheduled:
            waiting.append(f"pod {pod['metadata']['name']} not scheduled: {unscheduled[0]}")
    return waiting


def _scraping_kube_state_metrics(prometheus: ClusterPrometheus) -> bool:
    try:
        return any(t["labels"].get("job") == KSM and t["health"] == "up" for t in prometheus.targets())
    except HarnessError:  # the service has no ready endpoint yet
        return False


def install(cluster: Cluster, timeout: float = 600) -> OperatorStack:
    """Build, load and apply the stack (idempotent) and wait until Prometheus scrapes kube-state-metrics.

    Concurrent sessions serialise here; a stack that is already current is applied again unchanged.

    Raises:
        HarnessError: when a build, a push or the apply fails.
        HarnessTimeout: when a piece is not ready in time (the message lists what is not).
    """
    kube = Kube(cluster.kubeconfig)
    selector = rule_selector()
    seconds: dict[str, float] = {}
    with cache_lock(state_root() / "monitoring" / ".install.lock"):
        images, built = build_images(cluster)
        seconds.update({f"image {name}": s for name, s in built.items()})
        cluster.install_crds()
        started = time.monotonic()
        with step(f"installing prometheus-operator, Prometheus and Alertmanager in namespace {NAMESPACE}"):
            cluster.apply(manifests(images, selector), timeout=180)
            wait_until(lambda: not _not_ready(kube), timeout=timeout, interval=2,
                       what=f"the monitoring stack in {NAMESPACE} to be ready",
                       describe=lambda: f"not ready: {_not_ready(kube)}")
            prometheus = ClusterPrometheus(kube)
            wait_until(lambda: _scraping_kube_state_metrics(prometheus), timeout=timeout, interval=2,
                       what="Prometheus scraping kube-state-metrics")
        seconds["install to ready"] = time.monotonic() - started
    return OperatorStack(prometheus, ClusterReceiver(kube), selector, seconds)


def installed(cluster: Cluster) -> bool:
    """True when the stack's namespace exists (whether or not it is ready)."""
    return namespace.installed(cluster, NAMESPACE)


def uninstall(cluster: Cluster) -> None:
    """Delete the namespace (waiting until it is gone) and the stack's cluster-scoped objects; CRDs stay.

    Raises:
        HarnessError: when kubectl fails.
    """
    namespace.remove(cluster, NAMESPACE, "the monitoring stack")
