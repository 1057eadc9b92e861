"""Cache keys of images: they change exactly when a build input changes."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from harness.images.cache import KEY_LENGTH, strings_digest, tree_digest
from harness.images.job import archive_stem, job_cache_key


@pytest.fixture
def context(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "pkg").mkdir(parents=True)
    (root / "Dockerfile").write_text("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n")
    (root / "pkg" / "main.py").write_text("print('hi')\n")
    return root


def test_key_is_short_hex_and_stable(context: Path) -> None:
    key = tree_digest(context)
    assert re.fullmatch(rf"[0-9a-f]{{{KEY_LENGTH}}}", key)
    assert tree_digest(context) == key


def test_same_content_elsewhere_and_later_gives_the_same_key(context: Path, tmp_path: Path) -> None:
    key = tree_digest(context)
    copy = tmp_path / "elsewhere"
    copy.mkdir()
    for path in sorted(context.rglob("*")):
        target = copy / path.relative_to(context)
        if path.is_dir():
            target.mkdir()
        else:
            target.write_bytes(path.read_bytes())
    os.utime(copy / "Dockerfile", (1, 1))
    assert tree_digest(copy) == key


def test_content_change_changes_the_key(context: Path) -> None:
    key = tree_digest(context)
    (context / "pkg" / "main.py").write_text("print('bye')\n")
    assert tree_digest(context) != key


def test_rename_changes_the_key(context: Path) -> None:
    key = tree_digest(context)
    (context / "pkg" / "main.py").rename(context / "pkg" / "job.py")
    assert tree_digest(context) != key


def test_new_empty_file_changes_the_key(context: Path) -> None:
    key = tree_digest(context)
    (context / ".dockerignore").write_text("")
    assert tree_digest(context) != key


def test_executable_bit_changes_the_key(context: Path) -> None:
    key = tree_digest(context)
    (context / "pkg" / "main.py").chmod(0o755)
    assert tree_digest(context) != key


def test_symlink_target_counts(context: Path) -> None:
    (context / "link").symlink_to("pkg/main.py")
    key = tree_digest(context)
    (context / "link").unlink()
    (context / "link").symlink_to("Dockerfile")
    assert tree_digest(context) != key


def test_bytecode_and_tool_caches_are_ignored(context: Path) -> None:
    key = tree_digest(context)
    (context / "pkg" / "__pycache__").mkdir()
    (context / "pkg" / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\0")
    (context / "stray.pyc").write_bytes(b"\0")
    (context / ".pytest_cache").mkdir()
    assert tree_digest(context) == key


def test_extra_inputs_count_in_order(context: Path) -> None:
    assert tree_digest(context, "a") != tree_digest(context)
    assert tree_digest(context, "a", "b") != tree_digest(context, "b", "a")


def test_single_file_root(context: Path) -> None:
    key = tree_digest(context / "Dockerfile")
    assert key == tree_digest(context / "Dockerfile")
    (context / "Dockerfile").write_text("FROM scratch\n")
    assert tree_digest(context / "Dockerfile") != key


def test_missing_root_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        tree_digest(tmp_path / "nope")


def test_strings_digest_is_length_prefixed() -> None:
    assert strings_digest("ab", "c") != strings_digest("a", "bc")
    assert strings_digest("bookworm", "python3") == strings_digest("bookworm", "python3")
    assert len(strings_digest()) == KEY_LENGTH


def test_job_key_follows_base_image_and_tag(context: Path) -> None:
    key = job_cache_key(context, "localhost/jobs/x:dev", "sha256:aaa")
    assert job_cache_key(context, "localhost/jobs/x:dev", "sha256:aaa") == key
    assert job_cache_key(context, "localhost/jobs/x:dev", "sha256:bbb") != key
    assert job_cache_key(context, "localhost/jobs/x:test", "sha256:aaa") != key


def test_archive_stem_is_file_name_safe() -> None:
    assert archive_stem("localhost/cronharness/jobs/rucio-daily:dev") == "localhost-cronharness-jobs-rucio-daily-dev"
    assert archive_stem("a/b@sha256:0f") == "a-b-sha256-0f"
