"""A crontab line and its script as a CronJob manifest, so `import_manifest` maps it like any other.

The script goes into a ConfigMap the chart owns, mounted read-only at /opt/cronjob and run with bash; the
command line's arguments after the script are kept. crond ran in the host's local time: the time zone is
the user's to give (--time-zone), else the controller's (UTC), which the README notes.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

SCRIPT_DIR = "/opt/cronjob"
MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def crontab_manifest(line: str, script: Path, name: str, image: str, time_zone: str = "") -> list[dict[str, Any]]:
    """The ConfigMap and CronJob that run ``script`` on the schedule of crontab ``line``.

    Raises:
        HarnessError: a line that is not `<5 fields or @macro> <command>`, or a command that does not run
            the script.
    """
    fields = line.split()
    schedule_fields = 1 if fields and fields[0] in MACROS else 5
    if len(fields) <= schedule_fields:
        raise HarnessError(f"crontab line {line!r}: need a schedule (5 fields or @daily...) and a command")
    schedule = " ".join(fields[:schedule_fields])
    command = shlex.split(line.split(None, schedule_fields)[-1])
    position = next((i for i, word in enumerate(command) if Path(word).name == script.name), None)
    if position is None:
        raise HarnessError(f"crontab line {line!r} does not run {script.name}; pass the script it runs")
    config_map = f"{name}-script"
    cronjob: dict[str, Any] = {
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
        "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never",
            "containers": [{
                "name": name, "image": image,
                "command": ["/bin/bash", f"{SCRIPT_DIR}/{script.name}"],
                "args": command[position + 1:],
                "volumeMounts": [{"name": "script", "mountPath": SCRIPT_DIR, "readOnly": True}],
            }],
            "volumes": [{"name": "script", "configMap": {"name": config_map, "defaultMode": 0o555}}],
        }}}}},
    }
    if time_zone:
        cronjob["spec"]["timeZone"] = time_zone
    return [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": config_map},
             "data": {script.name: script.read_text()}}, cronjob]
