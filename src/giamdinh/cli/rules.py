"""``giamdinh rules list|show|dry-run|override|docs``."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from giamdinh.cli.check import AS_OF_OPTION, OVERRIDES_OPTION, parse_day
from giamdinh.cli.errors import operator_errors
from giamdinh.config import get_settings
from giamdinh.domain import Severity
from giamdinh.errors import ConfigError
from giamdinh.services.assessment import (
    DryRun,
    dry_run_files,
    dry_run_store,
    load_rules,
    rule_docs,
    set_override,
)

app = typer.Typer(
    help="Bộ quy tắc giám định: xem, chạy thử, ghi đè.", no_args_is_help=True
)
_out = Console(soft_wrap=True)


@app.command("list")
def list_rules(overrides: Path | None = OVERRIDES_OPTION) -> None:
    """List the rules in force (after this deployment's overrides)."""
    with operator_errors():
        rules, label = load_rules(overrides_path=overrides)
    table = Table(title=f"Bộ quy tắc {label}")
    for col in ("id", "v", "name", "severity", "refusal code", "effective", "title"):
        table.add_column(col)
    for rule in rules:
        end = rule.effective.end.isoformat() if rule.effective.end else "…"
        table.add_row(
            rule.id,
            str(rule.version),
            rule.name,
            rule.severity.value,
            rule.refusal_code or "",
            f"{rule.effective.start.isoformat()}→{end}",
            escape(rule.title),
        )
    _out.print(table)


@app.command("show")
def show(rule_id: str = typer.Argument(..., help="Rule id, e.g. CT001.")) -> None:
    """Show a rule: documentation, versions, basis and SQL."""
    with operator_errors():
        rules, _ = load_rules()
        versions = rules.get(rule_id)
    for rule in versions:
        _out.print(f"[bold]{rule.id} v{rule.version}[/] {rule.name} ({rule.severity})")
        _out.print(escape((rule.doc or "").strip()))
        for basis in rule.basis:
            _out.print(f"  căn cứ: {escape(basis.cite())}")
        _out.print(escape(rule.sql))


def _print_dry_run(result: DryRun) -> None:
    table = Table(
        title=f"Chạy thử {result.rule_id} ({result.severity}) {result.rule_set}"
    )
    for col in ("MA_CSKCB", "phát hiện", "hồ sơ", "số tiền (đồng)"):
        table.add_column(col)
    for f in result.facilities:
        table.add_row(f.ma_cskcb, str(f.hits), str(f.claims), f"{f.amount:,.0f}")
    table.add_row("Σ", str(result.hits), "", f"{result.amount:,.0f}")
    _out.print(table)


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
    _out.print(f"Đã ghi: {change.rule} {change.model_dump_json(exclude_none=True)}")


@app.command("docs")
def docs(
    cases: Path = typer.Option(..., "--cases", help="Folder of rule cases (*.yml)."),
    out: Path = typer.Option(..., "--out", help="Folder of the rule pages."),
) -> None:
    """Regenerate the rule pages (one per rule, with executed examples)."""
    with operator_errors():
        changed = rule_docs(cases, out)
    _out.print(f"{len(changed)} trang cập nhật")
