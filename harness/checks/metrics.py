"""What a job pushed to the Pushgateway."""

from __future__ import annotations

import json
import urllib.request

from harness.services.base import HttpEndpoint


def pushed(pushgateway: HttpEndpoint, job_label: str) -> dict[str, float]:
    """The samples the Pushgateway holds for the group ``job=job_label``: ``{metric name: value}``.

    ``push_time_seconds`` is included: compare it with the test's start to tell this run's push from an
    earlier one. An absent group gives ``{}``.
    """
    with urllib.request.urlopen(f"{pushgateway.url}/api/v1/metrics", timeout=10) as reply:
        groups = json.load(reply)["data"]
    values: dict[str, float] = {}
    for group in groups:
        if group["labels"].get("job") == job_label:
            for name, family in group.items():
                if isinstance(family, dict) and family.get("metrics"):
                    values[name] = float(family["metrics"][0]["value"])
    return values
