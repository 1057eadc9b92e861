"""How this host reaches the package registries, so image builds reach them the same way.

Image builds need Debian packages (debootstrap, ``apt-get`` in a Dockerfile) and PyPI packages (``pip``
in a Dockerfile). The only sources reachable are the ones the host itself is configured for: the
Debian mirror in its apt sources, its proxies, its pip index settings and its CA bundle (which may
hold a site CA that the image's own bundle lacks). This module reads them; nothing is hard-coded.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError

APT_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# Build steps get a directory mounted here holding pip.conf and the host's CA bundle: pip reads it
# (it is on XDG_CONFIG_DIRS), the image's own CA bundle stays untouched for package installs, and
# all a mount leaves behind in the image is this empty directory.
BUILD_PIP_DIR = "/etc/xdg/pip"
BUILD_CA_NAME = "host-ca.crt"
_PROXY_VARS = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
# pip settings that decide where packages come from and whether TLS to them verifies.
_PIP_KEYS = ("index-url", "extra-index-url", "trusted-host", "find-links", "cert", "timeout")
_PIP_KEY_ALIASES = {"default-timeout": "timeout"}


@dataclass(frozen=True)
class AptSource:
    """One Debian archive the host uses: its URI and the suites it serves there."""

    uri: str
    suites: tuple[str, ...]


def _deb822_sources(text: str) -> list[AptSource]:
    sources = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.strip()
        if fields.get("enabled", "yes").lower() == "no" or "deb" not in fields.get("types", "").split():
            continue
        suites = tuple(fields.get("suites", "").split())
        sources += [AptSource(uri, suites) for uri in fields.get("uris", "").split()]
    return sources


def _one_line_sources(text: str) -> list[AptSource]:
    sources = []
    for line in text.splitlines():
        words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
        if len(words) >= 3 and words[0] == "deb":
            sources.append(AptSource(words[1], (words[2],)))
    return sources


def apt_sources(paths: tuple[Path, ...] = APT_SOURCES) -> list[AptSource]:
    """The enabled ``deb`` sources of this host (deb822 ``*.sources`` and one-line ``*.list`` files).

    Args:
        paths: files or directories to read (the system's apt sources by default).

    Returns:
        The sources in the order apt reads them.
    """
    files: list[Path] = []
    for path in paths:
        files += sorted(path.iterdir()) if path.is_dir() else [path]
    sources: list[AptSource] = []
    for file in files:
        if not file.is_file():
            continue
        if file.suffix == ".sources":
            sources += _deb822_sources(file.read_text())
        elif file.suffix == ".list":
            sources += _one_line_sources(file.read_text())
    return sources


def debian_mirror(suite: str, sources: list[AptSource] | None = None) -> str:
    """The URI of the host's Debian archive that serves ``suite`` (e.g. ``bookworm``).

    Raises:
        HarnessError: when no apt source of the host serves that suite.
    """
    for source in apt_sources() if sources is None else sources:
        if suite in source.suites:
            return source.uri.rstrip("/")
    raise HarnessError(
        f"no apt source of this host serves Debian {suite!r} (read {', '.join(map(str, APT_SOURCES))}); "
        f"add the Debian mirror you can reach for {suite} to the apt sources"
    )


def security_mirror(suite: str, sources: list[AptSource] | None = None) -> str | None:
    """The URI serving ``<suite>-security`` on this host, if it has one."""
    for source in apt_sources() if sources is None else sources:
        if f"{suite}-security" in source.suites:
            return source.uri.rstrip("/")
    return None


def proxy_env() -> dict[str, str]:
    """Proxy variables to give debootstrap and builds: the environment's, else apt's configured proxy."""
    env = {name: os.environ[name] for name in _PROXY_VARS if os.environ.get(name)}
    if env:
        return env
    dump = subprocess.run(["apt-config", "dump"], capture_output=True, text=True, check=False).stdout
    for scheme in ("http", "https"):
        found = re.search(rf'^Acquire::{scheme}::Proxy "([^"]+)";', dump, re.MULTILINE | re.IGNORECASE)
        if found and found.group(1).upper() != "DIRECT":
            env[f"{scheme}_proxy"] = found.group(1)
    return env


def parse_pip_config(listing: str) -> dict[str, str]:
    """The source-related settings out of ``pip config list`` output (environment overrides files).

    Args:
        listing: lines like ``global.index-url='https://...'`` or ``:env:.cert='/path'``.

    Returns:
        Setting name -> value, for the keys in ``_PIP_KEYS``.
    """
    by_scope: dict[str, dict[str, str]] = {}
    for line in listing.splitlines():
        found = re.match(r"^(?P<scope>[^.=]*)\.(?P<key>[a-z-]+)='(?P<value>.*)'$", line.strip())
        if not found:
            continue
        key = _PIP_KEY_ALIASES.get(found["key"], found["key"])
        if key in _PIP_KEYS:
            by_scope.setdefault(found["scope"], {})[key] = found["value"]
    merged: dict[str, str] = {}
    # pip's precedence: file sections (global < install) and then the environment on top.
    for scope in ("global", "download", "wheel", "install", ":env:"):
        merged.update(by_scope.get(scope, {}))
    return merged


def host_pip_config() -> dict[str, str]:
    """This host's effective pip source settings (files and ``PIP_*`` variables)."""
    listing = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    )
    return parse_pip_config(listing.stdout)


@dataclass(frozen=True)
class BuildNetwork:
    """What a build container needs to reach the registries like the host does.

    Attributes:
        pip_conf: text of the ``pip.conf`` to put in ``BUILD_PIP_DIR``.
        ca_bundle: the host CA bundle to put beside it as ``BUILD_CA_NAME`` (None: pip's default).
        mounts: further host path -> container path, mounted read-only into every build step.
        env: proxy variables for the builder process (buildah passes them on to build steps).
    """

    pip_conf: str
    ca_bundle: Path | None
    mounts: dict[Path, str]
    env: dict[str, str]


def build_network(settings: dict[str, str] | None = None) -> BuildNetwork:
    """Translate the host's pip settings and proxies into mounts and a pip.conf for build steps.

    Args:
        settings: pip settings (``host_pip_config()`` by default).

    Returns:
        The pip.conf text, the read-only mounts it relies on, and the proxy environment.
    """
    settings = dict(host_pip_config() if settings is None else settings)
    mounts: dict[Path, str] = {}
    # pip in build steps verifies TLS against the host's CA bundle: it may hold a site CA that the
    # registries' certificates chain to. It is mounted, so it never ends up in an image layer.
    ca_bundle: Path | None = Path(settings.pop("cert", str(HOST_CA_BUNDLE)))
    if ca_bundle is not None and ca_bundle.is_file():
        settings["cert"] = f"{BUILD_PIP_DIR}/{BUILD_CA_NAME}"
    else:
        ca_bundle = None
    # Local wheel directories are mounted at the same path; URLs pass through; missing dirs are dropped.
    links = [link for link in settings.pop("find-links", "").split() if "://" in link or Path(link).is_dir()]
    mounts.update({Path(link): link for link in links if "://" not in link})
    if links:
        settings["find-links"] = " ".join(links)
    lines = ["[global]", *(f"{key} = {value}" for key, value in sorted(settings.items()))]
    return BuildNetwork(pip_conf="\n".join(lines) + "\n", ca_bundle=ca_bundle, mounts=mounts, env=proxy_env())
