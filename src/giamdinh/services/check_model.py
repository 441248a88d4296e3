"""The output of ``giamdinh check``: one model for the JSON, the table and the XLSX.

``schemas/check-output.schema.json`` is this model's JSON Schema (a test keeps the
two equal). Money is ``Decimal`` until it is written: the JSON carries whole đồng
as integers and other amounts as the shortest decimal text of their value (amounts
have 2 decimals and fewer than 16 significant digits, so no digit is lost).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from giamdinh.domain import Severity
from giamdinh.errors import ConfigError

FAIL_LEVELS = ("refuse", "adjust", "review", "info", "never")
SCHEMA_ID = "https://giamdinh.example/schemas/check-output.schema.json"
MONEY_KEYS = ("claimed", "payable", "refused", "adjusted", "under_review")


def money_json(value: Decimal) -> int | float:
    """Return an amount as a JSON number: an ``int`` when whole, else a ``float``.

    NOTE: a float of a 2-decimal amount under 10^13 prints back as the same
    digits (shortest round-trip repr), so the JSON text is exact.
    """
    if value == value.to_integral_value():
        return int(value)
    return float(value)


Money = Annotated[
    Decimal,
    PlainSerializer(money_json, return_type=int | float),
    Field(description="đồng"),
]
TableName = Annotated[
    str | None,
    Field(
        pattern=r"^XML([0-9]|1[0-5])$",
        description="XML0…XML15; null for a claim- or file-level item",
    ),
]
EvidenceValue = str | int | float | bool | None


class BasisOut(BaseModel):
    """A legal basis as printed in the check output."""

    model_config = ConfigDict(extra="forbid")

    document: str
    article: str | None
    date: str | None


class FindingOut(BaseModel):
    """One finding of one rule on one line (or the claim)."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    rule_version: int
    severity: Severity
    refusal_code: str | None = Field(
        description=(
            "the insurer's refusal code, e.g. S.005.434: the edit-table row's own "
            "code (evidence ma_ly_do) where the rule reads one, else the rule's"
        )
    )
    table: TableName
    stt: int | None = Field(description="the line's STT; null for a claim finding")
    code: str | None = Field(description="MA_DICH_VU / MA_THUOC / MA_VAT_TU")
    amount: Money
    message: str = Field(description="Vietnamese")
    message_en: str = Field(description="English")
    basis: list[BasisOut]
    evidence: dict[str, EvidenceValue] = Field(
        description="typed as the rule computed it: codes stay text (01929)"
    )


class ProblemOut(BaseModel):
    """A problem of a file or claim found before the rules: reader or portal."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="IN… reader, RC… portal reception, CK… check")
    severity: Severity
    message: str
    message_en: str | None
    ma_lk: str | None
    table: TableName
    stt: int | None
    field: str | None
    value: str | None = Field(description="the offending text, as written")


class NotCheckedOut(BaseModel):
    """A rule that could not be checked on a claim, and why."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    reason: str = Field(description="Vietnamese")
    reason_en: str = Field(description="English")
    table: TableName
    field: str | None = Field(
        description="the field that did not parse, or null (reference missing)"
    )
    reference: str | None = Field(
        description="the reference file that is missing, or null"
    )


class ClaimOut(BaseModel):
    """One claim: the portal's verdict, the rules' decision and what was not checked.

    ``reception`` is ``rejected`` when the portal would refuse the claim (its
    problems are in ``reception_errors``); the rules still assess it, so every
    problem is fixed in one pass. When a money field of the decision
    (``T_BHTT`` of XML1, XML2 or XML3) did not parse, ``money`` is
    ``not_assessable`` and the five amounts are null: a value that did not parse
    never becomes money.
    """

    model_config = ConfigDict(extra="forbid")

    ma_lk: str
    ma_cskcb: str | None
    file: str | None
    reception: Literal["accepted", "rejected"]
    money: Literal["assessed", "not_assessable"]
    claimed: Money | None
    payable: Money | None
    refused: Money | None
    adjusted: Money | None
    under_review: Money | None
    findings: list[FindingOut]
    reception_errors: list[ProblemOut]
    not_checked: list[NotCheckedOut]


class FileOut(BaseModel):
    """One input file: read, partly rejected, rejected or a duplicate."""

    model_config = ConfigDict(extra="forbid")

    path: str
    status: Literal["ok", "partial", "rejected", "duplicate"]
    sha256: str | None
    claims: int = Field(description="claims of the file that were read")
    duplicate_of: str | None = Field(
        description="the earlier input with the same bytes (status duplicate)"
    )
    errors: list[ProblemOut] = Field(
        description="problems of the file, and of claims the reader could not read"
    )


class ReferenceProblemOut(BaseModel):
    """A problem of a reference file, row by row, and what the loader did."""

    model_config = ConfigDict(extra="forbid")

    file: str
    row: int | None = Field(description="the row a person sees (header = 1)")
    column: str | None
    value: str | None = Field(description="the cell as written")
    message: str = Field(description="Vietnamese")
    message_en: str = Field(description="English")
    outcome: str = Field(
        description=(
            "file_not_loaded, column_ignored, row_skipped, value_ignored or kept"
        )
    )


class ReferenceOut(BaseModel):
    """The reference data the check used."""

    model_config = ConfigDict(extra="forbid")

    folder: str | None
    missing: list[str] = Field(
        description=(
            "reference files not given or unusable: rules reading them say not checked"
        )
    )
    problems: list[ReferenceProblemOut] = Field(
        description="the loading report of the reference folder, row by row"
    )


class TotalsOut(BaseModel):
    """Sums over the assessed claims (claimed = payable + the other three)."""

    model_config = ConfigDict(extra="forbid")

    claims: int
    claims_rejected_by_portal: int
    claims_not_assessable: int
    claimed: Money
    payable: Money
    refused: Money
    adjusted: Money
    under_review: Money


class CheckOutput(BaseModel):
    """The JSON of ``giamdinh check`` (``schemas/check-output.schema.json``)."""

    model_config = ConfigDict(extra="forbid", title="giamdinh check output")

    rule_set: str
    as_of: str | None
    reference: ReferenceOut
    files: list[FileOut]
    claims: list[ClaimOut]
    totals: TotalsOut


def check_output_schema() -> dict[str, Any]:
    """Return the JSON Schema of the check output (as serialised)."""
    schema = CheckOutput.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def check_output_schema_text() -> str:
    """Return the JSON Schema as the text of ``schemas/check-output.schema.json``."""
    return json.dumps(check_output_schema(), ensure_ascii=False, indent=2) + "\n"


def check_json(output: CheckOutput) -> str:
    """Return the check output as indented JSON (UTF-8, Vietnamese kept)."""
    return json.dumps(output.model_dump(mode="json"), ensure_ascii=False, indent=2)


def exit_code(output: CheckOutput, fail_on: str) -> int:
    """Return 1 when a finding or a problem reaches ``fail_on``, else 0.

    A file or a claim the portal would reject always fails (unless ``never``).

    Raises:
        ConfigError: ``fail_on`` is not one of ``FAIL_LEVELS``.
    """
    if fail_on not in FAIL_LEVELS:
        msg = f"--fail-on must be one of {', '.join(FAIL_LEVELS)}, not {fail_on!r}"
        raise ConfigError(msg)
    if fail_on == "never":
        return 0
    threshold = Severity(fail_on).rank
    severities = [f.severity for c in output.claims for f in c.findings]
    severities += [e.severity for c in output.claims for e in c.reception_errors]
    severities += [e.severity for f in output.files for e in f.errors]
    rejected = any(f.status == "rejected" for f in output.files) or any(
        c.reception == "rejected" for c in output.claims
    )
    return 1 if rejected or any(s.rank >= threshold for s in severities) else 0
