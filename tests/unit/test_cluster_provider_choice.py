"""The default provider's choice (harness.cluster.providers.choose_provider), a pure function of the
environment and of what the machine probes said; no probe runs here."""

from __future__ import annotations

import pytest

from harness.cluster.providers import Choice, choose_provider
from harness.errors import HarnessError

BOTH = {"local": None, "kind": None}


def test_harness_cluster_wins_over_the_machine() -> None:
    assert choose_provider({"HARNESS_CLUSTER": "kind"}, BOTH) == Choice("kind", "HARNESS_CLUSTER names it")


def test_local_comes_first_and_says_kind_could_run() -> None:
    assert choose_provider({}, BOTH) == Choice(
        "local", "root on Linux: the harness runs its own cluster from upstream binaries"
                 "; kind could run too: --cluster kind")


def test_local_alone() -> None:
    choice = choose_provider({}, {"local": None, "kind": "no docker"})
    assert choice == Choice("local", "root on Linux: the harness runs its own cluster from upstream binaries")


def test_kind_when_local_cannot_run_names_why() -> None:
    choice = choose_provider({}, {"local": "it needs root (running as uid 1000)", "kind": None})
    assert choice == Choice("kind", "the local cluster cannot run here: it needs root (running as uid 1000); "
                                    "Docker can")


def test_neither_is_an_error_naming_both_and_the_existing_provider() -> None:
    with pytest.raises(HarnessError) as raised:
        choose_provider({"HARNESS_CLUSTER": ""}, {"local": "needs root", "kind": "no daemon"})
    message = str(raised.value)
    assert message.startswith("no cluster provider can run on this machine: local: needs root; kind: no daemon.")
    assert "HARNESS_CLUSTER=existing HARNESS_KUBECONFIG=<its kubeconfig>" in message
