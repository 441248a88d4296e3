"""Convert the technique lists of TT 23/2024/TT-BYT (appendices 01 and 02) to CSV.

Input: the two JSON extracts of the appendices published in the public repository
``htthinh28/check_bhyt`` (``thuvien/dvkt_app/data/tt23pl1.json.gz`` and
``tt23pl2.json.gz``; see ``src/giamdinh/norms/data/PROVENANCE.md``). Output, in
``src/giamdinh/norms/data/``:

- ``tt23_2024_pl01_techniques.csv``: every row of appendix 01 (STT, chapter, the
  technique code ``chương.STT`` as printed, the project's ``XX.YYYY`` form, name, and
  ``name_complete = no`` where the extract cut the name: it begins in lower case or
  with punctuation, e.g. ``dãy)``);
- ``tt23_2024_pl02_techniques.csv``: the rows of appendix 02 the extract holds
  (STT, organ-system chapter, name, the link codes to appendix 01).

The extract stored the codes as numbers, so trailing zeros were lost (``1.10`` and
``1.100`` both read ``1.1``). Appendix 01 lists each chapter in the order of its
numbers, so the number is restored from the row order: the candidate (``1``,
``10``, ``100``, ``1000``) that follows the previous row's number, else the smallest
candidate above it. Link codes of appendix 02 are restored against appendix 01: among
the appendix 01 rows whose code reads the same once trailing zeros are dropped, the
one whose name is closest to the appendix 02 name.

Run: ``python scripts/build_tt23_techniques.py tt23pl1.json.gz tt23pl2.json.gz``.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import json
import re
import sys
import unicodedata
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "src" / "giamdinh" / "norms" / "data"
CODE = re.compile(r"(BS_)?(\d+)\.(\d+)(b?)")
MAX_ZEROS = 3


def _load(path: str) -> list[dict[str, object]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows: list[dict[str, object]] = json.load(handle)["rows"]
    return sorted(rows, key=lambda r: int(str(r["stt"])))


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _candidates(fraction: str) -> list[int]:
    if fraction.endswith("0"):
        return [int(fraction)]
    return [int(fraction + "0" * k) for k in range(MAX_ZEROS + 1)]


def _chapter(text: str) -> tuple[str, str]:
    number, _, name = text.partition(". ")
    return f"{int(number):02d}", name.strip()


def build_pl01(rows: list[dict[str, object]]) -> list[dict[str, str]]:
    """Return appendix 01 with its codes restored (see the module docstring)."""
    previous: dict[tuple[bool, str], int] = {}
    out: list[dict[str, str]] = []
    for row in rows:
        source = str(row["maKyThuat"]).strip()
        chapter, chapter_name = _chapter(str(row["chuong"]))
        match = CODE.fullmatch(source)
        restored, how = "", "unresolved"
        if match is not None:
            new, chapter_no, fraction, suffix = match.groups()
            key = (bool(new), chapter_no)
            last = previous.get(key, 0)
            options = _candidates(fraction)
            if suffix:  # 27.205b: a variant printed after its number
                number, how = int(fraction), "as_printed"
            elif last + 1 in options:
                number, how = last + 1, "sequence"
            else:
                above = [o for o in options if o > last]
                number, how = (
                    (min(above), "jump") if above else (options[0], "as_printed")
                )
            previous[key] = max(last, number)
            restored = f"{new or ''}{int(chapter_no)}.{number}{suffix}"
        name = " ".join(str(row["tenKyThuat"]).split())
        technique = ""
        if restored and not restored.startswith("BS_") and how != "unresolved":
            chapter_no, number_text = restored.split(".")
            if number_text.isdigit():
                technique = f"{int(chapter_no):02d}.{int(number_text):04d}"
        out.append(
            {
                "stt": str(row["stt"]),
                "chapter": chapter,
                "chapter_name": chapter_name,
                "source_code": source,
                "tt23_code": restored,
                "technique_code": technique,
                "code_restored": how,
                "name": name,
                "name_complete": "yes"
                if name[:1].isupper() or name[:1].isdigit()
                else "no",
            }
        )
    return out


def build_pl02(
    rows: list[dict[str, object]], pl01: list[dict[str, str]]
) -> list[dict[str, str]]:
    """Return the appendix 02 rows with their link codes restored against PL 01."""
    lossy: dict[str, list[dict[str, str]]] = {}
    for item in pl01:
        match = CODE.fullmatch(item["source_code"])
        if match is not None:
            lossy.setdefault(item["source_code"], []).append(item)
    out: list[dict[str, str]] = []
    for row in rows:
        name = " ".join(str(row.get("tenKyThuat") or "").split())
        chapter_text = str(row.get("chuong") or "")
        chapter, chapter_name = _chapter(chapter_text) if chapter_text else ("", "")
        source = str(row["maKyThuat"]).strip().rstrip(";,")
        links: list[str] = []
        for token in re.split(r"[;,]\s*", source):
            options = lossy.get(token.strip(), [])
            if not options:
                continue
            best = max(
                options,
                key=lambda o: difflib.SequenceMatcher(
                    None, _fold(o["name"]), _fold(name)
                ).ratio(),
            )
            if best["tt23_code"] not in links:
                links.append(best["tt23_code"])
        out.append(
            {
                "stt": str(row["stt"]),
                "chapter_stt": str(row.get("sttChuong") or ""),
                "chapter": chapter,
                "chapter_name": chapter_name,
                "name": name,
                "source_link": source,
                "link_tt23_codes": ";".join(links),
            }
        )
    return out


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(pl01_path: str, pl02_path: str) -> None:
    """Rewrite the two CSV files from the two JSON extracts."""
    pl01 = build_pl01(_load(pl01_path))
    pl02 = build_pl02(_load(pl02_path), pl01)
    _write(DATA / "tt23_2024_pl01_techniques.csv", pl01)
    _write(DATA / "tt23_2024_pl02_techniques.csv", pl02)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
