"""Plugin options: each is a command-line flag and an environment variable (the flag wins).

``--kubeconfig`` is pytest-helm-charts' flag (a dependency, so always registered): we read it rather
than define a second one, with HARNESS_KUBECONFIG as our variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.paths import REPO_ROOT

# (flag, env var, help, default)
OPTIONS: tuple[tuple[str, str, str, str | None], ...] = (
    ("--cluster", "HARNESS_CLUSTER", "cluster provider: local, kind or existing (default: the first that can run "
     "here, local before kind; the harness says which and why)", None),
    ("--registry", "HARNESS_REGISTRY", "registry (host[:port][/path]) an existing cluster pulls job images from; "
     "they are pushed there", None),
    ("--env-values", "HARNESS_ENV", "environment whose values/<env>/ files are layered under the test values",
     None),
    ("--install-crds", "HARNESS_INSTALL_CRDS", "apply the prometheus-operator and Argo CD CRDs to an existing "
     "cluster (1/true); without it the CRDs the job charts need must be there already (the local and kind "
     "clusters always get them)", None),
    ("--keep", "HARNESS_KEEP", "keep namespaces, releases and services after the tests (1/true)", None),
    ("--report-dir", "HARNESS_REPORT_DIR", "where run reports (phase timings, logs) are written",
     str(REPO_ROOT / "reports")),
)


@dataclass(frozen=True)
class HarnessOptions:
    cluster: str | None
    kubeconfig: Path | None
    registry: str | None
    env: str | None
    install_crds: bool
    keep: bool
    report_dir: Path


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("cronharness", "cron job harness")
    for flag, env, help_text, default in OPTIONS:
        suffix = f" (default {default})" if default else ""
        group.addoption(flag, default=None, help=f"{help_text} [env {env}]{suffix}")


_STASH = pytest.StashKey[HarnessOptions]()


def _yes(value: str | None) -> bool:
    """A boolean option's value (1/true/yes, any case)."""
    return (value or "").lower() in ("1", "true", "yes")


def read_options(config: pytest.Config) -> HarnessOptions:
    """The options as given by the user, read once per session (the first call fixes them: the plugin
    then fills pytest-helm-charts' ``--kubeconfig`` default, which must not turn into ``--cluster existing``)."""
    if _STASH in config.stash:
        return config.stash[_STASH]

    def value(flag: str, env: str, default: str | None) -> str | None:
        from_cli = config.getoption(flag.lstrip("-").replace("-", "_"), default=None)
        return str(from_cli) if from_cli is not None else os.environ.get(env, default)

    raw = {flag: value(flag, env, default) for flag, env, _, default in OPTIONS}
    kubeconfig = value("--kubeconfig", "HARNESS_KUBECONFIG", None)
    config.stash[_STASH] = HarnessOptions(
        cluster="existing" if kubeconfig and not raw["--cluster"] else raw["--cluster"],
        kubeconfig=Path(kubeconfig) if kubeconfig else None,
        registry=raw["--registry"],
        env=raw["--env-values"],
        install_crds=_yes(raw["--install-crds"]),
        keep=_yes(raw["--keep"]),
        report_dir=Path(raw["--report-dir"] or REPO_ROOT / "reports"),
    )
    return config.stash[_STASH]
