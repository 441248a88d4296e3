"""CT billed at the "with contrast" price without a contrast drug.

Why: CV 266/2025 of BHXH's electronic payment-control centre (PL1, topic KT183,
refusal code S.005.442): a CT billed at the price "with contrast" (có thuốc cản
quang) when no contrast drug was used is paid at the price of the same CT "without
contrast". The variants and the drugs that count as contrast agents are rows of the
edit tables ``price_variants`` and ``code_groups``, each with its dates and reason.

Violation: an XML3 line whose code is a ``code_billed`` of ``edit_price_variants``
(rows of refusal code S.005.442) in force on its order date, in a claim with no
XML2 drug of the required group (matched on the drug name, e.g. iohexol). The
amount is the fund's share of the price difference to ``code_payable`` in the
facility's catalogue (the whole line when that price is not in the catalogue).

Compliant: a contrast drug line (XML2) in the same claim, or the CT billed at the
no-contrast code.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Basis, Grain, Period, Severity
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TH001",
    name="thematic.ct_contrast_without_drug",
    version=1,
    doc=__doc__,
    title="Chụp CLVT có thuốc cản quang nhưng không có thuốc cản quang",
    title_en="CT with contrast billed without a contrast drug",
    message=(
        "Dịch vụ {ma_dich_vu} thanh toán giá có thuốc cản quang nhưng hồ sơ không có "
        "thuốc cản quang; điều chỉnh về giá {ma_dich_vu_thanh_toan} ({gia_thanh_toan})"
    ),
    message_en=(
        "Service {ma_dich_vu} billed at the with-contrast price but the claim has no "
        "contrast drug; adjusted to {ma_dich_vu_thanh_toan} ({gia_thanh_toan})"
    ),
    family=Family.THEMATIC,
    severity=Severity.ADJUST,
    basis=(
        Basis(
            document="Công văn 266/2025 (Trung tâm Kiểm soát thanh toán BHXH, BHYT "
            "điện tử)",
            article="Phụ lục 1, chuyên đề KT183",
        ),
        Basis(document="Quyết định phê duyệt giá dịch vụ KCB của cấp có thẩm quyền"),
    ),
    refusal_code="S.005.442",
    topic="KT183",
    effective=Period(start=date(2026, 1, 1)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.EDIT_TABLE, Evidence.CATALOGUE}),
    sql="""
        with group_hits as (
            select distinct ma_lk, group_name
            from code_group_members
            where tbl = 'XML2'
        )
        select
            l.ma_lk, l.stt, l.ma_dich_vu, h.ma_cskcb,
            v.code_payable as ma_dich_vu_thanh_toan,
            l.don_gia_bh, p.don_gia as gia_thanh_toan,
            l.so_luong, l.tyle_tt_bh, l.muc_huong, l.t_bhtt
        from xml3 as l
        join xml1 as h on h.ma_lk = l.ma_lk
        join edit_price_variants as v
          on v.code_billed = left(l.ma_dich_vu, 12)
         and cast(l.ngay_yl as date) >= v.valid_from
         and (v.valid_to is null or cast(l.ngay_yl as date) <= v.valid_to)
        left join ref_services as p
          on p.ma_cskcb = h.ma_cskcb
         and p.ma_dich_vu = v.code_payable
         and cast(l.ngay_yl as date) >= p.valid_from
         and (p.valid_to is null or cast(l.ngay_yl as date) <= p.valid_to)
        left join group_hits as gh
          on gh.ma_lk = l.ma_lk and gh.group_name = v.requires_group
        where v.refusal_code = 'S.005.442'
          and gh.ma_lk is null
    """,
    amount="""
        case
            when gia_thanh_toan is null then t_bhtt
            else greatest(
                0,
                (don_gia_bh - gia_thanh_toan) * so_luong
                * coalesce(tyle_tt_bh, 100) * coalesce(muc_huong, 100) * 0.0001
            )
        end
    """,
)
