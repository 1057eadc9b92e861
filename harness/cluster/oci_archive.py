"""Make tiny single-layer OCI image archives from host files, without any registry or builder.

The local cluster needs two such images: the pod sandbox ("pause") image, whose only process is
Debian's static ``catatonit -P``, and a static busybox image used by smoke tests and benchmarks. The
archive is an OCI image layout in a tar (what ``ctr images import`` reads); the image's name travels
in the ``io.containerd.image.name`` annotation, so the import needs no ``--base-name``. Everything in
it is deterministic (fixed mtimes and owners), so the same inputs give the same digests.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar"
_CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
_MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


@dataclass(frozen=True)
class ImageSpec:
    """What goes into a one-layer image.

    Attributes:
        name: full image reference, e.g. ``cronharness.local/pause:catatonit-0.1.7``.
        files: path in the image -> host file copied there (mode kept, owner root).
        symlinks: path in the image -> link target.
        directories: empty directories to create.
        entrypoint: the image's ENTRYPOINT.
        cmd: the image's CMD.
    """

    name: str
    files: Mapping[str, Path]
    symlinks: Mapping[str, str] = field(default_factory=dict)
    directories: Sequence[str] = ()
    entrypoint: Sequence[str] = ()
    cmd: Sequence[str] = ()


def _tar_info(name: str, kind: bytes, mode: int, size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name.lstrip("/"))
    info.type = kind
    info.mode = mode
    info.size = size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def _parents(path: str) -> list[str]:
    parts = path.strip("/").split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _layer(spec: ImageSpec) -> bytes:
    buf = io.BytesIO()
    dirs = sorted(
        {d.strip("/") for d in spec.directories}
        | {p for path in [*spec.files, *spec.symlinks] for p in _parents(path)}
    )
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for directory in dirs:
            tar.addfile(_tar_info(directory, tarfile.DIRTYPE, 0o755))
        for target in sorted(spec.files):
            source = spec.files[target]
            data = source.read_bytes()
            info = _tar_info(target, tarfile.REGTYPE, source.stat().st_mode & 0o7777, len(data))
            tar.addfile(info, io.BytesIO(data))
        for link in sorted(spec.symlinks):
            info = _tar_info(link, tarfile.SYMTYPE, 0o777)
            info.linkname = spec.symlinks[link]
            tar.addfile(info)
    return buf.getvalue()


def _blob(tar: tarfile.TarFile, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    tar.addfile(_tar_info(f"blobs/sha256/{digest}", tarfile.REGTYPE, 0o644, len(data)), io.BytesIO(data))
    return f"sha256:{digest}"


def _json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def write_image_archive(spec: ImageSpec, archive: Path) -> Path:
    """Write ``spec`` as an OCI image-layout tar at ``archive`` (atomically).

    Args:
        spec: the image's contents and name.
        archive: destination path.

    Returns:
        ``archive``.
    """
    layer = _layer(spec)
    layer_digest = f"sha256:{hashlib.sha256(layer).hexdigest()}"
    runtime: dict[str, list[str]] = {
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    }
    if spec.entrypoint:
        runtime["Entrypoint"] = list(spec.entrypoint)
    if spec.cmd:
        runtime["Cmd"] = list(spec.cmd)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": runtime,
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
    }
    archive.parent.mkdir(parents=True, exist_ok=True)
    tmp = archive.with_suffix(".partial")
    with tarfile.open(tmp, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(_tar_info("blobs", tarfile.DIRTYPE, 0o755))
        tar.addfile(_tar_info("blobs/sha256", tarfile.DIRTYPE, 0o755))
        layer_ref = _blob(tar, layer)
        config_bytes = _json(config)
        config_ref = _blob(tar, config_bytes)
        manifest = _json({
            "schemaVersion": 2,
            "mediaType": _MANIFEST_TYPE,
            "config": {"mediaType": _CONFIG_TYPE, "digest": config_ref, "size": len(config_bytes)},
            "layers": [{"mediaType": _LAYER_TYPE, "digest": layer_ref, "size": len(layer)}],
        })
        manifest_ref = _blob(tar, manifest)
        tag = spec.name.rsplit(":", 1)[-1] if ":" in spec.name.rsplit("/", 1)[-1] else "latest"
        index = _json({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": _MANIFEST_TYPE,
                "digest": manifest_ref,
                "size": len(manifest),
                "annotations": {
                    "io.containerd.image.name": spec.name,
                    "org.opencontainers.image.ref.name": tag,
                },
            }],
        })
        tar.addfile(_tar_info("index.json", tarfile.REGTYPE, 0o644, len(index)), io.BytesIO(index))
        layout = _json({"imageLayoutVersion": "1.0.0"})
        tar.addfile(_tar_info("oci-layout", tarfile.REGTYPE, 0o644, len(layout)), io.BytesIO(layout))
    tmp.replace(archive)
    return archive
