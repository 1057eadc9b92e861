"""Checks shared by the service e2e tests: memory, loopback-only listeners, and a stop that leaves nothing."""

from __future__ import annotations

import functools
import subprocess
import time
from pathlib import Path

from harness.process import pid_alive, port_is_free
from harness.services.base import Service
from harness.waiting import wait_until

LOOPBACK_HOSTS = {"127.0.0.1", "[::ffff:127.0.0.1]"}


def rss_mib(pid: int) -> float:
    """Resident memory of a process in MiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def listening_addresses(pid: int) -> set[str]:
    """Every TCP address ``pid`` listens on (from ``ss``)."""
    out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout
    return {line.split()[3] for line in out.splitlines() if f"pid={pid}," in line}


def loopback_listeners(pid: int) -> set[int]:
    """Ports ``pid`` listens on, asserting every one is bound to 127.0.0.1 (IPv4 or v4-mapped)."""
    addresses = listening_addresses(pid)
    assert {address.rsplit(":", 1)[0] for address in addresses} <= LOOPBACK_HOSTS, addresses
    return {int(address.rsplit(":", 1)[1]) for address in addresses}


def timed_start(service: Service, kind: str, *, extra_ports: bool = False) -> None:
    """Start ``service``, print its start time and memory, and check it listens on its loopback ports
    (only those, unless ``extra_ports``: HDFS's DataNode also opens one internal port of its own)."""
    started = time.monotonic()
    service.start()
    seconds = time.monotonic() - started
    pid = service.process.pid
    assert pid is not None
    print(f"FIGURE {service.name} {kind} start {seconds:.2f}s rss {rss_mib(pid):.1f}MiB")
    listening = loopback_listeners(pid)
    if extra_ports:
        assert set(service.ports.values()) <= listening
    else:
        assert listening == set(service.ports.values())


def stop_and_check_gone(service: Service) -> None:
    """Stop ``service`` and assert neither its process nor its ports are left (prints its RSS figure)."""
    pid = service.process.pid
    assert pid is not None
    print(f"FIGURE {service.name} rss before stop (after use) {rss_mib(pid):.1f}MiB")
    service.stop()
    assert not pid_alive(pid)
    assert not service.process.running()
    # The kernel may release a dead process's sockets a moment after the process is reaped.
    for port in service.ports.values():
        wait_until(functools.partial(port_is_free, port), timeout=10,
                   what=f"{service.name} to release 127.0.0.1:{port}", interval=0.2)
