"""Regenerate the parameter tables of the library chart README from the `## @param` comments of its
values.yaml, with Bitnami's readme-generator-for-helm (npm, pinned). `--check` fails when stale."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.paths import REPO_ROOT, tools_bin

CHART = REPO_ROOT / "charts" / "cronjob-common"


def generate(readme: Path) -> None:
    """Rewrite the `## Parameters` section of ``readme`` in place."""
    subprocess.run(
        [str(tools_bin() / "readme-generator"), "--values", str(CHART / "values.yaml"), "--readme", str(readme)],
        check=True, capture_output=True, text=True,
    )


def main() -> None:
    readme = CHART / "README.md"
    if "--check" in sys.argv[1:]:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "README.md"
            shutil.copy(readme, copy)
            generate(copy)
            if copy.read_text() != readme.read_text():
                sys.exit(f"{readme} parameter tables are stale: run `make docs`")
        return
    generate(readme)


if __name__ == "__main__":
    main()
