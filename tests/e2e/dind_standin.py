"""A stand-in for GitLab's Docker-in-Docker service on this machine: a second dockerd with the harness's own
configuration (no iptables, no masquerade, no ip-forward, the runc wrapper only where a capability is missing),
listening on tcp://127.0.0.1:<free port> instead of a socket, with an address pool of its own (172.31.0.0/16,
clear of the harness's dockerd's 172.30.0.0/16 and of the local cluster). Everything it kept is removed when
it stops."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from harness.cluster import docker_engine
from harness.paths import state_root
from harness.process import free_port

POOL = "172.31.0.0/16"


@contextmanager
def standin_daemon() -> Iterator[docker_engine.DockerLayout]:
    """Run the stand-in daemon; yields its layout (``host`` is the DOCKER_HOST value)."""
    where = docker_engine.DockerLayout(state_root().resolve() / f"dind-{os.getpid()}", tcp=f"127.0.0.1:{free_port()}")
    docker_engine.start_daemon(where, pool=POOL)
    try:
        yield where
    finally:
        docker_engine.stop_daemon(where)
        # Its data-root holds the node image it loaded (1.3 GB): nothing of it is reused.
        shutil.rmtree(where.root)
