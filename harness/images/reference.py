"""Image references: the name a job image is built under, and the name a cluster's pods pull it by.

A job image is built as ``localhost/cronharness/jobs/<job>:<key>``, where ``<key>`` is the build's cache key
(a digest of its build context, repository and base image: harness/images/job.py). The tag is therefore
content-addressed: two sessions with different code of the same job build different tags, and neither ever
runs the other's image, whatever the order of their pushes or loads. Where the pods find it depends on the
provider (``Cluster.load_image``): the same name in a kind node's store, or ``<registry>/cronharness/jobs/
<job>:<key>`` in a registry (the local cluster's loopback registry, or ``--registry`` for an existing one).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import urllib.parse
from dataclasses import dataclass

from harness.errors import HarnessError

#: the registry part of the names images are built under (buildah's and kind's convention for "no registry")
BUILD_REGISTRY = "localhost"
JOBS_REPOSITORY = "cronharness/jobs"

_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_REPOSITORY = re.compile(r"^[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*$")


@dataclass(frozen=True)
class ImageRef:
    """``<registry>/<repository>:<tag>``, split the way the charts' ``image`` values are.

    Attributes:
        registry: ``host[:port]`` with an optional path prefix (``registry.example.org/team``).
        repository: the image's path below the registry (``cronharness/jobs/<job>``).
        tag: the tag (for job images: the build's content key).
    """

    registry: str
    repository: str
    tag: str

    def __str__(self) -> str:
        return f"{self.registry}/{self.repository}:{self.tag}"

    @property
    def host(self) -> str:
        """The registry's ``host[:port]`` (what a client connects to)."""
        return self.registry.split("/", 1)[0]

    @property
    def remote_name(self) -> str:
        """The repository as the registry's API names it (the registry's path prefix included)."""
        prefix = self.registry.partition("/")[2]
        return f"{prefix}/{self.repository}" if prefix else self.repository

    @property
    def on_loopback(self) -> bool:
        """True when the registry is on this machine's loopback (``localhost``, ``127.0.0.0/8``, ``::1``)."""
        hostname = urllib.parse.urlsplit(f"//{self.host}").hostname or ""
        if hostname == "localhost":
            return True
        try:
            return ipaddress.ip_address(hostname).is_loopback
        except ValueError:
            return False

    def values(self) -> dict[str, str]:
        """The chart's ``image`` values that render this reference."""
        return {"registry": self.registry, "repository": self.repository, "tag": self.tag}

    def in_registry(self, registry: str) -> ImageRef:
        """The same repository and tag in another registry (``host[:port][/path]``; see :func:`registry_address`)."""
        return dataclasses.replace(self, registry=registry_address(registry))


def registry_address(value: str) -> str:
    """Normalise a registry given by a user (``--registry``/HARNESS_REGISTRY) to ``host[:port][/path]``.

    ``oci://`` and a trailing ``/`` are accepted and dropped.

    Raises:
        HarnessError: for an empty value or one with another scheme, naming the form expected.
    """
    address = value.strip().removeprefix("oci://").rstrip("/")
    if not address or "://" in address or any(c.isspace() for c in address) or address.startswith("/"):
        raise HarnessError(
            f"registry {value!r}: give it as host[:port][/path], e.g. 127.0.0.1:5000 or registry.example.org/team "
            "(no http:// or https://; plain HTTP is used only for a registry on loopback)"
        )
    return address


def job_repository(job: str) -> str:
    """The repository job ``job``'s image is built under: ``localhost/cronharness/jobs/<job>``."""
    return f"{BUILD_REGISTRY}/{JOBS_REPOSITORY}/{job}"


def built_image(repository: str, key: str) -> ImageRef:
    """``<registry>/<path>`` (as a build is named, e.g. ``localhost/cronharness/jobs/x``) with tag ``key``.

    Raises:
        HarnessError: when the name has no registry part, or the path or tag is not valid in an image name.
    """
    registry, _, path = repository.partition("/")
    if not path or not _REPOSITORY.match(path) or not _TAG.match(key):
        raise HarnessError(
            f"image {repository}:{key}: expected <registry>/<lower-case path>:<tag> "
            "(e.g. localhost/cronharness/jobs/rucio-daily:0123abcd4567)"
        )
    return ImageRef(registry_address(registry), path, key)
