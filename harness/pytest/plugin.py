"""pytest plugin of the cron job harness: options, report header, fixture re-exports. Nothing else."""

from __future__ import annotations

import pytest

from harness.pytest.fixtures import *  # noqa: F403  (re-export the fixtures)
from harness.pytest.options import add_options, read_options


@pytest.hookimpl
def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl
def pytest_report_header(config: pytest.Config) -> list[str]:
    opts = read_options(config)
    return [f"cronharness: cluster={opts.cluster or 'default'} env-values={opts.env or '-'} "
            f"keep={opts.keep} reports={opts.report_dir}"]
