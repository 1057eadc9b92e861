"""A Prometheus of one test alone, in the test's namespace, serving series backfilled from OpenMetrics text.

A job that reads Prometheus (promxy-to-opensearch) needs history: days of samples a scraping server would take
days to collect. :func:`serve_backfilled` runs one pod in the test's namespace from the Prometheus service
image (bookworm's ``prometheus`` package, which ships ``promtool``):

- an init container turns the OpenMetrics text, carried gzipped in a ConfigMap, into TSDB blocks with
  ``promtool tsdb create-blocks-from openmetrics`` — the backfill the Prometheus documentation describes;
- the server then serves those blocks (retention 10 years, so backfilled days are never dropped), scraping
  nothing.

The job reaches it by its Service name; the test host through a port-forward, like the shared in-cluster
services (harness/services/incluster.py). Everything goes with the test's namespace.

Typical use in a job test::

    with serve_backfilled(cluster, namespace, used_space.openmetrics(SEED, first, last)) as prometheus:
        values = {"env": {"PROMXY_URL": f"{prometheus.job_url}/api/v1/query_range"}}
"""

from __future__ import annotations

import gzip
import json
from base64 import b64encode
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from harness.cluster.base import Cluster
from harness.errors import HarnessError
from harness.images.service import ServiceImageSpec, build_service_image
from harness.prerequisites import once
from harness.services.incluster import Endpoint, PortForward
from harness.toolchain import pinned

PORT = 9090
SEED_DIR = "/seed"
TSDB_DIR = "/prometheus"


def prometheus_image_spec() -> ServiceImageSpec:
    """Bookworm's Prometheus (with promtool) on the service base: the image the operator stack runs too."""
    return ServiceImageSpec("prometheus", (pinned("services-mongo-monitoring", "prometheus"),))


def manifests(name: str, image: str, series_gz: bytes) -> list[dict[str, Any]]:
    """The ConfigMap (seed and an empty configuration), the Pod and the Service of a backfilled Prometheus."""
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "cronharness-test-services"}
    mounts = [{"name": "seed", "mountPath": SEED_DIR, "readOnly": True},
              {"name": "tsdb", "mountPath": TSDB_DIR}, {"name": "tmp", "mountPath": "/tmp"}]
    restricted = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                  "capabilities": {"drop": ["ALL"]}}
    backfill = (f"gzip -dc {SEED_DIR}/series.om.gz > /tmp/series.om && "
                f"promtool tsdb create-blocks-from openmetrics /tmp/series.om {TSDB_DIR} && rm /tmp/series.om")
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels},
         "data": {"prometheus.yml": "global: {}\n"},
         "binaryData": {"series.om.gz": b64encode(series_gz).decode()}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
         "spec": {
             "automountServiceAccountToken": False,
             "enableServiceLinks": False,
             "terminationGracePeriodSeconds": 0,
             "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
                                 "seccompProfile": {"type": "RuntimeDefault"}},
             "initContainers": [{
                 "name": "backfill", "image": image, "imagePullPolicy": "IfNotPresent",
                 "command": ["sh", "-c", backfill], "volumeMounts": mounts, "securityContext": restricted,
                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
             }],
             "containers": [{
                 "name": "prometheus", "image": image, "imagePullPolicy": "IfNotPresent",
                 "command": ["/usr/bin/prometheus", f"--config.file={SEED_DIR}/prometheus.yml",
                             f"--storage.tsdb.path={TSDB_DIR}", f"--web.listen-address=:{PORT}",
                             "--storage.tsdb.retention.time=3650d"],
                 "ports": [{"name": "http", "containerPort": PORT}],
                 "readinessProbe": {"httpGet": {"path": "/-/ready", "port": "http"}, "periodSeconds": 2},
                 "volumeMounts": mounts, "securityContext": restricted,
                 "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
             }],
             "volumes": [{"name": "seed", "configMap": {"name": name}},
                         {"name": "tsdb", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}],
         }},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": labels},
         "spec": {"selector": {"app.kubernetes.io/name": name},
                  "ports": [{"name": "http", "port": PORT, "targetPort": "http"}]}},
    ]


@contextmanager
def serve_backfilled(cluster: Cluster, namespace: str, lines: Iterable[str], name: str = "prometheus",
                     timeout: float = 180) -> Iterator[Endpoint]:
    """A ready Prometheus in ``namespace`` serving the OpenMetrics ``lines``, for the ``with`` block.

    Args:
        cluster: the cluster under test.
        namespace: the test's namespace (the pod, its ConfigMap and Service go with it).
        lines: OpenMetrics text lines without line breaks, ending with ``# EOF``.
        name: the pod's and Service's name.
        timeout: seconds to wait for the backfill and the server.

    Yields:
        Its endpoint: ``job_url`` by Service name, ``url`` through a port-forward.

    Raises:
        HarnessError: when the image cannot be built or loaded, or the pod is not ready in time (with the
            backfill's and the server's last log lines: promtool names a line it rejects).
    """
    built = once("the prometheus service image", lambda: build_service_image(prometheus_image_spec()))
    image = once("the prometheus image in the cluster", lambda: cluster.load_image(built.archive, built.ref))
    series_gz = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    # `create`, not `apply`: apply would copy the whole seed into an annotation, which has a 256 KiB limit.
    cluster.kubectl("create", "-n", namespace, "-f", "-",
                    input_text=json.dumps({"apiVersion": "v1", "kind": "List",
                                           "items": manifests(name, str(image), series_gz)}))
    try:
        cluster.kubectl("wait", "-n", namespace, f"pod/{name}", "--for=condition=Ready", f"--timeout={timeout:.0f}s",
                        timeout=timeout + 30)
    except HarnessError as exc:
        raise HarnessError(f"the backfilled prometheus in {namespace} is not ready: {exc}\n"
                           f"{_logs(cluster, namespace, name)}") from exc
    forward = PortForward(cluster, name, PORT, namespace=namespace)
    local = forward.start()
    try:
        yield Endpoint(name, f"http://{name}.{namespace}.svc:{PORT}", f"http://127.0.0.1:{local}")
    finally:
        forward.stop()


def _logs(cluster: Cluster, namespace: str, name: str) -> str:
    found = []
    for container in ("backfill", "prometheus"):
        try:
            found.append(f"{container}: " + cluster.kubectl("logs", "-n", namespace, name, "-c", container,
                                                              "--tail=10"))
        except HarnessError as exc:
            found.append(f"{container}: {exc}")
    return "\n".join(found)
