"""An OCI registry on 127.0.0.1 for chart packages: Debian's docker-registry (the distribution registry).

Plain HTTP and no authentication: it only ever listens on loopback, for `make publish` tried locally and for
the publish end-to-end test. Storage lives in the service's state directory, so a restart keeps what was pushed.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import ClassVar

import yaml

from harness.services.base import HOST, Service
from harness.toolchain.apt import apt_ensure
from harness.toolchain.versions import pinned

BINARY = "/usr/bin/docker-registry"


class Registry(Service):
    """The distribution registry serving ``http://127.0.0.1:<port>/v2/``."""

    name = "registry"
    default_ports: ClassVar[Mapping[str, int]] = {"http": 0}
    start_timeout: ClassVar[float] = 30.0

    @property
    def address(self) -> str:
        """``127.0.0.1:<port>``, the host part of ``oci://`` references."""
        return f"{HOST}:{self.ports['http']}"

    def prepare(self) -> None:
        """Install the Debian package (its own system service is never started)."""
        apt_ensure(pinned("delivery", "docker-registry"))

    def _config(self) -> str:
        config = {
            "version": 0.1,
            "log": {"level": "info", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(self.data_dir)}, "delete": {"enabled": True}},
            # No debug listener: it would bind another port.
            "http": {"addr": self.address, "headers": {"X-Content-Type-Options": ["nosniff"]}},
        }
        path = self.root / "config.yml"
        path.write_text(yaml.safe_dump(config))
        return str(path)

    def argv(self) -> list[str]:
        return [BINARY, "serve", self._config()]

    def env(self) -> Mapping[str, str]:
        # REGISTRY_* variables override the config file (REGISTRY_HTTP_ADDR could move it off loopback).
        return {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.address}/v2/", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False
