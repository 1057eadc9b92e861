"""Images of the test services that run in the cluster (harness/services/chart), built like the job images.

One recipe for every service (images/services/Dockerfile): the Debian minbase rootfs the job bases start
from, the service's Debian packages, and its staged files under ``/opt/service``. The tag is a content key
(recipe, rootfs, packages, the staged files' contents), so an unchanged service is never rebuilt, and the
docker-archive goes to a cluster like a job image's does::

    spec = ServiceImageSpec("pushgateway", packages=("prometheus-pushgateway",))
    image = build_service_image(spec)                  # cached; image.ref, image.archive
    pulled = cluster.load_image(image.archive, image.ref)  # the reference the chart's pods run
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessError
from harness.images.base import BaseKind, base_ref, ensure_base, link_or_copy
from harness.images.cache import tree_digest
from harness.images.job import JobImage, build_keyed_archive, keyed_image
from harness.images.reference import BUILD_REGISTRY, ImageRef, built_image
from harness.images.rootfs import ensure_rootfs, rootfs_dir
from harness.paths import REPO_ROOT, cache_root

SERVICES_REPOSITORY = "cronharness/services"
RECIPE_DIR = REPO_ROOT / "images" / "services"
BASED_RECIPE_DIR = REPO_ROOT / "images" / "services-spark"
FILES_DIR = "/opt/service"
# Bump when staging changes in a way the files' contents do not show (e.g. their modes).
RECIPE = "2"


@dataclass(frozen=True)
class ServiceImageSpec:
    """What a service image holds.

    Attributes:
        name: the service (the image is ``localhost/cronharness/services/<name>``).
        packages: Debian packages to install (pinned by name in tools/versions.toml; bookworm fixes versions).
        files: files or directories to put in the image, by their path below ``/opt/service``.
        base: build on this job base (``spark``) rather than the bare rootfs; then ``packages`` must be empty.
    """

    name: str
    packages: tuple[str, ...]
    files: Mapping[str, Path] = field(default_factory=dict)
    base: BaseKind | None = None

    @property
    def recipe(self) -> Path:
        """The folder of the Dockerfile this service is built from."""
        return RECIPE_DIR if self.base is None else BASED_RECIPE_DIR


def service_repository(name: str) -> str:
    """The repository service ``name``'s image is built under: ``localhost/cronharness/services/<name>``."""
    return f"{BUILD_REGISTRY}/{SERVICES_REPOSITORY}/{name}"


def service_image_ref(spec: ServiceImageSpec) -> ImageRef:
    """The name (and content key) ``spec`` builds as.

    Raises:
        HarnessError: when a staged file is missing, or the name is not valid in an image name.
    """
    below = rootfs_dir().name if spec.base is None else base_ref(spec.base)
    parts = [RECIPE, below, spec.name, *spec.packages]
    for target, source in sorted(spec.files.items()):
        if not source.exists():
            raise HarnessError(f"service image {spec.name}: {source} (for {FILES_DIR}/{target}) does not exist")
        parts += [target, tree_digest(source)]
    return built_image(service_repository(spec.name), tree_digest(spec.recipe, *parts))


def _stage_files(files: Mapping[str, Path], into: Path) -> None:
    """Put ``files`` under ``into`` (hard links where possible), readable by the image's non-root user: the
    caches they come from may be private to root (the Maven cache's directories are made with mode 0700)."""
    into.mkdir()
    for target, source in files.items():
        dest = into / target
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest, copy_function=lambda src, dst: link_or_copy(Path(src), Path(dst)))
        else:
            link_or_copy(source, dest)
    for path in [into, *into.rglob("*")]:
        # Directories are the copies' own; a file may be a hard link to the cache's, which may gain read bits.
        path.chmod(0o755 if path.is_dir() else path.stat().st_mode | 0o444)


def build_service_image(spec: ServiceImageSpec) -> JobImage:
    """Build (or find in the cache) the image of ``spec``.

    Returns:
        Its name and docker-archive, for ``Cluster.load_image``.

    Raises:
        HarnessError: when debootstrap, a package install or the build fails (the message names the step and log).
    """
    if not spec.packages and not spec.files:
        raise HarnessError(f"service image {spec.name}: give the service itself: a Debian package or staged files")
    if spec.base is not None and spec.packages:
        raise HarnessError(f"service image {spec.name}: packages go on the bare rootfs only, not on the "
                           f"{spec.base} base")
    ref = service_image_ref(spec)
    if keyed_image(ref).archive.exists():
        return keyed_image(ref)
    on_base = spec.base is not None
    build_args = {"BASE_IMAGE": ensure_base(spec.base)} if spec.base else {"PACKAGES": " ".join(spec.packages)}
    work = cache_root() / "images"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work, prefix=f".service-{spec.name}-") as tmp:
        context = Path(tmp)
        shutil.copytree(spec.recipe, context, dirs_exist_ok=True)
        if not on_base:
            link_or_copy(ensure_rootfs(), context / "rootfs.tar")
        _stage_files(spec.files, context / "files")
        return build_keyed_archive(context, ref, build_args=build_args, label=f"service image {spec.name}")
