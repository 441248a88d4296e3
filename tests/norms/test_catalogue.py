"""The technique lists of TT 23/2024/TT-BYT as copied (see norms/data/PROVENANCE.md)."""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from pathlib import Path

import pytest

from giamdinh.norms import catalogue

REFDATA = Path(catalogue.__file__).parent.parent / "refdata" / "data"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def test_appendix_01_is_whole() -> None:
    rows = catalogue.appendix_01()
    assert len(rows) == 19438
    assert [r.stt for r in rows] == list(range(1, 19439))
    assert sum(r.tt23_code.startswith("BS_") for r in rows) == 1232
    assert len({r.chapter for r in rows}) == 28
    codes = [r.technique_code for r in rows if r.technique_code]
    assert len(codes) == len(set(codes)) == 18203
    assert all(re.fullmatch(r"\d{2}\.\d{4}", c) for c in codes)
    assert catalogue.techniques_by_code()["18.0119"].name == "Chụp X-quang ngực thẳng"


def test_cut_names_are_flagged_not_completed() -> None:
    cut = [r for r in catalogue.appendix_01() if not r.name_complete]
    assert len(cut) == 29
    assert catalogue.techniques_by_code()["18.0207"].name == "dãy)"
    assert all(not (r.name[:1].isupper() or r.name[:1].isdigit()) for r in cut)


@pytest.mark.parametrize(
    ("file", "code_column", "name_column", "agree", "total"),
    [
        ("dvkt_catalogue_M05_sample_facility_92114.csv", "MA_DICH_VU", "TEN_DICH_VU",
         4969, 4997),
        ("icd9cm_qd4440_pl3_ma_tuong_duong_map.csv", "ma_tuong_duong", "ten_ky_thuat",
         9162, 9177),
    ],
)  # fmt: skip
def test_restored_codes_name_the_same_technique_as_real_service_lists(
    file: str, code_column: str, name_column: str, agree: int, total: int
) -> None:
    """Codes lost their trailing zeros in the extract; the restored ones must agree."""
    by_code = catalogue.techniques_by_code()
    seen = close = 0
    with (REFDATA / file).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            technique = by_code.get(row[code_column][:7])
            if technique is None:
                continue
            seen += 1
            ratio = difflib.SequenceMatcher(
                None, _fold(technique.name), _fold(row[name_column])
            ).ratio()
            close += ratio > 0.6
    assert (close, seen) == (agree, total)


def test_appendix_02_links_to_appendix_01() -> None:
    rows = catalogue.appendix_02()
    assert len(rows) == 6330
    assert max(r.stt for r in rows) <= 9128
    known = {t.tt23_code for t in catalogue.appendix_01()}
    assert all(code in known for r in rows for code in r.link_codes)
    assert len(catalogue.appendix_02_codes()) == 5854
    first = rows[0]
    assert first.chapter == "01"
    assert first.link_codes == ("10.7",)


def test_chapter_names_read_as_sentences() -> None:
    names = catalogue.chapter_names()
    assert names["18"] == "Điện quang"
    assert names["12"] == "Ung bướu"
