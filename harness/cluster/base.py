"""What every cluster provider offers the harness: a kubeconfig, up/down/status, images, CRDs."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from harness.errors import HarnessError
from harness.images.reference import ImageRef
from harness.toolchain.progress import step
from harness.waiting import wait_until

# Annotation holding the digest of the manifest a CRD was installed from.
_CRD_DIGEST = "cronharness.local/manifest-sha256"


@dataclass(frozen=True)
class ComponentStatus:
    """One line of ``harness cluster status``.

    Attributes:
        name: component (etcd, kube-apiserver, ...).
        running: its process (or the cluster endpoint, for providers without processes) is alive.
        healthy: its health endpoint answered OK.
        detail: pid, endpoint, or why it is unhealthy.
    """

    name: str
    running: bool
    healthy: bool
    detail: str = ""


class Cluster(ABC):
    """A Kubernetes cluster the harness deploys to."""

    #: provider name as given to ``--cluster`` / HARNESS_CLUSTER
    provider: str

    @property
    @abstractmethod
    def kubeconfig(self) -> Path:
        """The admin kubeconfig for this cluster."""

    @property
    def pod_logs_dir(self) -> PurePosixPath:
        """The kubelet's pod-log directory on the nodes (its ``podLogsDir``), where a node's log collector
        reads every container's output: Kubernetes' default unless the provider sets its own."""
        return PurePosixPath("/var/log/pods")

    @abstractmethod
    def up(self) -> None:
        """Start (or adopt) the cluster and wait until it can run pods; idempotent.

        Raises:
            HarnessError: when a prerequisite is missing or a component does not come up.
        """

    @abstractmethod
    def down(self, *, purge: bool = False) -> None:
        """Stop what ``up`` started; ``purge`` also deletes the cluster's data.

        Raises:
            HarnessError: when something could not be stopped or removed (named in the message).
        """

    @abstractmethod
    def status(self) -> list[ComponentStatus]:
        """Each component and its health."""

    @abstractmethod
    def load_image(self, archive: Path, image: ImageRef) -> ImageRef:
        """Make ``image``, held in the docker-archive ``archive``, available to the cluster's pods.

        Args:
            archive: a docker-archive tar (``build_job_image``'s).
            image: the name the image has inside the archive (``localhost/...:<content key>``).

        Returns:
            The reference the pods pull it by (the chart's ``image`` values): the same name in the nodes'
            store, or the image in the registry the cluster pulls from.

        Raises:
            HarnessError: when the image cannot be loaded or pushed (what failed, and what to pass or do).
        """

    def kubectl(self, *args: str, input_text: str | None = None, timeout: float = 120) -> str:
        """Run the pinned kubectl against this cluster and return its stdout.

        Raises:
            HarnessError: when kubectl exits non-zero (with its stderr) or runs past ``timeout``.
        """
        from harness.toolchain.tools import ensure

        cmd = [str(ensure("kubectl")), "--kubeconfig", str(self.kubeconfig), *args]
        try:
            done = subprocess.run(
                cmd, input=input_text, capture_output=True, text=True, check=False, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:
            raise HarnessError(f"`kubectl {' '.join(args)}` did not finish within {timeout:.0f}s") from exc
        if done.returncode != 0:
            raise HarnessError(f"`kubectl {' '.join(args)}` failed: {done.stderr.strip()}")
        return done.stdout

    def apply(self, objects: list[dict[str, Any]], *, namespace: str | None = None, timeout: float = 120) -> None:
        """Server-side apply ``objects`` as the harness's field manager (unchanged ones are a no-op); objects
        without a namespace of their own go to ``namespace`` when given.

        Raises:
            HarnessError: when kubectl refuses an object (with its message).
        """
        manifest = json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})
        self.kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=cronharness",
                     *(["-n", namespace] if namespace else []), "-f", "-", input_text=manifest, timeout=timeout)

    def ensure_namespace(self, name: str, timeout: float = 180) -> None:
        """Make sure namespace ``name`` exists; one still being deleted (a previous owner's ``--wait=false``
        teardown) is waited out first, as the API server refuses new objects in a terminating namespace.

        Raises:
            HarnessError: when it is still terminating after ``timeout`` seconds, or cannot be created.
        """
        phase = self.kubectl("get", "namespaces", "--field-selector", f"metadata.name={name}",
                             "-o", "jsonpath={.items[*].status.phase}").strip()
        if phase == "Terminating":
            self.kubectl("wait", "--for=delete", f"namespace/{name}", f"--timeout={timeout:.0f}s",
                         timeout=timeout + 30)
        self.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}])

    def wait_rollout(self, namespace: str, deployment: str, timeout: float = 120) -> None:
        """Wait until Deployment ``deployment`` has rolled out (its pods of the current spec ready).

        Raises:
            HarnessError: when it has not within ``timeout`` seconds (kubectl's message says which pods).
        """
        self.kubectl("rollout", "status", f"deployment/{deployment}", "-n", namespace, f"--timeout={timeout:.0f}s",
                     timeout=timeout + 30)

    def install_crds(self) -> list[str]:
        """Apply the prometheus-operator and Argo CD CRDs and wait until each is Established.

        Server-side apply: the prometheus-operator CRDs are larger than the annotation client-side
        apply would store. Each CRD carries the digest of its manifest in an annotation, and CRDs
        whose installed digest matches are not applied again (a repeated ``up`` stays fast).

        Returns:
            The names of the CRDs (installed now or already current).

        Raises:
            HarnessError: when the apply fails or a CRD is not Established within a minute.
        """
        from harness.crds import crd_documents

        # A copy: the digest annotation added below must not end up in the cached documents (a second call
        # in the same process would hash it too and find every CRD stale).
        documents = copy.deepcopy(crd_documents())
        for doc in documents:
            digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
            doc["metadata"].setdefault("annotations", {})[_CRD_DIGEST] = digest
        names = [str(doc["metadata"]["name"]) for doc in documents]
        installed = self._crd_digests()
        stale = [doc for doc in documents if installed.get(doc["metadata"]["name"]) !=
                 doc["metadata"]["annotations"][_CRD_DIGEST]]
        if not stale:
            return names
        title = f"installing {len(stale)} CRDs (prometheus-operator, Argo CD)"
        with step(title), tempfile.NamedTemporaryFile("w", suffix=".yaml") as manifest:
            yaml.safe_dump_all(stale, manifest)
            manifest.flush()
            self.kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=cronharness",
                         "-f", manifest.name)
            # Polled rather than `kubectl wait`, which errors out on a CRD whose status has no
            # conditions yet instead of waiting for them.
            wait_until(lambda: not self._unestablished(names), timeout=60, what="the CRDs to be Established",
                       describe=lambda: f"not yet Established: {self._unestablished(names)}")
        return names

    def _crds(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = json.loads(self.kubectl("get", "crd", "-o", "json"))["items"]
        return items

    def require_crds(self, names: Sequence[str]) -> None:
        """Check, without changing anything, that CRDs ``names`` are installed and Established.

        Raises:
            HarnessError: naming the missing CRDs and the two ways to get them.
        """
        missing = self._unestablished(list(names))
        if missing:
            raise HarnessError(
                f"the {self.provider} cluster lacks CRDs that the job charts create objects of: {', '.join(missing)}. "
                "The harness changes a cluster it does not own only inside its test namespaces unless asked: pass "
                "--install-crds (or set HARNESS_INSTALL_CRDS=1) to have it apply prometheus-operator's and Argo CD's "
                "CRDs, or have the cluster's admin install prometheus-operator"
            )

    def _crd_digests(self) -> dict[str, str]:
        return {
            item["metadata"]["name"]: (item["metadata"].get("annotations") or {}).get(_CRD_DIGEST, "")
            for item in self._crds()
        }

    def _unestablished(self, names: list[str]) -> list[str]:
        established = {
            item["metadata"]["name"]
            for item in self._crds()
            for condition in (item.get("status") or {}).get("conditions") or []
            if condition["type"] == "Established" and condition["status"] == "True"
        }
        return [name for name in names if name not in established]
