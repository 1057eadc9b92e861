"""The webhook server behind the harness's alert receiver: records every Alertmanager notification.

Standard library only, so the file runs unchanged on bookworm's python3 in the receiver's image, as the
in-cluster receiver of the operator-managed Alertmanager (harness/monitoring). Each notification is appended
as one JSON line to the store file and served back by ``GET /notifications``; ``DELETE /notifications`` forgets them.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

WEBHOOK_PATH = "/alertmanager"
NOTIFICATIONS_PATH = "/notifications"


class _Store:
    """The notifications, kept in memory and appended to a JSON-lines file (kept across restarts)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.items: list[Any] = []
        if path.exists():
            self.items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def add(self, payload: Any) -> None:
        with self.lock:
            self.items.append(payload)
            with self.path.open("a") as fh:
                fh.write(json.dumps(payload) + "\n")

    def all(self) -> list[Any]:
        with self.lock:
            return list(self.items)

    def clear(self) -> None:
        with self.lock:
            self.items = []
            self.path.write_text("")


def _handler(store: _Store) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, code: int, body: bytes = b"", content_type: str = "application/json") -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            if self.path != WEBHOOK_PATH:
                self._answer(404)
                return
            length = int(self.headers.get("Content-Length", "0"))
            try:
                payload = json.loads(self.rfile.read(length))
            except ValueError:
                self._answer(400, b'{"error": "body is not JSON"}')
                return
            store.add(payload)
            self._answer(200, b"{}")

        def do_GET(self) -> None:
            if self.path != NOTIFICATIONS_PATH:
                self._answer(404)
                return
            self._answer(200, json.dumps(store.all()).encode())

        def do_DELETE(self) -> None:
            if self.path != NOTIFICATIONS_PATH:
                self._answer(404)
                return
            store.clear()
            self._answer(200, b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            # One line per request in the service log, without the reverse DNS lookup of the default.
            sys.stderr.write(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")

    return Handler


def main(argv: list[str] | None = None) -> None:
    """Run the receiver in the foreground until terminated (on 127.0.0.1 unless ``--host`` says otherwise)."""
    parser = argparse.ArgumentParser(description="Alertmanager webhook receiver of the test harness")
    # The host process stays on loopback; in a pod the receiver listens on the pod's own address.
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", type=Path, required=True, help="JSON-lines file of notifications")
    args = parser.parse_args(argv)
    args.store.parent.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer((args.host, args.port), _handler(_Store(args.store)))
    sys.stderr.write(f"alert receiver listening on {args.host}:{args.port}, webhook {WEBHOOK_PATH}\n")
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
