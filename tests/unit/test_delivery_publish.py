"""Chart publishing without a registry: reference normalisation and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.delivery.publish import oci_url, packages_in, publish
from harness.errors import HarnessError
from harness.registry import Registry


def test_oci_url_accepts_bare_and_oci_references() -> None:
    assert oci_url("127.0.0.1:5000/charts/") == "oci://127.0.0.1:5000/charts"
    assert oci_url("oci://registry.cern.ch/cmsmonitoring/charts") == "oci://registry.cern.ch/cmsmonitoring/charts"
    with pytest.raises(HarnessError, match="use oci://host"):
        oci_url("https://registry.cern.ch/charts")


def test_publish_without_packages_says_to_package_first(tmp_path: Path) -> None:
    assert packages_in(tmp_path) == []
    with pytest.raises(HarnessError, match="run `make package` first"):
        publish(packages_in(tmp_path), "oci://127.0.0.1:5000/charts")


def test_registry_config_binds_loopback_and_keeps_data_in_its_state_dir(tmp_path: Path) -> None:
    registry = Registry(root=tmp_path, port=5123)
    argv = registry.argv()
    assert argv[:2] == ["/usr/bin/docker-registry", "serve"]
    config = yaml.safe_load(Path(argv[2]).read_text())
    assert config["http"]["addr"] == "127.0.0.1:5123"
    assert config["storage"]["filesystem"]["rootdirectory"] == str(tmp_path / "data")
    assert "debug" not in config["http"]
