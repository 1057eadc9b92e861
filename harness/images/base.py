"""The shared base images job Dockerfiles build on: ``python`` and ``spark`` (see images/README.md).

Each base is a chain of stages, one folder of images/ each, every stage built on the one before it
(``--build-arg BASE_IMAGE``):

- ``python``: ``python`` (debootstrap rootfs + venv with the job clients) -> ``jobkit``
- ``spark``: ``python`` -> ``spark`` (Java runtime + pyspark + spark-avro) -> ``jobkit``

jobkit comes last because it changes most often: an edit to it rebuilds one small layer, never the
Java install or pyspark. A stage's key digests its folder, its own inputs (rootfs recipe, pinned
versions, jobkit's files) and the key of the stage below, so an unchanged base is never rebuilt and a
changed one gets a new name. Stages live in the project's buildah store as
``localhost/cronharness/<stage>-stage:<key>``, finished bases as ``localhost/cronharness/<kind>:<key>``,
with a record of each build in ``cache_root()/images/<kind>-<key>/image.json``.
"""

from __future__ import annotations

import contextlib
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
from harness.images.cache import IGNORED_NAMES, tree_digest
from harness.images.pyspark import ensure_pyspark_wheel
from harness.images.rootfs import ensure_rootfs, rootfs_dir
from harness.locking import cache_lock
from harness.paths import REPO_ROOT, cache_root
from harness.services.maven import resolve
from harness.toolchain import pinned, step

BaseKind = Literal["python", "spark"]
IMAGES_DIR = REPO_ROOT / "images"
JOBKIT_DIR = REPO_ROOT / "jobkit"
REF_PREFIX = "localhost/cronharness"
STAGES: dict[str, tuple[str, ...]] = {"python": ("python", "jobkit"), "spark": ("python", "spark", "jobkit")}
# The tools/versions.toml [images] pins the bases are built from: changing one changes every job image built on them.
IMAGE_PINS = ("debian_suite", "python", "pyspark", "java", "spark-avro", "kerberos-client")


def _stage_inputs(stage: str) -> tuple[str, ...]:
    """What a stage is made of besides its images/ folder (part of its key)."""
    if stage == "python":
        return (rootfs_dir().name,)
    if stage == "spark":
        return (pinned("images", "pyspark"), pinned("images", "java"), pinned("images", "spark-avro"),
                pinned("images", "kerberos-client"))
    return (tree_digest(JOBKIT_DIR) if JOBKIT_DIR.is_dir() else "no-jobkit",)


def _chain(kind: BaseKind) -> list[tuple[str, str]]:
    """``(stage, ref)`` for each stage of base ``kind``, bottom first; the last ref is the base's.

    Raises:
        HarnessError: for an unknown kind.
    """
    if kind not in STAGES:
        raise HarnessError(f"unknown base image {kind!r}; choose one of {', '.join(get_args(BaseKind))}")
    chain: list[tuple[str, str]] = []
    key = ""
    for stage in STAGES[kind]:
        key = tree_digest(IMAGES_DIR / stage, key, *_stage_inputs(stage))
        chain.append((stage, f"{REF_PREFIX}/{stage}-stage:{key}"))
    chain[-1] = (chain[-1][0], f"{REF_PREFIX}/{kind}:{key}")
    return chain


def base_ref(kind: BaseKind) -> str:
    """The local image name of base ``kind`` at its current key.

    Raises:
        HarnessError: for an unknown kind.
    """
    return _chain(kind)[-1][1]


def link_or_copy(source: Path, target: Path) -> None:
    """Hard-link large inputs into a build context (same filesystem), else copy them."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _stage_python(context: Path) -> dict[str, str]:
    link_or_copy(ensure_rootfs(), context / "rootfs.tar")
    return {}


def _spark_avro_jar() -> Path:
    """The spark-avro jar from Maven Central (Spark ships its avro reader as a separate module). Its
    dependencies (scala-library, spark-tags, xz) are already among pyspark's jars at the same versions."""
    version = pinned("images", "spark-avro")
    jars = resolve("spark-avro", version, [f"org.apache.spark:spark-avro_2.12:{version}"])
    return jars / f"spark-avro_2.12-{version}.jar"


def _stage_spark(context: Path) -> dict[str, str]:
    wheel = ensure_pyspark_wheel()
    (context / "wheels").mkdir()
    link_or_copy(wheel, context / "wheels" / wheel.name)
    (context / "jars").mkdir()
    avro = _spark_avro_jar()
    link_or_copy(avro, context / "jars" / avro.name)
    return {"PYSPARK_VERSION": pinned("images", "pyspark"), "JAVA_PACKAGE": pinned("images", "java"),
            "KERBEROS_PACKAGE": pinned("images", "kerberos-client")}


def _stage_jobkit(context: Path) -> dict[str, str]:
    if JOBKIT_DIR.is_dir():
        skip = shutil.ignore_patterns(*IGNORED_NAMES, "*.pyc")
        shutil.copytree(JOBKIT_DIR, context / "jobkit", ignore=skip)
    else:
        (context / "jobkit").mkdir()
    return {}


# stage -> puts what its Dockerfile needs beside it and returns its build arguments
_STAGERS: dict[str, Callable[[Path], dict[str, str]]] = {
    "python": _stage_python,
    "spark": _stage_spark,
    "jobkit": _stage_jobkit,
}


def _build_stage(stage: str, ref: str, below: str | None) -> str:
    """Build one stage from its staged images/ folder; return its image id."""
    work = cache_root() / "images"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work, prefix=f".stage-{stage}-") as tmp:
        context = Path(tmp)
        shutil.copytree(IMAGES_DIR / stage, context, dirs_exist_ok=True)
        build_args = _STAGERS[stage](context)
        if below is not None:
            build_args["BASE_IMAGE"] = below
        with step(f"building image stage {stage!r} as {ref}"):
            return buildah.build(context, ref, build_args=build_args, label=f"{stage} stage")


def _prune_superseded(kind: BaseKind, chain: list[tuple[str, str]]) -> None:
    """Untag earlier builds of this chain's images (other keys, same names) so the store stays bounded.

    Layers that job images or other bases still use stay; only what nothing references is freed.
    The build records of earlier keys go too.
    """
    current = {ref.rsplit(":", 1)[0]: ref.rsplit(":", 1)[1] for _, ref in chain}
    keep = cache_root() / "images" / f"{kind}-{chain[-1][1].rsplit(':', 1)[1]}"
    for record in (cache_root() / "images").glob(f"{kind}-*/image.json"):
        if record.parent != keep:
            shutil.rmtree(record.parent, ignore_errors=True)
    for line in buildah.buildah("images", "--format", "{{.Name}} {{.Tag}}").splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] in current and fields[1] != current[fields[0]]:
            with contextlib.suppress(HarnessError):  # still in use by a container: leave it
                buildah.buildah("rmi", f"{fields[0]}:{fields[1]}")


def ensure_base(kind: BaseKind) -> str:
    """Return the local name of base image ``kind``, building what is missing of it first.

    The first call on a machine runs debootstrap (about 3 minutes) and, for spark, builds the pyspark
    wheel (about a minute); both are cached, so later builds take only the buildah steps that changed.

    Args:
        kind: ``"python"`` or ``"spark"``.

    Returns:
        An image reference in the project's buildah store, for ``--build-arg BASE_IMAGE=...``.

    Raises:
        HarnessError: for an unknown kind, or when a step fails (the message names it and its log).
    """
    chain = _chain(kind)
    ref = chain[-1][1]
    if buildah.image_id(ref):
        return ref
    with cache_lock(cache_root() / "images" / ".bases.lock"):
        started = time.monotonic()
        below: str | None = None
        image_id = ""
        for stage, stage_ref in chain:
            image_id = buildah.image_id(stage_ref) or _build_stage(stage, stage_ref, below)
            below = stage_ref
        record_dir = cache_root() / "images" / f"{kind}-{ref.rsplit(':', 1)[1]}"
        record_dir.mkdir(parents=True, exist_ok=True)
        record = {"ref": ref, "id": image_id, "build_seconds": round(time.monotonic() - started, 1)}
        (record_dir / "image.json").write_text(json.dumps(record, indent=2) + "\n")
        _prune_superseded(kind, chain)
    return ref
