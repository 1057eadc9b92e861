"""`python -m harness.toolchain TOOL...`: obtain pinned tools (used by `make setup`)."""

from __future__ import annotations

import sys

from harness.toolchain.tools import TOOLS, ensure


def main(argv: list[str]) -> int:
    names = argv or sorted(TOOLS)
    for name in names:
        path = ensure(name)
        print(f"{name}: {path} -> {path.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
