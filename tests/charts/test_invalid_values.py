"""Every file in invalid/ is rejected by Helm 3 and Helm 4 with the message on its `# expect:` line.

The message must name the job (chart), the key and what is allowed, so the files double as the catalogue
of errors a user can meet.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.charts.render import RenderError, render_chart
from tests.charts.conftest import TEST_CHART

INVALID = sorted((Path(__file__).parent / "invalid").glob("*.yaml"))


def _expected(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name}: first line must be '# expect: <regex>'"
    return first.removeprefix("# expect: ")


def test_there_are_at_least_twenty_cases() -> None:
    assert len(INVALID) >= 20


@pytest.mark.parametrize("helm_major", [3, 4])
@pytest.mark.parametrize("values", INVALID, ids=[p.stem for p in INVALID])
def test_rejected_with_clear_message(values: Path, helm_major: int) -> None:
    with pytest.raises(RenderError) as caught:
        render_chart(TEST_CHART, values_files=[values], helm_major=helm_major, release="t")
    message = str(caught.value)
    assert re.search(_expected(values), message), f"message was:\n{message}"
    # Name the job: template-time failures say "[job test-chart, ...]", schema failures list the chart.
    assert "[job test-chart, release t]" in message or "test-chart:" in message
