"""The shared base images job Dockerfiles build on: ``python`` and ``spark`` (see images/README.md).

``python`` is the debootstrap rootfs plus a venv with the job clients and the repository's jobkit;
``spark`` adds a Java runtime and pyspark to it. Both live in the project's buildah store, named
``localhost/cronharness/<kind>:<key>``; the key digests everything that goes into the image (its
images/<kind>/ folder, the rootfs recipe, jobkit, pinned versions), so an unchanged base is never
rebuilt and a changed one gets a new name. A record of each build is kept in
``cache_root()/images/<kind>-<key>/image.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal, get_args

from harness.errors import HarnessError
from harness.images import buildah
from harness.images.cache import IGNORED_NAMES, cache_lock, tree_digest
from harness.images.pyspark import ensure_pyspark_wheel
from harness.images.rootfs import ensure_rootfs, rootfs_dir
from harness.paths import REPO_ROOT, cache_root
from harness.toolchain import pinned, step

BaseKind = Literal["python", "spark"]
IMAGES_DIR = REPO_ROOT / "images"
JOBKIT_DIR = REPO_ROOT / "jobkit"
REF_PREFIX = "localhost/cronharness"


def _jobkit_digest() -> str:
    return tree_digest(JOBKIT_DIR) if JOBKIT_DIR.is_dir() else "no-jobkit"


def base_key(kind: BaseKind) -> str:
    """The cache key of base ``kind``: changes exactly when something that goes into it changes.

    Raises:
        HarnessError: for an unknown kind.
    """
    if kind == "python":
        return tree_digest(IMAGES_DIR / "python", rootfs_dir().name, _jobkit_digest())
    if kind == "spark":
        return tree_digest(
            IMAGES_DIR / "spark", base_key("python"), pinned("images", "pyspark"), pinned("images", "java")
        )
    raise HarnessError(f"unknown base image {kind!r}; choose one of {', '.join(get_args(BaseKind))}")


def base_ref(kind: BaseKind) -> str:
    """The local image name of base ``kind`` at its current key."""
    return f"{REF_PREFIX}/{kind}:{base_key(kind)}"


def _link_or_copy(source: Path, target: Path) -> None:
    """Hard-link large inputs into a build context (same filesystem), else copy them."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _stage_python(context: Path) -> dict[str, str]:
    _link_or_copy(ensure_rootfs(), context / "rootfs.tar")
    if JOBKIT_DIR.is_dir():
        skip = shutil.ignore_patterns(*IGNORED_NAMES, "*.pyc")
        shutil.copytree(JOBKIT_DIR, context / "jobkit", ignore=skip)
    else:
        (context / "jobkit").mkdir()
    return {}


def _stage_spark(context: Path) -> dict[str, str]:
    wheel = ensure_pyspark_wheel()
    (context / "wheels").mkdir()
    _link_or_copy(wheel, context / "wheels" / wheel.name)
    return {
        "BASE_IMAGE": ensure_base("python"),
        "PYSPARK_VERSION": pinned("images", "pyspark"),
        "JAVA_PACKAGE": pinned("images", "java"),
    }


_STAGERS: dict[str, Callable[[Path], dict[str, str]]] = {"python": _stage_python, "spark": _stage_spark}


def ensure_base(kind: BaseKind) -> str:
    """Return the local name of base image ``kind``, building it (and what it needs) first if needed.

    The first call on a machine runs debootstrap (python) or builds the pyspark wheel (spark); both are
    cached, so later builds of a changed base take only the buildah steps.

    Args:
        kind: ``"python"`` or ``"spark"``.

    Returns:
        An image reference in the project's buildah store, for ``--build-arg BASE_IMAGE=...``.

    Raises:
        HarnessError: when a step fails (the message names it and points to its log).
    """
    ref = base_ref(kind)
    if buildah.image_id(ref):
        return ref
    if kind == "spark":
        ensure_base("python")  # outside the lock below: the same process would wait on itself
    record_dir = cache_root() / "images" / f"{kind}-{base_key(kind)}"
    with cache_lock(cache_root() / "images" / f".{kind}-base.lock"):
        if buildah.image_id(ref):
            return ref
        record_dir.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=record_dir.parent, prefix=f".stage-{kind}-") as tmp:
            context = Path(tmp)
            shutil.copytree(IMAGES_DIR / kind, context, dirs_exist_ok=True)
            build_args = _STAGERS[kind](context)
            started = time.monotonic()
            with step(f"building the {kind} base image {ref}"):
                image_id = buildah.build(context, ref, build_args=build_args, label=f"{kind} base image")
        record_dir.mkdir(exist_ok=True)
        record = {"ref": ref, "id": image_id, "build_seconds": round(time.monotonic() - started, 1)}
        (record_dir / "image.json").write_text(json.dumps(record, indent=2) + "\n")
    return ref
