"""Markers shared by e2e files."""

from __future__ import annotations

import pytest

from harness.cluster.providers import local_unavailable

#: For tests of the local provider itself: skipped, with the reason, where it cannot run (e.g. the GitLab e2e
#: job's unprivileged container, which runs the suite on kind).
needs_local_cluster = pytest.mark.skipif(local_unavailable() is not None,
                                         reason=f"the local cluster cannot run here: {local_unavailable()}")
