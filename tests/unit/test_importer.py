"""harness.importer's own logic without helm: image references, crontab lines, notes, env layering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.errors import HarnessError
from harness.importer.compare import compare, leaves
from harness.importer.crontab import crontab_manifest
from harness.importer.manifest import escape_templates, import_manifest, split_image
from harness.importer.notes import Kind, Note


@pytest.mark.parametrize(("image", "expected"), [
    ("registry.cern.ch/cmsmonitoring/rucio-daily:test",
     {"registry": "registry.cern.ch", "repository": "cmsmonitoring/rucio-daily", "tag": "test"}),
    ("veknet/cms-htcondor-es",
     {"registry": "", "repository": "veknet/cms-htcondor-es", "tag": "", "allowLatest": True}),
    ("localhost:5000/job:latest", {"registry": "localhost:5000", "repository": "job", "tag": "latest",
                                   "allowLatest": True}),
    ("r.io/a/b@sha256:" + "0" * 64,
     {"registry": "r.io", "repository": "a/b", "tag": "", "digest": "sha256:" + "0" * 64}),
])
def test_split_image(image: str, expected: dict[str, Any]) -> None:
    assert split_image(image) == expected


def test_templates_in_rendered_strings_stay_literal() -> None:
    assert escape_templates(["echo {{ x }}", 3]) == ['echo {{ "{{" }} x }}', 3]


def test_note_covers_the_field_and_what_is_inside() -> None:
    note = Note("a.b[c]", Kind.DROPPED, "")
    assert note.covers("a.b[c]") and note.covers("a.b[c].d") and not note.covers("a.b[cd]")
    assert Note("m.annotations.checkov.io/skip*", Kind.CHANGED, "").covers("m.annotations.checkov.io/skip3")


def test_leaves_match_named_list_items_by_name() -> None:
    spec = {"containers": [{"name": "x", "env": [{"name": "A", "value": "1"}], "args": ["a", "b"]}]}
    assert dict(leaves(spec)) == {"containers[x].name": "x", "containers[x].env[A].name": "A",
                                  "containers[x].env[A].value": "1", "containers[x].args": ["a", "b"]}


def test_a_difference_without_a_note_is_unexplained() -> None:
    result = compare({"spec": {"schedule": "1 * * * *"}}, {"spec": {"schedule": "2 * * * *"}}, [])
    assert [f.path for f in result.unexplained()] == ["spec.schedule"]


def _cronjob(env: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "demo"},
            "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "Never", "containers": [{"name": "demo", "image": "r.io/demo:1", "env": env}]}}}}}}


def test_variables_an_environment_also_sets_move_to_the_env_map_and_are_reasserted() -> None:
    env = [{"name": "A", "value": "1"}, {"name": "LOG_LEVEL", "value": "INFO"}, {"name": "K8S_ENV", "value": "prod"}]
    imported = import_manifest([_cronjob(env)], env_overrides={"dev": {"LOG_LEVEL"}, "prod": {"LOG_LEVEL"}})
    assert [v["name"] for v in imported.values["extraEnvVars"]] == ["A", "K8S_ENV"]
    assert imported.values["env"] == {"LOG_LEVEL": {"value": "INFO"}}
    assert imported.env_values == {"prod": {"env": {"LOG_LEVEL": {"value": "INFO"}}}}


def test_one_cronjob_per_manifest() -> None:
    with pytest.raises(HarnessError, match="has 2 CronJobs"):
        import_manifest([_cronjob([]), _cronjob([])])


def test_crontab_line_runs_its_script(tmp_path: Path) -> None:
    script = tmp_path / "job.sh"
    script.write_text("echo\n")
    config_map, cronjob = crontab_manifest("@daily /opt/job.sh -v", script, "demo", "r.io/demo:1", "Europe/Zurich")
    container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert (cronjob["spec"]["schedule"], cronjob["spec"]["timeZone"]) == ("@daily", "Europe/Zurich")
    assert (container["command"], container["args"]) == (["/bin/bash", "/opt/cronjob/job.sh"], ["-v"])
    assert config_map["data"] == {"job.sh": "echo\n"}
    with pytest.raises(HarnessError, match=r"does not run job\.sh"):
        crontab_manifest("5 4 * * * /opt/other.sh", script, "demo", "r.io/demo:1")
    with pytest.raises(HarnessError, match="need a schedule"):
        crontab_manifest("5 4 * *", script, "demo", "r.io/demo:1")
