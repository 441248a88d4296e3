"""``giamdinh check`` / ``assess`` / ``rules`` end to end on a generated facility.

The JSON of ``check`` is validated against ``schemas/check-output.schema.json``.
NOTE: the ``jsonschema`` library is not installed in this environment, so the
test carries a small validator for the subset of JSON Schema that pydantic emits
(``type``, ``properties``, ``required``, ``additionalProperties``, ``items``,
``anyOf``, ``enum``, ``const``, ``pattern``, ``$ref`` into ``$defs``); it fails
on any keyword it does not know, so it cannot pass silently.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from giamdinh.cli.main import app
from giamdinh.services.check_model import check_output_schema_text
from giamdinh.services.synth import run_synth

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schemas" / "check-output.schema.json"
RANK = {"info": 0, "review": 1, "adjust": 2, "refuse": 3}

_ANNOTATIONS = {"title", "description", "default", "$schema", "$id", "$defs"}
_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _type_ok(value: object, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def schema_errors(  # noqa: PLR0912 - one branch per keyword
    value: object, schema: dict[str, Any], root: dict[str, Any], at: str = "$"
) -> list[str]:
    """Return where ``value`` breaks ``schema`` (empty when it conforms)."""
    unknown = (
        set(schema)
        - _ANNOTATIONS
        - {
            "type",
            "properties",
            "required",
            "additionalProperties",
            "items",
            "anyOf",
            "enum",
            "const",
            "pattern",
            "$ref",
        }
    )
    assert not unknown, f"validator does not know {unknown} at {at}"
    errors: list[str] = []
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        errors += schema_errors(value, root["$defs"][name], root, at)
    if "anyOf" in schema:
        options = [schema_errors(value, s, root, at) for s in schema["anyOf"]]
        if all(options):
            errors.append(f"{at}: matches no anyOf option: {options}")
    if "type" in schema and not _type_ok(value, schema["type"]):
        return [*errors, f"{at}: {value!r} is not {schema['type']}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{at}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{at}: {value!r} != {schema['const']!r}")
    pattern = schema.get("pattern")
    if isinstance(value, str) and pattern and not re.search(pattern, value):
        errors.append(f"{at}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{at}: missing {key!r}")
        for key, item in value.items():
            if key in props:
                errors += schema_errors(item, props[key], root, f"{at}.{key}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{at}: unexpected {key!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += schema_errors(
                    item, schema["additionalProperties"], root, f"{at}.{key}"
                )
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += schema_errors(item, schema["items"], root, f"{at}[{i}]")
    return errors


@pytest.fixture(scope="module")
def facility(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("check") / "p"
    run_synth(claims=40, seed=7, out=out, facilities=1, dicom_files=0)
    claims = next(p for p in (out / "claims").iterdir() if p.is_dir())
    return claims, out / "reference" / claims.name


@pytest.fixture(scope="module")
def check_json(facility: tuple[Path, Path]) -> dict[str, Any]:
    claims, reference = facility
    result = CliRunner().invoke(
        app,
        [
            "check",
            str(claims),
            "--reference",
            str(reference),
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    )
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_the_schema_file_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == check_output_schema_text(), (
        "regenerate schemas/check-output.schema.json from check_output_schema_text()"
    )


def test_the_validator_rejects_bad_output(check_json: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    bad = json.loads(json.dumps(check_json))
    bad["claims"][0]["claimed"] = "12"
    bad["files"][0]["status"] = "maybe"
    del bad["rule_set"]
    errors = schema_errors(bad, schema, schema)
    assert len(errors) == 3, errors


def test_check_json_follows_the_schema(check_json: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema_errors(check_json, schema, schema) == []
    assert check_json["rule_set"].startswith("rs-")
    assert check_json["as_of"] is None
    findings = [f for c in check_json["claims"] for f in c["findings"]]
    assert findings, "a generated facility with planted anomalies has findings"
    for f in findings:
        assert f["table"] in {"XML2", "XML3", None}
        assert (f["table"] is None) == (f["stt"] is None)
        assert isinstance(f["amount"], int | float)
        if f["severity"] in {"refuse", "adjust"}:
            assert f["basis"], f
            assert all(b["document"] for b in f["basis"])


def test_all_findings_of_a_line_are_reported(check_json: dict[str, Any]) -> None:
    keys = [
        (c["ma_lk"], f["table"], f["stt"], f["rule_id"])
        for c in check_json["claims"]
        for f in c["findings"]
    ]
    assert len(keys) == len(set(keys)), "one finding per rule per line"


def _worst(data: dict[str, Any]) -> int:
    levels = [f["severity"] for c in data["claims"] for f in c["findings"]]
    return max((RANK[s] for s in levels), default=-1)


@pytest.mark.parametrize("fail_on", ["refuse", "info"])
def test_exit_code_follows_fail_on(
    facility: tuple[Path, Path], check_json: dict[str, Any], fail_on: str
) -> None:
    claims, reference = facility
    result = CliRunner().invoke(
        app, ["check", str(claims), "--reference", str(reference), "--fail-on", fail_on]
    )
    worst = _worst(check_json)
    expected = 0 if fail_on == "never" or worst < RANK[fail_on] else 1
    assert result.exit_code == expected, result.output
    assert "hồ sơ" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "xml"],
        ["--fail-on", "sometimes"],
        ["--as-of", "2026-13-01"],
    ],
)
def test_usage_errors_exit_2(facility: tuple[Path, Path], args: list[str]) -> None:
    claims, reference = facility
    result = CliRunner().invoke(
        app, ["check", str(claims), "--reference", str(reference), *args]
    )
    assert result.exit_code == 2, result.output


def test_a_missing_path_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["check", str(tmp_path / "nowhere.xml")])
    assert result.exit_code == 2, result.output


def test_as_of_before_the_rules_reports_nothing(facility: tuple[Path, Path]) -> None:
    claims, reference = facility
    result = CliRunner().invoke(
        app,
        [
            "check",
            str(claims),
            "--reference",
            str(reference),
            "--as-of",
            "2020-01-01",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["as_of"] == "2020-01-01"
    assert all(not c["findings"] for c in data["claims"])


def test_rules_list_show_and_dry_run(
    facility: tuple[Path, Path], tmp_path: Path
) -> None:
    claims, reference = facility
    listed = CliRunner().invoke(app, ["rules", "list"])
    assert listed.exit_code == 0, listed.output
    assert "CT001" in listed.output
    shown = CliRunner().invoke(app, ["rules", "show", "CT001"])
    assert shown.exit_code == 0, shown.output
    assert "select" in shown.output.lower()
    unknown = CliRunner().invoke(app, ["rules", "show", "ZZ999"])
    assert unknown.exit_code == 2
    store = tmp_path / "store"
    ingested = CliRunner().invoke(app, ["ingest", str(claims), "--store", str(store)])
    assert ingested.exit_code == 0, ingested.output
    tried = CliRunner().invoke(
        app,
        [
            "rules",
            "dry-run",
            "RS001",
            "--store",
            str(store),
            "--reference",
            str(reference),
        ],
    )
    assert tried.exit_code == 0, tried.output
    assert "RS001" in tried.output
    assessed = CliRunner().invoke(
        app, ["assess", "--store", str(store), "--reference", str(reference)]
    )
    assert assessed.exit_code == 0, assessed.output
    assert "hồ sơ" in assessed.output


def test_check_reads_in_80_columns_with_codes_whole(
    facility: tuple[Path, Path],
) -> None:
    claims, reference = facility
    result = CliRunner().invoke(
        app,
        ["check", str(claims), "--reference", str(reference), "--fail-on", "never"],
        env={"COLUMNS": "80"},
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines
    assert max(len(line) for line in lines) <= 80
    assert "…" not in " ".join(line.split()[0] for line in lines if line.strip())
    ma_lk = {p.stem for p in claims.glob("*.xml")}
    shown = {line.split()[0] for line in lines if line and not line.startswith(" ")}
    assert shown & ma_lk, "claims are named by their whole MA_LK"
    wide = CliRunner().invoke(
        app,
        [
            "check",
            str(claims),
            "--reference",
            str(reference),
            "--fail-on",
            "never",
            "--wide",
        ],
        env={"COLUMNS": "80"},
    )
    assert wide.exit_code == 0
    assert "…" in result.output, "long messages are shortened by default"
    assert "…" not in wide.output, "--wide shows them whole"


def test_check_writes_the_workbook_and_counts_a_file_once(
    facility: tuple[Path, Path], tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    claims, reference = facility
    one = sorted(claims.glob("*.xml"))[0]
    out = tmp_path / "kiem-tra.xlsx"
    result = CliRunner().invoke(
        app,
        [
            "check",
            str(one),
            str(one),
            "--reference",
            str(reference),
            "--format",
            "xlsx",
            "-o",
            str(out),
            "--fail-on",
            "never",
        ],
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["Hồ sơ", "Phát hiện", "Lỗi tiếp nhận", "Chưa kiểm tra"]
    rows = list(book["Hồ sơ"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1
    assert rows[0][0] == one.stem
