"""Write kubeconfig files that carry their certificates inline (so they can be copied anywhere)."""

from __future__ import annotations

import base64
from pathlib import Path

import yaml


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def write_kubeconfig(
    path: Path, *, server: str, ca_cert: Path, client_cert: Path, client_key: Path, context: str
) -> Path:
    """Write a single-context kubeconfig authenticating with a client certificate.

    Args:
        path: where to write it (mode 0600: it holds a private key).
        server: the apiserver URL, e.g. ``https://127.0.0.1:6443``.
        ca_cert: CA that signed the apiserver's serving certificate.
        client_cert: the user's certificate.
        client_key: the user's private key.
        context: name used for the cluster, user and context entries.

    Returns:
        ``path``.
    """
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": context, "cluster": {"server": server, "certificate-authority-data": _b64(ca_cert)}}
        ],
        "users": [
            {
                "name": context,
                "user": {
                    "client-certificate-data": _b64(client_cert),
                    "client-key-data": _b64(client_key),
                },
            }
        ],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "current-context": context,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(config, sort_keys=False))
    tmp.chmod(0o600)
    tmp.replace(path)
    return path
