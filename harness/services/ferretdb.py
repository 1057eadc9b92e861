"""FerretDB (MongoDB wire protocol) with its SQLite handler, built from Go modules, on loopback.

Jobs that write to MongoDB in production write here in tests, through pymongo. The SQLite databases
live in the service's data directory (one file per database), so data survives a restart as it
would on a real server's disk. The program is the main package of the wrapper module
tools/go/ferretdb, which runs FerretDB through its embeddable package (its go.mod says why FerretDB's
own command cannot be used); its only socket is the wire-protocol listener.

Known limitation of FerretDB 1.x, which job tests must respect: a ``$group`` stage computes only its
first accumulator and returns 0 for the others (upstream issue FerretDB/FerretDB#4616); use one
accumulator per ``$group`` when checking sums.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from harness.errors import HarnessError
from harness.services.base import HOST, Service
from harness.toolchain import go_build, pinned
from harness.toolchain.go import GO_MODULES_DIR

PACKAGE = "cronharness/tools/ferretdb"
WRAPPER = GO_MODULES_DIR / "ferretdb"


class FerretDB(Service):
    """FerretDB serving the MongoDB wire protocol on ``ports["mongo"]``, SQLite files in ``data/``."""

    name: ClassVar[str] = "ferretdb"
    default_ports: ClassVar[Mapping[str, int]] = {"mongo": 0}
    start_timeout: ClassVar[float] = 60.0

    def __init__(self, root: Path | None = None, ports: Mapping[str, int] | None = None) -> None:
        super().__init__(root, ports)
        self._program: Path | None = None

    @property
    def uri(self) -> str:
        """The MongoDB connection string, e.g. ``mongodb://127.0.0.1:PORT/``."""
        return f"mongodb://{HOST}:{self.ports['mongo']}/"

    @property
    def url(self) -> str:
        """The same connection string: what the checks (harness/checks/mongo.py) take, here or in the cluster."""
        return self.uri

    @property
    def program(self) -> Path:
        """The built binary (after :meth:`prepare`); the in-cluster image holds it too."""
        if self._program is None:
            raise HarnessError("FerretDB.program used before prepare()")
        return self._program

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
            bin_dir = go_build(
                "ferretdb", [PACKAGE], version=self.version, env={"CGO_ENABLED": "0"}
            )
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            raise HarnessError(
                f"cannot build FerretDB {self.version} from the wrapper module {WRAPPER}: {exc}; "
                "the Go output above says which module failed (the module proxy must serve "
                f"github.com/FerretDB/FerretDB {self.version}'s .mod and .zip; go.sum pins their hashes)"
            ) from exc
        self._program = bin_dir / "ferretdb"

    def argv(self) -> list[str]:
        return [
            str(self.program),
            f"--listen-addr={HOST}:{self.ports['mongo']}",
            # A directory URI (trailing slash): one SQLite file per database inside it.
            f"--sqlite-url=file:{self.data_dir}/",
        ]

    def healthy(self) -> bool:
        # The wire protocol itself is the probe: FerretDB answers `ping` once its handler is ready.
        client: MongoClient[dict[str, Any]] = MongoClient(
            self.uri, serverSelectionTimeoutMS=1000, connectTimeoutMS=1000
        )
        try:
            client.admin.command("ping")
        except PyMongoError:
            return False
        finally:
            client.close()
        return True
