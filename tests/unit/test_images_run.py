"""Long build commands: progress lines while they run, the whole output kept, clear failures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.images.run import log_path, run_logged


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HARNESS_STATE_DIR", str(tmp_path))
    return tmp_path


def test_milestones_are_shown_and_everything_is_logged(capsys: pytest.CaptureFixture[str]) -> None:
    script = "print('I: Retrieving Release'); print('noise'); print('I: Base system installed')"
    out = run_logged(
        [sys.executable, "-c", script],
        label="demo step",
        show=lambda line: line.upper() if line.startswith("I: ") else None,
    )
    assert out == "I: Retrieving Release\nnoise\nI: Base system installed"
    shown = [line.split(" (")[0] for line in capsys.readouterr().err.splitlines()]
    assert shown == ["    demo step: I: RETRIEVING RELEASE", "    demo step: I: BASE SYSTEM INSTALLED"]
    assert log_path("demo step").read_text() == out + "\n"


def test_failure_names_the_step_the_command_its_tail_and_the_log() -> None:
    script = "import sys; print('E: Couldn\\'t download packages'); sys.exit(3)"
    with pytest.raises(HarnessError) as caught:
        run_logged([sys.executable, "-c", script], label="debootstrap bookworm", show=lambda line: None)
    message = str(caught.value)
    assert message.startswith("debootstrap bookworm failed (exit 3) running: ")
    assert "E: Couldn't download packages" in message
    assert message.endswith(f"(full output: {log_path('debootstrap bookworm')})")


def test_missing_program_is_named() -> None:
    with pytest.raises(HarnessError, match=r"^buildah build: no-such-builder-xyz is not installed$"):
        run_logged(["no-such-builder-xyz"], label="buildah build", show=lambda line: None)


def test_log_file_names_are_safe(state_dir: Path) -> None:
    assert log_path("job image localhost/x:dev") == state_dir / "images" / "logs" / "job-image-localhost-x-dev.log"
