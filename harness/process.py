"""Long-running host processes started by the harness, tracked by PID file so any later command
(or a different pytest session) can find, check and stop them."""

from __future__ import annotations

import contextlib
import errno
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on host:port (and we may bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


# Listening ports are taken below the kernel's ephemeral range (32768-60999 by default): a port the OS
# handed out would soon be reused as the source port of some client connection, and the service could
# then neither bind it again after a restart nor be shown to have released it.
LISTEN_PORTS = range(20000, 32000)


def free_port(host: str = "127.0.0.1", *, taken: Collection[int] = ()) -> int:
    """A loopback port outside the ephemeral range that is free right now and not in ``taken``.

    Pass the ports already handed out to the same owner as ``taken``: none of them listens yet, so each
    looks free, and two roles of one service drew the same port once (OpenSearch's http and transport).

    Raises:
        HarnessError: when no port of LISTEN_PORTS is free.
    """
    rng = random.Random()
    for port in rng.sample(LISTEN_PORTS, 200):
        if port not in taken and port_is_free(port, host):
            return port
    raise HarnessError(f"no free port in {LISTEN_PORTS.start}-{LISTEN_PORTS.stop - 1} on {host}")


def distinct_free_ports(count: int) -> list[int]:
    """``count`` different loopback ports, each free right now (for one owner's several listeners)."""
    ports: list[int] = []
    for _ in range(count):
        ports.append(free_port(taken=ports))
    return ports


def require_free_port(port: int, owner: str) -> None:
    """Raise a clear error when ``port`` is taken, naming who needs it and how to fix it."""
    if not port_is_free(port):
        raise HarnessError(
            f"{owner} needs 127.0.0.1:{port} but something already listens there; "
            f"find it with `ss -ltnp 'sport = :{port}'` and stop it, or choose another port"
        )


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    # A zombie still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@dataclass(frozen=True)
class ManagedProcess:
    """A detached process known by its PID file; its output goes to ``log_file``."""

    name: str
    pid_file: Path
    log_file: Path

    @property
    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def running(self) -> bool:
        pid = self.pid
        return pid is not None and pid_alive(pid)

    def start(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> int:
        """Start ``argv`` in its own session (so stop() can signal its whole process group).

        Raises:
            HarnessError: when it is already running (stop it first) or the program is missing.
        """
        if self.running():
            raise HarnessError(f"{self.name} is already running (pid {self.pid}); stop it first")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            try:
                proc = subprocess.Popen(
                    list(argv),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=dict(env) if env is not None else None,
                    cwd=cwd,
                    start_new_session=True,
                )
            except FileNotFoundError as exc:
                raise HarnessError(f"cannot start {self.name}: {exc.filename} not found") from exc
        self.pid_file.write_text(f"{proc.pid}\n")
        return proc.pid

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the process group, wait up to ``grace`` seconds, then SIGKILL; remove the PID file."""
        pid = self.pid
        if pid is not None and pid_alive(pid):
            for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(pid, sig)
                except ProcessLookupError:
                    break
                deadline = time.monotonic() + wait
                while pid_alive(pid) and time.monotonic() < deadline:
                    _reap(pid)
                    time.sleep(0.1)
                if not pid_alive(pid):
                    break
        self.pid_file.unlink(missing_ok=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _reap(pid: int) -> None:
    """Collect our own child's exit status so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
