"""Deploy a job chart into a cluster: build its image and load it where the cluster pulls from, then
`helm upgrade --install` with the chart's ``image`` values pointing at it."""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from harness.charts.discover import CHARTS_DIR, VALUES_DIR
from harness.charts.render import build_dependencies, helm_binary
from harness.cluster.base import Cluster
from harness.errors import HarnessError
from harness.images.base import BaseKind
from harness.images.job import JobImage
from harness.images.reference import ImageRef, job_repository
from harness.prerequisites import once
from harness.toolchain.progress import step

if TYPE_CHECKING:
    from harness.kube import Kube
    from harness.services.incluster import ClusterServices

BASE_ANNOTATION = "cronharness.io/base-image"


@dataclass
class Deployment:
    """A job chart installed as a Helm release.

    Attributes:
        job: the job (chart folder name under charts/jobs).
        release: Helm release name.
        namespace: where it runs.
        cronjob: the CronJob's name (the chart's full name).
        phases: seconds spent per phase (image, load, deploy).
        image: the reference its pods run.
    """

    job: str
    release: str
    namespace: str
    cronjob: str
    phases: dict[str, float] = field(default_factory=dict)
    image: ImageRef | None = None  # None only for a Deployment made by hand


def without_credentials(*variables: str) -> dict[str, Any]:
    """env values that make the named secretKeyRef variables optional, for runs against the test services
    (which need no credentials). A job chart's own values never make a credential optional: in production a
    missing Secret must stop the pod, not let it run unauthenticated; a test says so explicitly with this."""
    return {name: {"secretKeyRef": {"optional": True}} for name in variables}


def without_kerberos(**persistence: Any) -> dict[str, Any]:
    """Values that switch off an environment's Kerberos login — its ``kinit`` init container and ``keytab``
    volume (values/dev) — for a test that does not exercise it (the test HDFS and YARN run without security; a
    test of the login itself uses :func:`prepare_kerberos`); plus the other ``persistence`` entries given (e.g.
    ``eos={"enabled": False}``, an output claim)."""
    return {"initContainers": {"kinit": {"enabled": False}},
            "persistence": {"keytab": {"enabled": False}, **persistence}}


def merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` deep-merged onto ``base`` as Helm merges a later values file: maps key by key, anything else
    replaced whole."""
    out = dict(base)
    for key, value in over.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


# The Spark engines a job test runs on, as they appear in test ids: local mode inside the job's pod (values/dev),
# executors as pods of the job's image (the library's spark.kubernetes switch) and executors as YARN containers
# (docs/spark.md).
SPARK_ENGINES = ("local", "spark_k8s", "yarn")
IN_CLUSTER_API = "k8s://https://kubernetes.default.svc"
# What the environments' values mount from the namespace (values/prod, values/preprod): the Hadoop client configuration
# a job on YARN reads (harness/services/yarn.py), the Kerberos client configuration and the keytab kinit logs in with
HADOOP_CONF_MAP = "hadoop-conf"
KRB5_CONF_MAP = "krb5-conf"
KEYTAB_SECRET = "cmsmon-keytab"
# ... and what else they expect of a site: the claim holding CMS software, the label of the nodes drivers run on
CVMFS_CLAIM = "cvmfs-cms"
SPARK_CLIENT_NODES = ("role", "spark-client")
HADOOP_CONF_DIR = "/etc/hadoop/conf"
# Spark's jars in the spark base image, which the test YARN's NodeManager runs too (images/spark/Dockerfile)
YARN_NODE_JARS = "local:/opt/venv/lib/python3.11/site-packages/pyspark/jars/*"


def on_spark_engine(engine: str, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` run on Spark engine ``engine`` (one of :data:`SPARK_ENGINES`); ``spark_k8s`` adds two executor
    pods with small requests (the test cluster is one small node); ``yarn`` two small executors on the test YARN,
    its client configuration mounted from ConfigMap :data:`HADOOP_CONF_MAP` (which the test puts in the namespace:
    ``kube.put_config_map(namespace, HADOOP_CONF_MAP, cluster_services.yarn().client_conf)``).

    Raises:
        HarnessError: for an unknown engine.
    """
    if engine == "local":
        return values
    if engine == "spark_k8s":
        return merged(values, {"spark": {"kubernetes": {"enabled": True, "executorRequestCores": "100m"}},
                               "env": {"SPARK_MASTER": IN_CLUSTER_API, "SPARK_EXECUTOR_INSTANCES": "2",
                                       "SPARK_EXECUTOR_MEMORY": "512m"}})
    if engine == "yarn":
        return merged(values, {
            "env": {"SPARK_MASTER": "yarn", "SPARK_EXECUTOR_INSTANCES": "2", "SPARK_EXECUTOR_MEMORY": "512m",
                    # client mode: the executors call the driver back at its pod's address, on fixed ports
                    "SPARK_LOCAL_IP": {"fieldRef": {"fieldPath": "status.podIP"}},
                    "SPARK_DRIVER_PORT": "7078", "SPARK_BLOCKMANAGER_PORT": "7079",
                    "HADOOP_CONF_DIR": HADOOP_CONF_DIR,
                    # The NodeManager runs the spark base image: its containers take Spark's jars from there rather
                    # than from the 300 MB each run would otherwise upload (pyspark's own zips are still shipped).
                    "SPARK_YARN_JARS": YARN_NODE_JARS},
            "ports": {"spark-driver": {"containerPort": 7078}, "spark-blockmgr": {"containerPort": 7079}},
            "persistence": {"hadoop-conf": {"type": "configMap", "configMapName": HADOOP_CONF_MAP,
                                            "mountPath": HADOOP_CONF_DIR}},
        })
    raise HarnessError(f"unknown Spark engine {engine!r}; choose one of {', '.join(SPARK_ENGINES)}")


def prepare_spark_engine(engine: str, kube: Kube, namespace: str, services: ClusterServices) -> None:
    """Make ``namespace`` ready for a job on ``engine``: executor pods (``spark_k8s``) must pass the restricted Pod
    Security Standard like the job's own; a job on ``yarn`` finds the test YARN (started here if needed) through its
    client configuration, ConfigMap :data:`HADOOP_CONF_MAP`."""
    if engine == "spark_k8s":
        kube.enforce_pod_security(namespace)
    if engine == "yarn":
        kube.put_config_map(namespace, HADOOP_CONF_MAP, services.yarn().client_conf)


def prepare_kerberos(kube: Kube, namespace: str, services: ClusterServices,
                     principal: str = "cmsmonit@CERN.CH") -> None:
    """Put in ``namespace`` what the environments' Kerberos login reads (values/preprod, values/prod): Secret
    :data:`KEYTAB_SECRET` with ``principal``'s keytab from the test KDC (started here if needed) and ConfigMap
    :data:`KRB5_CONF_MAP` naming that KDC."""
    kdc = services.kdc()
    kube.put_secret(namespace, KEYTAB_SECRET, {"keytab": kdc.keytab(principal)})
    kube.put_config_map(namespace, KRB5_CONF_MAP, {"krb5.conf": kdc.krb5_conf})


def prepare_site(kube: Kube, namespace: str, services: ClusterServices) -> list[str]:
    """Make the test cluster a site the environments' values run on as written (values/preprod, values/prod):
    ``namespace`` gets the Hadoop client configuration of the test YARN and HDFS (:data:`HADOOP_CONF_MAP`), the
    Kerberos login's files (:func:`prepare_kerberos`) and an empty claim :data:`CVMFS_CLAIM`; the nodes get the label
    the values select (:data:`SPARK_CLIENT_NODES`).

    Returns:
        The nodes that got the label (to remove it from afterwards: :func:`unlabel_nodes`).
    """
    prepare_spark_engine("yarn", kube, namespace, services)
    prepare_kerberos(kube, namespace, services)
    claim = {"metadata": {"name": CVMFS_CLAIM},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Mi"}}}}
    kube.core.create_namespaced_persistent_volume_claim(namespace, claim)  # type: ignore[arg-type]
    key, value = SPARK_CLIENT_NODES
    labelled = []
    for node in kube.plain(kube.core.list_node())["items"]:
        if node["metadata"].get("labels", {}).get(key) != value:
            kube.core.patch_node(node["metadata"]["name"], {"metadata": {"labels": {key: value}}})
            labelled.append(str(node["metadata"]["name"]))
    return labelled


def unlabel_nodes(kube: Kube, nodes: list[str]) -> None:
    """Take the label :func:`prepare_site` gave ``nodes`` off them again."""
    for node in nodes:
        kube.core.patch_node(node, {"metadata": {"labels": {SPARK_CLIENT_NODES[0]: None}}})


def on_test_site(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` over an environment's (values/preprod, values/prod), changed where the test site must differ from a
    production one beyond its endpoints: the driver leaves the host network for its pod's address (the local
    cluster's node address is 127.0.0.1, which no pod can call back; the values' host ports stay declared, which a
    pod off the host network may do); two small executors (one small node); Spark's jars from the test YARN's nodes
    (:data:`YARN_NODE_JARS`)."""
    return merged({
        "pod": {"hostNetwork": False},
        "env": {"SPARK_LOCAL_IP": {"fieldRef": {"fieldPath": "status.podIP"}},
                "SPARK_EXECUTOR_INSTANCES": "2", "SPARK_EXECUTOR_MEMORY": "512m", "SPARK_YARN_JARS": YARN_NODE_JARS},
    }, values)


def job_chart(job: str) -> Path:
    """The chart folder of ``job``.

    Raises:
        HarnessError: naming the jobs that exist when ``job`` does not.
    """
    chart = CHARTS_DIR / "jobs" / job
    if not (chart / "Chart.yaml").exists():
        known = sorted(p.parent.name for p in (CHARTS_DIR / "jobs").glob("*/Chart.yaml"))
        raise HarnessError(f"no job chart charts/jobs/{job}; jobs: {', '.join(known) or 'none yet'}")
    return chart


def build_image(context_dir: Path, repository: str, base_kind: BaseKind) -> tuple[JobImage, float]:
    """Build the Dockerfile in ``context_dir`` on base ``base_kind`` as ``<repository>:<content key>`` (the base
    first if needed; each at most once per process: harness/prerequisites.py).

    Returns:
        The built image and the seconds spent.

    Raises:
        HarnessError: when the base or the image cannot be built.
    """
    from harness.images.base import ensure_base
    from harness.images.job import build_job_image

    started = time.monotonic()
    base = once(f"the {base_kind} base image", lambda: ensure_base(base_kind))
    built = once(f"the image {repository}", lambda: build_job_image(context_dir, repository, base))
    return built, time.monotonic() - started


def build_and_load(
    cluster: Cluster, context_dir: Path, repository: str, base_kind: BaseKind
) -> tuple[ImageRef, dict[str, float]]:
    """Build the Dockerfile in ``context_dir`` on base ``base_kind`` (:func:`build_image`) and load it into
    ``cluster`` (pushed to its registry, or loaded into its nodes: ``Cluster.load_image``).

    Returns:
        The reference the cluster's pods pull, and the seconds spent building and loading.

    Raises:
        HarnessError: when the base or the image cannot be built, or the cluster cannot take it.
    """
    built, seconds = build_image(context_dir, repository, base_kind)
    phases = {"image build": seconds}
    started = time.monotonic()
    ref = cluster.load_image(built.archive, built.ref)
    phases["image load"] = time.monotonic() - started
    return ref, phases


def base_kind(chart: Path) -> BaseKind:
    """The base image the job chart in ``chart``'s app/Dockerfile builds on (its Chart.yaml annotation; python
    when absent)."""
    meta = yaml.safe_load((chart / "Chart.yaml").read_text()) or {}
    kind: BaseKind = (meta.get("annotations") or {}).get(BASE_ANNOTATION, "python")
    return kind


def build_job(job: str) -> JobImage:
    """Build job ``job``'s image (its chart's app/ on its base), as tests and releases use it."""
    chart = job_chart(job)
    return build_image(chart / "app", job_repository(job), base_kind(chart))[0]


def build_and_load_image(cluster: Cluster, job: str) -> tuple[ImageRef, dict[str, float]]:
    """Build the job's app/ Dockerfile on its base image (Chart.yaml annotation) and load it into the cluster."""
    chart = job_chart(job)
    return build_and_load(cluster, chart / "app", job_repository(job), base_kind(chart))


def image_values(ref: ImageRef) -> dict[str, Any]:
    """Values that make a chart's pods run ``ref``: its ``image``, and no environment-wide registry (an
    environment's ``global.imageRegistry`` would otherwise send the pull to its production mirror)."""
    # IfNotPresent: tags are content keys, so an image present under one is the image wanted.
    return {"image": {**ref.values(), "pullPolicy": "IfNotPresent"}, "global": {"imageRegistry": ""}}


def deploy(
    cluster: Cluster,
    job: str,
    namespace: str,
    *,
    values: dict[str, Any] | None = None,
    env: str | None = None,
    release: str | None = None,
) -> Deployment:
    """Install (or upgrade) job chart ``job`` into ``namespace`` with test ``values`` on top.

    Layering, later wins: chart defaults, values/<env>/_env.yaml and values/<env>/<job>.yaml (when
    ``env`` is given), the built image (:func:`image_values`), then ``values`` (the test's: service
    endpoints, short schedules).

    Raises:
        HarnessError: when the image cannot be built/loaded or helm refuses the release (helm's message).
    """
    chart = job_chart(job)
    release = release or job
    image, phases = build_and_load_image(cluster, job)
    layered = [VALUES_DIR / env / "_env.yaml", VALUES_DIR / env / f"{job}.yaml"] if env else []
    helm = helm_binary(3)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, step(f"helm upgrade --install {release} ({job}) in {namespace}"):
        image_file, test_values = Path(tmp) / "image-values.yaml", Path(tmp) / "test-values.yaml"
        image_file.write_text(yaml.safe_dump(image_values(image)))
        test_values.write_text(yaml.safe_dump(values or {}))
        build_dependencies(chart, helm)
        cmd = [helm, "upgrade", "--install", release, str(chart), "--namespace", namespace, "--create-namespace",
               "--kubeconfig", str(cluster.kubeconfig), "--wait", "--timeout", "2m"]
        for path in [*[p for p in layered if p.exists()], image_file, test_values]:
            cmd += ["-f", str(path)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise HarnessError(f"helm could not install {job}: {done.stderr.strip()}")
    phases["deploy"] = time.monotonic() - started
    manifest = subprocess.run([helm, "get", "manifest", release, "--namespace", namespace,
                               "--kubeconfig", str(cluster.kubeconfig)], capture_output=True, text=True, check=True)
    cronjobs = [d["metadata"]["name"] for d in yaml.safe_load_all(manifest.stdout) if d and d["kind"] == "CronJob"]
    return Deployment(job=job, release=release, namespace=namespace, cronjob=cronjobs[0], phases=phases,
                      image=image)
