"""Pushgateway metrics of one run: start, end, status, duration, records in/out, last success.

The library chart gives the container ``PUSHGATEWAY_URL``, ``PUSHGATEWAY_JOB`` (grouping key ``job``),
``PUSHGATEWAY_INSTANCE`` (grouping key ``instance``) and ``METRICS_ENV`` (an ``env`` label on every
sample). Every push is a POST (``push_add``): it replaces only the metrics it carries, so the
``cronjob_last_success_timestamp_seconds`` of an earlier run survives a failed run, which pushes no
such sample. An unreachable Pushgateway never fails the job: the push is retried once and then logged
as a warning, so the gap is visible in the job's log.
"""

from __future__ import annotations

import urllib.error
from collections.abc import Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.exposition import generate_latest, pushadd_to_gateway

from jobkit.logs import job_logger
from jobkit.retry import Backoff, retry

START = "cronjob_last_start_timestamp_seconds"
END = "cronjob_last_end_timestamp_seconds"
STATUS = "cronjob_last_status"
DURATION = "cronjob_duration_seconds"
RECORDS_IN = "cronjob_records_in"
RECORDS_OUT = "cronjob_records_out"
SUCCESS = "cronjob_last_success_timestamp_seconds"

HELP = {
    START: "Unix time the last run of this cron job started.",
    END: "Unix time the last run of this cron job ended.",
    STATUS: "Outcome of the last run: 1 succeeded, 0 failed.",
    DURATION: "Wall-clock seconds of the last run.",
    RECORDS_IN: "Records the last run read.",
    RECORDS_OUT: "Records the last run wrote.",
    SUCCESS: "Unix time the last successful run ended (pushed only on success).",
}
# A push must not hold a terminating pod past its grace period: short timeout, one retry.
PUSH_TIMEOUT = 5.0
PUSH_BACKOFF = Backoff(attempts=2, base=1.0)


@dataclass(frozen=True)
class PushTarget:
    """Where and under which grouping key a job pushes.

    Attributes:
        url: the Pushgateway base URL, e.g. ``http://127.0.0.1:9091``.
        job: the ``job`` grouping label.
        instance: the ``instance`` grouping label ("" leaves it out).
        env: the ``env`` label on every sample ("" leaves it out).
    """

    url: str
    job: str
    instance: str = ""
    env: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str], default_job: str) -> PushTarget | None:
        """The target from the chart's environment variables; None when ``PUSHGATEWAY_URL`` is unset.

        Args:
            environ: the environment.
            default_job: the ``job`` label when ``PUSHGATEWAY_JOB`` is unset (the job's name).

        Returns:
            The target, or None (metrics switched off).
        """
        url = environ.get("PUSHGATEWAY_URL", "").strip()
        if not url:
            return None
        return cls(
            url=url,
            job=environ.get("PUSHGATEWAY_JOB", "").strip() or default_job,
            instance=environ.get("PUSHGATEWAY_INSTANCE", "").strip(),
            env=environ.get("METRICS_ENV", "").strip(),
        )

    def grouping_key(self) -> dict[str, str]:
        """The grouping labels besides ``job``."""
        return {"instance": self.instance} if self.instance else {}


@dataclass(frozen=True)
class RunOutcome:
    """What the end-of-run push reports.

    Attributes:
        started: Unix time the run started.
        ended: Unix time the run ended.
        ok: whether the run succeeded.
        records_in: records read.
        records_out: records written.
    """

    started: float
    ended: float
    ok: bool
    records_in: int = 0
    records_out: int = 0


def _registry(values: Mapping[str, float], env: str) -> CollectorRegistry:
    registry = CollectorRegistry()
    labels = {"env": env} if env else {}
    for name, value in values.items():
        gauge = Gauge(name, HELP[name], labelnames=list(labels), registry=registry)
        (gauge.labels(**labels) if labels else gauge).set(value)
    return registry


def start_registry(started: float, env: str = "") -> CollectorRegistry:
    """The samples pushed when a run starts.

    Args:
        started: Unix time of the start.
        env: the ``env`` label ("" for none).

    Returns:
        A registry holding ``cronjob_last_start_timestamp_seconds``.
    """
    return _registry({START: started}, env)


def end_registry(outcome: RunOutcome, env: str = "") -> CollectorRegistry:
    """The samples pushed when a run ends; the last-success time only when it succeeded.

    Args:
        outcome: the run's outcome.
        env: the ``env`` label ("" for none).

    Returns:
        A registry with end time, status, duration, records in/out (and last success).
    """
    values = {
        END: outcome.ended,
        STATUS: 1.0 if outcome.ok else 0.0,
        DURATION: max(0.0, outcome.ended - outcome.started),
        RECORDS_IN: float(outcome.records_in),
        RECORDS_OUT: float(outcome.records_out),
    }
    if outcome.ok:
        values[SUCCESS] = outcome.ended
    return _registry(values, env)


def exposition(registry: CollectorRegistry) -> str:
    """The registry in the Prometheus text format (what a push sends)."""
    return generate_latest(registry).decode()


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code == 429 or exc.code >= 500
    return isinstance(exc, OSError)


class Pusher:
    """Pushes a run's metrics to one target; never raises on a Pushgateway problem."""

    def __init__(self, target: PushTarget | None, backoff: Backoff = PUSH_BACKOFF) -> None:
        """Create a pusher.

        Args:
            target: where to push; None switches pushing off (each push is then logged as skipped).
            backoff: retry schedule for transient push errors.
        """
        self.target = target
        self.backoff = backoff

    def push(self, registry: CollectorRegistry, what: str) -> bool:
        """Push ``registry`` with POST: only these metrics of the group are replaced.

        Args:
            registry: the samples.
            what: "start" or "end", for the log line.

        Returns:
            True when the Pushgateway accepted the push.
        """
        log = job_logger()
        target = self.target
        if target is None:
            log.info(f"metrics: {what} not pushed (PUSHGATEWAY_URL is not set)")
            return False
        def call() -> None:
            pushadd_to_gateway(target.url, job=target.job, registry=registry, grouping_key=target.grouping_key(),
                 timeout=PUSH_TIMEOUT)

        try:
            retry(call, _transient, f"push of {what} metrics to {target.url}", self.backoff)
        except Exception as exc:  # the job's outcome must not depend on its monitoring
            log.warning(f"metrics: could not push {what} metrics; the job goes on without them",
                        pushgateway=target.url, job_label=target.job, error=f"{type(exc).__name__}: {exc}")
            return False
        log.info(f"metrics: pushed {what}", pushgateway=target.url, job_label=target.job,
                 instance=target.instance)
        return True

    def start(self, started: float) -> bool:
        """Push the start time.

        Args:
            started: Unix time of the start.

        Returns:
            True when pushed.
        """
        return self.push(start_registry(started, self.target.env if self.target else ""), "start")

    def end(self, outcome: RunOutcome) -> bool:
        """Push the end-of-run samples.

        Args:
            outcome: the run's outcome.

        Returns:
            True when pushed.
        """
        return self.push(end_registry(outcome, self.target.env if self.target else ""), "end")
