"""A chart whose packaged content changed since its version was last set must get a new version.

For each chart the reference is the commit that last changed the ``version:`` of its Chart.yaml (the
newest commit whose Chart.yaml version differs from its parent's). Every file of the chart that differs
from that commit, in the work tree, counts, committed or not, tracked or new, except what the chart's
.helmignore keeps out of the package (a job's app/ and tests/) and what git ignores (built dependencies).
A version changed in the work tree (not committed yet) counts as a bump when it is higher than HEAD's.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from harness.errors import HarnessError
from harness.paths import REPO_ROOT

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
    """

    chart: str
    version: str
    since: str | None = None
    changed: tuple[str, ...] = field(default=())
    problem: str = ""


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)


def _version(text: str | None) -> str | None:
    if text is None:
        return None
    data = yaml.safe_load(text) or {}
    return str(data["version"]) if "version" in data else None


def _version_at(repo: Path, commit: str, chart_yaml: str) -> str | None:
    done = _git(repo, "show", f"{commit}:{chart_yaml}")
    return _version(done.stdout) if done.returncode == 0 else None


def semver_key(version: str) -> tuple[int, int, int, int, str] | None:
    """Sort key of a SemVer 2 version (a pre-release sorts before its release); None if not SemVer."""
    match = _SEMVER.match(version)
    if not match:
        return None
    major, minor, patch, pre = match.groups()
    return int(major), int(minor), int(patch), 0 if pre else 1, pre or ""


def version_commit(repo: Path, chart: str) -> str | None:
    """The newest commit that changed the version in ``chart``/Chart.yaml (None if never committed).

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
        before = _version_at(repo, parents[0], chart_yaml) if parents else None
        if _version_at(repo, commit, chart_yaml) != before:
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


def check_chart(repo: Path, chart: str) -> VersionCheck:
    """Check one chart.

    Args:
        repo: the git work tree.
        chart: the chart directory relative to ``repo``.

    Returns:
        The outcome; ``problem`` is empty when the chart is fine.

    Raises:
        HarnessError: when git fails or the history is too shallow to decide.
    """
    chart_yaml = f"{chart}/Chart.yaml"
    current = _version((repo / chart_yaml).read_text())
    if current is None:
        return VersionCheck(chart, "", problem=f"{chart_yaml} has no version")
    at_head = _version_at(repo, "HEAD", chart_yaml)
    if at_head is None:
        return VersionCheck(chart, current)  # a new chart: its first version needs no bump
    if current != at_head:
        new_key, old_key = semver_key(current), semver_key(at_head)
        if new_key is not None and old_key is not None and new_key < old_key:
            return VersionCheck(chart, current, problem=f"{chart_yaml}: version {current} is lower than {at_head}")
        return VersionCheck(chart, current)
    since = version_commit(repo, chart)
    if since is None:
        return VersionCheck(chart, current)
    changed = tuple(changed_since(repo, since, chart))
    problem = ""
    if changed:
        problem = (f"{chart}: {', '.join(changed)} changed since version {current} was set in commit {since[:12]}; "
                   f"bump `version:` in {chart_yaml} (and the dependency version of charts using it)")
    return VersionCheck(chart, current, since, changed, problem)


def published_charts(repo: Path = REPO_ROOT) -> list[str]:
    """The charts `make package` builds: the library and every job chart (repository-relative)."""
    jobs = sorted(p.parent.relative_to(repo).as_posix() for p in (repo / "charts" / "jobs").glob("*/Chart.yaml"))
    return ["charts/cronjob-common", *jobs]


def check_versions(repo: Path = REPO_ROOT) -> list[VersionCheck]:
    """Check every published chart of ``repo``.

    Args:
        repo: the git work tree.

    Returns:
        One outcome per chart, the library first.

    Raises:
        HarnessError: when ``repo`` is not a git work tree or its history is too shallow.
    """
    if _git(repo, "rev-parse", "--is-inside-work-tree").returncode != 0:
        raise HarnessError(f"{repo} is not a git work tree; the version check compares against git history")
    return [check_chart(repo, chart) for chart in published_charts(repo) if (repo / chart / "Chart.yaml").is_file()]
