"""The version-bump check on a temporary git repository: content changed since the version was set fails."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.delivery.versions import check_chart, check_versions, packaged, semver_key, version_commit
from harness.errors import HarnessError

CHART = "charts/jobs/demo"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          check=True, capture_output=True, text=True).stdout.strip()


def _write(repo: Path, relative: str, text: str) -> None:
    path = repo / CHART / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _set_version(repo: Path, version: str, description: str = "demo") -> None:
    _write(repo, "Chart.yaml", f"apiVersion: v2\nname: demo\ndescription: {description}\nversion: {version}\n")


def _commit(repo: Path, message: str) -> str:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", message)
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("charts/**/charts/*.tgz\n")
    _set_version(tmp_path, "0.1.0")
    _write(tmp_path, "values.yaml", "cronjob: {schedule: '07 08 * * *'}\n")
    _write(tmp_path, "templates/job.yaml", '{{ include "cronjob-common.loader.all" . }}\n')
    _write(tmp_path, ".helmignore", "# not packaged\napp/\ntests/\nREADME.md\n")
    _write(tmp_path, "app/main.py", "print('v1')\n")
    _commit(tmp_path, "demo 0.1.0")
    return tmp_path


def test_unchanged_chart_passes(repo: Path) -> None:
    result = check_chart(repo, CHART)
    assert (result.problem, result.changed, result.since) == ("", (), _git(repo, "rev-parse", "HEAD"))


def test_uncommitted_change_without_bump_fails_naming_file_and_commit(repo: Path) -> None:
    set_at = _git(repo, "rev-parse", "HEAD")
    _write(repo, "values.yaml", "cronjob: {schedule: '08 08 * * *'}\n")
    result = check_chart(repo, CHART)
    assert result.changed == ("values.yaml",)
    assert result.problem == (
        f"{CHART}: values.yaml changed since version 0.1.0 was set in commit {set_at[:12]}; "
        f"bump `version:` in {CHART}/Chart.yaml (and the dependency version of charts using it)")


def test_committed_change_without_bump_fails(repo: Path) -> None:
    _write(repo, "values.yaml", "cronjob: {schedule: '08 08 * * *'}\n")
    _commit(repo, "change schedule")
    _set_version(repo, "0.1.0", description="same version, other words")
    _commit(repo, "reword")
    assert check_chart(repo, CHART).changed == ("Chart.yaml", "values.yaml")


def test_new_untracked_template_without_bump_fails(repo: Path) -> None:
    _write(repo, "templates/extra.yaml", "# extra\n")
    assert check_chart(repo, CHART).changed == ("templates/extra.yaml",)


def test_bump_in_work_tree_then_committed_passes(repo: Path) -> None:
    _write(repo, "values.yaml", "cronjob: {schedule: '08 08 * * *'}\n")
    _set_version(repo, "0.2.0")
    assert check_chart(repo, CHART).problem == ""
    bumped = _commit(repo, "demo 0.2.0")
    result = check_chart(repo, CHART)
    assert (result.problem, result.since, result.version) == ("", bumped, "0.2.0")
    assert version_commit(repo, CHART) == bumped


def test_files_kept_out_of_the_package_need_no_bump(repo: Path) -> None:
    _write(repo, "app/main.py", "print('v2')\n")
    _write(repo, "tests/test_demo.py", "def test_x(): pass\n")
    _write(repo, "README.md", "# demo\n")
    _write(repo, "charts/cronjob-common-0.1.0.tgz", "built dependency (git-ignored)\n")
    _commit(repo, "code and docs")
    assert check_chart(repo, CHART).problem == ""


def test_lower_version_fails(repo: Path) -> None:
    _set_version(repo, "0.0.9")
    assert check_chart(repo, CHART).problem == f"{CHART}/Chart.yaml: version 0.0.9 is lower than 0.1.0"


def test_uncommitted_new_chart_passes(repo: Path) -> None:
    new = repo / "charts/jobs/fresh"
    new.mkdir(parents=True)
    (new / "Chart.yaml").write_text("apiVersion: v2\nname: fresh\nversion: 0.1.0\n")
    (new / "values.yaml").write_text("{}\n")
    results = {r.chart: r for r in check_versions(repo)}
    assert set(results) == {CHART, "charts/jobs/fresh"}  # the library is absent in this repository
    assert results["charts/jobs/fresh"].problem == ""


def test_shallow_clone_that_lacks_the_version_commit_is_an_error(
    repo: Path, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    _write(repo, "values.yaml", "cronjob: {schedule: '09 08 * * *'}\n")
    _commit(repo, "change without bump")
    clone = tmp_path_factory.mktemp("clone") / "repo"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True)
    with pytest.raises(HarnessError, match="not in this shallow clone; fetch the full history"):
        check_chart(clone, CHART)


def test_not_a_git_work_tree(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="is not a git work tree"):
        check_versions(tmp_path)


def test_semver_order_and_helmignore_subset() -> None:
    assert semver_key("1.2.3-rc.1") < semver_key("1.2.3") < semver_key("1.10.0")  # type: ignore[operator]
    assert semver_key("latest") is None
    assert not packaged("app/Dockerfile", ["app/"])
    assert not packaged("docs/README.md", ["README.md"])
    assert not packaged("charts/x.tgz", ["*.tgz"])
    assert packaged("templates/job.yaml", ["app/", "tests/", "README.md"])
