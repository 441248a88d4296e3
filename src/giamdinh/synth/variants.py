"""Real-world file variants: how hospital systems write claim files differently.

The clean writer (``giamdinh.standard.writer``) writes one shape. Real hospital
systems write files that differ from it in ways the insurer's portal accepts, and a
few that it refuses. A share of the generated files is written with such variants,
so that reading, reception and the demo meet them; each file's variants are
labelled in ``ground_truth_variants.csv`` (one row per file, claim or line, see
``VARIANT_TRUTH_COLUMNS``).

Every variant is decided per file, from a digest of the seed, the facility and the
file name, so the choice does not depend on the order of generation. A variant
whose reader or reception support is still being built has no default share until a
constant below is flipped (``READER_ACCEPTS_XSI_SPACE`` …); a test or a run can
still plant it with ``SynthConfig.variant_rates``. Variants the portal refuses have
share 0: they are planted only when ``variant_rates`` names them (for tests).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from giamdinh.errors import ConfigError
from giamdinh.standard.spec import ENVELOPE_TABLES, TABLES
from giamdinh.standard.writer import XML_DECLARATION, escape_text, render_table
from giamdinh.synth.clinical import IMAGING_KINDS, SERVICES
from giamdinh.synth.streams import stream

if TYPE_CHECKING:
    from collections.abc import Sequence

    from giamdinh.synth.config import SynthConfig
    from giamdinh.synth.records import ClaimRecords

#: The reader accepts ``xmlns:xsi`` with a space in the URI (``IN043``, info), so
#: ``xsi_space_namespace`` has its default share.
READER_ACCEPTS_XSI_SPACE = True
#: Reception makes ``MAHUYEN_CU_TRU`` optional for episodes ending from 01/07/2025
#: (``reception_requirements.csv``).
RECEPTION_ALLOWS_NO_DISTRICT = True
#: Reception makes ``TEN_CHI_SO`` optional (QĐ 4750, XML4 item 5): imaging results
#: carry their text in ``MO_TA``/``KET_LUAN``.
RECEPTION_ALLOWS_UNNAMED_IMAGING = True

#: District-level units were abolished on 01/07/2025 (two-level local government):
#: an episode ending that day or later may have no ``MAHUYEN_CU_TRU``.
DISTRICTS_ABOLISHED = "20250701"
#: The namespace URI as real systems write it: a space instead of the dash.
XSI_WITH_SPACE = "http://www.w3.org/2001/XMLSchema instance"
#: Tables whose root real systems give the namespace declarations.
XSI_TABLES = ("XML1", "XML2", "XML7")
BOM = b"\xef\xbb\xbf"


class Portal(StrEnum):
    """What the insurer's portal does with a variant."""

    ACCEPTS = "accepts"
    REJECTS = "rejects"


class Scope(StrEnum):
    """What one label row of a variant names."""

    FILE = "file"
    CLAIM = "claim"
    LINE = "line"


ACCEPTS = Portal.ACCEPTS
REJECTS = Portal.REJECTS
VARIANT_TRUTH_FILE = "ground_truth_variants.csv"
VARIANT_TRUTH_COLUMNS = ("file", "ma_lk", "table", "stt", "variant", "portal", "detail")

_ENVELOPE_ORDER = sorted(ENVELOPE_TABLES, key=lambda name: int(name[3:]))
_ROOT_ATTRIBUTES = (
    f' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="{XSI_WITH_SPACE}"'
).encode()


@dataclass(frozen=True, slots=True)
class Variant:
    """One way real files differ from the clean writer's.

    Attributes:
        name: stable name written in ``ground_truth_variants.csv``.
        portal: ``accepts`` or ``rejects`` (what the insurer's portal does).
        share: share of files written with it by default, once enabled (0: only
            when ``variant_rates`` names it).
        scope: what a label row names: the ``file``, a ``claim`` or a ``line``.
        description: what is written (English).
        waits_for: the constant that enables it, when it waits for a fix
            elsewhere (``""``: always enabled).
        enabled: whether that constant is set.
    """

    name: str
    portal: Portal
    share: float
    scope: Scope
    description: str
    waits_for: str = ""
    enabled: bool = True

    @property
    def default_share(self) -> float:
        """Return the share of files it gets by default (0 until enabled)."""
        return self.share if self.enabled else 0.0


VARIANTS: tuple[Variant, ...] = (
    Variant(
        "xsi_space_namespace",
        ACCEPTS,
        0.6,
        Scope.FILE,
        "the roots of XML1, XML2 and XML7 declare xmlns:xsd and "
        f'xmlns:xsi="{XSI_WITH_SPACE}" (a space instead of the dash)',
        "READER_ACCEPTS_XSI_SPACE",
        READER_ACCEPTS_XSI_SPACE,
    ),
    Variant(
        "district_empty",
        ACCEPTS,
        0.5,
        Scope.CLAIM,
        "MAHUYEN_CU_TRU empty (and no district in DIA_CHI) on claims ending on or "
        "after 01/07/2025, when districts were abolished",
        "RECEPTION_ALLOWS_NO_DISTRICT",
        RECEPTION_ALLOWS_NO_DISTRICT,
    ),
    Variant(
        "imaging_result_unnamed",
        ACCEPTS,
        0.3,
        Scope.LINE,
        "TEN_CHI_SO empty on the XML4 rows of imaging results (the text is in "
        "MO_TA and KET_LUAN)",
        "RECEPTION_ALLOWS_UNNAMED_IMAGING",
        RECEPTION_ALLOWS_UNNAMED_IMAGING,
    ),
    Variant(
        "utf8_bom",
        ACCEPTS,
        0.2,
        Scope.FILE,
        "UTF-8 byte-order mark before the envelope and before each inner table",
    ),
    Variant(
        "crlf_line_ends",
        ACCEPTS,
        0.25,
        Scope.FILE,
        "CRLF line ends in the envelope and in the inner tables",
    ),
    Variant(
        "base64_wrapped",
        ACCEPTS,
        0.2,
        Scope.FILE,
        "NOIDUNGFILE base64 wrapped at 76 columns (MIME style)",
    ),
    Variant(
        "empty_open_close",
        ACCEPTS,
        0.15,
        Scope.FILE,
        "empty elements written `<X></X>` (the clean writer self-closes them: `<X />`)",
    ),
    Variant(
        "no_declaration",
        ACCEPTS,
        0.1,
        Scope.FILE,
        "no XML declaration, in the envelope nor in the inner tables",
    ),
    Variant(
        "empty_optional_omitted",
        ACCEPTS,
        0.15,
        Scope.FILE,
        "empty optional "
        "elements left out of the inner tables (required ones stay, empty)",
    ),
    Variant(
        "decimal_comma_quantity",
        REJECTS,
        0.0,
        Scope.LINE,
        "an XML3 SO_LUONG written with a decimal comma (1,0; 0,5)",
    ),
    Variant(
        "decimal_comma_money",
        REJECTS,
        0.0,
        Scope.CLAIM,
        "XML1 T_TONGCHI_BV written with a decimal comma (3127883,2)",
    ),
    Variant("nan_number", REJECTS, 0.0, Scope.LINE, "an XML3 DON_GIA_BV written NaN"),
    Variant(
        "inline_xml_table",
        REJECTS,
        0.0,
        Scope.CLAIM,
        "the XML3 table written as inline XML inside NOIDUNGFILE instead of base64",
    ),
)
VARIANT_NAMES: tuple[str, ...] = tuple(v.name for v in VARIANTS)
#: ``choose`` takes 4 bytes of a 64-byte digest per variant.
MAX_VARIANTS = 16
#: Variants that spoil one line drawn at random.
_LINE_CHOICE = frozenset({"decimal_comma_quantity", "nan_number"})
VARIANT_BY_NAME = {v.name: v for v in VARIANTS}

LabelRow = tuple[str, str, str, str, str, str, str]


def variant_shares(config: SynthConfig) -> dict[str, float]:
    """Return the share of files written with each variant.

    ``variant_rates`` sets a variant's share; the others get their default share
    times ``variant_share``.

    Raises:
        ConfigError: If ``variant_rates`` names an unknown variant.
    """
    unknown = set(config.variant_rates) - set(VARIANT_NAMES)
    if unknown:
        known = ", ".join(VARIANT_NAMES)
        msg = f"unknown file variants {sorted(unknown)}; known: {known}"
        raise ConfigError(msg)
    return {
        v.name: config.variant_rates.get(v.name, v.default_share * config.variant_share)
        for v in VARIANTS
    }


def choose(
    shares: dict[str, float], *, seed: int, ma_cskcb: str, name: str
) -> frozenset[str]:
    """Return the variants of one file.

    Each variant draws its own uniform number from a digest of the seed, the
    facility and the file name (a seeded stream costs more, and every file draws).
    """
    digest = hashlib.sha512(f"{seed}:variants:{ma_cskcb}:{name}".encode()).digest()
    return frozenset(
        v
        for i, v in enumerate(VARIANT_NAMES)
        if int.from_bytes(digest[4 * i : 4 * i + 4], "big") / 2**32 < shares[v]
    )


@cache
def optional_fields() -> dict[str, frozenset[str]]:
    """Return the fields of each table that the portal never requires.

    A field is optional when its ``required`` cell in the portal's sheet is blank
    (neither ``x`` nor a condition), or when an open-ended row of
    ``reception_requirements.csv`` in force since QĐ 4750 makes it optional.
    """

    # NOTE: read from the sheet reception uses, not through
    # ``giamdinh.standard.reception``, which would bring pyarrow (about 50 MiB) into
    # the generator. A blank cell is optional there too (``parse_requirement``).
    def rows(name: str) -> list[dict[str, str]]:
        text = resources.files("giamdinh.standard").joinpath("data", name)
        return list(csv.DictReader(io.StringIO(text.read_text(encoding="utf-8"))))

    # A dated requirement counts when it holds for every claim the generator
    # writes: optional from QĐ 4750 on, open-ended (MAHUYEN_CU_TRU, optional only
    # from 01/07/2025, stays required for earlier claims).
    dated = {
        (r["table"], r["field"].strip()): r["requirement"].strip()
        for r in rows("reception_requirements.csv")
        if r["valid_from"] <= "2024-01-01" and not r["valid_to"].strip()
    }
    optional: dict[str, set[str]] = {table: set() for table in TABLES}
    for r in rows("portal_ctn_qd4750.csv"):
        key = (r["table"], r["field"].strip())
        if r["table"] not in optional:
            continue
        cell = dated.get(key)
        if cell == "optional" or (cell is None and not r["required"].strip()):
            optional[r["table"]].add(key[1])
    return {table: frozenset(names) for table, names in optional.items()}


_EMPTY = b" />"
_BASE64_LINE = 76


@cache
def _optional_names(table: str) -> frozenset[bytes]:
    return frozenset(name.encode("ascii") for name in optional_fields()[table])


def _reshape_empty(data: bytes, table: str, chosen: frozenset[str]) -> bytes:
    """Leave out empty optional elements and/or write empty ones ``<X></X>``.

    The clean writer puts one element per line, an empty one as ``<X />``: the
    text is cut at each `` />``, and the element's name is the tail of the piece.
    """
    omit = _optional_names(table) if "empty_optional_omitted" in chosen else frozenset()
    close = b"></%s>" if "empty_open_close" in chosen else None
    parts = data.split(_EMPTY)
    out: list[bytes] = []
    left_out = False
    for part in parts[:-1]:
        # After an element left out, its line end starts the next piece.
        piece = part.removeprefix(b"\n") if left_out else part
        start = piece.rfind(b"<")
        name = piece[start + 1 :]
        left_out = name in omit
        if left_out:
            out.append(piece[:start])
        else:
            out.append(piece)
            out.append(_EMPTY if close is None else close % name)
    out.append(parts[-1].removeprefix(b"\n") if left_out else parts[-1])
    return b"".join(out)


# -- content variants (records, before they are written) --------------------------


def apply_content(
    claims: Sequence[ClaimRecords],
    chosen: frozenset[str],
    *,
    seed: int,
    file: str,
) -> list[LabelRow]:
    """Change the records for the content variants in ``chosen``; return the labels.

    Claim- and line-level variants apply where they can (a claim ending before
    01/07/2025 keeps its district; a file without imaging results has nothing to
    leave unnamed); a variant that found nothing to change gets no label. The line a
    refused variant spoils is drawn from the stream ``(seed, "variants", file)``.
    """
    labels: list[LabelRow] = []
    rng = stream(seed, "variants", file) if chosen & _LINE_CHOICE else None

    def label(ma_lk: str, table: str, stt: str, variant: str, detail: str) -> None:
        portal = VARIANT_BY_NAME[variant].portal
        labels.append((file, ma_lk, table, stt, variant, portal, detail))

    if "district_empty" in chosen:
        for claim in claims:
            head = claim["XML1"][0]
            district = head["MAHUYEN_CU_TRU"]
            if head["NGAY_RA"][:8] >= DISTRICTS_ABOLISHED and district:
                head["MAHUYEN_CU_TRU"] = ""
                head["DIA_CHI"] = head["DIA_CHI"].replace(f", huyện {district}", "")
                label(
                    head["MA_LK"],
                    "XML1",
                    "",
                    "district_empty",
                    "MAHUYEN_CU_TRU "
                    f"empty (was {district}); NGAY_RA {head['NGAY_RA'][:8]}",
                )
    if "imaging_result_unnamed" in chosen:
        for claim in claims:
            for row in claim.get("XML4", []):
                info = SERVICES.get(row["MA_DICH_VU"])
                if info is not None and info.kind in IMAGING_KINDS and "MO_TA" in row:
                    row["TEN_CHI_SO"] = ""
                    label(
                        row["MA_LK"],
                        "XML4",
                        row["STT"],
                        "imaging_result_unnamed",
                        f"TEN_CHI_SO empty on the result of {row['MA_DICH_VU']}",
                    )
    first = claims[0]
    if rng is not None and "decimal_comma_quantity" in chosen:
        row = rng.choice(first["XML3"])
        row["SO_LUONG"] = _comma(row["SO_LUONG"])
        label(
            row["MA_LK"],
            "XML3",
            row["STT"],
            "decimal_comma_quantity",
            f"SO_LUONG written {row['SO_LUONG']}",
        )
    if rng is not None and "nan_number" in chosen:
        row = rng.choice(first["XML3"])
        row["DON_GIA_BV"] = "NaN"
        label(row["MA_LK"], "XML3", row["STT"], "nan_number", "DON_GIA_BV written NaN")
    if "decimal_comma_money" in chosen:
        head = first["XML1"][0]
        head["T_TONGCHI_BV"] = _comma(head["T_TONGCHI_BV"])
        label(
            head["MA_LK"],
            "XML1",
            "",
            "decimal_comma_money",
            f"T_TONGCHI_BV written {head['T_TONGCHI_BV']}",
        )
    if "inline_xml_table" in chosen:
        ma_lk = first["XML1"][0]["MA_LK"]
        label(
            ma_lk,
            "XML3",
            "",
            "inline_xml_table",
            "XML3 written as inline XML in NOIDUNGFILE, not base64",
        )
    return labels


def _comma(value: str) -> str:
    """Write a number with a decimal comma (``3127883.2`` → ``3127883,2``)."""
    return value.replace(".", ",") if "." in value else f"{value},0"


def file_labels(chosen: frozenset[str], *, file: str) -> list[LabelRow]:
    """Return the label rows of the file-level variants in ``chosen``."""
    return [
        (file, "", "", "", v.name, v.portal, v.description)
        for v in VARIANTS
        if v.scope is Scope.FILE and v.name in chosen
    ]


# -- byte variants (the envelope as written) ---------------------------------------


def inner_bytes(
    table: str, records: Sequence[dict[str, str]], chosen: frozenset[str]
) -> bytes:
    """Return one inner table file written with the byte variants in ``chosen``."""
    data = render_table(table, records)
    if "empty_optional_omitted" in chosen or "empty_open_close" in chosen:
        data = _reshape_empty(data, table, chosen)
    if "xsi_space_namespace" in chosen and table in XSI_TABLES:
        root = f"<{TABLES[table].root_tag}>".encode()
        data = data.replace(root, root[:-1] + _ROOT_ATTRIBUTES + b">", 1)
    if "no_declaration" in chosen:
        data = data.removeprefix(XML_DECLARATION)
    if "crlf_line_ends" in chosen:
        data = data.replace(b"\n", b"\r\n")
    if "utf8_bom" in chosen:
        data = BOM + data
    return data


def _payload(data: bytes, chosen: frozenset[str]) -> bytes:
    encoded = base64.b64encode(data)
    if "base64_wrapped" not in chosen:
        return encoded
    # MIME style: lines of 76 characters (base64.encodebytes does the same in
    # 57-byte steps, more slowly).
    return b"\n".join(
        [encoded[i : i + _BASE64_LINE] for i in range(0, len(encoded), _BASE64_LINE)]
    )


def envelope_bytes(
    claims: Sequence[ClaimRecords],
    *,
    ma_cskcb: str,
    ngay_lap: str,
    chosen: frozenset[str],
) -> bytes:
    """Return one ``GIAMDINHHS`` envelope written with the variants in ``chosen``.

    The same content as ``giamdinh.standard.writer.envelope_bytes`` gives, in the
    shapes the variants name (content variants are already in the records).
    """
    parts: list[bytes] = []
    for index, claim in enumerate(claims):
        parts.append(b"<HOSO>")
        for table in _ENVELOPE_ORDER:
            records = claim.get(table)
            if records is None:
                continue
            if index == 0 and table == "XML3" and "inline_xml_table" in chosen:
                payload = render_table(table, records).removeprefix(XML_DECLARATION)
            else:
                payload = _payload(inner_bytes(table, records, chosen), chosen)
            parts.append(
                b"<FILEHOSO><LOAIHOSO>"
                + table.encode("ascii")
                + b"</LOAIHOSO><NOIDUNGFILE>"
                + payload
                + b"</NOIDUNGFILE></FILEHOSO>"
            )
        parts.append(b"</HOSO>\n")
    head = (
        '<GIAMDINHHS xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema">\n'
        f"<THONGTINDONVI><MACSKCB>{escape_text(ma_cskcb)}</MACSKCB></THONGTINDONVI>\n"
        f"<THONGTINHOSO>\n<NGAYLAP>{escape_text(ngay_lap)}</NGAYLAP>\n"
        f"<SOLUONGHOSO>{len(claims)}</SOLUONGHOSO>\n<DANHSACHHOSO>\n"
    ).encode()
    foot = b"</DANHSACHHOSO>\n</THONGTINHOSO>\n<CHUKYDONVI />\n</GIAMDINHHS>\n"
    if "empty_open_close" in chosen:
        foot = foot.replace(b"<CHUKYDONVI />", b"<CHUKYDONVI></CHUKYDONVI>")
    data = head + b"".join(parts) + foot
    if "crlf_line_ends" in chosen:
        data = data.replace(b"\n", b"\r\n")
    if "no_declaration" not in chosen:
        data = (
            XML_DECLARATION.replace(
                b"\n", b"\r\n" if "crlf_line_ends" in chosen else b"\n"
            )
            + data
        )
    if "utf8_bom" in chosen:
        data = BOM + data
    return data


def _share_text(variant: Variant) -> str:
    if variant.enabled:
        return f"{variant.default_share:.2f}"
    return f"0 ({variant.share:.2f} once `{variant.waits_for}`)"


def render_variants_markdown() -> str:
    """Return the variant table of ``docs/synth.md``."""
    rows = [
        "| variant | portal | default share of files | label names | what is written |",
        "|---|---|---|---|---|",
    ]
    rows += [
        f"| `{v.name}` | {v.portal} | {_share_text(v)} | {v.scope} | {v.description} |"
        for v in VARIANTS
    ]
    return "\n".join(rows) + "\n"


__all__ = [
    "ACCEPTS",
    "DISTRICTS_ABOLISHED",
    "READER_ACCEPTS_XSI_SPACE",
    "RECEPTION_ALLOWS_NO_DISTRICT",
    "RECEPTION_ALLOWS_UNNAMED_IMAGING",
    "REJECTS",
    "VARIANTS",
    "VARIANT_NAMES",
    "VARIANT_TRUTH_COLUMNS",
    "VARIANT_TRUTH_FILE",
    "XSI_WITH_SPACE",
    "Portal",
    "Scope",
    "Variant",
    "apply_content",
    "choose",
    "envelope_bytes",
    "file_labels",
    "inner_bytes",
    "optional_fields",
    "variant_shares",
]
