"""Reading the host's package sources and pip settings for image builds."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.images.hostconf import (
    BUILD_CA_NAME,
    BUILD_PIP_DIR,
    AptSource,
    apt_sources,
    build_network,
    debian_mirror,
    parse_pip_config,
    security_mirror,
)

DEB822 = """\
Types: deb
# a comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm

Enabled: no
Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
"""

ONE_LINE = """\
# deb http://commented.example/debian bookworm main
deb [arch=amd64 signed-by=/k.gpg] http://list.example/debian trixie main contrib
deb-src http://list.example/debian trixie main
"""


@pytest.fixture
def sources_dir(tmp_path: Path) -> Path:
    (tmp_path / "debian.sources").write_text(DEB822)
    (tmp_path / "other.list").write_text(ONE_LINE)
    (tmp_path / "ignored.list.disabled").write_text("deb http://nope.example/debian bookworm main\n")
    return tmp_path


def test_apt_sources_reads_both_formats_and_skips_disabled(sources_dir: Path) -> None:
    assert apt_sources((sources_dir,)) == [
        AptSource("http://mirror.example/debian", ("bookworm", "bookworm-updates")),
        AptSource("http://mirror.example/debian-security", ("bookworm-security",)),
        AptSource("http://list.example/debian", ("trixie",)),
    ]


def test_mirror_for_suite(sources_dir: Path) -> None:
    sources = apt_sources((sources_dir,))
    assert debian_mirror("bookworm", sources) == "http://mirror.example/debian"
    assert debian_mirror("trixie", sources) == "http://list.example/debian"
    assert security_mirror("bookworm", sources) == "http://mirror.example/debian-security"
    assert security_mirror("trixie", sources) is None


def test_missing_suite_says_what_to_do(sources_dir: Path) -> None:
    with pytest.raises(HarnessError, match=r"no apt source of this host serves Debian 'sid'.*add the Debian"):
        debian_mirror("sid", apt_sources((sources_dir,)))


def test_pip_config_environment_wins_over_files() -> None:
    listing = "\n".join(
        [
            "global.index-url='https://files.example/simple'",
            "global.cert='/etc/file-ca.crt'",
            "install.trusted-host='files.example'",
            ":env:.cert='/etc/env-ca.crt'",
            ":env:.default-timeout='180'",
            ":env:.disable-pip-version-check='1'",
            "garbage line",
        ]
    )
    assert parse_pip_config(listing) == {
        "index-url": "https://files.example/simple",
        "trusted-host": "files.example",
        "cert": "/etc/env-ca.crt",
        "timeout": "180",
    }


def test_build_network_mounts_ca_and_local_wheels(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    network = build_network(
        {
            "cert": str(ca),
            "index-url": "https://files.example/simple",
            "find-links": f"{wheels} {tmp_path / 'missing'} https://links.example/",
            "timeout": "180",
        }
    )
    assert network.ca_bundle == ca
    assert network.mounts == {wheels: str(wheels)}
    assert network.pip_conf == (
        "[global]\n"
        f"cert = {BUILD_PIP_DIR}/{BUILD_CA_NAME}\n"
        f"find-links = {wheels} https://links.example/\n"
        "index-url = https://files.example/simple\n"
        "timeout = 180\n"
    )


def test_build_network_without_a_ca_bundle(tmp_path: Path) -> None:
    network = build_network({"cert": str(tmp_path / "absent.crt")})
    assert network.ca_bundle is None
    assert network.mounts == {}
    assert network.pip_conf == "[global]\n"
