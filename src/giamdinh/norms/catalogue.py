"""The technique lists of TT 23/2024/TT-BYT (18/10/2024), appendices 01 and 02.

Appendix 01 lists 19,438 techniques by specialty chapter with the code
``chương.STT`` (the numbering of TT 43/2013 and TT 21/2017 continues; ``BS_`` marks
the techniques added in 2024). Appendix 02 lists techniques by organ system with no
code of its own, only link codes to appendix 01; it is the list the norms programme
of seed 000 works on. The files and how they were made are in ``data/PROVENANCE.md``;
the copy of appendix 02 is partial (6,330 rows of the 9,128 counted).

``technique_code`` is the project's form ``XX.YYYY`` of an appendix 01 code (the first
seven characters of a claim's ``MA_DICH_VU``); ``BS_`` techniques have none.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
PL01_FILE = DATA_DIR / "tt23_2024_pl01_techniques.csv"
PL02_FILE = DATA_DIR / "tt23_2024_pl02_techniques.csv"


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogueTechnique:
    """One row of appendix 01.

    Attributes:
        stt: Row number in the appendix.
        chapter: Chapter ``XX`` (specialty).
        chapter_name: Chapter name as printed.
        tt23_code: The code as printed, ``chương.STT`` or ``BS_chương.STT``.
        technique_code: ``XX.YYYY``, or ``""`` for a ``BS_`` technique or a code the
            extract garbled.
        name: Technique name as printed.
        name_complete: ``False`` where the extract cut the name (it begins in lower
            case or with punctuation); such a name is kept, never completed by hand.
    """

    stt: int
    chapter: str
    chapter_name: str
    tt23_code: str
    technique_code: str
    name: str
    name_complete: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class OrganSystemTechnique:
    """One row of appendix 02 (as far as the copy holds it).

    Attributes:
        stt: Row number in the appendix.
        chapter: Organ-system chapter ``XX`` (1-30).
        chapter_name: Chapter name as printed.
        name: Technique name.
        link_codes: Appendix 01 codes (``chương.STT``) the row links to, restored.
    """

    stt: int
    chapter: str
    chapter_name: str
    name: str
    link_codes: tuple[str, ...]


@cache
def appendix_01() -> tuple[CatalogueTechnique, ...]:
    """Return every row of appendix 01, in the appendix's order."""
    with PL01_FILE.open(encoding="utf-8", newline="") as handle:
        return tuple(
            CatalogueTechnique(
                stt=int(row["stt"]),
                chapter=row["chapter"],
                chapter_name=row["chapter_name"],
                tt23_code=row["tt23_code"],
                technique_code=row["technique_code"],
                name=row["name"],
                name_complete=row["name_complete"] == "yes",
            )
            for row in csv.DictReader(handle)
        )


@cache
def appendix_02() -> tuple[OrganSystemTechnique, ...]:
    """Return the rows of appendix 02 the copy holds, in the appendix's order."""
    with PL02_FILE.open(encoding="utf-8", newline="") as handle:
        return tuple(
            OrganSystemTechnique(
                stt=int(row["stt"]),
                chapter=row["chapter"],
                chapter_name=row["chapter_name"],
                name=row["name"],
                link_codes=tuple(c for c in row["link_tt23_codes"].split(";") if c),
            )
            for row in csv.DictReader(handle)
        )


@cache
def techniques_by_code() -> dict[str, CatalogueTechnique]:
    """Return the appendix 01 techniques that have a code ``XX.YYYY``, by code."""
    return {t.technique_code: t for t in appendix_01() if t.technique_code}


@cache
def appendix_02_codes() -> frozenset[str]:
    """Return the ``XX.YYYY`` codes of appendix 01 that appendix 02 links to."""
    by_tt23 = {t.tt23_code: t.technique_code for t in appendix_01()}
    return frozenset(
        by_tt23[code]
        for row in appendix_02()
        for code in row.link_codes
        if by_tt23.get(code)
    )


def chapter_names() -> dict[str, str]:
    """Return the chapter names of appendix 01 by chapter ``XX``, in sentence case.

    The appendix prints them in capitals (``ĐIỆN QUANG``); reports show
    ``Điện quang``.
    """
    return {t.chapter: t.chapter_name.capitalize() for t in appendix_01()}
