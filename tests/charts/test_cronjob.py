"""CronJob and Job fields of the library: defaults, overrides, and user 0/false kept."""

from __future__ import annotations

from tests.charts.conftest import Render


def test_defaults_are_safe(render: Render) -> None:
    spec = render()["CronJob"]["spec"]
    assert spec["schedule"] == "07 08 * * *"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] == 300
    assert spec["successfulJobsHistoryLimit"] == 3
    assert spec["failedJobsHistoryLimit"] == 1
    assert spec["suspend"] is False
    assert "timeZone" not in spec
    job = spec["jobTemplate"]["spec"]
    assert (job["backoffLimit"], job["parallelism"], job["completions"]) == (0, 1, 1)
    assert "activeDeadlineSeconds" not in job and "ttlSecondsAfterFinished" not in job


def test_schedule_macros_and_time_zone(render: Render) -> None:
    spec = render({"cronjob": {"schedule": "@hourly", "timeZone": "Europe/Zurich"}})["CronJob"]["spec"]
    assert (spec["schedule"], spec["timeZone"]) == ("@hourly", "Europe/Zurich")


def test_schedule_names_and_steps(render: Render) -> None:
    schedule = "*/15 8-18/2 1,15 JAN-JUN mon-fri"
    assert render({"cronjob": {"schedule": schedule}})["CronJob"]["spec"]["schedule"] == schedule


def test_user_zero_and_false_are_kept(render: Render) -> None:
    spec = render({
        "cronjob": {"suspend": True, "successfulJobsHistoryLimit": 0, "failedJobsHistoryLimit": 0,
                    "startingDeadlineSeconds": None},
        "job": {"backoffLimit": 0, "ttlSecondsAfterFinished": 0},
    })["CronJob"]["spec"]
    assert spec["suspend"] is True
    assert spec["successfulJobsHistoryLimit"] == 0 and spec["failedJobsHistoryLimit"] == 0
    assert spec["jobTemplate"]["spec"]["ttlSecondsAfterFinished"] == 0


def test_job_limits_and_pod_failure_policy(render: Render) -> None:
    policy = {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}
    job = render({"job": {"backoffLimit": 2, "activeDeadlineSeconds": 3600, "ttlSecondsAfterFinished": 600,
                          "parallelism": 2, "completions": 4, "podFailurePolicy": policy}}
                 )["CronJob"]["spec"]["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 2 and job["activeDeadlineSeconds"] == 3600
    assert job["ttlSecondsAfterFinished"] == 600 and (job["parallelism"], job["completions"]) == (2, 4)
    assert job["podFailurePolicy"] == policy


def test_concurrency_policy_allow(render: Render) -> None:
    assert render({"cronjob": {"concurrencyPolicy": "Allow"}})["CronJob"]["spec"]["concurrencyPolicy"] == "Allow"


def test_names_are_cut_for_job_suffix(render: Render) -> None:
    # release (50) + "-test-chart" is 61 characters; the CronJob name must leave room for "-<11 digits>".
    objects = render(release="r" * 50)
    assert objects["CronJob"]["metadata"]["name"] == "r" * 50 + "-t"


def test_labels_standard_common_and_per_object(render: Render) -> None:
    objects = render({"commonLabels": {"team": "cms", "release-ref": "{{ .Release.Name }}"},
                      "global": {"labels": {"site": "cern"}},
                      "cronjob": {"labels": {"team": "override"}, "annotations": {"note": "x"}}})
    labels = objects["CronJob"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "test-chart"
    assert labels["app.kubernetes.io/instance"] == "t"
    assert labels["app.kubernetes.io/managed-by"] == "Helm"
    assert labels["release-ref"] == "t" and labels["site"] == "cern"
    assert labels["team"] == "override"
    assert objects["ServiceAccount"]["metadata"]["labels"]["team"] == "cms"
    assert objects["CronJob"]["metadata"]["annotations"] == {"note": "x"}


def test_helm3_and_helm4_render_the_same(render: Render) -> None:
    values = {"cronjob": {"timeZone": "UTC"}, "env": {"A": "1"}}
    assert render(values, helm_major=3) == render(values, helm_major=4)
