"""Loading image archives: each way it can go wrong says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.images.load import load_image, local_containerd_socket


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "job.tar"
    path.write_bytes(b"")
    return path


def test_missing_archive(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match=r"image archive .*nope.tar does not exist; build it with build_job_image"):
        load_image(tmp_path / "nope.tar", "local")


def test_local_cluster_not_running(archive: Path, tmp_path: Path) -> None:
    with pytest.raises(
        HarnessError, match=r"no containerd listens on .*start the local cluster with `harness cluster up`"
    ):
        load_image(archive, "local", containerd_socket=tmp_path / "containerd.sock")


def test_existing_cluster_cannot_take_images(archive: Path) -> None:
    with pytest.raises(HarnessError, match=r"cannot load images into a 'existing' cluster: there is no registry"):
        load_image(archive, "existing")


def test_local_socket_is_the_cluster_providers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HARNESS_STATE_DIR", str(tmp_path))
    assert local_containerd_socket() == tmp_path / "cluster" / "containerd" / "containerd.sock"
