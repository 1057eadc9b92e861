"""Pinned external tools: where their versions are declared and how they are built or installed.

Everything comes from package registries (Go module proxy, Debian, PyPI, Maven Central) and is cached
under ``cache_root()`` keyed by version, so only the first run on a machine pays for a build.
"""

from harness.toolchain.apt import apt_ensure
from harness.toolchain.go import go_build
from harness.toolchain.progress import step
from harness.toolchain.versions import pinned

__all__ = ["apt_ensure", "go_build", "pinned", "step"]
