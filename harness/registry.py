"""The machine's OCI registry on 127.0.0.1: Debian's docker-registry (the distribution registry).

One registry serves both what the harness pushes: chart packages (`make publish` tried locally, the publish
end-to-end test) and job images, which the local cluster's containerd pulls from it (harness/cluster/containerd.py
configures that host as plain HTTP). It listens on a fixed loopback port, ``HARNESS_REGISTRY_PORT`` (default
5000), so image references and containerd's hosts file stay valid across restarts and sessions; plain HTTP
and no authentication, since it only ever listens on loopback. Its storage lives in its state directory
(``state_root()/registry``), so a restart keeps what was pushed.

Images are pushed from the docker-archive a build wrote (content-addressed, harness/images/job.py) with
Debian's skopeo: the archive, not a tag in buildah's store that another session may have moved meanwhile.
"""

from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import yaml

from harness.errors import HarnessError
from harness.images.reference import ImageRef
from harness.locking import cache_lock
from harness.paths import state_root
from harness.services.base import Service
from harness.toolchain.apt import apt_ensure
from harness.toolchain.progress import step
from harness.toolchain.versions import pinned

BINARY = "/usr/bin/docker-registry"
DEFAULT_PORT = 5000
PORT_VARIABLE = "HARNESS_REGISTRY_PORT"


def registry_port() -> int:
    """The machine registry's loopback port: ``$HARNESS_REGISTRY_PORT``, else 5000.

    Raises:
        HarnessError: when the variable is not a port number.
    """
    raw = os.environ.get(PORT_VARIABLE, str(DEFAULT_PORT))
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise HarnessError(f"{PORT_VARIABLE}={raw!r} is not a TCP port; set a number from 1 to 65535")
    return int(raw)


class Registry(Service):
    """The distribution registry serving ``http://127.0.0.1:<port>/v2/``.

    Args:
        root: its state directory (default ``state_root()/registry``, the machine registry's).
        port: its loopback port (default :func:`registry_port`); 0 picks a free one at first start and keeps
            it in the state directory (a second cluster's or a test's registry beside the machine one).
        htpasswd: a users file (:func:`write_htpasswd`): the registry then answers only requests with one of its
            users' credentials (HTTP basic auth), as a production registry does. Default: no authentication.
    """

    name = "registry"
    default_ports: ClassVar[Mapping[str, int]] = {"http": 0}
    start_timeout: ClassVar[float] = 30.0

    def __init__(self, root: Path | None = None, port: int | None = None, htpasswd: Path | None = None) -> None:
        self.htpasswd = htpasswd
        chosen = registry_port() if port is None else port
        # A fixed port wins over one saved by an earlier start; port 0 reuses the saved one.
        super().__init__(root or state_root() / "registry", ports={"http": chosen} if chosen else None)

    def prepare(self) -> None:
        """Install the Debian package (its own system service is never started)."""
        apt_ensure(pinned("delivery", "docker-registry"))

    def start(self) -> None:
        """Start the registry unless it runs; concurrent sessions wait for each other here."""
        with cache_lock(self.root.parent / f".{self.root.name}.lock"):
            super().start()

    def _config(self) -> str:
        config = {
            "version": 0.1,
            "log": {"level": "info", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(self.data_dir)}, "delete": {"enabled": True}},
            # No debug listener: it would bind another port.
            "http": {"addr": self.address, "headers": {"X-Content-Type-Options": ["nosniff"]}},
        }
        if self.htpasswd is not None:
            config["auth"] = {"htpasswd": {"realm": "cronharness", "path": str(self.htpasswd)}}
        path = self.root / "config.yml"
        path.write_text(yaml.safe_dump(config))
        return str(path)

    def argv(self) -> list[str]:
        return [BINARY, "serve", self._config()]

    def env(self) -> Mapping[str, str]:
        # REGISTRY_* variables override the config file (REGISTRY_HTTP_ADDR could move it off loopback).
        return {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}

    def healthy(self) -> bool:
        if self.htpasswd is None:
            return self.http_ok("/v2/")
        # With authentication on, /v2/ answers a request without credentials with 401: that answer means up.
        try:
            urllib.request.urlopen(f"{self.url}/v2/", timeout=2).close()
            return True
        except urllib.error.HTTPError as exc:
            return exc.code == 401
        except OSError:
            return False


def write_htpasswd(path: Path, user: str, password: str) -> Path:
    """Write a registry users file at ``path`` holding ``user`` with ``password`` (bcrypt, as the registry requires).

    Raises:
        HarnessError: when htpasswd fails (its message).
    """
    apt_ensure(pinned("delivery", "htpasswd"))
    done = subprocess.run(["htpasswd", "-nbB", user, password], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise HarnessError(f"htpasswd could not hash the password of {user}: {done.stderr.strip()}")
    path.write_text(done.stdout.strip() + "\n")
    return path


def has_image(ref: ImageRef) -> bool:
    """True when the registry of ``ref`` (plain HTTP, on loopback) already serves its manifest: a present
    content-addressed tag holds the same image, so it need not be pushed again."""
    request = urllib.request.Request(
        f"http://{ref.host}/v2/{ref.remote_name}/manifests/{ref.tag}", method="HEAD",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json, "
                           "application/vnd.oci.image.manifest.v1+json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def delete_manifest(ref: ImageRef, digest: str) -> None:
    """Delete the manifest ``digest`` of ``ref``'s repository from its registry (plain HTTP, on loopback): what a
    test pushed under a path of its own goes when it ends (the blobs stay, shared with other images).

    Raises:
        HarnessError: when the registry does not accept the deletion.
    """
    request = urllib.request.Request(f"http://{ref.host}/v2/{ref.remote_name}/manifests/{digest}", method="DELETE")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status != 202:
                raise HarnessError(f"registry {ref.host} answered {response.status} to deleting {ref}@{digest}")
    except urllib.error.URLError as exc:
        raise HarnessError(f"could not delete {ref}@{digest} from registry {ref.host}: {exc}") from None


def push_archive(archive: Path, ref: ImageRef, *, content_addressed: bool = True,
                 credentials: str | None = None) -> str | None:
    """Copy the image in a docker-archive to ``ref`` with skopeo (plain HTTP when the registry is on loopback).

    With ``content_addressed`` (job images tagged with their build's key), an image whose tag a loopback registry
    already has is not pushed again. A release tag (a chart's appVersion) is always pushed: the registry then
    holds what this build made, and its digest is returned.

    Returns:
        The pushed manifest's digest (None when nothing was pushed).

    Raises:
        HarnessError: when the archive is missing or skopeo fails (with its message and what to check).
    """
    if not archive.is_file():
        raise HarnessError(f"image archive {archive} does not exist; build it with build_job_image()")
    if content_addressed and ref.on_loopback and has_image(ref):
        return None
    apt_ensure(pinned("delivery", "skopeo"))
    digest_file = archive.with_name(f".{archive.name}.{os.getpid()}.digest")
    cmd = ["skopeo", "copy", "--quiet", f"--dest-tls-verify={'false' if ref.on_loopback else 'true'}",
           "--digestfile", str(digest_file), f"docker-archive:{archive}", f"docker://{ref}"]
    if credentials is not None:
        cmd[3:3] = ["--dest-creds", credentials]
    try:
        with step(f"pushing {archive.name} to {ref}"):
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
        if done.returncode != 0:
            raise HarnessError(
                f"pushing image {ref} failed: {(done.stderr or done.stdout).strip()}; check that the registry "
                f"{ref.registry} is up and this machine may push to it (a remote one: `skopeo login {ref.host}` first)"
            )
        return digest_file.read_text().strip()
    finally:
        digest_file.unlink(missing_ok=True)
