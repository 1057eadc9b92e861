"""Build a job's image from its Dockerfile on a base image, into an archive a cluster can load.

The job's Dockerfile starts ``ARG BASE_IMAGE`` / ``FROM ${BASE_IMAGE}`` (images/README.md); buildah
builds it with ``--build-arg BASE_IMAGE=<base>`` and writes a docker-archive tar. The archive is
cached under ``cache_root()/images/jobs/`` by a digest of the build context, the tag and the base
image's id: an unchanged job on an unchanged base is not rebuilt.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from harness.errors import HarnessError
from harness.images import buildah
from harness.images.cache import KEY_LENGTH, tree_digest
from harness.locking import cache_lock
from harness.paths import cache_root
from harness.toolchain import step


def jobs_cache() -> Path:
    """Where job image archives are kept."""
    return cache_root() / "images" / "jobs"


def archive_stem(tag: str) -> str:
    """A file-name-safe form of an image tag (``localhost/jobs/x:dev`` -> ``localhost-jobs-x-dev``)."""
    return re.sub(r"[^A-Za-z0-9_.]+", "-", tag).strip("-")


def job_cache_key(context_dir: Path, tag: str, base_id: str) -> str:
    """The cache key of a job image: its build context's content, its tag and its base's image id."""
    return tree_digest(context_dir, tag, base_id)


def _drop_older(tag: str, keep: Path) -> None:
    """Remove archives of earlier builds of ``tag``: only the newest is ever loaded again."""
    pattern = re.compile(rf"^{re.escape(archive_stem(tag))}-[0-9a-f]{{{KEY_LENGTH}}}\.tar$")
    for old in jobs_cache().glob("*.tar"):
        if old != keep and pattern.match(old.name):
            old.unlink(missing_ok=True)


def build_job_image(context_dir: Path, tag: str, base: str) -> Path:
    """Build the Dockerfile in ``context_dir`` on ``base`` as ``tag`` and return its archive.

    Args:
        context_dir: the job's build context (``charts/jobs/<job>/app``), holding its Dockerfile.
        tag: the image's full name, e.g. ``localhost/cronharness/jobs/rucio-daily:dev``; the chart's
            ``image`` values must name the same.
        base: a base image from ``ensure_base`` (passed as ``--build-arg BASE_IMAGE``).

    Returns:
        Path of a docker-archive tar holding ``tag``, for ``load_image``.

    Raises:
        HarnessError: when the context has no Dockerfile, the base is not built, or the build fails.
    """
    if not (context_dir / "Dockerfile").is_file():
        raise HarnessError(f"no Dockerfile in {context_dir}: a job's build context must hold one")
    base_id = buildah.image_id(base)
    if base_id is None:
        raise HarnessError(f"base image {base} is not in the buildah store; obtain it with ensure_base()")
    archive = jobs_cache() / f"{archive_stem(tag)}-{job_cache_key(context_dir, tag, base_id)}.tar"
    if archive.exists():
        return archive
    with cache_lock(jobs_cache() / f".{archive_stem(tag)}.lock"):
        if archive.exists():
            return archive
        previous = buildah.image_id(tag)
        with step(f"building job image {tag} from {context_dir} on {base}"):
            built = buildah.build(context_dir, tag, build_args={"BASE_IMAGE": base}, label=f"job image {tag}")
            buildah.save_archive(tag, archive)
        _drop_older(tag, keep=archive)
        if previous not in (None, built):
            # The earlier build lost its tag; nothing will use it again, so it leaves the store.
            with contextlib.suppress(HarnessError):
                buildah.buildah("rmi", previous)
    return archive
