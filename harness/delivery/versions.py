"""A chart whose packaged content changed since its version was last set must get a new version, and a job
whose image changed since its appVersion was last set must get a new appVersion.

For each chart the reference is the commit that last changed the ``version:`` of its Chart.yaml (the
newest commit whose Chart.yaml version differs from its parent's). Every file of the chart that differs
from that commit, in the work tree, counts, committed or not, tracked or new, except what the chart's
.helmignore keeps out of the package (a job's app/ and tests/) and what git ignores (built dependencies).
A version changed in the work tree (not committed yet) counts as a bump when it is higher than HEAD's.

A job's image is released tagged with its chart's ``appVersion`` (harness/delivery/images.py), so the same
rule holds for what goes into the image, against the commit that last changed ``appVersion:``: the job's
app/, jobkit/, the images/ stages of its base and the [images] pins of tools/versions.toml those stages use.
A new appVersion changes Chart.yaml, so it needs a new chart version too.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from harness.deploy import BASE_ANNOTATION, base_kind
from harness.errors import HarnessError
from harness.images.base import IMAGE_PINS, STAGES
from harness.images.cache import IGNORED_NAMES
from harness.paths import REPO_ROOT

PINS_FILE = "tools/versions.toml"

_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


@dataclass(frozen=True)
class VersionCheck:
    """The outcome for one chart.

    Attributes:
        chart: chart directory relative to the repository.
        version: the version in the work tree.
        since: the commit that set the version (None: the chart is not committed yet).
        changed: packaged files changed since then, relative to the chart.
        problem: what is wrong, or "" when the chart is fine.
        key: the Chart.yaml field checked: ``version`` (the package) or ``appVersion`` (the job's image).
    """

    chart: str
    version: str
    since: str | None = None
    changed: tuple[str, ...] = field(default=())
    problem: str = ""
    key: str = "version"


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)


def _version(text: str | None, key: str = "version") -> str | None:
    if text is None:
        return None
    data = yaml.safe_load(text) or {}
    return str(data[key]) if key in data else None


def _show(repo: Path, commit: str, path: str) -> str | None:
    done = _git(repo, "show", f"{commit}:{path}")
    return done.stdout if done.returncode == 0 else None


def _version_at(repo: Path, commit: str, chart_yaml: str, key: str = "version") -> str | None:
    return _version(_show(repo, commit, chart_yaml), key)


def semver_key(version: str) -> tuple[int, int, int, int, str] | None:
    """Sort key of a SemVer 2 version (a pre-release sorts before its release); None if not SemVer."""
    match = _SEMVER.match(version)
    if not match:
        return None
    major, minor, patch, pre = match.groups()
    return int(major), int(minor), int(patch), 0 if pre else 1, pre or ""


def version_commit(repo: Path, chart: str, key: str = "version") -> str | None:
    """The newest commit that changed ``key`` (the version) in ``chart``/Chart.yaml (None if never committed).

    Raises:
        HarnessError: when the history is shallow and ends before that commit (CI: fetch the full history).
    """
    chart_yaml = f"{chart}/Chart.yaml"
    log = _git(repo, "log", "--format=%H %P", "--", chart_yaml)
    if log.returncode != 0:
        raise HarnessError(f"git log failed in {repo}: {log.stderr.strip()}")
    shallow = _git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
    for line in log.stdout.splitlines():
        commit, *parents = line.split()
        if not parents and shallow:
            # The history was cut here: whether this commit changed the version is unknowable.
            raise HarnessError(f"{chart_yaml}: the commit that set its version is not in this shallow clone; "
                               "fetch the full history (git fetch --unshallow, or GIT_DEPTH: 0 in GitLab CI)")
        before = _version_at(repo, parents[0], chart_yaml, key) if parents else None
        if _version_at(repo, commit, chart_yaml, key) != before:
            return commit
    if shallow:
        raise HarnessError(f"{chart_yaml}: the commit that set its version is not in this shallow clone; "
                           "fetch the full history (git fetch --unshallow, or GIT_DEPTH: 0 in GitLab CI)")
    return None


def _helmignore(repo: Path, chart: str) -> list[str]:
    path = repo / chart / ".helmignore"
    if not path.is_file():
        return []
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def packaged(relative: str, patterns: list[str]) -> bool:
    """Whether ``helm package`` keeps the chart-relative path (the .helmignore subset charts here use)."""
    parts = PurePosixPath(relative).parts
    for pattern in patterns:
        if pattern.endswith("/"):
            if pattern.rstrip("/") in ["/".join(parts[:i]) for i in range(1, len(parts))] or any(
                    fnmatch.fnmatchcase(p, pattern.rstrip("/")) for p in parts[:-1]):
                return False
        elif fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(parts[-1], pattern):
            return False
    return True


def changed_since(repo: Path, commit: str, chart: str) -> list[str]:
    """Packaged files of ``chart`` (chart-relative) that differ between ``commit`` and the work tree.

    Raises:
        HarnessError: when git cannot compare.
    """
    diff = _git(repo, "diff", "--name-only", "--no-renames", commit, "--", chart)
    new = _git(repo, "ls-files", "--others", "--exclude-standard", "--", chart)
    if diff.returncode != 0 or new.returncode != 0:
        raise HarnessError(f"git cannot compare {chart} with {commit}: {diff.stderr.strip()} {new.stderr.strip()}")
    patterns = _helmignore(repo, chart)
    files = {PurePosixPath(p).relative_to(chart).as_posix() for p in (diff.stdout + new.stdout).splitlines() if p}
    return sorted(f for f in files if packaged(f, patterns))


def _check_field(repo: Path, chart: str, key: str, changed_files: Callable[[str], list[str]], what: str
                 ) -> VersionCheck:
    """Check ``key`` of ``chart``/Chart.yaml against ``changed_files(since)``, the files ``what`` is made of."""
    chart_yaml = f"{chart}/Chart.yaml"
    current = _version((repo / chart_yaml).read_text(), key)
    if current is None:
        return VersionCheck(chart, "", problem=f"{chart_yaml} has no {key}", key=key)
    at_head = _version_at(repo, "HEAD", chart_yaml, key)
    if at_head is None:
        return VersionCheck(chart, current, key=key)  # new: its first version needs no bump
    if current != at_head:
        new_key, old_key = semver_key(current), semver_key(at_head)
        if new_key is not None and old_key is not None and new_key < old_key:
            return VersionCheck(chart, current, problem=f"{chart_yaml}: {key} {current} is lower than {at_head}",
                                key=key)
        return VersionCheck(chart, current, key=key)
    since = version_commit(repo, chart, key)
    if since is None:
        return VersionCheck(chart, current, key=key)
    changed = tuple(changed_files(since))
    problem = ""
    if changed:
        problem = (f"{chart}: {', '.join(changed)} changed since {key} {current} was set in commit {since[:12]}; "
                   f"bump `{key}:` in {chart_yaml}{what}")
    return VersionCheck(chart, current, since, changed, problem, key)


def check_chart(repo: Path, chart: str) -> VersionCheck:
    """Check one chart's version against its packaged files.

    Args:
        repo: the git work tree.
        chart: the chart directory relative to ``repo``.

    Returns:
        The outcome; ``problem`` is empty when the chart is fine.

    Raises:
        HarnessError: when git fails or the history is too shallow to decide.
    """
    return _check_field(repo, chart, "version", lambda since: changed_since(repo, since, chart),
                        " (and the dependency version of charts using it)")


def image_inputs(repo: Path, chart: str) -> list[str]:
    """What job ``chart``'s image is built from (repository-relative folders): its app/, jobkit/ and the images/
    stages of its base (the chart's base-image annotation; harness/images/base.py)."""
    kind = base_kind(repo / chart)
    if kind not in STAGES:
        raise HarnessError(f"{chart}/Chart.yaml: annotation {BASE_ANNOTATION}: {kind!r} is not a base image; "
                           f"use one of {', '.join(STAGES)}")
    return [f"{chart}/app", *(f"images/{stage}" for stage in STAGES[kind]), "jobkit"]


def _image_pins(text: str | None) -> dict[str, object]:
    table = tomllib.loads(text or "").get("images", {})
    return {key: table.get(key) for key in IMAGE_PINS}


def image_changed_since(repo: Path, commit: str, chart: str) -> list[str]:
    """The image inputs of ``chart`` (repository-relative) that differ between ``commit`` and the work tree,
    with ``tools/versions.toml [images]`` when a pin the bases use changed.

    Raises:
        HarnessError: when git cannot compare.
    """
    folders = image_inputs(repo, chart)
    diff = _git(repo, "diff", "--name-only", "--no-renames", commit, "--", *folders)
    new = _git(repo, "ls-files", "--others", "--exclude-standard", "--", *folders)
    if diff.returncode != 0 or new.returncode != 0:
        raise HarnessError(f"git cannot compare {chart}'s image with {commit}: "
                           f"{diff.stderr.strip()} {new.stderr.strip()}")
    files = {p for p in (diff.stdout + new.stdout).splitlines() if p and not _ignored_in_image(p)}
    pins = repo / PINS_FILE
    if _image_pins(_show(repo, commit, PINS_FILE)) != _image_pins(pins.read_text() if pins.is_file() else None):
        files.add(f"{PINS_FILE} [images]")
    return sorted(files)


def _ignored_in_image(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return path.endswith(".pyc") or any(part in IGNORED_NAMES for part in parts)


def check_app_version(repo: Path, chart: str) -> VersionCheck:
    """Check a job chart's appVersion (its image's release tag) against what its image is built from.

    Raises:
        HarnessError: when git fails, the history is too shallow, or the base-image annotation is unknown.
    """
    return _check_field(repo, chart, "appVersion", lambda since: image_changed_since(repo, since, chart),
                        " (its image's release tag) and `version:` (Chart.yaml changes with it)")


def published_charts(repo: Path = REPO_ROOT) -> list[str]:
    """The charts `make package` builds: the library and every job chart (repository-relative)."""
    jobs = sorted(p.parent.relative_to(repo).as_posix() for p in (repo / "charts" / "jobs").glob("*/Chart.yaml"))
    return ["charts/cronjob-common", *jobs]


def check_versions(repo: Path = REPO_ROOT) -> list[VersionCheck]:
    """Check every published chart of ``repo``.

    Args:
        repo: the git work tree.

    Returns:
        One outcome per chart, the library first, then one per job chart's appVersion.

    Raises:
        HarnessError: when ``repo`` is not a git work tree or its history is too shallow.
    """
    if _git(repo, "rev-parse", "--is-inside-work-tree").returncode != 0:
        raise HarnessError(f"{repo} is not a git work tree; the version check compares against git history")
    charts = [chart for chart in published_charts(repo) if (repo / chart / "Chart.yaml").is_file()]
    return [*(check_chart(repo, chart) for chart in charts),
            *(check_app_version(repo, chart) for chart in charts if chart.startswith("charts/jobs/"))]
