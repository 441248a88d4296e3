"""Rule cases: tiny given tables and the hits a rule must produce on them.

A case file (``tests/rules/cases/CT001.yml``) holds named cases::

    rule: CT001
    cases:
      - name: above_price
        doc: true
        description: billed 70 000 for a service approved at 58 600
        given:
          xml3: [{ma_lk: A, stt: 1, ma_dich_vu: 18.0015.0001, don_gia_bh: 70000}]
          ref_services: [{ma_cskcb: "92114", ma_dich_vu: 18.0015.0001,
                          don_gia: 58600, valid_from: 2026-01-01}]
        expect: [{ma_lk: A, stt: 1}]

Tables list only the columns that matter; ``build_views`` fills the rest: every
``MA_LK`` of a line table gets an ``xml1`` row (facility ``92114``, admitted the
day of its first line), lines get ``stt`` 1…, ``so_luong`` 1, ``ngay_yl``
2026-03-02 09:00 and ``t_bhtt`` = ``don_gia_bh`` × ``so_luong``. The shipped
edit tables are used unless the case gives its own ``edit_*`` rows. The same
cases feed the generated rule pages (``doc: true``), so every documented example
is executed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict, Field

from giamdinh.engine.run import assess
from giamdinh.engine.views import (
    MONEY,
    REFERENCE_COLUMNS,
    claim_schema,
    edit_table_arrow,
    logical_views,
)
from giamdinh.errors import ConfigError
from giamdinh.standard.spec import TABLES

if TYPE_CHECKING:
    from giamdinh.backends.base import Backend
    from giamdinh.engine.run import Assessment
    from giamdinh.rules.registry import RuleSet

DEFAULT_CSKCB = "92114"
DEFAULT_ORDER_TIME = datetime(2026, 3, 2, 9, 0)  # noqa: DTZ001 - naive by contract 4
Row = dict[str, Any]


class Expected(BaseModel):
    """One expected hit: its claim and line, optionally its amount."""

    model_config = ConfigDict(extra="forbid")

    ma_lk: str
    stt: int | None = None
    amount: Decimal | None = None


class Case(BaseModel):
    """One named case of a rule."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    doc: bool = False
    given: dict[str, list[Row]] = Field(default_factory=dict)
    expect: list[Expected] = Field(default_factory=list)
    as_of: date | None = None
    engines: list[str] | None = None

    def runs_on(self, engine: str) -> bool:
        """Return whether the case runs on ``engine``.

        Without an explicit ``engines`` list, documented cases run on every
        engine and the others on DuckDB only: Spark's per-query start-up makes
        each case cost seconds, and the parity test covers every rule on Spark.
        """
        if self.engines is not None:
            return engine in self.engines
        return self.doc or engine == "duckdb"


class CaseFile(BaseModel):
    """All cases of one rule."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    cases: list[Case]


def load_case_file(path: Path) -> CaseFile:
    """Read and validate one case file.

    Raises:
        ConfigError: the file is not valid YAML or not a case file.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return CaseFile.model_validate(data)
    except (yaml.YAMLError, ValueError) as exc:
        raise ConfigError(f"case file {path}: {exc}") from exc


def load_all_cases(folder: Path) -> dict[str, CaseFile]:
    """Return every case file of ``folder`` keyed by rule id."""
    files = [load_case_file(p) for p in sorted(folder.glob("*.yml"))]
    return {f.rule: f for f in files}


def _value(value: object, typ: pa.DataType) -> object:  # noqa: PLR0911 - one per type
    """Coerce a YAML scalar to the Python value Arrow expects for ``typ``."""
    if value is None:
        return None
    if pa.types.is_decimal(typ):
        return Decimal(str(value))
    if pa.types.is_timestamp(typ):
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)  # noqa: DTZ001
        return datetime.fromisoformat(str(value))
    if pa.types.is_date(typ):
        if isinstance(value, datetime):
            return value.date()
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    if pa.types.is_integer(typ):
        return int(str(value))
    if pa.types.is_string(typ):
        return str(value)
    return value


def _table(rows: list[Row], schema: dict[str, pa.DataType], *, name: str) -> pa.Table:
    unknown = {k for r in rows for k in r} - set(schema)
    if unknown:
        msg = f"case table {name}: unknown columns {sorted(unknown)}"
        raise ConfigError(msg)
    return pa.table(
        {
            col: pa.array([_value(r.get(col), typ) for r in rows], type=typ)
            for col, typ in schema.items()
        }
    )


def _fill_lines(rows: list[Row], code_field: str) -> list[Row]:
    out: list[Row] = []
    for n, row in enumerate(rows, start=1):
        filled = {"stt": n, "so_luong": 1, "ngay_yl": DEFAULT_ORDER_TIME, **row}
        if "t_bhtt" not in filled:
            price = filled.get("don_gia_bh", filled.get("don_gia"))
            if price is not None:
                filled["t_bhtt"] = Decimal(str(price)) * Decimal(
                    str(filled["so_luong"])
                )
        filled.setdefault(code_field, None)
        out.append(filled)
    return out


def build_tables(
    given: dict[str, list[Row]], rule_set: RuleSet
) -> tuple[dict[str, pa.Table], dict[str, pa.Table], dict[str, pa.Table]]:
    """Build claim, reference and edit tables from a case's ``given`` rows.

    Returns:
        (claims keyed ``XML1``…, reference keyed ``ref_*``, edit overrides keyed
        ``edit_*``).
    """
    given = {k.lower(): v for k, v in given.items()}
    lines = {
        "xml2": _fill_lines(given.get("xml2", []), "ma_thuoc"),
        "xml3": _fill_lines(given.get("xml3", []), "ma_dich_vu"),
    }
    headers = {str(r["ma_lk"]): dict(r) for r in given.get("xml1", [])}
    for rows in lines.values():
        for row in rows:
            ma_lk = str(row["ma_lk"])
            header = headers.setdefault(ma_lk, {"ma_lk": ma_lk})
            header.setdefault("ma_cskcb", DEFAULT_CSKCB)
            header.setdefault("ngay_vao", row["ngay_yl"])
    claims: dict[str, pa.Table] = {}
    for name in TABLES:
        key = name.lower()
        rows = (
            list(headers.values())
            if key == "xml1"
            else lines.get(key, given.get(key, []))
        )
        if rows:
            claims[name] = _table(rows, claim_schema(name), name=key)
    reference: dict[str, pa.Table] = {}
    edits: dict[str, pa.Table] = {}
    for key, rows in given.items():
        if key.startswith("ref_"):
            schema = dict(REFERENCE_COLUMNS.get(key, {}))
            for row in rows:
                for col in row:
                    schema.setdefault(col, _guess_type(col))
            reference[key] = _table(rows, schema, name=key)
        elif key.startswith("edit_"):
            table = rule_set.tables.get(key.removeprefix("edit_"))
            if table is None:
                raise ConfigError(f"case table {key}: no such edit table")
            schema = dict(
                zip(
                    table.spec.all_columns,
                    edit_table_arrow(table).schema.types,
                    strict=True,
                )
            )
            edits[key] = _table(rows, schema, name=key)
    return claims, reference, edits


def _guess_type(column: str) -> pa.DataType:
    if column in {"valid_from", "valid_to"}:
        return pa.date32()
    if column.startswith(("don_gia", "gia_")):
        return MONEY
    return pa.string()


def run_case(
    case: Case, rule_set: RuleSet, backend: Backend, *, decide: bool = True
) -> Assessment:
    """Run ``rule_set`` (usually one rule) over the case's tables on ``backend``.

    With ``decide=False`` only the findings are computed (lines and claims are
    empty), which is all a case checks.
    """
    claims, reference, edits = build_tables(case.given, rule_set)
    views = logical_views(
        claims=claims, reference=reference, edits=rule_set.tables, as_of=case.as_of
    )
    for name, table in edits.items():
        views[name] = table
    return assess(backend, views, rule_set, as_of=case.as_of, decide=decide)


def hits_of(result: Assessment) -> list[Expected]:
    """Return the hits of an assessment in the shape of ``Case.expect``."""
    return [
        Expected(ma_lk=r["ma_lk"], stt=r["stt"], amount=r["amount"])
        for r in result.findings.to_pylist()
    ]


def matches(expected: list[Expected], got: list[Expected]) -> bool:
    """Return whether the hits are the expected ones (amounts when given)."""
    want = sorted((e.ma_lk, e.stt or 0) for e in expected)
    have = sorted((g.ma_lk, g.stt or 0) for g in got)
    if want != have:
        return False
    amounts = {(g.ma_lk, g.stt or 0): g.amount for g in got}
    return all(
        e.amount is None or amounts[(e.ma_lk, e.stt or 0)] == e.amount for e in expected
    )


def default_cases_dir() -> Path:
    """Return ``tests/rules/cases`` of a source checkout (for docs and dry runs)."""
    return Path(__file__).resolve().parents[3] / "tests" / "rules" / "cases"
