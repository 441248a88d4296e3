"""Medical supply not in the facility's supply catalogue on the order date.

Why: the fund pays a medical supply only when the facility declared it in its
supply catalogue (form 04/DM, ``ref_supplies``) with a winning tender that BHXH
accepted, for the days the catalogue row is valid (TT 12/2026/TT-BTC Art. 10.1.c:
payment scope per the accepted catalogues).

Violation: an XML3 supply line (``MA_VAT_TU`` not empty) whose code has no row in
the facility's ``ref_supplies`` valid on the day of ``NGAY_YL``. The rule only runs
for facilities that sent a supply catalogue, so a missing M04 file means "not
checked", not a refusal of every supply.

Compliant: the supply code is in M04 with ``valid_from <= NGAY_YL <= valid_to``.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="CT004",
    name="catalogue.supply_not_in_catalogue",
    version=1,
    doc=__doc__,
    title="Vật tư y tế không có trong danh mục được phê duyệt tại ngày chỉ định",
    title_en="Medical supply not in the facility's catalogue on the order date",
    message=(
        "Vật tư {ma_vat_tu} không có trong danh mục vật tư (Mẫu 04/DM) của cơ sở "
        "{ma_cskcb} có hiệu lực ngày {ngay_chi_dinh}"
    ),
    message_en=(
        "Supply {ma_vat_tu} is not in the supply catalogue (form 04/DM) of facility "
        "{ma_cskcb} valid on {ngay_chi_dinh}"
    ),
    family=Family.PAYMENT_SCOPE,
    severity=Severity.REFUSE,
    basis=(cite("tt12_2026/10.1.c"),),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql="""
        select
            l.ma_lk, l.stt, l.ma_vat_tu, h.ma_cskcb,
            cast(l.ngay_yl as date) as ngay_chi_dinh
        from xml3 as l
        join xml1 as h on h.ma_lk = l.ma_lk
        left join ref_supplies as s
          on s.ma_cskcb = h.ma_cskcb
         and s.ma_vat_tu = l.ma_vat_tu
         and cast(l.ngay_yl as date) >= s.valid_from
         and (s.valid_to is null or cast(l.ngay_yl as date) <= s.valid_to)
        where coalesce(l.ma_vat_tu, '') <> ''
          and s.ma_vat_tu is null
          and h.ma_cskcb in (select c.ma_cskcb from ref_supplies as c)
    """,
)
