"""Build a job's image from its Dockerfile on a base image, into an archive a cluster can load.

The job's Dockerfile starts ``ARG BASE_IMAGE`` / ``FROM ${BASE_IMAGE}`` (images/README.md); buildah
builds it with ``--build-arg BASE_IMAGE=<base>`` and writes a docker-archive tar. The build's cache key is a
digest of the build context, the repository and the base image's id; it is both the image's tag
(``<repository>:<key>``, content-addressed: harness/images/reference.py) and part of the archive's name under
``cache_root()/images/jobs/``: an unchanged job on an unchanged base is not rebuilt.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.images import buildah
from harness.images.cache import KEY_LENGTH, tree_digest
from harness.images.reference import ImageRef, built_image
from harness.locking import cache_lock
from harness.paths import cache_root
from harness.toolchain import step


@dataclass(frozen=True)
class JobImage:
    """A built job image.

    Attributes:
        ref: the name it is built under, ``<repository>:<key>`` (also inside the archive).
        archive: a docker-archive tar holding it, for ``Cluster.load_image``.
    """

    ref: ImageRef
    archive: Path


def jobs_cache() -> Path:
    """Where job image archives are kept."""
    return cache_root() / "images" / "jobs"


def archive_stem(name: str) -> str:
    """A file-name-safe form of an image name (``localhost/jobs/x:dev`` -> ``localhost-jobs-x-dev``)."""
    return re.sub(r"[^A-Za-z0-9_.]+", "-", name).strip("-")


def job_cache_key(context_dir: Path, repository: str, base_id: str) -> str:
    """The cache key (and tag) of a job image: its build context's content, its repository, its base's id."""
    return tree_digest(context_dir, repository, base_id)


def _drop_older(repository: str, keep: ImageRef) -> None:
    """Remove earlier builds of ``repository`` (archives and tags in buildah's store): only the newest is
    loaded again, and a cluster that still runs an older one pulled or loaded it already."""
    pattern = re.compile(rf"^{re.escape(archive_stem(repository))}-([0-9a-f]{{{KEY_LENGTH}}})\.tar$")
    for old in jobs_cache().glob("*.tar"):
        match = pattern.match(old.name)
        if match and match.group(1) != keep.tag:
            old.unlink(missing_ok=True)
            with contextlib.suppress(HarnessError):  # built before tags were content keys, or already gone
                buildah.buildah("rmi", f"{repository}:{match.group(1)}")


def keyed_image(ref: ImageRef) -> JobImage:
    """``ref`` with the path of its docker-archive (which exists once it is built)."""
    return JobImage(ref, jobs_cache() / f"{archive_stem(f'{ref.registry}/{ref.repository}')}-{ref.tag}.tar")


def build_keyed_archive(context_dir: Path, ref: ImageRef, *, build_args: dict[str, str], label: str) -> JobImage:
    """Build the Dockerfile in ``context_dir`` as ``ref`` (whose tag is the build's content key) into a
    docker-archive under ``cache_root()/images/jobs/``, unless that archive exists; drop older builds of the
    repository. Job images and service images (harness/images/service.py) are both made here.

    Raises:
        HarnessError: when the build fails.
    """
    repository = f"{ref.registry}/{ref.repository}"
    image = keyed_image(ref)
    if image.archive.exists():
        return image
    with cache_lock(jobs_cache() / f".{archive_stem(repository)}.lock"):
        if image.archive.exists():
            return image
        with step(f"building {label} {ref} from {context_dir}"):
            buildah.build(context_dir, str(ref), build_args=build_args, label=f"{label} {ref}")
            buildah.save_archive(str(ref), image.archive)
        _drop_older(repository, keep=ref)
    return image


def build_job_image(context_dir: Path, repository: str, base: str) -> JobImage:
    """Build the Dockerfile in ``context_dir`` on ``base`` as ``<repository>:<key>`` and return it.

    Args:
        context_dir: the job's build context (``charts/jobs/<job>/app``), holding its Dockerfile.
        repository: the image's name without a tag, e.g. ``localhost/cronharness/jobs/rucio-daily``
            (``reference.job_image`` names a job's); the tag is the build's content key.
        base: a base image from ``ensure_base`` (passed as ``--build-arg BASE_IMAGE``).

    Returns:
        The image's name and its docker-archive.

    Raises:
        HarnessError: when the context has no Dockerfile, the base is not built, or the build fails.
    """
    if not (context_dir / "Dockerfile").is_file():
        raise HarnessError(f"no Dockerfile in {context_dir}: a job's build context must hold one")
    base_id = buildah.image_id(base)
    if base_id is None:
        raise HarnessError(f"base image {base} is not in the buildah store; obtain it with ensure_base()")
    ref = built_image(repository, job_cache_key(context_dir, repository, base_id))
    return build_keyed_archive(context_dir, ref, build_args={"BASE_IMAGE": base}, label="job image")
