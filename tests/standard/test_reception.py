"""Reception checks of the portal over Arrow tables shaped as the reader's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from giamdinh.domain import Severity
from giamdinh.standard.reception import (
    CODES,
    CheckKind,
    Condition,
    check_reception,
    load_portal_rules,
    parse_requirement,
    parse_validation,
    rejected_hosos,
)

MONEY = pa.decimal128(18, 3)
TS = pa.timestamp("s")

# Arrow type of each column used in the tests (the contract-4 typing).
TYPES: dict[str, pa.DataType] = {
    "STT": pa.int64(),
    "GIOI_TINH": pa.int64(),
    "KET_QUA_DTRI": pa.int64(),
    "MA_LOAI_RV": pa.int64(),
    "MA_NHOM": pa.int64(),
    "PHAM_VI": pa.int64(),
    "MA_PTTT": pa.int64(),
    "PP_VO_CAM": pa.int64(),
    "VET_THUONG_TP": pa.int64(),
    "TAI_SU_DUNG": pa.int64(),
    "SO_NGAY_DTRI": pa.int64(),
    "NGAY_SINH": TS,
    "NGAY_VAO": TS,
    "NGAY_VAO_NOI_TRU": TS,
    "NGAY_RA": TS,
    "NGAY_YL": TS,
    "NGAY_TH_YL": TS,
    "NGAY_KQ": TS,
    "NGAY_CT": pa.date32(),
    "NGAY_BAT_DAU_XU_TRI": pa.date32(),
    "NGAY_KET_THUC_XU_TRI": pa.date32(),
    "SO_NGAY_CAP_THUOC_ARV": pa.int64(),
    "_hoso": pa.int32(),
}
for _name in (
    "T_THUOC",
    "T_VTYT",
    "T_TONGCHI_BV",
    "T_TONGCHI_BH",
    "T_BNTT",
    "T_BNCCT",
    "T_BHTT",
    "T_NGUONKHAC",
    "T_BHTT_GDV",
    "THANH_TIEN_BV",
    "THANH_TIEN_BH",
    "SO_LUONG",
    "DON_GIA_BV",
    "DON_GIA_BH",
    "DON_GIA",
):
    TYPES[_name] = MONEY


def xml1(**overrides: Any) -> dict[str, Any]:
    """One valid XML1 record (typed Python values)."""
    record: dict[str, Any] = {
        "MA_LK": "LK001",
        "STT": 1,
        "MA_BN": "BN1",
        "HO_TEN": "NGUYỄN VĂN A",
        "SO_CCCD": "001090000001",
        "NGAY_SINH": "199001010000",
        "GIOI_TINH": 1,
        "MA_QUOCTICH": "000",
        "MA_DANTOC": "01",
        "MA_NGHE_NGHIEP": "00000",
        "DIA_CHI": "Hà Nội",
        "MATINH_CU_TRU": "01",
        "MAHUYEN_CU_TRU": "001",
        "MAXA_CU_TRU": "00001",
        "GT_THE_TU": "20260101",
        "GT_THE_DEN": "20261231",
        "LY_DO_VV": "Ho",
        "CHAN_DOAN_VAO": "Viêm",
        "CHAN_DOAN_RV": "Viêm",
        "MA_BENH_CHINH": "J20.9",
        "MA_DOITUONG_KCB": "1.1",
        "NGAY_VAO": "202603020800",
        "NGAY_VAO_NOI_TRU": None,
        "NGAY_RA": "202603021000",
        "SO_NGAY_DTRI": 0,
        "KET_QUA_DTRI": 2,
        "MA_LOAI_RV": 1,
        "T_THUOC": Decimal(0),
        "T_VTYT": Decimal(20000),
        "T_TONGCHI_BV": Decimal(120000),
        "T_TONGCHI_BH": Decimal(120000),
        "T_BNTT": Decimal(0),
        "T_BNCCT": Decimal(24000),
        "T_BHTT": Decimal(96000),
        "T_NGUONKHAC": Decimal(0),
        "T_BHTT_GDV": Decimal(96000),
        "NAM_QT": "2026",
        "THANG_QT": "3",
        "MA_LOAI_KCB": "01",
        "MA_KHOA": "K01",
        "MA_CSKCB": "99001",
        "CAN_NANG": "62.50",
        "MA_HSBA": "HS1",
        "MA_TTDV": "0199000001",
    }
    record.update(overrides)
    return record


def xml3(stt: int, **overrides: Any) -> dict[str, Any]:
    """One valid XML3 line: a chest X-ray (100 000 đ) or, with MA_NHOM 10, a supply."""
    record: dict[str, Any] = {
        "MA_LK": "LK001",
        "STT": stt,
        "MA_DICH_VU": "18.0119.0028",
        "MA_VAT_TU": None,
        "MA_NHOM": 2,
        "GOI_VTYT": None,
        "TEN_DICH_VU": "Chụp X-quang ngực",
        "MA_XANG_DAU": None,
        "DON_VI_TINH": "Lần",
        "PHAM_VI": 1,
        "SO_LUONG": Decimal(1),
        "DON_GIA_BV": Decimal(100000),
        "DON_GIA_BH": Decimal(100000),
        "TT_THAU": None,
        "THANH_TIEN_BV": Decimal(100000),
        "THANH_TIEN_BH": Decimal(100000),
        "T_NGUONKHAC": Decimal(0),
        "T_BNTT": Decimal(0),
        "T_BNCCT": Decimal(20000),
        "T_BHTT": Decimal(80000),
        "MA_KHOA": "K01",
        "MA_BAC_SI": "000001/HNO-CCHN",
        "NGUOI_THUC_HIEN": "000002/HNO-CCHN",
        "MA_BENH": "J20.9",
        "NGAY_YL": "202603020830",
        "NGAY_TH_YL": "202603020840",
        "NGAY_KQ": "202603020900",
        "MA_PTTT": 1,
        "VET_THUONG_TP": None,
        "PP_VO_CAM": None,
        "TAI_SU_DUNG": None,
    }
    record.update(overrides)
    return record


def supply(stt: int, **overrides: Any) -> dict[str, Any]:
    base = xml3(
        stt,
        MA_DICH_VU=None,
        MA_VAT_TU="N03.01.010",
        MA_NHOM=10,
        TEN_VAT_TU="Phim X-quang",
        TT_THAU="123/QĐ-BV;G1;N1;2025",
        NGUOI_THUC_HIEN=None,
        NGAY_TH_YL=None,
        DON_GIA_BV=Decimal(20000),
        DON_GIA_BH=Decimal(20000),
        THANH_TIEN_BV=Decimal(20000),
        THANH_TIEN_BH=Decimal(20000),
        T_BNCCT=Decimal(4000),
        T_BHTT=Decimal(16000),
    )
    base.update(overrides)
    return base


def table(
    records: list[dict[str, Any]],
    *,
    file: str = "a.xml",
    hoso: int | list[int] = 0,
    raw: dict[str, list[str | None]] | None = None,
) -> pa.Table:
    """Build a contract-4 table: typed columns, provenance, optional ``__raw``."""
    names: list[str] = []
    for r in records:
        names.extend(k for k in r if k not in names)
    cols: dict[str, pa.Array] = {}
    for name in names:
        values = [r.get(name) for r in records]
        typ = TYPES.get(name, pa.string())
        if typ == TS:
            text = pa.array(values, pa.string())
            cols[name] = pc.strptime(text, format="%Y%m%d%H%M", unit="s")
        else:
            cols[name] = pa.array(values, typ)
    for name, values in (raw or {}).items():
        cols[f"{name}__raw"] = pa.array(values, pa.string())
    hosos = hoso if isinstance(hoso, list) else [hoso] * len(records)
    cols["_file"] = pa.array([file] * len(records), pa.string())
    cols["_hoso"] = pa.array(hosos, pa.int32())
    cols["_envelope_cskcb"] = pa.array(["99001"] * len(records), pa.string())
    return pa.table(cols)


def valid_claim() -> dict[str, pa.Table]:
    return {"XML1": table([xml1()]), "XML3": table([xml3(1), supply(2)])}


def codes(findings: list[Any]) -> list[str]:
    return sorted(f.code for f in findings)


def only(findings: list[Any], code: str) -> Any:
    hits = [f for f in findings if f.code == code]
    assert len(hits) == 1, [(f.code, f.message) for f in findings]
    return hits[0]


# ------------------------------------------------------------------ the sheet


def test_valid_claim_has_no_findings() -> None:
    assert check_reception(valid_claim()) == []


def test_portal_sheet_is_parsed_into_rules() -> None:
    rules = load_portal_rules()
    xml3_rules = {r.field: r for r in rules.fields["XML3"]}
    assert xml3_rules["MA_LK"].required
    assert xml3_rules["MA_XANG_DAU"].condition == Condition(
        op="in", fields=("MA_NHOM",), values=("12",)
    )
    assert xml3_rules["TT_THAU"].condition == Condition(
        op="in", fields=("MA_NHOM",), values=("10",)
    )
    assert xml3_rules["NGUOI_THUC_HIEN"].condition == Condition(
        op="in", fields=("MA_NHOM",), values=("1", "2", "3", "8", "18")
    )
    xml2_rules = {r.field: r for r in rules.fields["XML2"]}
    assert xml2_rules["TT_THAU"].condition == Condition(
        op="not_in", fields=("MA_NHOM",), values=("7", "17")
    )
    assert xml3_rules["GOI_VTYT"].checks == ((CheckKind.GOI_VTYT, ""),)
    assert xml3_rules["NGAY_KQ"].checks == ((CheckKind.NOT_BEFORE, "NGAY_YL"),)
    assert xml3_rules["DON_VI_TINH"].max_length == 50
    assert {r.field: r for r in rules.fields["XML1"]}["MA_TTDV"].checks == (
        (CheckKind.TEN_DIGITS, ""),
    )
    assert "MA_NHOM" in rules.code_lists
    assert "19" in rules.code_lists["MA_NHOM"]
    assert "1.13" in rules.code_lists["MA_DOITUONG_KCB"]
    assert rules.code_periods["MA_LOAI_KCB"]["16"][0] == date(2026, 8, 1)
    assert rules.code_periods["MA_LOAI_KCB"]["01"] == (date(2023, 2, 15), None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x", (True, None, True)),
        ("", (False, None, True)),
        ("Như QĐ 4210", (False, None, False)),
        (
            "Bắt buộc khi trường GIA_TRI có dữ liệu",
            (False, Condition(op="not_null", fields=("GIA_TRI",)), True),
        ),
        (
            "Sửa lại chỉ bắt buộc khi MA_THUOC và MA_VAT_TU =  null",
            (False, Condition(op="all_null", fields=("MA_THUOC", "MA_VAT_TU")), True),
        ),
        (
            "không bắt buộc khi LOAI_DTRI_LAO = 0 còn lại là bắt buộc",
            (
                False,
                Condition(op="not_in", fields=("LOAI_DTRI_LAO",), values=("0",)),
                True,
            ),
        ),
        (
            "bắt buộc trong trường hợp MA_PHAC_DO_DIEU_TRI = KHAC",
            (
                False,
                Condition(op="in", fields=("MA_PHAC_DO_DIEU_TRI",), values=("KHAC",)),
                True,
            ),
        ),
    ],
)
def test_parse_requirement(text: str, expected: tuple[Any, ...]) -> None:
    assert parse_requirement(text) == expected


def test_parse_validation() -> None:
    assert parse_validation("Null hoặc = 1") == ((CheckKind.NULL_OR_ONE, ""),)
    assert parse_validation("Như NGAY_VAO bổ sung thêm điều kiện >= NGAY_VAO") == (
        (CheckKind.NOT_BEFORE, "NGAY_VAO"),
    )
    assert parse_validation("Như 4210") == ()


def test_every_code_is_documented() -> None:
    from pathlib import Path

    doc = Path(__file__).parents[2] / "docs" / "store.md"
    text = doc.read_text(encoding="utf-8")
    assert [c for c in CODES if f"`{c}`" not in text] == []


# ------------------------------------------------------------- field checks


def test_required_field_missing_is_refused_with_location() -> None:
    tables = valid_claim()
    tables["XML1"] = table([xml1(HO_TEN="  ")])
    f = only(check_reception(tables), "RC101")
    assert f.severity is Severity.REFUSE
    assert (f.location.file, f.location.ma_lk, f.location.table) == (
        "a.xml",
        "LK001",
        "XML1",
    )
    assert (f.location.stt, f.location.field) == (1, "HO_TEN")
    assert f.evidence["hoso"] == 0
    assert "HO_TEN" in f.message
    assert f.message_en


def test_typed_value_that_did_not_parse_is_not_missing_but_malformed() -> None:
    tables = valid_claim()
    tables["XML3"] = table(
        [xml3(1, SO_LUONG=None), supply(2)], raw={"SO_LUONG": ["1,5", None]}
    )
    findings = check_reception(tables)
    f = only(findings, "RC104")
    assert f.evidence["value"] == "1,5"
    assert f.location.field == "SO_LUONG"
    assert "RC101" not in codes(findings)


def test_conditional_requirements_of_xml3() -> None:
    tables = valid_claim()
    tables["XML3"] = table(
        [
            xml3(1, NGUOI_THUC_HIEN="", NGAY_TH_YL=None),
            supply(2, TT_THAU=None),
            xml3(
                3, MA_NHOM=12, MA_XANG_DAU=None, NGUOI_THUC_HIEN=None, NGAY_TH_YL=None
            ),
            xml3(4, MA_NHOM=13, NGUOI_THUC_HIEN=None, NGAY_TH_YL=None),
        ]
    )
    found = [
        (f.location.stt, f.location.field)
        for f in check_reception(tables)
        if f.code == "RC102"
    ]
    assert sorted(found) == [
        (1, "NGAY_TH_YL"),
        (1, "NGUOI_THUC_HIEN"),
        (2, "TT_THAU"),
        (3, "MA_XANG_DAU"),
    ]


def test_xml2_tender_number_required_except_blood_groups() -> None:
    line = {
        "MA_LK": "LK001",
        "STT": 1,
        "MA_NHOM": 4,
        "TT_THAU": None,
        "THANH_TIEN_BV": Decimal(0),
    }
    tables = valid_claim()
    tables["XML2"] = table([line, {**line, "STT": 2, "MA_NHOM": 7}])
    hits = [f for f in check_reception(tables) if f.code == "RC102"]
    assert [(f.location.stt, f.location.field) for f in hits] == [(1, "TT_THAU")]


def test_too_long_value() -> None:
    tables = valid_claim()
    tables["XML3"] = table([xml3(1, DON_VI_TINH="x" * 51), supply(2)])
    f = only(check_reception(tables), "RC103")
    assert f.evidence["length"] == 51
    assert f.evidence["max_length"] == 50


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("001090000001", True),
        ("123456789", True),
        ("B1234567", True),
        ("b1234567", False),
        ("12345678", False),
        ("0010900000011", False),
    ],
)
def test_so_cccd_format(value: str, ok: bool) -> None:
    tables = valid_claim()
    tables["XML1"] = table([xml1(SO_CCCD=value)])
    assert ("RC110" not in codes(check_reception(tables))) is ok


@pytest.mark.parametrize(("value", "ok"), [("0199000001", True), ("019900001", False)])
def test_ma_ttdv_ten_digits(value: str, ok: bool) -> None:
    tables = valid_claim()
    tables["XML1"] = table([xml1(MA_TTDV=value)])
    assert ("RC111" not in codes(check_reception(tables))) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [("G1", True), ("G999", True), ("G0", False), ("G1000", False), ("1", False)],
)
def test_goi_vtyt(value: str, ok: bool) -> None:
    tables = valid_claim()
    tables["XML3"] = table([xml3(1), supply(2, GOI_VTYT=value)])
    assert ("RC112" not in codes(check_reception(tables))) is ok


def test_flags_null_or_one() -> None:
    tables = valid_claim()
    tables["XML3"] = table([xml3(1, VET_THUONG_TP=1), supply(2, TAI_SU_DUNG=2)])
    f = only(check_reception(tables), "RC113")
    assert (f.location.stt, f.location.field, f.evidence["value"]) == (
        2,
        "TAI_SU_DUNG",
        "2",
    )


def test_date_order_rules() -> None:
    tables = valid_claim()
    tables["XML1"] = table([xml1(NGAY_VAO_NOI_TRU="202603020700")])
    tables["XML3"] = table(
        [
            xml3(1, NGAY_TH_YL="202603020800"),
            supply(2, NGAY_KQ="202603010800"),
        ]
    )
    hits = sorted(
        (f.location.table, f.location.stt, f.location.field, f.evidence["other"])
        for f in check_reception(tables)
        if f.code == "RC120"
    )
    assert hits == [
        ("XML1", 1, "NGAY_VAO_NOI_TRU", "NGAY_VAO"),
        ("XML3", 1, "NGAY_TH_YL", "NGAY_YL"),
        ("XML3", 2, "NGAY_KQ", "NGAY_YL"),
    ]


def test_bad_timestamp_text_is_reported_with_raw_value() -> None:
    tables = valid_claim()
    tables["XML1"] = table([xml1(NGAY_RA=None)], raw={"NGAY_RA": ["202602301000"]})
    f = only(check_reception(tables), "RC105")
    assert f.evidence["value"] == "202602301000"
    assert f.evidence["expected"] == "yyyymmddHHMM"


def test_birth_date_with_unknown_day_is_accepted() -> None:
    tables = valid_claim()
    tables["XML1"] = table([xml1(NGAY_SINH=None)], raw={"NGAY_SINH": ["199000000000"]})
    assert check_reception(tables) == []


def test_card_validity_list_items_are_dates() -> None:
    tables = valid_claim()
    tables["XML1"] = table([xml1(GT_THE_TU="20260101;20260231")])
    f = only(check_reception(tables), "RC106")
    assert f.evidence["value"] == "20260101;20260231"


# -------------------------------------------------------------- code lists


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("GIOI_TINH", 4),
        ("KET_QUA_DTRI", 9),
        ("MA_LOAI_RV", 6),
        ("MA_LOAI_KCB", "1"),
        ("MA_DOITUONG_KCB", "3.4"),
    ],
)
def test_xml1_enumerations(field: str, value: Any) -> None:
    tables = valid_claim()
    tables["XML1"] = table([xml1(**{field: value})])
    f = only(check_reception(tables), "RC130")
    assert f.location.field == field
    assert f.evidence["value"] == str(value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("MA_NHOM", 20), ("PHAM_VI", 4), ("MA_PTTT", 0), ("PP_VO_CAM", 5)],
)
def test_xml3_enumerations(field: str, value: int) -> None:
    tables = valid_claim()
    tables["XML3"] = table([xml3(1, **{field: value}), supply(2)])
    hits = [f for f in check_reception(tables) if f.code == "RC130"]
    assert [(f.location.stt, f.location.field) for f in hits] == [(1, field)]


def test_new_type_of_care_codes_only_from_august_2026() -> None:
    tables = valid_claim()
    tables["XML1"] = table([xml1(MA_LOAI_KCB="14")])
    f = only(check_reception(tables), "RC131")
    assert f.evidence["valid_from"] == "2026-08-01"
    later = "202608031000"
    tables["XML1"] = table([xml1(MA_LOAI_KCB="14", NGAY_VAO=later, NGAY_RA=later)])
    assert "RC131" not in codes(check_reception(tables))


def test_withdrawal_is_information() -> None:
    tables = valid_claim()
    tables["XML1"] = table([xml1(MA_DOITUONG_KCB="8")])
    f = only(check_reception(tables), "RC132")
    assert f.severity is Severity.INFO
    assert rejected_hosos([f]) == set()


# ------------------------------------------------------------------- keys


def test_line_of_a_claim_without_xml1_in_the_same_hoso() -> None:
    tables = {
        "XML1": table([xml1(), xml1(MA_LK="LK002")], hoso=[0, 1]),
        "XML3": table([xml3(1), supply(2), xml3(1, MA_LK="LK001")], hoso=[0, 0, 1]),
    }
    findings = check_reception(tables)
    f = only(findings, "RC140")
    assert (f.location.ma_lk, f.location.stt, f.evidence["hoso"]) == ("LK001", 1, 1)
    assert rejected_hosos(findings) >= {("a.xml", 1)}


def test_hoso_without_xml1() -> None:
    tables = {
        "XML1": table([xml1()]),
        "XML3": table([xml3(1), supply(2), xml3(1)], hoso=[0, 0, 1]),
    }
    findings = check_reception(tables)
    assert only(findings, "RC141").evidence == {"hoso": 1, "count": 0}
    assert ("a.xml", 1) in rejected_hosos(findings)
    assert ("a.xml", 0) not in rejected_hosos(findings)


def test_same_ma_lk_twice_in_one_file_is_for_review() -> None:
    tables = {
        "XML1": table(
            [
                xml1(
                    T_VTYT=Decimal(0),
                    T_TONGCHI_BV=Decimal(0),
                    T_TONGCHI_BH=Decimal(0),
                    T_BNCCT=Decimal(0),
                    T_BHTT=Decimal(0),
                )
            ]
            * 2,
            hoso=[0, 1],
        ),
    }
    f = only(check_reception(tables), "RC142")
    assert f.severity is Severity.REVIEW


# ------------------------------------------------------------------ totals


def test_totals_equal_to_line_sums_within_one_dong() -> None:
    tables = valid_claim()
    tables["XML1"] = table([xml1(T_TONGCHI_BV=Decimal("120000.99"))])
    assert check_reception(tables) == []


def test_totals_mismatch_is_refused_per_field() -> None:
    tables = valid_claim()
    tables["XML1"] = table([xml1(T_VTYT=Decimal(0), T_BHTT=Decimal(96002))])
    hits = {f.location.field: f for f in check_reception(tables) if f.code == "RC150"}
    assert set(hits) == {"T_VTYT", "T_BHTT"}
    assert hits["T_VTYT"].evidence["computed"] == "20000"
    assert hits["T_BHTT"].evidence["difference"] == "2"
    assert hits["T_BHTT"].severity is Severity.REFUSE


def test_totals_include_drugs_of_xml2() -> None:
    drug = {
        "MA_LK": "LK001",
        "STT": 1,
        "MA_NHOM": 4,
        "TT_THAU": "1;2;3;2025",
        "THANH_TIEN_BV": Decimal(5000),
        "THANH_TIEN_BH": Decimal(5000),
        "T_NGUONKHAC": Decimal(0),
        "T_BNTT": Decimal(0),
        "T_BNCCT": Decimal(1000),
        "T_BHTT": Decimal(4000),
    }
    tables = valid_claim()
    tables["XML2"] = table([drug])
    tables["XML1"] = table(
        [
            xml1(
                T_THUOC=Decimal(5000),
                T_TONGCHI_BV=Decimal(125000),
                T_TONGCHI_BH=Decimal(125000),
                T_BNCCT=Decimal(25000),
                T_BHTT=Decimal(100000),
            )
        ]
    )
    assert check_reception(tables) == []


def test_many_files_and_claims_are_checked_together() -> None:
    x1 = [xml1(MA_LK=f"LK{i}") for i in range(50)]
    x3 = [
        r
        for i in range(50)
        for r in (xml3(1, MA_LK=f"LK{i}"), supply(2, MA_LK=f"LK{i}"))
    ]
    tables = {
        "XML1": pa.concat_tables(
            [
                table(x1[:25], file="a.xml", hoso=list(range(25))),
                table(x1[25:], file="b.xml", hoso=list(range(25))),
            ]
        ),
        "XML3": pa.concat_tables(
            [
                table(x3[:50], file="a.xml", hoso=[i // 2 for i in range(50)]),
                table(x3[50:], file="b.xml", hoso=[i // 2 for i in range(50)]),
            ]
        ),
    }
    assert check_reception(tables) == []


# ------------------------------------------- precision, unparsed values, messages


def _certificate(**overrides: Any) -> dict[str, Any]:
    """One XML14 appointment certificate of claim LK001."""
    record: dict[str, Any] = {
        "MA_LK": "LK001",
        "NGAY_VAO": "202603020800",
        "NGAY_RA": "202603021000",
        "NGAY_CT": date(2026, 3, 2),
    }
    record.update(overrides)
    return record


def test_same_day_certificate_is_not_earlier_than_admission() -> None:
    """NGAY_CT (yyyymmdd) >= NGAY_VAO (yyyymmddHHMM) is judged by the day."""
    tables = valid_claim()
    tables["XML14"] = table([_certificate()])
    assert [f for f in check_reception(tables) if f.code == "RC120"] == []
    tables["XML14"] = table([_certificate(NGAY_CT=date(2026, 3, 1))])
    f = only(check_reception(tables), "RC120")
    assert (f.location.field, f.evidence["other"]) == ("NGAY_CT", "NGAY_VAO")
    assert (f.evidence["value"], f.evidence["other_value"]) == (
        "20260301",
        "202603020800",
    )


def test_unparsed_line_amounts_are_reported_once() -> None:
    """A decimal comma or NaN in a line: RC104 for the line, no RC150 on top."""
    tables = valid_claim()
    tables["XML3"] = table(
        [xml3(1, THANH_TIEN_BV=None, T_BHTT=None), supply(2)],
        raw={"THANH_TIEN_BV": ["100000,5", None], "T_BHTT": ["NaN", None]},
    )
    findings = check_reception(tables)
    assert codes(findings) == ["RC104", "RC104"]
    values = sorted(f.evidence["value"] for f in findings)
    assert values == ["100000,5", "NaN"]
    f = next(f for f in findings if f.evidence["value"] == "100000,5")
    assert "'100000,5'" in f.message
    assert "dấu thập phân là '.'" in f.message
    assert "decimal separator is '.'" in (f.message_en or "")


def test_unparsed_total_is_reported_once_and_others_still_compared() -> None:
    tables = valid_claim()
    tables["XML1"] = table(
        [xml1(T_TONGCHI_BV=None, T_BHTT=Decimal(96002))],
        raw={"T_TONGCHI_BV": ["3127883,2"]},
    )
    findings = check_reception(tables)
    assert codes(findings) == ["RC104", "RC150"]
    assert only(findings, "RC104").location.field == "T_TONGCHI_BV"
    assert only(findings, "RC150").location.field == "T_BHTT"


def test_unparsed_group_makes_the_supply_total_unknown() -> None:
    tables = valid_claim()
    tables["XML3"] = table(
        [xml3(1), supply(2, MA_NHOM=None)], raw={"MA_NHOM": [None, "1O"]}
    )
    findings = check_reception(tables)
    assert codes(findings) == ["RC104"]
    assert only(findings, "RC104").evidence["value"] == "1O"


def test_total_message_formats_money_the_vietnamese_way() -> None:
    tables = valid_claim()
    tables["XML1"] = table([xml1(T_VTYT=Decimal(0), T_TONGCHI_BV=Decimal("3127883.2"))])
    hits = {f.location.field: f for f in check_reception(tables) if f.code == "RC150"}
    assert "T_VTYT = 0 khác tổng các dòng chi tiết 20.000 (chênh -20.000)" in (
        hits["T_VTYT"].message
    )
    assert "3.127.883,2" in hits["T_TONGCHI_BV"].message
    assert "3.007.883,2" in hits["T_TONGCHI_BV"].message
    # Evidence stays plain decimal text, for machines.
    assert hits["T_TONGCHI_BV"].evidence["declared"] == "3127883.2"


def test_facility_code_keeps_its_leading_zero() -> None:
    tables = valid_claim()
    record = table([xml1(MA_CSKCB="01929", HO_TEN="")])
    tables["XML1"] = record.set_column(
        record.column_names.index("_envelope_cskcb"),
        "_envelope_cskcb",
        pa.array(["01929"], pa.string()),
    )
    f = only(check_reception(tables), "RC101")
    assert f.ma_cskcb == "01929"
    bare = record.set_column(
        record.column_names.index("_envelope_cskcb"),
        "_envelope_cskcb",
        pa.nulls(1, pa.string()),
    )
    f = only(check_reception({"XML1": bare}), "RC101")
    assert f.ma_cskcb == "01929"  # a bare file: the record's own facility code


def test_claim_date_that_did_not_parse_is_unknown_not_replaced() -> None:
    """An unreadable NGAY_RA is not replaced by NGAY_VAO to judge a code's period."""
    tables = valid_claim()
    tables["XML1"] = table(
        [xml1(MA_LOAI_KCB="14", NGAY_RA=None)], raw={"NGAY_RA": ["2026080310OO"]}
    )
    assert codes(check_reception(tables)) == ["RC105"]


# ------------------------------------------- effective-dated requirements


def test_requirement_rows_are_loaded_with_their_basis() -> None:
    from giamdinh.standard.reception import load_requirements

    rows = load_requirements()
    assert set(rows) >= {
        ("XML1", "MAHUYEN_CU_TRU"),
        ("XML9", "MAHUYEN_CU_TRU"),
        ("XML3", "MA_BENH"),
        ("XML4", "TEN_CHI_SO"),
        ("XML13", "TOMTAT_KQ"),
    }
    (district,) = rows[("XML1", "MAHUYEN_CU_TRU")]
    assert (district.required, district.valid_from, district.valid_to) == (
        False,
        date(2025, 7, 1),
        None,
    )
    assert "72/2025/QH15" in district.basis.document
    rules = {r.field: r for r in load_portal_rules().fields["XML1"]}
    assert rules["MAHUYEN_CU_TRU"].required  # the sheet's own rule stays
    assert rules["MAHUYEN_CU_TRU"].periods == (district,)


@pytest.mark.parametrize(
    ("ngay_vao", "ngay_ra", "refused"),
    [
        ("202506300800", "202506301000", True),  # ended before 01/07/2025
        ("202507010800", "202507011000", False),
        ("202506300800", "202507021000", False),  # straddles: judged leniently
        ("202507010800", None, False),  # no NGAY_RA: NGAY_VAO
        ("202506300800", None, True),
    ],
)
def test_district_code_required_only_for_claims_ended_before_july_2025(
    ngay_vao: str, ngay_ra: str | None, refused: bool
) -> None:
    tables = valid_claim()
    tables["XML1"] = table(
        [xml1(MAHUYEN_CU_TRU="", NGAY_VAO=ngay_vao, NGAY_RA=ngay_ra)]
    )
    found = [
        f
        for f in check_reception(tables)
        if (f.code, f.location.field) == ("RC101", "MAHUYEN_CU_TRU")
    ]
    assert bool(found) is refused


def test_unreadable_claim_date_does_not_judge_a_dated_requirement() -> None:
    tables = valid_claim()
    tables["XML1"] = table(
        [xml1(MAHUYEN_CU_TRU="", NGAY_RA=None, NGAY_VAO=None)],
        raw={"NGAY_RA": ["2025063O1000"], "NGAY_VAO": ["x"]},
    )
    fields = [f.location.field for f in check_reception(tables) if f.code == "RC101"]
    assert "MAHUYEN_CU_TRU" not in fields


def test_dated_requirement_of_another_table_uses_the_claims_xml1() -> None:
    birth = {"MA_LK": "LK001", "MAHUYEN_CU_TRU": ""}
    tables = valid_claim()
    tables["XML9"] = table([birth])
    assert "RC101" not in codes(check_reception(tables))  # a 2026 claim
    old = "202506301000"
    tables["XML1"] = table([xml1(NGAY_VAO="202506300800", NGAY_RA=old)])
    f = only(check_reception(tables), "RC101")
    assert (f.location.table, f.location.field) == ("XML9", "MAHUYEN_CU_TRU")


def test_result_without_index_name_and_line_without_disease_are_accepted() -> None:
    result = {
        "MA_LK": "LK001",
        "STT": 1,
        "MA_DICH_VU": "18.0119.0028",
        "TEN_CHI_SO": "",
        "KET_LUAN": "Bình thường",
    }
    tables = valid_claim()
    tables["XML4"] = table([result])
    tables["XML3"] = table([xml3(1, MA_BENH=""), supply(2)])
    assert "RC101" not in codes(check_reception(tables))


def test_requirement_rows_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    from giamdinh.errors import ReferenceDataError
    from giamdinh.standard import reception

    base = {
        "table": "XML1",
        "field": "HO_TEN",
        "requirement": "optional",
        "valid_from": "2025-01-01",
        "valid_to": "2025-12-31",
        "document": "x",
        "article": "",
        "document_date": "",
        "note": "",
    }
    cases = [
        [base, {**base, "valid_from": "2025-12-31", "valid_to": ""}],
        [{**base, "requirement": "sometimes"}],
        [{**base, "valid_to": "2024-01-01"}],
        [{**base, "valid_from": "01/07/2025"}],
    ]
    for rows in cases:
        monkeypatch.setattr(reception, "_read_csv", lambda _name, r=rows: r)
        with pytest.raises(ReferenceDataError):
            reception.load_requirements()


# ------------------------------------------- the sheet's requirements, all of them


def test_every_sheet_requirement_is_accounted_for() -> None:
    import csv
    from pathlib import Path

    from giamdinh.standard.reception import Coverage, sheet_coverage

    sheet = (
        Path(__file__).parents[2] / "src/giamdinh/standard/data/portal_ctn_qd4750.csv"
    )
    with sheet.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    cells = sum(
        bool(r["required"].strip())
        + r["maxlen"].strip().isdigit()
        + bool(r["portal_validation"].strip())
        for r in rows
    )
    items = sheet_coverage()
    assert len(items) == cells
    assert [i for i in items if i.how == "not understood" or not i.how] == []
    silent = {(t, f) for t, f, _ in load_portal_rules().unparsed}
    covered = {(i.table, i.field) for i in items}
    assert silent <= covered
    overridden = {(i.table, i.field) for i in items if i.status is Coverage.OVERRIDDEN}
    assert ("XML1", "MAHUYEN_CU_TRU") in overridden


def test_fields_that_must_equal_xml1() -> None:
    tables = valid_claim()
    tables["XML1"] = table([xml1(MA_CSKCB="01929")])
    tables["XML14"] = table([_certificate(NGAY_SINH="199001010000")])
    tables["XML15"] = table([{"MA_LK": "LK001", "STT": 1, "MA_CSKCB": "01929"}])
    assert [f for f in check_reception(tables) if f.code == "RC143"] == []
    tables["XML15"] = table([{"MA_LK": "LK001", "STT": 1, "MA_CSKCB": "1929"}])
    tables["XML14"] = table([_certificate(NGAY_SINH="199001020000")])
    found = {f.location.table: f for f in check_reception(tables) if f.code == "RC143"}
    f = found["XML15"]
    assert (f.location.field, f.evidence["value"], f.evidence["other_value"]) == (
        "MA_CSKCB",
        "1929",
        "01929",
    )
    assert "'01929'" in f.message
    assert found["XML14"].location.field == "NGAY_SINH"


def test_insurance_number_digits_and_form_code() -> None:
    tables = valid_claim()
    tables["XML11"] = table(
        [
            {"MA_LK": "LK001", "MA_BHXH": "0000000000", "MAU_SO": "CT07"},
            {"MA_LK": "LK001", "MA_BHXH": "01X", "MAU_SO": "CT08"},
            {"MA_LK": "LK001", "MA_BHXH": "0123456789", "MAU_SO": ""},
        ]
    )
    found = sorted(
        (f.code, f.evidence.get("value"))
        for f in check_reception(tables)
        if f.location.table == "XML11" and f.code in {"RC114", "RC130"}
    )
    assert found == [("RC114", "0000000000"), ("RC114", "01X"), ("RC130", "CT08")]


def test_days_of_medicine_within_the_treatment_period() -> None:
    hiv = {
        "MA_LK": "LK001",
        "NGAY_BAT_DAU_XU_TRI": date(2026, 3, 1),
        "NGAY_KET_THUC_XU_TRI": date(2026, 3, 31),
        "SO_NGAY_CAP_THUOC_ARV": 30,
    }
    tables = valid_claim()
    tables["XML6"] = table([hiv, {**hiv, "SO_NGAY_CAP_THUOC_ARV": 31}])
    f = only(check_reception(tables), "RC121")
    assert (f.evidence["value"], f.evidence["days"]) == (31, 30)


def test_integer_longer_than_the_sheet_allows() -> None:
    tables = valid_claim()
    tables["XML1"] = table([xml1(SO_NGAY_DTRI=1234)])  # the sheet allows 3 digits
    f = only(check_reception(tables), "RC103")
    assert (f.location.field, f.evidence["length"]) == ("SO_NGAY_DTRI", 4)
