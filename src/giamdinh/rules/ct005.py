"""Drug not in the facility's drug catalogue on the order date.

Why: the fund pays a drug, blood or blood product only when the facility declared
it in its drug catalogue (form 03/DM, ``ref_drugs``) from an accepted tender, for
the days the row is valid (TT 12/2026/TT-BTC Art. 10.1.c). A drug supplied by
another facility (``MA_CSKCB_THUOC``) is looked up in that facility's catalogue
too.

Violation: an XML2 line whose ``MA_THUOC`` has no row valid on the day of
``NGAY_YL`` in the drug catalogue of the claim's facility nor of the supplying
facility. The rule only runs for facilities that sent a drug catalogue.

Compliant: the drug code is in M03 with ``valid_from <= NGAY_YL <= valid_to``.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="CT005",
    name="catalogue.drug_not_in_catalogue",
    version=1,
    doc=__doc__,
    title="Thuốc không có trong danh mục được phê duyệt tại ngày chỉ định",
    title_en="Drug not in the facility's catalogue on the order date",
    message=(
        "Thuốc {ma_thuoc} không có trong danh mục thuốc (Mẫu 03/DM) của cơ sở "
        "{ma_cskcb} có hiệu lực ngày {ngay_chi_dinh}"
    ),
    message_en=(
        "Drug {ma_thuoc} is not in the drug catalogue (form 03/DM) of facility "
        "{ma_cskcb} valid on {ngay_chi_dinh}"
    ),
    family=Family.PAYMENT_SCOPE,
    severity=Severity.REFUSE,
    basis=(cite("tt12_2026/10.1.c"),),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML2",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql="""
        select
            d.ma_lk, d.stt, d.ma_thuoc, h.ma_cskcb,
            cast(d.ngay_yl as date) as ngay_chi_dinh
        from xml2 as d
        join xml1 as h on h.ma_lk = d.ma_lk
        left join ref_drugs as c
          on c.ma_cskcb in (h.ma_cskcb, coalesce(d.ma_cskcb_thuoc, h.ma_cskcb))
         and c.ma_thuoc = d.ma_thuoc
         and cast(d.ngay_yl as date) >= c.valid_from
         and (c.valid_to is null or cast(d.ngay_yl as date) <= c.valid_to)
        where coalesce(d.ma_thuoc, '') <> ''
          and c.ma_thuoc is null
          and h.ma_cskcb in (select r.ma_cskcb from ref_drugs as r)
    """,
)
