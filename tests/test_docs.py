"""The generated documentation is current and covers every command and setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from cogapp import Cog

from giamdinh.cli.docs import command_paths
from giamdinh.config import Settings

DOCS = Path(__file__).parent.parent / "docs"


@pytest.mark.parametrize("page", ["cli.md", "settings.md"])
def test_generated_page_is_current(page: str) -> None:
    status = Cog().main(["cog", "--check", str(DOCS / page)])
    assert status == 0, f"docs/{page} is out of date: run `make docs`"


def test_every_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [path for path in command_paths() if f"`{path}`" not in text]
    assert not missing, f"undocumented commands: {missing}"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    prefix = Settings.model_config.get("env_prefix", "")
    missing = [n for n in Settings.model_fields if f"{prefix}{n}".upper() not in text]
    assert not missing, f"undocumented settings: {missing}"
