"""The version-bump check on a temporary git repository: content changed since the version was set fails, and
so does a change of what a job's image is built from since its appVersion was set."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.delivery.versions import (
    check_app_version,
    check_chart,
    check_versions,
    packaged,
    semver_key,
    version_commit,
)
from harness.errors import HarnessError

CHART = "charts/jobs/demo"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          check=True, capture_output=True, text=True).stdout.strip()


def _write(repo: Path, relative: str, text: str) -> None:
    path = repo / CHART / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _set_version(repo: Path, version: str, description: str = "demo", app_version: str = "1.0.0") -> None:
    _write(repo, "Chart.yaml", f"apiVersion: v2\nname: demo\ndescription: {description}\nversion: {version}\n"
                               f"appVersion: \"{app_version}\"\n")


def _write_repo_file(repo: Path, relative: str, text: str) -> None:
    path = repo / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


PINS = '[go]\nhelm3 = "v3.22.0"\n\n[images]\ndebian_suite = "bookworm"\npython = "3.11"\n'


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
    # What a python-based job image is built from besides its app/ (harness/images/base.py STAGES).
    _write_repo_file(tmp_path, "jobkit/run.py", "# v1\n")
    _write_repo_file(tmp_path, "images/python/Dockerfile", "FROM scratch\n")
    _write_repo_file(tmp_path, "images/jobkit/Dockerfile", "FROM scratch\n")
    _write_repo_file(tmp_path, "images/spark/Dockerfile", "FROM scratch\n")
    _write_repo_file(tmp_path, "tools/versions.toml", PINS)
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
    (new / "Chart.yaml").write_text("apiVersion: v2\nname: fresh\nversion: 0.1.0\nappVersion: \"0.1.0\"\n")
    (new / "values.yaml").write_text("{}\n")
    results = {(r.chart, r.key): r for r in check_versions(repo)}
    # the library is absent in this repository; each job chart is checked for its version and its appVersion
    assert set(results) == {(chart, key) for chart in (CHART, "charts/jobs/fresh") for key in ("version", "appVersion")}
    assert [r.problem for r in results.values()] == ["", "", "", ""]


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


# --- appVersion: the job image's release tag ---------------------------------------------------------------


def test_unchanged_image_inputs_pass(repo: Path) -> None:
    result = check_app_version(repo, CHART)
    assert (result.key, result.version, result.problem, result.changed) == ("appVersion", "1.0.0", "", ())


def test_app_change_without_app_version_bump_fails_naming_file_and_commit(repo: Path) -> None:
    set_at = _git(repo, "rev-parse", "HEAD")
    _write(repo, "app/main.py", "print('v2')\n")
    result = check_app_version(repo, CHART)
    assert result.changed == (f"{CHART}/app/main.py",)
    assert result.problem == (
        f"{CHART}: {CHART}/app/main.py changed since appVersion 1.0.0 was set in commit {set_at[:12]}; "
        f"bump `appVersion:` in {CHART}/Chart.yaml (its image's release tag) and `version:` (Chart.yaml changes "
        "with it)")


def test_shared_image_inputs_of_the_base_count(repo: Path) -> None:
    _write_repo_file(repo, "jobkit/run.py", "# v2\n")
    _write_repo_file(repo, "images/python/Dockerfile", "FROM scratch\nENV X=1\n")
    _write_repo_file(repo, "images/spark/Dockerfile", "FROM scratch\nENV X=1\n")  # not a python job's stage
    _write_repo_file(repo, "jobkit/__pycache__/run.cpython-311.pyc", "bytes")  # never copied into an image
    _commit(repo, "shared changes")
    assert check_app_version(repo, CHART).changed == ("images/python/Dockerfile", "jobkit/run.py")


def test_spark_jobs_count_the_spark_stage(repo: Path) -> None:
    chart_yaml = (repo / CHART / "Chart.yaml").read_text()
    _write(repo, "Chart.yaml", chart_yaml + "annotations:\n  cronharness.io/base-image: spark\n")
    annotated = _commit(repo, "spark base")
    _write_repo_file(repo, "images/spark/Dockerfile", "FROM scratch\nENV X=2\n")
    result = check_app_version(repo, CHART)
    assert result.since != annotated  # the annotation commit left appVersion as it was
    assert result.changed == ("images/spark/Dockerfile",)


def test_only_the_image_pins_of_versions_toml_count(repo: Path) -> None:
    _write_repo_file(repo, "tools/versions.toml", PINS.replace("v3.22.0", "v3.23.0"))
    assert check_app_version(repo, CHART).changed == ()
    _write_repo_file(repo, "tools/versions.toml", PINS.replace('python = "3.11"', 'python = "3.12"'))
    assert check_app_version(repo, CHART).changed == ("tools/versions.toml [images]",)


def test_app_version_bump_with_chart_version_bump_passes_both(repo: Path) -> None:
    _write(repo, "app/main.py", "print('v2')\n")
    _set_version(repo, "0.1.1", app_version="1.1.0")
    assert (check_chart(repo, CHART).problem, check_app_version(repo, CHART).problem) == ("", "")
    bumped = _commit(repo, "demo 0.1.1, image 1.1.0")
    assert version_commit(repo, CHART, "appVersion") == bumped
    assert check_app_version(repo, CHART).problem == ""


def test_app_version_bump_alone_fails_the_chart_version(repo: Path) -> None:
    _write(repo, "app/main.py", "print('v2')\n")
    _set_version(repo, "0.1.0", app_version="1.1.0")
    _commit(repo, "image 1.1.0 without a chart version")
    assert check_app_version(repo, CHART).problem == ""
    assert check_chart(repo, CHART).changed == ("Chart.yaml",)


def test_missing_app_version_or_unknown_base_is_named(repo: Path) -> None:
    _write(repo, "Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    assert check_app_version(repo, CHART).problem == f"{CHART}/Chart.yaml has no appVersion"
    _write(repo, "Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\nappVersion: \"1.0.0\"\n"
                               "annotations:\n  cronharness.io/base-image: ruby\n")
    with pytest.raises(HarnessError, match="base-image: 'ruby' is not a base image; use one of python, spark"):
        check_app_version(repo, CHART)
