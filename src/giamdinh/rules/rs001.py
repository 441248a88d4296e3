"""Execution shorter than the procedure's reference time (information only).

Why: the MoH procedure guidance (QĐ 2775/2776/QĐ-BYT, 2025) gives an average
execution time per technique. The Ministry of Health's position (2025) is that this
time is a reference, built on common practice, not a legal condition and never a
ground for refusing payment; device times (PACS, DICOM, machine logs) show machine
time, not the whole process. So this rule can only inform: the rule model refuses
to load it with severity ``refuse`` or ``adjust``. Repeated short times are a lead
for the signals and for joint verification with the facility, not a decision.

Violation (information): ``NGAY_KQ - NGAY_TH_YL`` in minutes below ``share`` percent
of ``ref_techniques.reference_minutes`` for the line's service code.

Compliant: no reference time, or a duration at or above the reference share.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="RS001",
    name="reasonableness.execution_shorter_than_reference",
    version=1,
    doc=__doc__,
    title="Thời gian thực hiện ngắn hơn thời gian tham khảo (chỉ để thông tin)",
    title_en="Execution shorter than the reference time (information only)",
    message=(
        "Dịch vụ {ma_dich_vu} thực hiện {phut_thuc_hien} phút, ít hơn thời gian tham "
        "khảo {phut_tham_chieu} phút; theo Bộ Y tế (2025) thời gian chỉ là tham khảo, "
        "không là căn cứ từ chối thanh toán"
    ),
    message_en=(
        "Service {ma_dich_vu} took {phut_thuc_hien} min, under the reference "
        "{phut_tham_chieu} min; per the Ministry of Health (2025), time is a "
        "reference, never a ground for refusal"
    ),
    family=Family.REASONABLENESS,
    severity=Severity.INFO,
    basis=(cite("qd2775_2025/time"),),
    effective=Period(start=date(2025, 8, 29)),
    grain=Grain.LINE,
    table="XML3",
    params={"share": 100},
    evidence=frozenset({Evidence.EXECUTION_TIME}),
    sql="""
        select
            l.ma_lk, l.stt, l.ma_dich_vu,
            date_diff('minute', l.ngay_th_yl, l.ngay_kq) as phut_thuc_hien,
            t.reference_minutes as phut_tham_chieu
        from xml3 as l
        join ref_techniques as t
          on t.ma_dich_vu = left(l.ma_dich_vu, 12)
         and cast(l.ngay_yl as date) >= t.valid_from
         and (t.valid_to is null or cast(l.ngay_yl as date) <= t.valid_to)
        where t.reference_minutes > 0
          and date_diff('minute', l.ngay_th_yl, l.ngay_kq) * 100
              < t.reference_minutes * (select share from params)
    """,
)
