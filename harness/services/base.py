"""What every test service shares: obtain (cached), start on loopback, health-check, stop by PID.

A concrete service says how to obtain its program (``prepare``), the command line (``argv``) and how
to tell it is healthy (``healthy``); this class does the rest the same way for all of them.
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, Protocol

from harness.errors import HarnessError
from harness.paths import state_root
from harness.process import ManagedProcess, free_port, require_free_port
from harness.toolchain.progress import step
from harness.waiting import wait_until

HOST = "127.0.0.1"


class HttpEndpoint(Protocol):
    """An HTTP service as the test host reaches it: a host process, or an in-cluster service through its
    port-forward (harness/services/incluster.py)."""

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT``."""
        ...


class NamedEndpoint(HttpEndpoint, Protocol):
    """An :class:`HttpEndpoint` that says which service it is (``opensearch``, ``elasticsearch``, ...): clients
    that differ by engine choose by it."""

    @property
    def name(self) -> str:
        """The service's name."""
        ...


class Service(ABC):
    """A service process with its own state directory ``state_root()/services/<name>/``.

    Ports: ``ports`` maps a role ("http", "rpc", ...) to a port; a role left at 0 gets a free port
    at first start, and the chosen ports are kept in ``ports.json`` so restarts (and other processes
    such as a later pytest session) find the service at the same address.
    """

    name: ClassVar[str]
    default_ports: ClassVar[Mapping[str, int]] = {}
    start_timeout: ClassVar[float] = 120.0

    def __init__(self, root: Path | None = None, ports: Mapping[str, int] | None = None) -> None:
        self.root = root or state_root() / "services" / self.name
        self.process = ManagedProcess(self.name, self.root / "pid", self.root / "log" / f"{self.name}.log")
        saved = self._saved_ports()
        self.ports: dict[str, int] = {**self.default_ports, **saved, **(ports or {})}

    # --- what a concrete service defines -------------------------------------------------------
    def prepare(self) -> None:  # noqa: B027 - optional hook: services from Debian packages need nothing
        """Obtain the program (build/download from registries into the cache); idempotent."""

    @abstractmethod
    def argv(self) -> list[str]:
        """Command line that runs the service in the foreground, bound to 127.0.0.1."""

    def env(self) -> Mapping[str, str] | None:
        """Environment for the process (None: inherit the harness's)."""
        return None

    @abstractmethod
    def healthy(self) -> bool:
        """True when the service answers requests (a cheap probe; must not raise)."""

    # --- shared lifecycle ----------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    # --- HTTP services: the "http" port role --------------------------------------------------
    @property
    def address(self) -> str:
        """``127.0.0.1:PORT`` of the "http" port (e.g. a Prometheus scrape target)."""
        return f"{HOST}:{self.ports['http']}"

    @property
    def url(self) -> str:
        """Base URL of the "http" port, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://{self.address}"

    def http_ok(self, path: str, timeout: float = 2.0) -> bool:
        """True when GET ``url + path`` answers 200 (a health probe: never raises)."""
        try:
            with urllib.request.urlopen(f"{self.url}{path}", timeout=timeout) as resp:
                return bool(resp.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def _saved_ports(self) -> dict[str, int]:
        try:
            return {k: int(v) for k, v in json.loads((self.root / "ports.json").read_text()).items()}
        except (OSError, ValueError):
            return {}

    def _assign_ports(self) -> None:
        for role, port in self.ports.items():
            if port == 0:
                self.ports[role] = free_port(taken=self.ports.values())
            else:
                require_free_port(port, f"{self.name} ({role})")
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "ports.json").write_text(json.dumps(self.ports))

    def start(self) -> None:
        """Start the service (no-op when it already runs healthy) and wait until it is healthy.

        Raises:
            HarnessError: when the process exits during start-up (with its log tail).
            HarnessTimeout: when it does not become healthy within ``start_timeout``.
        """
        if self.process.running() and self.healthy():
            return
        if self.process.running():
            self.process.stop()
        self.prepare()
        self._assign_ports()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with step(f"starting {self.name} on {HOST} ports {self.ports}"):
            self.process.start(self.argv(), env=self.env(), cwd=self.root)

            def probe() -> bool:
                if not self.process.running():
                    raise HarnessError(
                        f"{self.name} exited during start-up; last log lines "
                        f"({self.process.log_file}):\n{self.process.log_tail()}"
                    )
                return self.healthy()

            wait_until(probe, timeout=self.start_timeout, what=f"{self.name} to become healthy",
                       describe=self.process.log_tail)

    def stop(self) -> None:
        """Stop the process (data is kept for a restart)."""
        self.process.stop()

    def destroy(self) -> None:
        """Stop and remove every file of this service's state (data, logs, ports)."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def status(self) -> dict[str, object]:
        running = self.process.running()
        return {
            "name": self.name,
            "running": running,
            "healthy": running and self.healthy(),
            "pid": self.process.pid,
            "ports": dict(self.ports),
            "log": str(self.process.log_file),
        }
