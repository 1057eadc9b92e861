"""pytest plugin of the cron job harness: options, report header, fixture re-exports. Nothing else.

pytest-helm-charts is installed next to it: its ``kube_cluster`` fixture (a pykube client) is pointed at the
same cluster as ours (its ``--kubeconfig`` defaults to our provider's kubeconfig), so tests may use its
object helpers. We do not use its ``wait_for_*`` helpers: they count polls rather than time against a
deadline, and a failed Job is only noticed at the timeout; ``run_job`` answers on the Failed condition.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

from harness.prerequisites import skip_reason
from harness.pytest.fixtures import *  # noqa: F403  (re-export the fixtures)
from harness.pytest.options import add_options, read_options

_reported_failures: set[int] = set()


@pytest.hookimpl
def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl
def pytest_configure(config: pytest.Config) -> None:
    opts = read_options(config)
    if opts.kubeconfig:
        os.environ["KUBECONFIG"] = str(opts.kubeconfig)  # the "existing" provider reads it
    if getattr(config.option, "kubeconfig", "") is None:  # pytest-helm-charts' flag, not given: our cluster's
        from harness.cluster.providers import get_cluster

        config.option.kubeconfig = str(get_cluster(opts.cluster).kubeconfig)


@pytest.hookimpl
def pytest_report_header(config: pytest.Config) -> list[str]:
    opts = read_options(config)
    return [f"cronharness: cluster={opts.cluster or 'default'} env-values={opts.env or '-'} "
            f"keep={opts.keep} reports={opts.report_dir}"]


def _skip_after_first_failure() -> Generator[None, None, None]:
    """A test whose prerequisite (cluster, image, service) already failed is skipped, not failed again."""
    try:
        yield
    except Exception as exc:
        reason = skip_reason(exc, _reported_failures)
        if reason is None:
            raise
        pytest.skip(reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _skip_after_first_failure())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _skip_after_first_failure())
