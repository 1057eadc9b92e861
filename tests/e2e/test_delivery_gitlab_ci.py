""".gitlab-ci.yml with gitlab-ci-local (npm), shell executor: the file is valid against GitLab's schema, its jobs
and stages are the intended pipeline, and the lint and unit jobs pass when run as GitLab would run them, on a
fresh clone of the committed repository (like CI), each job in its own isolated copy. The e2e job's script runs
the same way with DOCKER_HOST pointing at a stand-in for its Docker-in-Docker service (a dockerd on
tcp://127.0.0.1, tests/e2e/dind_standin.py: the shell executor starts no service container, and no image can be
pulled here) and PYTEST_ARGS narrowed to one kind test.

The runs take minutes (a new venv per job, every chart rendered, the unit suite; kind create); their wall times
are printed as FIGURE lines (`-s` shows them).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from harness.cluster import docker_engine, kind_node
from harness.delivery.gitlab_ci import gitlab_ci_local, machine_cache_variables
from harness.paths import REPO_ROOT
from tests.e2e.dind_standin import standin_daemon

pytestmark = pytest.mark.e2e

RUN_TIMEOUT = 40 * 60


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("gitlab-ci") / "repo"
    subprocess.run(["git", "clone", "-q", str(REPO_ROOT), str(target)], check=True)
    return target


def _gcl(clone: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(gitlab_ci_local()), "--no-color", *args], cwd=clone, capture_output=True, text=True,
                          check=False, timeout=timeout)


def test_pipeline_file_is_valid_and_has_the_intended_jobs(clone: Path) -> None:
    validated = _gcl(clone, "--list", "--json-schema-validation")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "json schema validated" in validated.stderr
    listed = _gcl(clone, "--list-json")
    assert listed.returncode == 0, listed.stderr
    jobs = {j["name"]: (j["stage"], tuple(n["job"] for n in j.get("needs") or [])) for j in json.loads(listed.stdout)}
    assert jobs == {
        "lint": ("lint", ()),
        "diff": ("lint", ()),
        "unit": ("unit", ("lint",)),
        "e2e": ("e2e", ("unit",)),
        "check-versions": ("package", ("unit",)),
        "package": ("package", ("unit",)),
        "publish": ("package", ("package", "check-versions", "e2e")),
        "deploy-dev": ("deploy", ("publish",)),
        "deploy-preprod": ("deploy", ("deploy-dev",)),
        "deploy-prod": ("deploy", ("deploy-preprod",)),
    }


def test_schema_validation_rejects_an_unknown_job_keyword(clone: Path, tmp_path: Path) -> None:
    """The check above has teeth: a misspelt keyword fails GitLab's schema."""
    broken = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(clone), str(broken)], check=True)
    text = (broken / ".gitlab-ci.yml").read_text()
    misspelt = text.replace("  stage: lint\n", "  stage: lint\n  scriptt: [make lint]\n", 1)
    (broken / ".gitlab-ci.yml").write_text(misspelt)
    done = _gcl(broken, "--list", "--json-schema-validation")
    assert done.returncode == 1
    assert "scriptt" in done.stdout + done.stderr


def test_expanded_pipeline_runs_make_targets_and_syncs_each_environment(clone: Path) -> None:
    preview = _gcl(clone, "--preview")
    assert preview.returncode == 0, preview.stderr
    expanded = yaml.safe_load(preview.stdout)
    assert expanded["stages"] == [".pre", "lint", "unit", "e2e", "package", "deploy", ".post"]
    assert expanded["lint"]["script"] == ["make lint"]
    assert expanded["e2e"]["variables"]["HARNESS_CLUSTER"] == "kind"
    assert expanded["check-versions"]["variables"]["GIT_DEPTH"] == "0"
    assert expanded["diff"]["variables"]["GIT_DEPTH"] == "0"
    assert expanded["diff"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    for env in ("dev", "preprod", "prod"):
        job = expanded[f"deploy-{env}"]
        assert job["variables"]["DEPLOY_ENV"] == env
        assert any("argocd app sync" in line and "cronharness.io/environment=$DEPLOY_ENV" in line
                   for line in job["script"])


def _run_jobs(clone: Path, jobs: list[str], variables: dict[str, str], *options: str) -> str:
    """Run ``jobs`` with the shell executor, each in an isolated copy; their output once all passed."""
    arguments = [arg for name, value in variables.items() for arg in ("--variable", f"{name}={value}")]
    started = time.monotonic()
    done = _gcl(clone, *jobs, "--force-shell-executor", "--shell-isolation", "--timestamps", *arguments, *options,
                timeout=RUN_TIMEOUT)
    print(f"FIGURE gitlab-ci-local {' + '.join(jobs)} (fresh clone, shell executor) {time.monotonic() - started:.0f}s")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    # summary lines such as " PASS  [4.28 min] lint" (the duration is there with --timestamps)
    assert {m.group(2) for m in re.finditer(r"^ (PASS|FAIL) +(?:\[[^]]*\] +)?(\S+)", output, re.M)
            if m.group(1) == "PASS"} == set(jobs), output[-3000:]
    return output


# make lint and make unit on another runner: `make test` runs them itself.
@pytest.mark.matrix
def test_lint_and_unit_jobs_pass_with_the_shell_executor(clone: Path) -> None:
    _run_jobs(clone, ["lint", "unit"], machine_cache_variables())


# The same kind-on-DOCKER_HOST path as tests/e2e/test_cluster_kind_docker_host.py, through gitlab-ci-local.
@pytest.mark.matrix
@pytest.mark.skipif(docker_engine.docker_unavailable() is not None,
                    reason=f"Docker cannot run here: {docker_engine.docker_unavailable()}")
def test_e2e_job_runs_kind_on_a_dind_stand_in(clone: Path, tmp_path: Path) -> None:
    # gitlab-ci-local starts a job's services as containers even with the shell executor (it would pull
    # docker:27-dind), so the job runs from a copy of the pipeline file without its `services`; the stand-in
    # daemon plays the service. Everything else (variables, before_script, script) is the committed file's.
    committed = (clone / ".gitlab-ci.yml").read_text()
    service = "  services:\n    - name: docker:27-dind\n      alias: docker\n"
    assert committed.count(service) == 1
    (clone / ".gitlab-ci-no-services.yml").write_text(committed.replace(service, ""))
    with standin_daemon() as daemon:
        output = _run_jobs(clone, ["e2e"], {
            **machine_cache_variables(),
            # Pipeline variables override the job's own (tcp://docker:2375, the DinD service's alias).
            "DOCKER_HOST": daemon.host,
            "PYTEST_ARGS": "-k 'test_cluster_kind and test_node_is_ready_and_runs_a_pod'",
            # The job's kubeconfig and kind config stay apart from a test of the same cluster name on this
            # machine's own dockerd (as on a runner, where the job has a state of its own).
            "HARNESS_STATE_DIR": str(tmp_path / "state"),
        }, "--file", ".gitlab-ci-no-services.yml")
        # The job used the stand-in: the node image was loaded there, and the test's `down` left no container.
        with pytest.MonkeyPatch.context() as env:
            env.setenv("DOCKER_HOST", daemon.host)
            assert docker_engine.docker("images", "--format", "{{.Repository}}").split() == [kind_node.REPOSITORY]
            assert docker_engine.docker("ps", "--all", "--quiet") == ""
    # pytest's closing line inside the job, e.g. "[19:31:37 3.82 min] e2e > ==== 1 passed, 248 deselected in 78.07s"
    assert re.search(r"^(?:\[[^]]*\] +)?e2e > =+ 1 passed, \d+ deselected in ", output, re.M), output[-3000:]
