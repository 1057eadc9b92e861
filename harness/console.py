"""The one rich Console of the CLI: stderr, and wide when output goes to a file or CI log (not a terminal)."""

from __future__ import annotations

import sys

from rich.console import Console

console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
