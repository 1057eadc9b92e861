"""Cache keys for images (digests of what goes into a build) and the lock that guards the cache.

A key changes exactly when an input of the build changes: file contents, their relative paths, the
executable bit and symlink targets, plus any extra strings (pinned versions, base image ids). File
timestamps and ownership are left out on purpose, so a fresh clone hits the same cache entry.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

# Produced by running Python or editors inside a context; they never change what a build does.
IGNORED_NAMES = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".DS_Store"})
KEY_LENGTH = 12


def _walk(root: Path) -> Iterator[Path]:
    """Every file and symlink under ``root`` (or ``root`` itself), in a stable order."""
    if root.is_symlink() or not root.is_dir():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_NAMES)
        base = Path(dirpath)
        # os.walk lists symlinks to directories among dirnames without following them: keep them.
        links = [d for d in dirnames if (base / d).is_symlink()]
        dirnames[:] = [d for d in dirnames if d not in links]
        for name in sorted([*filenames, *links]):
            if name not in IGNORED_NAMES and not name.endswith(".pyc"):
                yield base / name


def tree_digest(root: Path, *extra: str) -> str:
    """Digest of a file or directory tree's build-relevant content, plus ``extra`` strings.

    Args:
        root: a directory (walked recursively) or a single file.
        extra: further inputs of the build (versions, base image ids), in a fixed order.

    Returns:
        A hex digest of ``KEY_LENGTH`` characters.

    Raises:
        FileNotFoundError: when ``root`` does not exist.
    """
    if not root.exists() and not root.is_symlink():
        raise FileNotFoundError(f"cannot compute a cache key: {root} does not exist")
    sha = hashlib.sha256()
    for path in _walk(root):
        rel = path.relative_to(root).as_posix() if path != root else path.name
        if path.is_symlink():
            sha.update(f"L\0{rel}\0{path.readlink()}\0".encode())
            continue
        executable = os.access(path, os.X_OK)
        sha.update(f"F\0{rel}\0{int(executable)}\0{path.stat().st_size}\0".encode())
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                sha.update(chunk)
    return _finish(sha, extra)


def strings_digest(*parts: str) -> str:
    """Digest of an ordered list of strings (for builds whose inputs are only versions and names).

    Returns:
        A hex digest of ``KEY_LENGTH`` characters.
    """
    return _finish(hashlib.sha256(), parts)


def _finish(sha: hashlib._Hash, extra: Iterable[str]) -> str:
    for part in extra:
        # Length-prefixed so ("ab", "c") and ("a", "bc") differ.
        sha.update(f"X\0{len(part)}\0{part}".encode())
    return sha.hexdigest()[:KEY_LENGTH]
