"""A cron job whose behaviour the alerting tests choose by environment variables.

MODE            succeed (exit 0), fail (exit 1, one-line reason on stderr) or fail-once (fail if the file
                failed-once does not exist in STATE_DIR and create it, else succeed: the Job's retry
                succeeds); default succeed
STATE_DIR       a directory shared by the run's pods (a hostPath volume), for MODE=fail-once
SLEEP_SECONDS   seconds to sleep before finishing (a run that takes too long); default 0
PUSH            1: push a sample to the Pushgateway before finishing (the Pushgateway adds
                push_time_seconds, which CronJobPushStale and the dashboard read); a push that fails is
                reported on stderr and the run goes on, as a jobkit job's does
PUSHGATEWAY_URL, PUSHGATEWAY_JOB, PUSHGATEWAY_INSTANCE   set by the chart (metrics.pushgateway)
"""

from __future__ import annotations

import os
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path


def push(status: int) -> None:
    """PUT this run's status under the job's grouping key (replaces the group's earlier samples)."""
    url = os.environ["PUSHGATEWAY_URL"].rstrip("/")
    job = urllib.parse.quote(os.environ["PUSHGATEWAY_JOB"], safe="")
    instance = urllib.parse.quote(os.environ.get("PUSHGATEWAY_INSTANCE", "default"), safe="")
    body = (
        "# TYPE cronjob_last_status gauge\n"
        f"cronjob_last_status {status}\n"
        "# TYPE cronjob_last_end_timestamp_seconds gauge\n"
        f"cronjob_last_end_timestamp_seconds {time.time():.3f}\n"
    ).encode()
    request = urllib.request.Request(f"{url}/metrics/job/{job}/instance/{instance}", data=body, method="PUT")
    with urllib.request.urlopen(request, timeout=10):
        pass


def main() -> int:
    mode = os.environ.get("MODE", "succeed")
    if mode not in ("succeed", "fail", "fail-once"):
        print(f"alerting-app: MODE must be succeed, fail or fail-once, got {mode!r}", file=sys.stderr)
        return 2
    if mode == "fail-once":
        marker = Path(os.environ["STATE_DIR"]) / "failed-once"
        mode = "succeed" if marker.exists() else "fail"
        marker.touch()
    time.sleep(float(os.environ.get("SLEEP_SECONDS", "0")))
    status = 1 if mode == "succeed" else 0
    if os.environ.get("PUSH") == "1":
        try:
            push(status)
        except OSError as exc:  # the job's outcome never depends on its monitoring
            print(f"alerting-app: could not push metrics; going on without them: {exc}", file=sys.stderr)
    if mode == "fail":
        print(f"alerting-app: failing on purpose (MODE={os.environ.get('MODE')})", file=sys.stderr)
        return 1
    print("alerting-app: done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
