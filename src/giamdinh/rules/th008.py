"""Outpatient-only service billed during an inpatient stay.

Why: the approved prices of intramuscular and intravenous injection, intravenous
infusion, stitch removal and cast removal apply to outpatients only: during an
inpatient stay their cost is in the bed-day price. CV 266/2025 of BHXH's
electronic payment-control centre (topic KT144, refusal code S.005.430) refuses
them in inpatient treatment. The services are the group ``outpatient_only`` of
``code_groups``. Wound dressing, also named in KT144, is left out: topic KT105
pays caesarean dressings up to the third in the stay, so the two topics need the
dressing's context, which the claim does not carry.

Violation: an XML3 line of the group in a claim of an inpatient kind
(``MA_LOAI_KCB`` 03 inpatient, 04 day inpatient, 09 inpatient under 4 hours)
ordered between admission (``NGAY_VAO_NOI_TRU``, else ``NGAY_VAO``) and
``NGAY_RA``.

Compliant: the same service in an outpatient claim, or before the admission.

Severity: ``review``, not ``refuse``. What limits the price to outpatients is the
facility's approved price decision (CV 266 names "the price decision of the
competent authority" without a number). That decision is not in the reference data
this rule reads (``ref_services`` has no decision column), and CV 266 alone gives no
date, so the line goes to joint verification with the decision in hand instead of
being refused (Decree 188/2025 Art. 51.2 asks a refusal for a specific basis).
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TH008",
    name="thematic.outpatient_only_service_inpatient",
    version=1,
    doc=__doc__,
    title="Dịch vụ chỉ thanh toán ngoại trú (tiêm, truyền, tháo bột…) khi nội trú",
    title_en="Outpatient-only service billed during an inpatient stay",
    message=(
        "Cần giám định: {ma_dich_vu} trong điều trị nội trú (loại KCB "
        "{ma_loai_kcb}), giá dịch vụ có thể chỉ áp dụng cho người bệnh ngoại trú "
        "(chuyên đề KT144); đối chiếu quyết định phê duyệt giá của cơ sở"
    ),
    message_en=(
        "To verify: {ma_dich_vu} during inpatient care (MA_LOAI_KCB {ma_loai_kcb}); "
        "its price may apply to outpatients only (topic KT144); check the "
        "facility's price decision"
    ),
    family=Family.THEMATIC,
    severity=Severity.REVIEW,
    basis=(cite("cv266_2025/pl1.kt144"),),
    refusal_code="S.005.430",
    topic="KT144",
    effective=Period(start=date(2026, 1, 1)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.EDIT_TABLE}),
    sql="""
        with members as (
            select ma_lk, stt
            from code_group_members
            where tbl = 'XML3' and group_name = 'outpatient_only'
        )
        select l.ma_lk, l.stt, l.ma_dich_vu, h.ma_loai_kcb
        from xml3 as l
        join members as m on m.ma_lk = l.ma_lk and m.stt = l.stt
        join xml1 as h on h.ma_lk = l.ma_lk
        where h.ma_loai_kcb in ('03', '04', '09')
          and l.ngay_yl >= coalesce(h.ngay_vao_noi_tru, h.ngay_vao)
          and (h.ngay_ra is null or l.ngay_yl <= h.ngay_ra)
    """,
)
