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
TEMPLATES = Path(__file__).parents[2] / "charts" / "cronjob-common" / "templates"


def _expected(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name}: first line must be '# expect: <regex>'"
    return first.removeprefix("# expect: ")


# A template-time check the schema pre-empts (the schema rejects the value first), with the path (and, where
# the path is not specific enough, the message) of the schema error that covers it instead. The template
# check still speaks when a user passes --skip-schema-validation.
SCHEMA_FIRST = {
    "image.repository": "'/image/repository'",
    "%s.type": "/type'",
    "resources": "'/resources/",
    "services.%s.ports": "': missing property 'ports'",
}


def _template_checks() -> set[str]:
    """The keys every ``cronjob-common.lib.fail`` call of the library names (``printf`` formats as written)."""
    call = re.compile(r'cronjob-common\.lib\.fail"\s*\(dict\s+"key"\s+(?:\(printf\s+"([^"]+)"|"([^"]+)")')
    return {match.group(1) or match.group(2) for template in TEMPLATES.rglob("*.tpl")
            for match in call.finditer(template.read_text())}


def test_every_template_check_has_a_case() -> None:
    """The catalogue holds a case for each failure the templates can raise, so each message is tested."""
    expected = [_expected(path) for path in INVALID]
    uncovered = []
    for key in sorted(_template_checks()):
        if key in SCHEMA_FIRST:
            covered = any(SCHEMA_FIRST[key] in line for line in expected)
        else:
            # A printf key's %s stands for a name and %d for an index; the case's message starts with the key
            # and its colon.
            pattern = re.compile("^" + re.escape(key).replace("%s", "[^ ]+").replace("%d", r"\d+") + ":")
            covered = any(pattern.match(line.replace("\\", "")) for line in expected)
        if not covered:
            uncovered.append(key)
    assert uncovered == [], f"no case in {INVALID[0].parent} raises these template checks"


@pytest.mark.parametrize("helm_major", [3, 4])
@pytest.mark.parametrize("values", INVALID, ids=[p.stem for p in INVALID])
def test_rejected_with_clear_message(values: Path, helm_major: int) -> None:
    with pytest.raises(RenderError) as caught:
        render_chart(TEST_CHART, values_files=[values], helm_major=helm_major, release="t")
    message = str(caught.value)
    assert re.search(_expected(values), message), f"message was:\n{message}"
    # Name the job: template-time failures say "[job test-chart, ...]", schema failures list the chart.
    assert "[job test-chart, release t]" in message or "test-chart:" in message
