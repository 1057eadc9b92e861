"""Files in a PersistentVolumeClaim, read through the Kubernetes API: no host path, any provider.

:func:`claim_reader` runs a short-lived reader pod that mounts the claim read-only and reads files with
``kubectl exec`` (base64 over the exec stream, so binary files such as PNGs arrive intact). The pod is
deleted when the ``with`` block ends, so the claim can be deleted afterwards.

Typical use in a job test::

    with claim_reader(cluster, namespace, "hpc-usage-output") as volume:
        assert volume.files() == ["2026-11.csv", "2026-11.html"]
        rows = list(csv.DictReader(io.StringIO(volume.text("2026-11.csv"))))
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from harness.cluster.base import Cluster
from harness.cluster.node_images import busybox_image

MOUNT = "/volume"


def create_claim(cluster: Cluster, namespace: str, name: str, size: str = "256Mi") -> None:
    """A ReadWriteOnce claim ``name`` of the cluster's default StorageClass in ``namespace`` (a job's output
    volume, as a user would give it one); it goes with the namespace."""
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input_text=json.dumps({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}},
    }))


@dataclass(frozen=True)
class ClaimReader:
    """Reads files of one claim through its reader pod.

    Attributes:
        cluster: the cluster the claim is in.
        namespace: the claim's (and the reader pod's) namespace.
        pod: the reader pod's name.
    """

    cluster: Cluster
    namespace: str
    pod: str

    def _exec(self, *command: str) -> str:
        return self.cluster.kubectl("exec", "-n", self.namespace, self.pod, "--", *command, timeout=120)

    def read(self, path: str) -> bytes:
        """The bytes of the file at ``path`` (relative to the claim's root).

        Raises:
            HarnessError: when the file does not exist or cannot be read (with ``base64``'s message).
        """
        return base64.b64decode(self._exec("base64", f"{MOUNT}/{path.lstrip('/')}"))

    def text(self, path: str) -> str:
        """The file at ``path`` as UTF-8 text."""
        return self.read(path).decode()

    def files(self) -> list[str]:
        """Every regular file in the claim, as paths relative to its root, sorted."""
        found = self._exec("find", MOUNT, "-type", "f")
        return sorted(line.removeprefix(f"{MOUNT}/") for line in found.splitlines())

    def listing(self, directory: str = "") -> dict[str, str]:
        """``{name: symlink target, or "file"}`` of every entry of ``directory`` (relative to the claim's root;
        hidden ones included); ``{}`` when it does not exist."""
        script = ('cd "$1" 2>/dev/null || exit 0; for f in * .[!.]*; do [ -e "$f" ] || [ -L "$f" ] || continue; '
                  'if [ -L "$f" ]; then printf "%s\\t%s\\n" "$f" "$(readlink "$f")"; '
                  'else printf "%s\\tfile\\n" "$f"; fi; done')
        found = self._exec("sh", "-c", script, "sh", f"{MOUNT}/{directory.strip('/')}")
        return dict(line.split("\t", 1) for line in found.splitlines())

    def write(self, path: str, data: bytes) -> None:
        """Replace the file at ``path`` with ``data`` (a reader opened with ``writable=True``), e.g. to damage an
        output a re-run must repair."""
        self._exec("sh", "-c", 'printf %s "$1" | base64 -d > "$2"', "sh", base64.b64encode(data).decode(),
                   f"{MOUNT}/{path.lstrip('/')}")

    def digests(self) -> dict[str, str]:
        """sha256 of every regular file (hidden ones included) by relative path: what a re-run must not change."""
        return {path: hashlib.sha256(self.read(path)).hexdigest() for path in self.files()}


def reader_pod(name: str, claim: str, image: str, writable: bool = False) -> dict[str, object]:
    """A pod that mounts ``claim`` at :data:`MOUNT` (read-only unless ``writable``) and waits to be exec'd into."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/name": "cronharness-claim-reader"}},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "restartPolicy": "Never",
            "containers": [{
                "name": "reader",
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "command": ["sh", "-c", "exec sleep 3600"],
                "volumeMounts": [{"name": "claim", "mountPath": MOUNT, "readOnly": not writable}],
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}},
                # Root with its capabilities: a job may write files only their owner can read.
                "securityContext": {"allowPrivilegeEscalation": False},
            }],
            "volumes": [{"name": "claim", "persistentVolumeClaim": {"claimName": claim, "readOnly": not writable}}],
        },
    }


@contextmanager
def claim_reader(cluster: Cluster, namespace: str, claim: str, *, image: str | None = None, writable: bool = False,
                 timeout: float = 120) -> Iterator[ClaimReader]:
    """A reader of claim ``claim`` in ``namespace``, for the duration of the ``with`` block.

    Args:
        cluster: the cluster the claim is in.
        namespace: the claim's namespace (the reader pod runs there).
        claim: the PersistentVolumeClaim's name.
        image: an image with ``sh``, ``sleep``, ``find`` and ``base64`` that the cluster's nodes have.
            Default: the busybox node image, which the local and kind clusters the harness starts hold (it
            runs the storage helper pods); on another cluster pass an image its nodes can pull, e.g. the
            job's own.
        writable: mount the claim read-write (for :meth:`ClaimReader.write`).
        timeout: seconds to wait for the reader pod to run.

    Yields:
        The reader.

    Raises:
        HarnessError: when the pod does not become ready in time (the claim is unbound, or the image is
            missing: ``kubectl describe pod`` in the message's namespace tells which).
    """
    # A suffix of its own: two readers of one claim at once never share (and delete) one pod.
    name = f"read-{claim}"[:56].rstrip("-") + f"-{secrets.token_hex(3)}"
    pod = reader_pod(name, claim, image or busybox_image()[0], writable)
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input_text=json.dumps(pod))
    try:
        cluster.kubectl("wait", "-n", namespace, f"pod/{name}", "--for=condition=Ready", f"--timeout={timeout:.0f}s",
                        timeout=timeout + 30)
        yield ClaimReader(cluster, namespace, name)
    finally:
        cluster.kubectl("delete", "-n", namespace, "pod", name, "--ignore-not-found", "--wait=true", timeout=120)
