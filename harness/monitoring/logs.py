"""Every run's logs kept: a log collector in the test cluster ships the job pods' lines to OpenSearch.

A run's pod, and the kubelet's files of its containers' output, go when the Job is deleted (TTL, history
limits), and the failed runs are the ones someone reads later. So the test cluster runs what production runs
for that, a node-level collector, in the namespace ``cronharness-logs``:

- the OpenTelemetry Collector, built from the pinned Go modules with exactly the components used here
  (tools/go/otelcol): chosen over Fluent Bit or Vector because it is served by the Go module proxy, reads the
  kubelet's files with the metadata in their paths, and exports to OpenSearch natively;
- one pod per node (a DaemonSet) tailing every container's file under the node's pod-log directory from its
  first byte (``start_at: beginning``), every 200 ms, with its read offsets in a host directory so that a
  restarted collector neither re-sends nor skips lines; the kubelet removes a deleted pod's files only at its
  next clean-up, by which time they are read, and a run shorter than a second is read like any other;
- per line: the container runtime's timestamp and stream, the namespace, pod and container (from the file's
  path, so they never depend on the pod still existing), the Job (the pod's owner) and the CronJob (the
  label :data:`LABEL` the library chart sets when ``logs.collect`` is on), a JSON line parsed into
  ``attributes.json``; lines of pods without that label are dropped (the collector keeps only job runs);
- OpenSearch (the test services' in-cluster one) stores them in the index :data:`INDEX`, whose template maps
  the Kubernetes fields as keywords and the parsed JSON as a ``flat_object`` (jobs' fields of one name but
  different types never make a line be rejected).

:class:`LogStore` reads them back in order (``harness logs <cronjob> [--run <job>]``). Production points its
collector (this configuration, or its own) at its OpenSearch and gives ``harness logs --opensearch`` its URL.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from kubernetes.client.exceptions import ApiException
from opensearchpy import OpenSearch

from harness.cluster.base import Cluster
from harness.errors import HarnessError
from harness.images.reference import ImageRef
from harness.images.service import ServiceImageSpec, build_service_image
from harness.kube import Kube
from harness.locking import cache_lock
from harness.monitoring import namespace
from harness.paths import state_root
from harness.toolchain import go_build, pinned, step
from harness.waiting import wait_until

NAMESPACE = "cronharness-logs"
COLLECTOR = "log-collector"
#: label on the cluster-scoped objects (ClusterRole, binding), which the namespace's deletion does not remove
PART_OF = namespace.part_of(NAMESPACE)
WRAPPER = "otelcol"
PROGRAM = "cronharness/tools/otelcol"  # the wrapper module's own main package
#: the pod label that marks a job's pods for collection; its value is the CronJob's name (library chart)
LABEL = "logs.cronharness.io/cronjob"
INDEX = "cronjob-logs"
POLL = "200ms"
#: where the collector pod sees the node's pod logs and keeps its read offsets
LOGS_IN_POD = "/var/log/pods"
OFFSETS_IN_POD = "/var/lib/otelcol"
FILES = "/opt/service"  # where the service image builder puts an image's files

# Resource attributes each line carries, as ``harness logs`` shows them.
NAMESPACE_KEY, CRONJOB_KEY, JOB_KEY = "k8s.namespace.name", "k8s.cronjob.name", "k8s.job.name"
POD_KEY, CONTAINER_KEY = "k8s.pod.name", "k8s.container.name"


# --- program and image ----------------------------------------------------------------------------------


def build_program() -> Path:
    """Build the collector of the pinned version (cached); its bin dir (holding ``otelcol``).

    Raises:
        HarnessError: when the build fails.
    """
    version = pinned("go", "otelcol")
    try:
        return go_build(WRAPPER, (PROGRAM,), version=version, ldflags=f"-s -w -X main.version={version}",
                        env={"CGO_ENABLED": "0"})
    except RuntimeError as exc:
        raise HarnessError(f"cannot build the OpenTelemetry Collector {version}: {exc}") from exc


def image_spec() -> ServiceImageSpec:
    """The collector's image: the Go program (the rootfs' ca-certificates stands in for a package)."""
    return ServiceImageSpec(COLLECTOR, ("ca-certificates",), {"otelcol": build_program() / "otelcol"})


# --- configuration --------------------------------------------------------------------------------------


def collector_config(opensearch_url: str, index: str = INDEX) -> dict[str, Any]:
    """The collector's configuration: container log files -> pod labels -> job pods only -> OpenSearch.

    Args:
        opensearch_url: where the collector pods reach OpenSearch (a Service DNS name in the test cluster).
        index: the index lines go to.
    """
    return {
        "extensions": {"file_storage": {"directory": OFFSETS_IN_POD, "create_directory": True}},
        "receivers": {"filelog": {
            "include": [f"{LOGS_IN_POD}/*/*/*.log"],
            # its own output would be a line per line shipped
            "exclude": [f"{LOGS_IN_POD}/{NAMESPACE}_*/*/*.log"],
            "start_at": "beginning",
            "poll_interval": POLL,
            "include_file_path": True,
            "include_file_name": False,
            # the line's number in its file: the order of lines the runtime stamped in the same nanosecond
            "include_file_record_number": True,
            "storage": "file_storage",
            "operators": [
                # CRI lines (timestamp, stream, partial-line tag): one record per logical line, stream in
                # log.iostream, namespace/pod/uid/container from the file's path
                {"type": "container", "add_metadata_from_filepath": True},
                # jobkit (and most jobs) log one JSON object per line: keep the line, add its fields
                {"type": "json_parser", "if": 'body matches "^\\\\s*\\\\{"', "parse_from": "body",
                 "parse_to": "attributes.json", "on_error": "send_quiet"},
            ],
        }},
        "processors": {
            # The pod's labels by its uid (from the path); deleted pods stay known for two minutes.
            "k8sattributes": {
                "auth_type": "serviceAccount",
                "wait_for_metadata": True,
                "pod_association": [{"sources": [{"from": "resource_attribute", "name": "k8s.pod.uid"}]}],
                # only this node's pods that carry the label: the watch stays small on a large cluster
                "filter": {"node_from_env_var": "K8S_NODE_NAME", "labels": [{"key": LABEL, "op": "exists"}]},
                "extract": {"metadata": [JOB_KEY],
                            "labels": [{"tag_name": CRONJOB_KEY, "key": LABEL, "from": "pod"}]},
            },
            # Only job runs: a pod without the label has no CronJob attribute.
            "filter/job-runs": {"error_mode": "ignore",
                                "logs": {"log_record": [f'resource.attributes["{CRONJOB_KEY}"] == nil']}},
            "batch": {"timeout": POLL, "send_batch_size": 1000},
        },
        "exporters": {"opensearch": {
            "http": {"endpoint": opensearch_url},
            "logs_index": index,
            "bulk_action": "create",
            "retry_on_failure": {"enabled": True, "max_elapsed_time": "10m"},
        }},
        "service": {
            "extensions": ["file_storage"],
            "pipelines": {"logs": {"receivers": ["filelog"],
                                   "processors": ["k8sattributes", "filter/job-runs", "batch"],
                                   "exporters": ["opensearch"]}},
            "telemetry": {"logs": {"level": "info"}, "metrics": {"level": "none"}},
        },
    }


def index_template(index: str = INDEX) -> dict[str, Any]:
    """The index template of :data:`INDEX`: Kubernetes fields as keywords, the parsed JSON as one flat object,
    timestamps in nanoseconds (the order of a run's lines)."""
    return {
        "index_patterns": [index],
        "template": {
            "settings": {"number_of_shards": 1, "number_of_replicas": 0},
            "mappings": {
                "dynamic_templates": [
                    {"resource_as_keywords": {"path_match": "resource.*", "match_mapping_type": "string",
                                              "mapping": {"type": "keyword"}}},
                ],
                "properties": {
                    "@timestamp": {"type": "date_nanos"},
                    "observedTimestamp": {"type": "date_nanos"},
                    "body": {"type": "text"},
                    "attributes": {"properties": {
                        "json": {"type": "flat_object"},
                        "log": {"properties": {
                            "iostream": {"type": "keyword"},
                            "file": {"properties": {"path": {"type": "keyword"},
                                                    "record_number": {"type": "long"}}},
                        }},
                    }},
                },
            },
        },
    }


# --- objects --------------------------------------------------------------------------------------------


def manifests(image: ImageRef, opensearch_url: str, pod_logs: PurePosixPath) -> list[dict[str, Any]]:
    """Every object of the collector, in apply order.

    Args:
        image: where its pods pull the collector.
        opensearch_url: where they reach OpenSearch.
        pod_logs: the node's pod-log directory (the kubelet's ``podLogsDir``).
    """
    labels = {"app.kubernetes.io/name": COLLECTOR}
    role_name = f"{NAMESPACE}-{COLLECTOR}"
    config = yaml.safe_dump(collector_config(opensearch_url), sort_keys=False)
    # Read offsets beside the pod logs: on the node, kept across collector restarts, removed with the cluster.
    offsets = pod_logs.parent / "cronharness-log-offsets"
    container = {
        "name": "otelcol", "image": str(image), "imagePullPolicy": "IfNotPresent",
        "command": [f"{FILES}/otelcol", "--config=/etc/otelcol/config.yaml"],
        "env": [{"name": "K8S_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
        "resources": {"requests": {"cpu": "20m", "memory": "64Mi"}, "limits": {"memory": "512Mi"}},
        # root reads the kubelet's files (root-owned, 0640); no capability is needed for that
        "securityContext": {"runAsUser": 0, "runAsNonRoot": False, "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/otelcol", "readOnly": True},
                         {"name": "pod-logs", "mountPath": LOGS_IN_POD, "readOnly": True},
                         {"name": "offsets", "mountPath": OFFSETS_IN_POD}],
    }
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": COLLECTOR, "namespace": NAMESPACE}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": role_name, "labels": dict(PART_OF)},
         "rules": [{"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list", "watch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": role_name, "labels": dict(PART_OF)},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role_name},
         "subjects": [{"kind": "ServiceAccount", "name": COLLECTOR, "namespace": NAMESPACE}]},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": COLLECTOR, "namespace": NAMESPACE},
         "data": {"config.yaml": config}},
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": COLLECTOR, "namespace": NAMESPACE},
         "spec": {"selector": {"matchLabels": labels},
                  # a changed configuration rolls the pods (the collector reads it once, at start)
                  "template": {"metadata": {"labels": labels, "annotations": {
                      "cronharness.io/config-sha256": hashlib.sha256(config.encode()).hexdigest()}}, "spec": {
                      "serviceAccountName": COLLECTOR,
                      "tolerations": [{"operator": "Exists"}],  # every node, control planes included
                      "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                      "containers": [container],
                      "volumes": [
                          {"name": "config", "configMap": {"name": COLLECTOR}},
                          {"name": "pod-logs", "hostPath": {"path": str(pod_logs), "type": "Directory"}},
                          {"name": "offsets", "hostPath": {"path": str(offsets), "type": "DirectoryOrCreate"}},
                      ]}}}},
    ]


# --- install, read, remove ------------------------------------------------------------------------------


def ensure_index(client: OpenSearch, index: str = INDEX) -> None:
    """Put the index template (idempotent) and create the index, so that its mappings are the template's."""
    client.indices.put_index_template(name=index, body=index_template(index))
    if not client.indices.exists(index=index):
        client.indices.create(index=index)


def _not_ready(kube: Kube) -> str | None:
    try:
        daemonset = kube.plain(kube.apps.read_namespaced_daemon_set_status(COLLECTOR, NAMESPACE))
    except ApiException as exc:
        return f"daemonset {COLLECTOR}: {exc.reason}"
    status = daemonset.get("status") or {}
    if status.get("observedGeneration") != daemonset["metadata"].get("generation"):
        return f"daemonset {COLLECTOR}: its controller has not seen the current spec yet"
    wanted, ready = status.get("desiredNumberScheduled", 0), status.get("numberReady", 0)
    updated = status.get("updatedNumberScheduled", 0)
    if not wanted or ready < wanted or updated < wanted:
        return f"{ready}/{wanted} collector pods ready ({updated} updated)"
    return None


def install(cluster: Cluster, opensearch_job_url: str, opensearch: OpenSearch,
            timeout: float = 300) -> dict[str, float]:
    """Build and load the collector's image, prepare the index, apply the objects (idempotent) and wait until
    a collector runs on every node.

    Args:
        cluster: where to install.
        opensearch_job_url: where the collector pods reach OpenSearch.
        opensearch: a client of the same OpenSearch from here (for the index template).
        timeout: seconds to wait for the pods.

    Returns:
        Seconds each step took.

    Raises:
        HarnessError: when a build, a push or the apply fails.
        HarnessTimeout: when the collector pods are not ready in time.
    """
    seconds: dict[str, float] = {}
    with cache_lock(state_root() / "logs" / ".install.lock"):
        started = time.monotonic()
        built = build_service_image(image_spec())
        image = cluster.load_image(built.archive, built.ref)
        seconds["image"] = time.monotonic() - started
        started = time.monotonic()
        with step(f"installing the log collector in namespace {NAMESPACE} (to {opensearch_job_url}, index {INDEX})"):
            ensure_index(opensearch)
            cluster.apply(manifests(image, opensearch_job_url, cluster.pod_logs_dir), timeout=120)
            kube = Kube(cluster.kubeconfig)
            wait_until(lambda: _not_ready(kube) is None, timeout=timeout, interval=1,
                       what=f"the log collector in {NAMESPACE} to be ready",
                       describe=lambda: _not_ready(kube) or "ready")
        seconds["install to ready"] = time.monotonic() - started
    return seconds


def installed(cluster: Cluster) -> bool:
    """True when the collector's namespace exists (whether or not it is ready)."""
    return namespace.installed(cluster, NAMESPACE)


def uninstall(cluster: Cluster) -> None:
    """Delete the namespace (waiting until it is gone) and the cluster role; the index and its lines stay.

    Raises:
        HarnessError: when kubectl fails.
    """
    namespace.remove(cluster, NAMESPACE, "the log collector")


@dataclass(frozen=True)
class LogLine:
    """One line a job's container wrote, as kept in OpenSearch."""

    timestamp: str  # the container runtime's, RFC 3339 with nanoseconds
    namespace: str
    cronjob: str
    job: str
    pod: str
    container: str
    stream: str  # stdout or stderr
    line: str
    fields: Mapping[str, Any]  # the line's JSON object, when it is one

    @classmethod
    def from_document(cls, source: Mapping[str, Any]) -> LogLine:
        """The line a document of the collector's index holds (its ``_source``)."""
        resource = source.get("resource") or {}
        attributes = source.get("attributes") or {}
        fields = attributes.get("json") or {}
        return cls(
            timestamp=str(source.get("@timestamp", "")), namespace=resource.get(NAMESPACE_KEY, ""),
            cronjob=resource.get(CRONJOB_KEY, ""), job=resource.get(JOB_KEY, ""), pod=resource.get(POD_KEY, ""),
            container=resource.get(CONTAINER_KEY, ""), stream=str(attributes.get("log.iostream", "")),
            line=str(source.get("body", "")), fields=fields if isinstance(fields, Mapping) else {})

    def render(self, prefix: bool) -> str:
        """The line as ``harness logs`` prints it, optionally after its time, pod and container."""
        return f"{self.timestamp} {self.pod}/{self.container} {self.line}" if prefix else self.line


class LogStore:
    """The kept lines of job runs, read from the collector's index."""

    def __init__(self, client: OpenSearch, index: str = INDEX) -> None:
        self.client, self.index = client, index

    @classmethod
    def at(cls, url: str, index: str = INDEX) -> LogStore:
        """The store of the OpenSearch at ``url`` (plain HTTP, no credentials)."""
        return cls(OpenSearch(hosts=[url], timeout=30), index)

    def lines(self, cronjob: str, *, run: str | None = None, namespace: str | None = None,
              page: int = 1000) -> list[LogLine]:
        """Every kept line of CronJob ``cronjob`` (of its run ``run``, in ``namespace``), oldest first.

        Raises:
            HarnessError: when the index does not exist (no collector ever shipped to this OpenSearch).
        """
        if not self.client.indices.exists(index=self.index):
            raise HarnessError(f"OpenSearch has no index {self.index}: no log collector has shipped there; "
                               "install one (python -m harness monitoring logs up) or give the right --opensearch")
        self.client.indices.refresh(index=self.index)
        terms = {CRONJOB_KEY: cronjob, JOB_KEY: run, NAMESPACE_KEY: namespace}
        query = {"bool": {"filter": [{"term": {f"resource.{k}": v}} for k, v in terms.items() if v]}}
        return [LogLine.from_document(hit["_source"]) for hit in self._hits(query, page)]

    def _hits(self, query: Mapping[str, Any], page: int) -> Iterator[dict[str, Any]]:
        # search_after over a total order: every line, however many, each once.
        sort = [{"@timestamp": "asc"},
                {"attributes.log.file.record_number": {"order": "asc", "unmapped_type": "long"}},
                {"resource.k8s.pod.uid": {"order": "asc", "unmapped_type": "keyword"}}]
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"size": page, "query": query, "sort": sort}
            if after is not None:
                body["search_after"] = after
            hits = self.client.search(index=self.index, body=body)["hits"]["hits"]
            yield from hits
            if len(hits) < page:
                return
            after = hits[-1]["sort"]

