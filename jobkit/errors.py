"""The exceptions jobkit raises; each message is one line a person can act on."""

from __future__ import annotations


class JobError(Exception):
    """A job failed for a reason that is already stated in one line (no traceback needed)."""


class ConfigError(JobError):
    """The job's environment configuration is invalid; the message names the variable."""


class SinkError(JobError):
    """A sink could not write (after retries, or for a reason retrying cannot fix)."""
