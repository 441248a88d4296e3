"""The IN code table is well formed and its page in docs/ is current."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from cogapp import Cog

from giamdinh.standard.codes import CODES, markdown_table

DOCS = Path(__file__).resolve().parents[2] / "docs" / "standard"
DOC = DOCS / "ingest-codes.md"


def test_codes_are_stable_and_well_formed() -> None:
    for key, code in CODES.items():
        assert key == code.code
        assert re.fullmatch(r"IN\d{3}", code.code)
        fields_vi = {f for _, f, _, _ in string.Formatter().parse(code.message) if f}
        fields_en = {f for _, f, _, _ in string.Formatter().parse(code.message_en) if f}
        assert fields_vi == fields_en, key
    assert len({c.name for c in CODES.values()}) == len(CODES)


def test_docs_page_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert markdown_table() in text


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_generated_standard_pages_are_current(page: str) -> None:
    status = Cog().main(["cog", "--check", str(DOCS / page)])
    assert status == 0, f"docs/standard/{page} is stale: run cog -r on it"
