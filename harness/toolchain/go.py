"""Build Go programs from the wrapper modules in tools/go/<name>/, cached by version.

A wrapper module pins what a program needs (go.mod ``tool``/``require``/``replace`` lines and go.sum),
so the build is reproducible from the Go module proxy alone. The binaries land in
``cache_root()/go/<name>-<version>-<digest>/`` where the digest covers go.mod, go.sum, the packages
and the ldflags: changing any of them rebuilds, everything else is a cache hit.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.locking import cache_lock
from harness.paths import REPO_ROOT, cache_root
from harness.toolchain.progress import say, step

GO_MODULES_DIR = REPO_ROOT / "tools" / "go"


def _digest(module_dir: Path, packages: Sequence[str], ldflags: str) -> str:
    # go.mod/go.sum pin the dependencies; the wrapper's own *.go files (e.g. a small main) are code too.
    sha = hashlib.sha256()
    for path in [module_dir / "go.mod", module_dir / "go.sum", *sorted(module_dir.glob("*.go"))]:
        if path.exists():
            sha.update(path.read_bytes())
    sha.update("\0".join(packages).encode())
    sha.update(ldflags.encode())
    return sha.hexdigest()[:12]


def binary_name(package: str) -> str:
    """The file name ``go build -o DIR/`` gives a main package: its last path element, skipping a
    major-version suffix (``k8s.io/kube-state-metrics/v2`` -> ``kube-state-metrics``)."""
    parts = package.rstrip("/").split("/")
    if len(parts) > 1 and re.fullmatch(r"v[2-9][0-9]*", parts[-1]):
        return parts[-2]
    return parts[-1]


def _go() -> str:
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if go is None:
        raise RuntimeError("the Go toolchain is needed to build pinned tools; install Go 1.24+")
    return go


def _run_with_progress(cmd: list[str], cwd: Path, env: Mapping[str, str], label: str, total: int) -> None:
    """Run ``go build -v``, turning its one-line-per-package output into a periodic progress line."""
    started = time.monotonic()
    last_report = started
    compiled = 0
    tail: list[str] = []
    with subprocess.Popen(
        cmd, cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            tail = [*tail, line.rstrip()][-20:]
            compiled += 1
            now = time.monotonic()
            if now - last_report >= 15:
                pct = min(99, 100 * compiled // max(total, 1))
                say(f"    {label}: ~{pct}% ({compiled}/{total} packages, {now - started:.0f}s)")
                last_report = now
        code = proc.wait()
    if code != 0:
        raise RuntimeError(f"building {label} failed (exit {code}):\n" + "\n".join(tail))


def go_build(
    name: str,
    packages: Sequence[str],
    *,
    version: str,
    ldflags: str = "",
    env: Mapping[str, str] | None = None,
) -> Path:
    """Build ``packages`` (main packages) of the wrapper module tools/go/<name> and return their bin dir.

    Args:
        name: folder under tools/go holding go.mod/go.sum.
        packages: import paths of the main packages to build; each becomes a binary named after its
            last path element.
        version: the pinned version (part of the cache key and of the progress output).
        ldflags: passed to ``go build -ldflags`` (version stamping).
        env: extra environment for the build (e.g. CGO_ENABLED).

    Returns:
        The directory holding the binaries.

    Raises:
        RuntimeError: when Go is missing or the build fails (with the last lines of its output).
    """
    module_dir = GO_MODULES_DIR / name
    if not (module_dir / "go.mod").exists():
        raise RuntimeError(f"no wrapper module at {module_dir}/go.mod")
    out = cache_root() / "go" / f"{name}-{version}-{_digest(module_dir, packages, ldflags)}"
    binaries = [out / binary_name(pkg) for pkg in packages]
    if all(b.exists() for b in binaries):
        return out

    # One build at a time per program: parallel sessions (and make setup in several checkouts) wait for the
    # first instead of compiling the same packages side by side on a 2-core machine.
    with cache_lock(out.parent / f".{name}.lock"):
        if all(b.exists() for b in binaries):
            return out
        _build(module_dir, packages, out, f"{name} {version}", ldflags, env)
    return out


def _build(module_dir: Path, packages: Sequence[str], out: Path, label: str, ldflags: str,
           env: Mapping[str, str] | None) -> None:
    go = _go()
    name = module_dir.name
    build_env = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", **(env or {})}
    with step(f"building {label} from Go modules (cached in {out} afterwards)"):
        # `go list -deps` downloads exactly the modules the build needs. (No `go mod download`: it also
        # asks for every module's .info, which the proxy refuses for some served versions, e.g. FerretDB.)
        say(f"    {label}: resolving modules from the Go module proxy")
        listed = subprocess.run(
            [go, "list", "-deps", *packages], cwd=module_dir, env=build_env,
            capture_output=True, text=True, check=True,
        )
        total = len(listed.stdout.splitlines())
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{name}-") as tmp:
            cmd = [go, "build", "-v", "-trimpath", "-ldflags", ldflags, "-o", tmp + "/", *packages]
            _run_with_progress(cmd, module_dir, build_env, label, total)
            if out.exists():
                shutil.rmtree(out)
            os.rename(tmp, out)
            Path(tmp).mkdir()  # TemporaryDirectory cleans up the name it made
