"""Policy options: named, reviewed changes to what the fund pays, kept as TOML files.

A policy option says what would change if a payment policy were adopted: rules
switched off, their severity or parameters changed, rules added from a template of
the policy library (``giamdinh.policy.templates``), rows added to (or replacing)
an edit table or a reference table, or, for a *price* option, a new unit price per
technique. It carries the texts it rests on. Options are files under review like
rules: one TOML per option, validated when loaded (an unknown key, rule, template,
parameter or table is an error naming the file and the entry). The option's
identity in a replay is the SHA-256 of its file's bytes (and of its price file).

Example (``options/C.toml``)::

    id = "C"
    title = "Thanh toán theo hợp đồng, sau hợp đồng đến khi dùng hết hóa chất"
    title_en = "Pay per contract, then until the reagents are used up"
    citations = ["nq144_2022/4", "nq30_2023/1"]

    [[rules]]
    id = "TB006"
    enabled = false

    [[templates]]
    template = "lent_machine_payment"
    params = { within_contract = "pay", after_contract = "until_used_up" }

The built-in options (``A``–``D`` for machines lent by reagent suppliers, and
``baseline``, which changes nothing) are in ``giamdinh/policy/options/``; any
other option is given by its path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from giamdinh.domain import Basis, Severity
from giamdinh.errors import ConfigError

OPTIONS_DIR = Path(__file__).parent / "options"
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
PRICE_RE = re.compile(r"^\d+(\.\d{1,3})?$")
GROUPED_RE = re.compile(r"^\d{1,3}(\.\d{3})+$")
"""``73.300`` is 73 300 đồng with a thousands separator far more often than 73,3:
a price written so is refused, never guessed."""

ParamValue = int | str | date


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BasisEntry(_Model):
    """A text an option rests on that is not (yet) a row of the citations."""

    document: str = Field(min_length=1)
    article: str = ""
    date: dt.date | None = None
    note: str = ""


class RuleChange(_Model):
    """Switch a rule of the rule set on or off, change its severity or parameters."""

    id: str
    enabled: bool | None = None
    severity: Severity | None = None
    params: dict[str, ParamValue] | None = None

    @field_validator("id")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()


class TemplateUse(_Model):
    """Add the rules of a template of the policy library, with parameters."""

    template: str
    params: dict[str, ParamValue] = Field(default_factory=dict)


class TableRows(_Model):
    """Rows added to (``append``) or replacing (``replace``) a view's rows.

    ``view`` is a reference view (``ref_equipment_sources``…) or an edit-table
    view (``edit_<name>``); row keys are its column names (lower case).
    """

    view: str
    mode: Literal["append", "replace"] = "append"
    rows: list[dict[str, Any]] = Field(default_factory=list)


class PriceChange(_Model):
    """A new unit price per technique: from a CSV file, or from the norms.

    ``source = "file"``: ``file`` (beside the option) has ``MA_DICH_VU``,
    ``DON_GIA`` and optionally ``MA_CSKCB`` (a facility's own price; a row without
    it applies to every facility).

    ``source = "norms"``: each facility's price of a service is the norm-based cost
    of its technique at the facility's own annual volume, counted from the claims
    replayed (``giamdinh.norms.volume_price``, seed 000's calculation by volume):
    ``norms = "stored"`` takes the national norms and the price book of the
    operational database (``price_book`` names one; the one in force otherwise),
    ``norms = "demo"`` the demo's norms and price book (no database).
    """

    source: Literal["file", "norms"] = "file"
    file: str | None = None
    norms: Literal["stored", "demo"] = "stored"
    price_book: str | None = None
    valid_from: date | None = None
    note: str = ""

    @model_validator(mode="after")
    def _file_given(self) -> PriceChange:
        if self.source == "file" and not self.file:
            msg = "prices.file is required when prices come from a file"
            raise ValueError(msg)
        return self


class OptionSpec(_Model):
    """The content of one option file."""

    id: str
    title: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    summary: str = ""
    summary_en: str = ""
    citations: list[str] = Field(default_factory=list)
    basis: list[BasisEntry] = Field(default_factory=list)
    rules: list[RuleChange] = Field(default_factory=list)
    templates: list[TemplateUse] = Field(default_factory=list)
    tables: list[TableRows] = Field(default_factory=list)
    prices: PriceChange | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not ID_RE.match(value):
            msg = (
                "must be letters, digits, '-' or '_' (at most 32), e.g. 'A' or 'lent-c'"
            )
            raise ValueError(msg)
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceRow:
    """One new price of a price option."""

    ma_dich_vu: str
    don_gia: Decimal
    ma_cskcb: str | None
    row: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyOption:
    """A loaded option: its content, where it came from and its hash.

    Attributes:
        spec: the validated content.
        path: the option file.
        sha256: hash of the file's bytes, and of its price file's bytes.
        prices: the rows of the price file of a price option.
    """

    spec: OptionSpec
    path: Path
    sha256: str
    prices: tuple[PriceRow, ...] = ()

    @property
    def id(self) -> str:
        """Return the option's id."""
        return self.spec.id

    def bases(self) -> tuple[Basis, ...]:
        """Return the option's texts as bases (citations first, then the others)."""
        # NOTE: imported here: rules sit below policy, and citations load a CSV.
        from giamdinh.rules.citations import cite  # noqa: PLC0415

        out = [cite(key) for key in self.spec.citations]
        out.extend(
            Basis(document=b.document, article=b.article, date=b.date)
            for b in self.spec.basis
        )
        return tuple(out)


def builtin_options() -> list[Path]:
    """Return the built-in option files, sorted by name."""
    return sorted(OPTIONS_DIR.glob("*.toml"))


def find_option(name: str) -> Path:
    """Return the file of an option given by path or by built-in id (``A``…).

    Raises:
        ConfigError: no such file and no built-in option of that id.
    """
    path = Path(name)
    if path.suffix == ".toml" and path.is_file():
        return path
    for candidate in builtin_options():
        if candidate.stem.lower() == name.lower():
            return candidate
    known = ", ".join(p.stem for p in builtin_options())
    msg = (
        f"không có phương án {name!r} (tệp .toml hoặc một trong: {known}) / "
        f"no option {name!r}: give a .toml file or one of {known}"
    )
    raise ConfigError(msg)


def _where(exc: ValidationError) -> str:
    first = exc.errors()[0]
    place = ".".join(str(p) for p in first["loc"])
    return f"{place}: {first['msg']}"


def _read_prices(option: Path, spec: PriceChange) -> tuple[tuple[PriceRow, ...], bytes]:
    import csv  # noqa: PLC0415

    path = (option.parent / (spec.file or "")).resolve()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        msg = f"phương án {option}: không đọc được tệp giá {path} / cannot read {exc}"
        raise ConfigError(msg) from exc
    text = raw.decode("utf-8-sig")
    reader = csv.DictReader(text.splitlines())
    header = {h.strip().upper() for h in reader.fieldnames or []}
    missing = {"MA_DICH_VU", "DON_GIA"} - header
    if missing:
        msg = (
            f"{path}: thiếu cột {', '.join(sorted(missing))} / missing column(s) "
            f"{', '.join(sorted(missing))}"
        )
        raise ConfigError(msg)
    rows: list[PriceRow] = []
    for number, record in enumerate(reader, start=2):
        cells = {k.strip().upper(): (v or "").strip() for k, v in record.items() if k}
        code, price = cells.get("MA_DICH_VU", ""), cells.get("DON_GIA", "")
        value = (
            Decimal(price)
            if PRICE_RE.fullmatch(price) and not GROUPED_RE.fullmatch(price)
            else None
        )
        if not code or value is None:
            msg = (
                f"{path}, dòng {number}: MA_DICH_VU={code!r}, DON_GIA={price!r} không "
                f"hợp lệ (số dùng dấu '.' thập phân, không dấu phân cách nghìn) / row "
                f"{number}: invalid service code or price"
            )
            raise ConfigError(msg)
        rows.append(
            PriceRow(
                ma_dich_vu=code,
                don_gia=value,
                ma_cskcb=cells.get("MA_CSKCB") or None,
                row=number,
            )
        )
    return tuple(rows), raw


def load_option(name: str | Path) -> PolicyOption:
    """Load and validate one option (a path, or a built-in id).

    Raises:
        ConfigError: the file is missing, not TOML, or not a valid option; the
            message names the file and the entry.
    """
    path = find_option(str(name))
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        msg = f"phương án {path}: không phải TOML hợp lệ / not valid TOML: {exc}"
        raise ConfigError(msg) from exc
    try:
        spec = OptionSpec.model_validate(data)
    except ValidationError as exc:
        msg = f"phương án {path}: {_where(exc)} / option {path}: {_where(exc)}"
        raise ConfigError(msg) from exc
    digest = hashlib.sha256(raw)
    prices: tuple[PriceRow, ...] = ()
    if spec.prices is not None and spec.prices.source == "file":
        prices, price_bytes = _read_prices(path, spec.prices)
        digest.update(price_bytes)
    return PolicyOption(spec=spec, path=path, sha256=digest.hexdigest(), prices=prices)
