"""Code syntaxes of the reference data: ``MA_DICH_VU``, ICD-10, ``MA_MAY``.

Each parser has a Python form (for the CLI and tests) and, where rules need it in
SQL, an expression builder returning DuckDB SQL (``regexp_*`` functions that sqlglot
also translates for Spark).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class ServiceCodeKind(StrEnum):
    """What a ``MA_DICH_VU`` designates (research note §10.2)."""

    TECHNIQUE = "technique"
    CONSULTATION = "consultation"
    TRANSPORT = "transport"
    BED = "bed"
    UNKNOWN = "unknown"


class ServiceVariant(StrEnum):
    """The variant suffix of a technique code (QĐ 130/4750 appendix, XML3)."""

    STANDARD = "standard"
    LOCAL_ANAESTHESIA = "gt"
    NOT_COMPLETED = "tb"
    NO_PRICE = "no_price"


_TECHNIQUE_RE = re.compile(
    r"^(?P<chuong>\d{2})\.(?P<stt>\d{3}[0-9a-z])\.(?P<gia>\d{4})"
    r"(?P<suffix1>_GT|_TB)?(?:\.K\.(?P<k>\d{5}))?(?P<suffix2>_GT|_TB)?$"
)
_CONSULTATION_RE = re.compile(r"^(?P<chuong>\d{2})\.(?P<stt>\d{2})$")
_TRANSPORT_RE = re.compile(r"^VC\.(?P<dest>\d{5})$")
_BED_RE = re.compile(r"^K\d{2}\.[A-Z]{2}\d+$")


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceCode:
    """A parsed ``MA_DICH_VU``.

    Attributes:
        raw: the code as written (stripped).
        kind: technique, consultation, transport, bed or unknown.
        chuong: chapter ``XX`` (techniques and consultations).
        ma_ky_thuat: technique ``XX.YYYY`` (TT 43/21 chapter + STT).
        stt_gia: price item ``ZZZZ``.
        base: ``XX.YYYY.ZZZZ`` without variant suffixes, or ``raw`` for other kinds.
        variant: standard, ``_GT``, ``_TB`` or ``.0000`` (no price yet).
        performed_at: ``WWWWW`` of ``.K.WWWWW`` (service done at another facility).
        transport_destination: ``XXXXX`` of ``VC.XXXXX``.
    """

    raw: str
    kind: ServiceCodeKind
    chuong: str | None = None
    ma_ky_thuat: str | None = None
    stt_gia: str | None = None
    base: str = ""
    variant: ServiceVariant = ServiceVariant.STANDARD
    performed_at: str | None = None
    transport_destination: str | None = None


def parse_service_code(code: str) -> ServiceCode:
    """Parse a ``MA_DICH_VU`` into its parts; unknown shapes get ``kind=unknown``.

    Args:
        code: the service code as written in XML3 or a catalogue.

    Returns:
        The parsed code; never raises for bad input (bad codes are data problems).
    """
    raw = code.strip()
    if m := _TECHNIQUE_RE.match(raw):
        suffix = m["suffix1"] or m["suffix2"]
        variant = ServiceVariant.STANDARD
        if suffix == "_GT":
            variant = ServiceVariant.LOCAL_ANAESTHESIA
        elif suffix == "_TB":
            variant = ServiceVariant.NOT_COMPLETED
        elif m["gia"] == "0000":
            variant = ServiceVariant.NO_PRICE
        return ServiceCode(
            raw=raw,
            kind=ServiceCodeKind.TECHNIQUE,
            chuong=m["chuong"],
            ma_ky_thuat=f"{m['chuong']}.{m['stt']}",
            stt_gia=m["gia"],
            base=f"{m['chuong']}.{m['stt']}.{m['gia']}",
            variant=variant,
            performed_at=m["k"],
        )
    if m := _CONSULTATION_RE.match(raw):
        return ServiceCode(
            raw=raw, kind=ServiceCodeKind.CONSULTATION, chuong=m["chuong"], base=raw
        )
    if m := _TRANSPORT_RE.match(raw):
        return ServiceCode(
            raw=raw,
            kind=ServiceCodeKind.TRANSPORT,
            base=raw,
            transport_destination=m["dest"],
        )
    if _BED_RE.match(raw):
        return ServiceCode(raw=raw, kind=ServiceCodeKind.BED, base=raw)
    return ServiceCode(raw=raw, kind=ServiceCodeKind.UNKNOWN, base=raw)


def base_service_code_sql(expr: str) -> str:
    """Return SQL that strips ``_GT``/``_TB`` and ``.K.WWWWW`` from a service code.

    Args:
        expr: a SQL expression of type string (e.g. ``x.ma_dich_vu``).

    Returns:
        A SQL expression (DuckDB dialect, translatable by sqlglot).
    """
    return (
        f"regexp_replace(trim({expr}), '(_GT|_TB)?(\\.K\\.[0-9]{{5}})?(_GT|_TB)?$', '')"
    )


_ICD_STRIP_RE = re.compile(r"[\s.†*+✝]")


def icd_nodot(code: str) -> str:
    """Normalise an ICD-10 code to the undotted upper-case form (``J20.9`` → ``J209``).

    Dagger and asterisk marks (``†``, ``+``, ``*``) and spaces are removed.
    """
    return _ICD_STRIP_RE.sub("", code).upper()


def icd_dotted(code: str) -> str:
    """Return the dotted form of an ICD-10 code (``J209`` → ``J20.9``)."""
    bare = icd_nodot(code)
    return bare if len(bare) <= 3 else f"{bare[:3]}.{bare[3:]}"  # noqa: PLR2004


def icd_nodot_sql(expr: str) -> str:
    """Return SQL normalising an ICD-10 code column like :func:`icd_nodot`."""
    return f"upper(regexp_replace({expr}, '[\\s.†*+✝]', '', 'g'))"


_MA_MAY_RE = re.compile(
    r"^(?P<group>[A-ZĐ]{2,3})\.(?:(?P<fund>[12])\.(?P<facility>\d{5})|(?P<fund3>3[^.]*))"
    r"\.(?P<serial>.+)$"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class MachineCode:
    """A parsed ``MA_MAY`` = ``XX.n.YYYYY.Z`` (QĐ 130 appendix, research note §8.1).

    Attributes:
        raw: the code as written.
        group: machine group (``XQ``, ``SA``, ``CL``, ``MRI``, ``NS``, ``ĐT``…).
        funding: ``1`` state budget, ``2`` socialised capital, ``3…`` other sources.
        facility: the 5-digit ``MA_CSKCB`` (absent for funding 3).
        serial: serial number or facility management code.
    """

    raw: str
    group: str
    funding: str
    facility: str | None
    serial: str


def parse_machine_code(code: str) -> MachineCode | None:
    """Parse a ``MA_MAY``; return ``None`` when it does not have the official shape."""
    raw = code.strip()
    m = _MA_MAY_RE.match(raw)
    if m is None:
        return None
    return MachineCode(
        raw=raw,
        group=m["group"],
        funding=m["fund"] or m["fund3"],
        facility=m["facility"],
        serial=m["serial"],
    )


def machine_group_sql(expr: str) -> str:
    """Return SQL extracting the machine group prefix of a ``MA_MAY`` column."""
    return f"regexp_extract({expr}, '^([A-ZĐ]{{2,3}})\\.', 1)"
