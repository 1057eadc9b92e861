#!/usr/bin/python3 -I
"""A runc wrapper for Docker on VMs whose capability bounding set lacks some capabilities.

WORKAROUND, for VMs only: this machine's bounding set lacks CAP_SYS_RESOURCE, so runc cannot grant it,
and every ``--privileged`` container (every kind node) fails with ``unable to apply caps: operation not
permitted``. dockerd runs this file as its default runtime *only where a capability is missing* (see
harness/cluster/docker_engine.py): before handing over to the real runc it removes the capabilities
the bounding set lacks from the OCI spec (``create``/``run``: the bundle's config.json) or from the
process spec (``exec --process FILE``), and then execs runc with the same arguments. Where the bounding
set is complete it is not installed at all.

Standard library only: the harness copies this file next to dockerd's state and dockerd execs it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from typing import Any

# Linux capability numbers (include/uapi/linux/capability.h), index = bit in /proc/*/status CapBnd.
CAPABILITIES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
    "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
    "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
)
_CAP_SETS = ("bounding", "effective", "inheritable", "permitted", "ambient")


def missing_capabilities(status_text: str) -> list[str]:
    """The known capabilities absent from the ``CapBnd`` line of a /proc/<pid>/status text."""
    for line in status_text.splitlines():
        if line.startswith("CapBnd:"):
            mask = int(line.split()[1], 16)
            return [name for bit, name in enumerate(CAPABILITIES) if not mask >> bit & 1]
    raise ValueError("no CapBnd line in the status text")


def strip_capabilities(process: dict[str, Any], drop: Iterable[str]) -> dict[str, Any]:
    """Remove ``drop`` from every capability list of an OCI ``process`` object (in place; returned)."""
    dropped = set(drop)
    capabilities = process.get("capabilities") or {}
    for key in _CAP_SETS:
        if key in capabilities:
            capabilities[key] = [cap for cap in capabilities[key] if cap not in dropped]
    return process


def spec_file(argv: Sequence[str]) -> tuple[str, str] | None:
    """Which JSON file a runc command line reads its capabilities from, and its kind.

    Returns:
        ``(path, "bundle")`` for create/run (the bundle's config.json; runc's default bundle is the
        working directory), ``(path, "process")`` for ``exec --process FILE``, else ``None``.
    """
    options_with_value = {"--root", "--log", "--log-format", "--criu", "--rootless"}
    index = 0
    while index < len(argv) and argv[index].startswith("-"):
        flag = argv[index]
        index += 2 if flag in options_with_value and "=" not in flag else 1
    if index >= len(argv):
        return None
    command, rest = argv[index], list(argv[index + 1:])

    def value(*names: str) -> str | None:
        for pos, arg in enumerate(rest):
            for name in names:
                if arg == name and pos + 1 < len(rest):
                    return rest[pos + 1]
                if arg.startswith(name + "="):
                    return arg.split("=", 1)[1]
        return None

    if command in ("create", "run"):
        return os.path.join(value("--bundle", "-b") or os.getcwd(), "config.json"), "bundle"
    if command == "exec":
        process = value("--process", "-p")
        return (process, "process") if process else None
    return None


def edit_spec(path: str, kind: str, drop: Sequence[str]) -> None:
    """Rewrite the JSON at ``path`` without the ``drop`` capabilities."""
    with open(path) as fh:
        spec = json.load(fh)
    strip_capabilities(spec["process"] if kind == "bundle" else spec, drop)
    with open(path, "w") as fh:
        json.dump(spec, fh)


def main(argv: Sequence[str]) -> None:
    """Edit the spec the command reads (if any), then become the real runc."""
    runc = shutil.which("runc", path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    if runc is None:
        sys.exit("runc-caps: runc is not installed (Debian package runc)")
    with open("/proc/self/status") as fh:
        drop = missing_capabilities(fh.read())
    target = spec_file(argv)
    if drop and target is not None:
        edit_spec(target[0], target[1], drop)
    os.execv(runc, [runc, *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
