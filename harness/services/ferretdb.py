"""FerretDB (MongoDB wire protocol) with its SQLite handler, built from Go modules, on loopback.

Jobs that write to MongoDB in production write here in tests, through pymongo. The SQLite databases
live in the service's data directory (one file per database), so data survives a restart as it
would on a real server's disk. The build goes through the wrapper module tools/go/ferretdb (its
go.mod says why a plain ``go install`` does not work).
"""

from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from harness.errors import HarnessError
from harness.services.base import HOST, Service
from harness.toolchain import go_build, pinned

PACKAGE = "github.com/FerretDB/FerretDB/cmd/ferretdb"


class FerretDB(Service):
    """FerretDB serving the MongoDB wire protocol on ``ports["mongo"]``, SQLite files in ``data/``."""

    name: ClassVar[str] = "ferretdb"
    default_ports: ClassVar[Mapping[str, int]] = {"mongo": 0, "debug": 0}
    start_timeout: ClassVar[float] = 60.0

    def __init__(self, root: Path | None = None, ports: Mapping[str, int] | None = None) -> None:
        super().__init__(root, ports)
        self._program: Path | None = None

    @property
    def uri(self) -> str:
        """The MongoDB connection string, e.g. ``mongodb://127.0.0.1:PORT/``."""
        return f"mongodb://{HOST}:{self.ports['mongo']}/"

    @property
    def version(self) -> str:
        return pinned("services-mongo-monitoring", "ferretdb")

    def prepare(self) -> None:
        """Build FerretDB from the Go module proxy (cached by version).

        Raises:
            HarnessError: when the module cannot be fetched or built (with the Go command's reason).
        """
        try:
            # modernc.org/sqlite is pure Go: no C toolchain is needed.
            bin_dir = go_build("ferretdb", [PACKAGE], version=self.version, env={"CGO_ENABLED": "0"})
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            raise HarnessError(
                f"cannot build FerretDB {self.version} from Go modules (tools/go/ferretdb): {exc}; "
                f"check that the Go module proxy serves github.com/FerretDB/FerretDB@{self.version} "
                "(`go mod download -json github.com/FerretDB/FerretDB@" + self.version + "`)"
            ) from exc
        self._program = bin_dir / "ferretdb"

    def argv(self) -> list[str]:
        if self._program is None:
            raise HarnessError("FerretDB.argv() called before prepare()")
        state_dir = self.root / "state"
        state_dir.mkdir(parents=True, exist_ok=True)
        return [
            str(self._program),
            "--handler=sqlite",
            # A directory URI (trailing slash): one SQLite file per database inside it.
            f"--sqlite-url=file:{self.data_dir}/",
            f"--listen-addr={HOST}:{self.ports['mongo']}",
            f"--debug-addr={HOST}:{self.ports['debug']}",
            f"--state-dir={state_dir}",
            # Telemetry would report to a public address: never from tests.
            "--telemetry=disable",
            "--log-level=info",
        ]

    def env(self) -> Mapping[str, str]:
        return {**os.environ, "DO_NOT_TRACK": "1"}

    def healthy(self) -> bool:
        try:
            url = f"http://{HOST}:{self.ports['debug']}/debug/readyz"
            with urllib.request.urlopen(url, timeout=2) as resp:
                return bool(resp.status == 200)
        except (OSError, urllib.error.URLError):
            return False
