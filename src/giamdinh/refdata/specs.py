"""Column lists of the facility reference files (forms 01/DM–06/DM and two more).

The official columns of M01–M06 come from ``data/bhxh_facility_catalogue_templates.csv``
(BHXH templates, TT 12/2026/TT-BTC forms 01/DM–06/DM); ``licences.csv`` and
``equipment_sources.csv`` are the project's own files (contract 5 of the brief).
Arrow column names are the official names lower-cased.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ColumnType(StrEnum):
    """How a reference column is typed in Arrow."""

    STRING = "string"
    DATE = "date"
    INTEGER = "integer"
    MONEY = "money"


@dataclass(frozen=True, slots=True, kw_only=True)
class FileSpec:
    """One reference file: its official columns, key, validity columns and checks.

    Attributes:
        name: ``M01``…``M06``, ``licences`` or ``equipment_sources``.
        table: the Arrow/DuckDB table name (``ref_services``…).
        title: what the file holds, in Vietnamese.
        columns: official column names in template order.
        required: columns that must exist and be non-empty on every row.
        key: columns identifying one item; its periods must not overlap.
        valid_from: column giving the first valid day.
        valid_to: column giving the last valid day (empty = open).
        types: non-string column types.
        aliases: other header spellings found in real files → official name.
        enums: allowed values of enumerated columns.
        facility: whether rows belong to one facility (``ma_cskcb`` column).
        optional: whether a missing file is only "not checked" (never an error).
    """

    name: str
    table: str
    title: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    key: tuple[str, ...]
    valid_from: str
    valid_to: str
    types: dict[str, ColumnType] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    enums: dict[str, frozenset[str]] = field(default_factory=dict)
    facility: bool = True
    optional: bool = True


def _cols(names: str) -> tuple[str, ...]:
    return tuple(names.split())


_D = ColumnType.DATE
_I = ColumnType.INTEGER
_M = ColumnType.MONEY

M01 = FileSpec(
    name="M01",
    table="ref_departments",
    title="Khoa, phòng, bàn khám, giường bệnh (Mẫu 01/DM)",
    columns=_cols(
        "STT MA_LOAI_KCB MA_KHOA TEN_KHOA BAN_KHAM GIUONG_PD GIUONG_2015 GIUONG_TK "
        "GIUONG_HSTC GIUONG_HSCC LDLK LIEN_KHOA TU_NGAY DEN_NGAY MA_CSKCB"
    ),
    required=("MA_KHOA", "TU_NGAY"),
    key=("ma_cskcb", "ma_loai_kcb", "ma_khoa"),
    valid_from="TU_NGAY",
    valid_to="DEN_NGAY",
    types={
        "BAN_KHAM": _I,
        "GIUONG_PD": _I,
        "GIUONG_2015": _I,
        "GIUONG_TK": _I,
        "GIUONG_HSTC": _I,
        "GIUONG_HSCC": _I,
        "TU_NGAY": _D,
        "DEN_NGAY": _D,
    },
)

M02 = FileSpec(
    name="M02",
    table="ref_practitioners",
    title="Người hành nghề (Mẫu 02/DM)",
    columns=_cols(
        "STT MA_LOAI_KCB MA_KHOA TEN_KHOA MA_BHXH HO_TEN GIOI_TINH NGAY_SINH SO_CCCD "
        "CHUCDANH_NN VI_TRI MACCHN NGAYCAP_CCHN NOICAP_CCHN PHAMVI_CM PHAMVI_CMBS "
        "DVKT_KHAC VB_PHANCONG THOIGIAN_DK THOIGIAN_NGAY THOIGIAN_TUAN CSKCB_KHAC "
        "CSKCB_CGKT QD_CGKT TU_NGAY DEN_NGAY MA_CSKCB"
    ),
    required=("MACCHN", "HO_TEN", "TU_NGAY"),
    key=("ma_cskcb", "macchn", "ma_khoa"),
    valid_from="TU_NGAY",
    valid_to="DEN_NGAY",
    types={"NGAYCAP_CCHN": _D, "TU_NGAY": _D, "DEN_NGAY": _D},
    aliases={"MA_CCHN": "MACCHN", "SO_CCHN": "MACCHN"},
)

M03 = FileSpec(
    name="M03",
    table="ref_drugs",
    title="Thuốc, máu, chế phẩm máu (Mẫu 03/DM)",
    columns=_cols(
        "STT MA_THUOC TEN_HOAT_CHAT TEN_THUOC DON_VI_TINH HAM_LUONG DUONG_DUNG "
        "MA_DUONG_DUNG DANG_BAO_CHE SO_DANG_KY SO_LUONG DON_GIA DON_GIA_BH QUY_CACH "
        "NHA_SX NUOC_SX NHA_THAU TT_THAU TU_NGAY DEN_NGAY MA_CSKCB LOAI_THUOC "
        "LOAI_THAU HT_THAU"
    ),
    required=("MA_THUOC", "TU_NGAY"),
    key=("ma_cskcb", "ma_thuoc", "so_dang_ky", "tt_thau"),
    valid_from="TU_NGAY",
    valid_to="DEN_NGAY",
    types={"DON_GIA": _M, "DON_GIA_BH": _M, "TU_NGAY": _D, "DEN_NGAY": _D},
)

M04 = FileSpec(
    name="M04",
    table="ref_supplies",
    title="Vật tư, thiết bị y tế (Mẫu 04/DM)",
    columns=_cols(
        "STT MA_VAT_TU NHOM_VAT_TU TEN_VAT_TU MA_HIEU QUY_CACH HANG_SX NUOC_SX "
        "DON_VI_TINH DON_GIA DON_GIA_BH TYLE_TT_BH SO_LUONG DINH_MUC NHA_THAU TT_THAU "
        "TU_NGAY DEN_NGAY MA_CSKCB LOAI_THAU HT_THAU"
    ),
    required=("MA_VAT_TU", "TU_NGAY"),
    key=("ma_cskcb", "ma_vat_tu", "ma_hieu", "tt_thau"),
    valid_from="TU_NGAY",
    valid_to="DEN_NGAY",
    types={"DON_GIA": _M, "DON_GIA_BH": _M, "TU_NGAY": _D, "DEN_NGAY": _D},
)

M05 = FileSpec(
    name="M05",
    table="ref_services",
    title="Dịch vụ kỹ thuật và giá phê duyệt (Mẫu 05/DM)",
    columns=_cols(
        "STT MA_DICH_VU TEN_DICH_VU TEN_DVKT_GIA DON_GIA QUY_TRINH CSKCB_CGKT "
        "CSKCB_CLS TU_NGAY DEN_NGAY MA_CSKCB MA_GIA TEN_GIA GIA_TT_BHYT PHAN_LOAI_PTTT"
    ),
    required=("MA_DICH_VU", "DON_GIA", "TU_NGAY"),
    key=("ma_cskcb", "ma_dich_vu"),
    valid_from="TU_NGAY",
    valid_to="DEN_NGAY",
    types={"DON_GIA": _M, "GIA_TT_BHYT": _M, "TU_NGAY": _D, "DEN_NGAY": _D},
    aliases={"MA_TUONG_DUONG": "MA_DICH_VU", "TEN_DVKT_PHEDUYET": "TEN_DICH_VU"},
)

M06 = FileSpec(
    name="M06",
    table="ref_machines",
    title="Thiết bị y tế dùng để thực hiện DVKT (Mẫu 06/DM)",
    columns=_cols(
        "STT TEN_TB KY_HIEU CONGTY_SX NUOC_SX NAM_SX NAM_SD MA_MAY SO_LUU_HANH HD_TU "
        "HD_DEN TU_NGAY DEN_NGAY MA_CSKCB"
    ),
    required=("MA_MAY", "TU_NGAY"),
    key=("ma_cskcb", "ma_may"),
    valid_from="TU_NGAY",
    valid_to="DEN_NGAY",
    types={
        "NAM_SX": _I,
        "NAM_SD": _I,
        "HD_TU": _D,
        "HD_DEN": _D,
        "TU_NGAY": _D,
        "DEN_NGAY": _D,
    },
)

LICENCE_STATUSES = frozenset({"active", "suspended", "revoked"})
ACQUISITION_FORMS = frozenset(
    {"ngan_sach", "xa_hoi_hoa", "lien_doanh_lien_ket", "thue", "muon_nha_thau"}
)

LICENCES = FileSpec(
    name="licences",
    table="ref_licences",
    title="Sổ đăng ký chứng chỉ/giấy phép hành nghề (Sở Y tế)",
    columns=_cols(
        "MACCHN HO_TEN NOICAP TRANG_THAI NGAY_HIEU_LUC NGAY_HET_HIEU_LUC PHAMVI_CM"
    ),
    required=("MACCHN", "TRANG_THAI", "NGAY_HIEU_LUC"),
    key=("macchn",),
    valid_from="NGAY_HIEU_LUC",
    valid_to="NGAY_HET_HIEU_LUC",
    types={"NGAY_HIEU_LUC": _D, "NGAY_HET_HIEU_LUC": _D},
    enums={"TRANG_THAI": LICENCE_STATUSES},
    facility=False,
)

EQUIPMENT_SOURCES = FileSpec(
    name="equipment_sources",
    table="ref_equipment_sources",
    title="Hình thức có máy (ngân sách, xã hội hóa, LDLK, thuê, mượn nhà thầu)",
    columns=_cols("MA_MAY HINH_THUC NHA_CUNG_CAP HD_TU HD_DEN"),
    required=("MA_MAY", "HINH_THUC", "HD_TU"),
    key=("ma_may",),
    valid_from="HD_TU",
    valid_to="HD_DEN",
    types={"HD_TU": _D, "HD_DEN": _D},
    enums={"HINH_THUC": ACQUISITION_FORMS},
    facility=False,
)

FILE_SPECS: dict[str, FileSpec] = {
    s.name: s for s in (M01, M02, M03, M04, M05, M06, LICENCES, EQUIPMENT_SOURCES)
}
FACILITY_FORMS: tuple[str, ...] = ("M01", "M02", "M03", "M04", "M05", "M06")
