"""`harness diff` on a temporary git repository holding a copy of the ApplicationSet, the library, two job charts
and a small values tree: one commit per kind of change (a value changed, a values file added, one removed, the
ApplicationSet changed, an invalid value), each range rendered with the real helm and compared object by object."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.charts.discover import environments
from harness.delivery.diff import (
    ApplicationChange,
    DiffResult,
    ObjectChange,
    diff_revisions,
    format_markdown,
    format_text,
    parse_range,
)
from harness.errors import HarnessError
from harness.paths import REPO_ROOT

pytestmark = pytest.mark.helm

# The kinds every job Application renders with the values below (charts/cronjob-common): Application first.
JOB_OBJECTS = ("batch/v1 CronJob", "monitoring.coreos.com/v1 PrometheusRule", "v1 ConfigMap", "v1 ServiceAccount")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          check=True, capture_output=True, text=True).stdout.strip()


def _commit(repo: Path, tag: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", tag)
    _git(repo, "tag", tag)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """History: base -> changed (a dev value) -> added (prod wma-agent-count) -> removed (dev wma-agent-count)
    -> appset (a sync option) -> invalid (a misspelt key in dev cpueff)."""
    repo = tmp_path_factory.mktemp("diff") / "repo"
    ignore = shutil.ignore_patterns("app", "tests", "README.md", "charts", "test-chart", "Chart.lock")
    for tree in ("deploy/argocd", "charts/cronjob-common", "charts/jobs/cpueff", "charts/jobs/wma-agent-count"):
        shutil.copytree(REPO_ROOT / tree, repo / tree, ignore=ignore)
    for values in ("dev/_env.yaml", "dev/cpueff.yaml", "dev/wma-agent-count.yaml", "prod/_env.yaml",
                   "prod/cpueff.yaml"):
        (repo / "values" / values).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO_ROOT / "values" / values, repo / "values" / values)
    shutil.copyfile(REPO_ROOT / ".gitignore", repo / ".gitignore")
    _git(repo, "init", "-q", "--initial-branch=main")
    _commit(repo, "base")
    cpueff = repo / "values/dev/cpueff.yaml"
    cpueff.write_text(cpueff.read_text().replace("MONGO_DB: cpueff_dev", "MONGO_DB: cpueff_review"))
    _commit(repo, "changed")
    shutil.copyfile(REPO_ROOT / "values/prod/wma-agent-count.yaml", repo / "values/prod/wma-agent-count.yaml")
    _commit(repo, "added")
    (repo / "values/dev/wma-agent-count.yaml").unlink()
    _commit(repo, "removed")
    appset = repo / "deploy/argocd/applicationset.yaml"
    appset.write_text(appset.read_text().replace("          - PruneLast=true\n", ""))
    _commit(repo, "appset")
    cpueff.write_text(cpueff.read_text() + "cronjob:\n  schedul: '0 6 * * *'\n")
    _commit(repo, "invalid")
    return repo


def _changes(result: DiffResult) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    return {a.name: (a.change, [(o.change, o.title) for o in a.objects]) for a in result.applications}


def _job_objects(env: str, job: str) -> list[str]:
    return sorted([f"argoproj.io/v1alpha1 Application argocd/{env}-{job}"]
                  + [f"{kind} cmsmon-{env}/{job}" for kind in JOB_OBJECTS if kind != "v1 ConfigMap"]
                  + [f"v1 ConfigMap cmsmon-{env}/{job}-dashboard"])


def _changed_lines(change: ObjectChange) -> list[str]:
    """The diff's - and + lines without their indentation (the YAML nesting is not what the test is about)."""
    return [line[0] + line[1:].strip() for line in change.diff
            if line[:1] in "-+" and not line.startswith(("---", "+++"))]


def test_a_changed_value_modifies_only_the_object_that_uses_it(repo: Path) -> None:
    result = diff_revisions(repo, "base..changed")
    assert _changes(result) == {"dev-cpueff": ("modified", [("modified", "batch/v1 CronJob cmsmon-dev/cpueff")])}
    (cronjob,) = result.applications[0].objects
    assert cronjob.diff[:2] == (f"--- {result.base_commit[:12]}", f"+++ {result.head_commit[:12]}")
    assert _changed_lines(cronjob) == ["-value: cpueff_dev", "+value: cpueff_review"]
    assert result.summary() == "1 application changed: dev-cpueff (1 modified)"


def test_a_new_values_file_adds_its_application_with_all_its_objects(repo: Path) -> None:
    result = diff_revisions(repo, "changed..added")
    assert _changes(result) == {
        "prod-wma-agent-count": ("added", [("added", title) for title in _job_objects("prod", "wma-agent-count")]),
    }
    assert result.summary() == "1 application changed: prod-wma-agent-count (added, 5 objects)"


def test_a_removed_values_file_removes_its_application_with_all_its_objects(repo: Path) -> None:
    result = diff_revisions(repo, "added..removed")
    assert _changes(result) == {
        "dev-wma-agent-count": ("removed", [("removed", title) for title in _job_objects("dev", "wma-agent-count")]),
    }


def test_an_applicationset_change_modifies_every_application_object(repo: Path) -> None:
    result = diff_revisions(repo, "removed..appset")
    assert _changes(result) == {
        name: ("modified", [("modified", f"argoproj.io/v1alpha1 Application argocd/{name}")])
        for name in ("dev-cpueff", "prod-cpueff", "prod-wma-agent-count")
    }
    assert all(_changed_lines(a.objects[0]) == ["-- PruneLast=true"] for a in result.applications)


def test_env_selects_the_applications_of_one_environment_over_a_longer_range(repo: Path) -> None:
    result = diff_revisions(repo, "base..removed", ["dev"])
    assert _changes(result) == {
        "dev-cpueff": ("modified", [("modified", "batch/v1 CronJob cmsmon-dev/cpueff")]),
        "dev-wma-agent-count": ("removed", [("removed", title) for title in _job_objects("dev", "wma-agent-count")]),
    }
    assert result.environments == ("dev",)


def test_no_change_is_said_in_one_line(repo: Path) -> None:
    result = diff_revisions(repo, "changed..added", ["dev"])
    assert result.applications == ()
    commits = f"{result.base_commit[:12]}..{result.head_commit[:12]}"
    assert format_text(result) == f"no change to the rendered objects of dev (changed..added, {commits})\n"


def test_an_invalid_value_is_one_line_naming_the_application_and_its_values_files(repo: Path) -> None:
    with pytest.raises(HarnessError) as raised:
        diff_revisions(repo, "appset..invalid")
    message = str(raised.value)
    assert message.startswith("Application dev-cpueff at invalid: helm template charts/jobs/cpueff with values "
                              "values/dev/_env.yaml, values/dev/cpueff.yaml failed: ")
    assert message.endswith("failed: values don't meet the specifications of the schema(s) in the following "
                            "chart(s): cpueff: - at '/cronjob': additional properties 'schedul' not allowed")
    assert "\n" not in message
    assert "harness-diff-" not in message  # the temporary work tree's path is not shown


def test_temporary_work_trees_are_removed(repo: Path) -> None:
    diff_revisions(repo, "base..changed", ["prod"])
    with pytest.raises(HarnessError):
        diff_revisions(repo, "appset..invalid")
    assert _git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_bad_revisions_ranges_and_environments_are_refused(repo: Path) -> None:
    with pytest.raises(HarnessError, match="bad revision 'nope': no such commit"):
        diff_revisions(repo, "nope..HEAD")
    with pytest.raises(HarnessError, match=r"'base' is not a range: give <base>\.\.<head>"):
        diff_revisions(repo, "base")
    with pytest.raises(HarnessError, match=r"no Application of environment staging at base or changed "
                                           r"\(environments there: dev, prod\)"):
        diff_revisions(repo, "base..changed", ["dev", "staging"])


def test_range_syntax_follows_git() -> None:
    assert parse_range("HEAD~3..HEAD") == ("HEAD~3", "HEAD", False)
    assert parse_range("v1.2..v1.3") == ("v1.2", "v1.3", False)
    assert parse_range("main...feature") == ("main", "feature", True)
    assert parse_range("main..") == ("main", "HEAD", False)
    with pytest.raises(HarnessError, match="not a range"):
        parse_range("a..b..c")


def test_three_dots_diff_from_the_merge_base(repo: Path) -> None:
    _git(repo, "branch", "side", "changed")
    result = diff_revisions(repo, "side...added")
    assert result.base_commit == _git(repo, "rev-parse", "changed")
    assert [a.name for a in result.applications] == ["prod-wma-agent-count"]


def _hand_made_result() -> DiffResult:
    """A result built by hand (not rendered) to pin the output formats."""
    cronjob = ObjectChange("modified", ("batch/v1", "CronJob", "cmsmon-dev", "cpueff"),
                           ("--- aaaa", "+++ bbbb", "@@ -1 +1 @@", "-schedule: 1", "+schedule: ```2"))
    added = ObjectChange("added", ("v1", "ConfigMap", "cmsmon-dev", "cpueff-dashboard"))
    return DiffResult("main", "HEAD", "a" * 40, "b" * 40, ("dev",), (
        ApplicationChange("dev-cpueff", "modified", (cronjob, added)),
        ApplicationChange("dev-new", "added", (ObjectChange("added", ("v1", "Namespace", "", "x")),)),
    ))


def test_text_output_lists_objects_and_indents_the_diffs() -> None:
    assert format_text(_hand_made_result()).splitlines() == [
        "Application dev-cpueff (1 modified, 1 added)",
        "  ~ batch/v1 CronJob cmsmon-dev/cpueff",
        "      --- aaaa",
        "      +++ bbbb",
        "      @@ -1 +1 @@",
        "      -schedule: 1",
        "      +schedule: ```2",
        "  + v1 ConfigMap cmsmon-dev/cpueff-dashboard",
        "",
        "Application dev-new (added, 1 object)",
        "  + v1 Namespace x",
        "",
        "2 applications changed: dev-cpueff (1 modified, 1 added), dev-new (added, 1 object)",
    ]


def test_markdown_output_fences_each_diff_longer_than_any_backticks_inside() -> None:
    assert format_markdown(_hand_made_result()).splitlines() == [
        "### harness diff: dev, `aaaaaaaaaaaa..bbbbbbbbbbbb`",
        "",
        "2 applications changed: dev-cpueff (1 modified, 1 added), dev-new (added, 1 object)",
        "",
        "#### dev-cpueff (1 modified, 1 added)",
        "",
        "- modified `batch/v1 CronJob cmsmon-dev/cpueff`",
        "- added `v1 ConfigMap cmsmon-dev/cpueff-dashboard`",
        "",
        "`batch/v1 CronJob cmsmon-dev/cpueff`",
        "",
        "````diff",
        "--- aaaa",
        "+++ bbbb",
        "@@ -1 +1 @@",
        "-schedule: 1",
        "+schedule: ```2",
        "````",
        "",
        "#### dev-new (added, 1 object)",
        "",
        "- added `v1 Namespace x`",
    ]


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          check=False)


def test_cli_prints_the_diff_on_stdout_and_exits_0(repo: Path) -> None:
    done = _harness("diff", "--repo", str(repo), "--env", "dev", "--output", "markdown", "base..changed")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("### harness diff: dev, `")
    assert "1 application changed: dev-cpueff (1 modified)" in done.stdout
    assert "```diff\n" in done.stdout


def test_cli_render_error_exits_1_with_one_line(repo: Path) -> None:
    done = _harness("diff", "--repo", str(repo), "appset..invalid")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("error: Application dev-cpueff at invalid: helm template charts/jobs/cpueff")
    assert done.stderr.count("\n") == 1  # not wrapped at the console's width


def test_merge_request_job_diffs_every_environment_and_posts_a_note() -> None:
    """The pipeline's `diff` job (the e2e test with gitlab-ci-local checks the file against GitLab's schema)."""
    job = yaml.safe_load((REPO_ROOT / ".gitlab-ci.yml").read_text())["diff"]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    (command,) = [line for line in job["script"] if line.startswith("make --no-print-directory diff ")]
    assert f'ENV="{" ".join(environments())}"' in command
    assert 'RANGE="$CI_MERGE_REQUEST_DIFF_BASE_SHA..$CI_COMMIT_SHA"' in command
    assert command.endswith('DIFF_ARGS="--output markdown" > reports/diff.md')
    (post,) = [line for line in job["script"] if "curl" in line]
    assert '--header "PRIVATE-TOKEN: $MR_NOTE_TOKEN"' in post
    assert '"$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes"' in post
