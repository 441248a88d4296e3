"""Drug prescriber not in the facility's staff catalogue on the order date.

Why: a drug is paid only when prescribed by a practitioner of the facility
declared in its staff catalogue (form 02/DM, ``ref_practitioners``) for that day
(TT 12/2026/TT-BTC Art. 10.1.g). For a drug ordered by an upper-level doctor in a
tele-consultation QĐ 4750 writes that doctor's certificate; mobilised staff are
written ``CCHN.C.XXXXX`` and looked up in the M02 of facility ``XXXXX``.

Violation: an XML2 line whose ``MA_BAC_SI`` (each ``;``-separated person,
special forms read as in NV001) has no M02 row of the facility valid on the order
date. The rule only runs for facilities that sent an M02 (and, for mobilised
staff, when the mobilising facility's M02 is loaded).

Compliant: every prescriber is declared and valid that day.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Basis, Grain, Period, Severity
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="NV004",
    name="practitioner.prescriber_not_in_staff_catalogue",
    version=1,
    doc=__doc__,
    title="Người kê đơn thuốc không có trong danh mục nhân lực tại ngày chỉ định",
    title_en="Drug prescriber not in the facility's staff catalogue on the date",
    message=(
        "Thuốc {ma_thuoc}: người kê đơn {nguoi_ke_don} không có trong danh mục "
        "nhân lực (Mẫu 02/DM) của cơ sở {ma_cskcb} có hiệu lực ngày {ngay}"
    ),
    message_en=(
        "Drug {ma_thuoc}: prescriber {nguoi_ke_don} is not in the staff catalogue "
        "(form 02/DM) of facility {ma_cskcb} valid on {ngay}"
    ),
    family=Family.PRACTITIONER,
    severity=Severity.REFUSE,
    basis=(
        Basis(
            document="Thông tư 12/2026/TT-BTC",
            article="Điều 10",
            clause="khoản 1 điểm g",
            date=date(2026, 2, 10),
        ),
        Basis(
            document="Quyết định 4750/QĐ-BYT",
            article="Phụ lục, bảng XML2, trường MA_BAC_SI",
            date=date(2023, 12, 29),
        ),
    ),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML2",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql=r"""
        with people as (
            select distinct ma_lk, stt, code as ma_thuoc, ma_cskcb, ngay, macchn,
                   noi_khai_bao
            from line_practitioners
            where tbl = 'XML2'
        ),
        missing as (
            select p.*
            from people as p
            left join ref_practitioners as m
              on m.ma_cskcb = p.noi_khai_bao
             and m.macchn = p.macchn
             and p.ngay >= m.valid_from
             and (m.valid_to is null or p.ngay <= m.valid_to)
            where m.macchn is null
              and p.noi_khai_bao in (select c.ma_cskcb from ref_practitioners as c)
        )
        select
            ma_lk, stt, any_value(ma_thuoc) as ma_thuoc,
            any_value(ma_cskcb) as ma_cskcb,
            array_to_string(
                list_sort(list_distinct(list(macchn))), '; '
            ) as nguoi_ke_don,
            min(ngay) as ngay
        from missing
        group by ma_lk, stt
    """,
)
