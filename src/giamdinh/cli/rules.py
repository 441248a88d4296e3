"""``giamdinh rules list|show|dry-run|override|docs``."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from giamdinh.cli import render
from giamdinh.cli.errors import operator_errors
from giamdinh.cli.options import AS_OF_OPTION, OVERRIDES_OPTION, parse_day
from giamdinh.cli.render import Column
from giamdinh.errors import ConfigError

if TYPE_CHECKING:
    from giamdinh.domain import Severity
    from giamdinh.services.assessment import DryRun

# NOTE: the rule engine (DuckDB, sqlglot) is imported inside each command: see
# giamdinh.cli.main.

app = typer.Typer(
    help="Bộ quy tắc giám định: xem, chạy thử, ghi đè.", no_args_is_help=True
)


@app.command("list")
def list_rules(
    overrides: Path | None = OVERRIDES_OPTION, wide: bool = render.WIDE_OPTION
) -> None:
    """List the rules in force (after this deployment's overrides)."""
    from giamdinh.services.assessment import load_rules  # noqa: PLC0415

    with operator_errors():
        rules, label = load_rules(overrides_path=overrides)
    columns = [
        Column("id", "code"),
        Column("v", "number"),
        Column("severity", "code"),
        Column("refusal", "code"),
        Column("effective", "code"),
        *([Column("name", "code")] if wide else []),
        Column("title"),
    ]
    rows = []
    for rule in rules:
        end = rule.effective.end.isoformat() if rule.effective.end else "…"
        rows.append(
            (
                rule.id,
                rule.version,
                rule.severity.value,
                rule.refusal_code or "",
                f"{rule.effective.start.isoformat()}→{end}",
                *([rule.name] if wide else []),
                rule.title,
            )
        )
    render.print_table(columns, rows, title=f"Bộ quy tắc {label}", wide=wide)


@app.command("show")
def show(rule_id: str = typer.Argument(..., help="Rule id, e.g. CT001.")) -> None:
    """Show a rule: documentation, versions, basis and SQL."""
    from giamdinh.services.assessment import load_rules  # noqa: PLC0415

    with operator_errors():
        rules, _ = load_rules()
        versions = rules.get(rule_id)
    out = render.console()
    for rule in versions:
        out.print(f"[bold]{rule.id} v{rule.version}[/] {rule.name} ({rule.severity})")
        out.print(escape((rule.doc or "").strip()))
        for basis in rule.basis:
            out.print(f"  căn cứ: {escape(basis.cite())}")
        out.print(escape(rule.sql))


def _print_dry_run(result: DryRun) -> None:
    render.print_table(
        [
            Column("MA_CSKCB", "code"),
            Column("phát hiện / hits", "number"),
            Column("hồ sơ / claims", "number"),
            Column("đồng", "money"),
        ],
        [
            *((f.ma_cskcb, f.hits, f.claims, f.amount) for f in result.facilities),
            ("Σ", result.hits, "", result.amount),
        ],
        title=f"Chạy thử {result.rule_id} ({result.severity}) {result.rule_set}",
    )


@app.command("dry-run")
def dry_run(  # noqa: PLR0917 - Typer commands take their options positionally
    rule_id: str = typer.Argument(..., help="Rule id, e.g. TH002."),
    paths: list[Path] | None = typer.Argument(
        None, help="Claim files (else the store)."
    ),
    store: Path | None = typer.Option(None, "--store", help="Claim store directory."),
    reference: Path | None = typer.Option(
        None, "--reference", help="Reference folder."
    ),
    severity: str | None = typer.Option(None, "--severity", help="Proposed severity."),
    as_of: str | None = AS_OF_OPTION,
) -> None:
    """Run one rule (at a proposed severity) and report hits and money by facility."""
    from giamdinh.config import get_settings  # noqa: PLC0415
    from giamdinh.services.assessment import dry_run_files, dry_run_store  # noqa: PLC0415

    with operator_errors():
        level = _severity(severity)
        day = parse_day(as_of)
        if paths:
            result = dry_run_files(
                rule_id, paths, severity=level, reference_dir=reference, as_of=day
            )
        else:
            result = dry_run_store(
                rule_id,
                store or get_settings().store_dir,
                severity=level,
                reference_dir=reference,
                as_of=day,
            )
    _print_dry_run(result)


def _severity(text: str | None) -> Severity | None:
    from giamdinh.domain import Severity  # noqa: PLC0415

    if text is None:
        return None
    try:
        return Severity(text)
    except ValueError as exc:
        allowed = ", ".join(s.value for s in Severity)
        raise ConfigError(f"--severity must be one of {allowed}") from exc


def _params(items: list[str]) -> dict[str, int | str]:
    params: dict[str, int | str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param {item!r}: write NAME=VALUE")
        text = value.strip()
        params[name.strip()] = int(text) if text.lstrip("-").isdigit() else text
    return params


@app.command("override")
def override(  # noqa: PLR0917 - Typer commands take their options positionally
    rule_id: str = typer.Argument(..., help="Rule id."),
    by: str = typer.Option(..., "--by", help="Who makes the change."),
    why: str = typer.Option(..., "--why", help="Why (recorded with the change)."),
    enable: bool | None = typer.Option(None, "--enable/--disable", help="Switch."),
    severity: str | None = typer.Option(None, "--severity", help="New severity."),
    param: list[str] | None = typer.Option(
        None, "--param", help="Set a rule parameter: NAME=VALUE (repeatable)."
    ),
    overrides: Path | None = OVERRIDES_OPTION,
) -> None:
    """Record an override of a rule in the append-only log (who, why, when)."""
    from giamdinh.services.assessment import set_override  # noqa: PLC0415

    with operator_errors():
        if overrides is None:
            raise ConfigError("give --overrides PATH or GIAMDINH_RULE_OVERRIDES")
        change = set_override(
            overrides,
            rule_id=rule_id,
            by=by,
            why=why,
            enabled=enable,
            severity=_severity(severity),
            params=_params(param or []),
        )
    render.console().print(
        f"Đã ghi: {change.rule} {escape(change.model_dump_json(exclude_none=True))}"
    )


@app.command("docs")
def docs(
    cases: Path = typer.Option(..., "--cases", help="Folder of rule cases (*.yml)."),
    out: Path = typer.Option(..., "--out", help="Folder of the rule pages."),
) -> None:
    """Regenerate the rule pages (one per rule, with executed examples)."""
    from giamdinh.services.assessment import rule_docs  # noqa: PLC0415

    with operator_errors():
        changed = rule_docs(cases, out)
    render.console().print(f"{len(changed)} trang cập nhật")
