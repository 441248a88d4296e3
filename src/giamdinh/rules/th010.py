"""Examination fee billed for a patient admitted through the emergency department.

Why: TT 35/2016/TT-BYT Art. 4b.1 (as amended by TT 39/2024/TT-BYT of
17/11/2024, Art. 1.4): for a patient examined and admitted for inpatient
treatment in the emergency department, the examination is not paid on top of the
emergency bed day. CV 266/TTKS-NV (2025) of BHXH's electronic payment-control
centre (PL1 item 2.4, topic KT223, refusal code S.013.458) refuses it.

The emergency department is found by its ``MA_KHOA`` in the common department
list (QĐ 2010/QĐ-BYT PL6; from 01/08/2026 QĐ 1804/QĐ-BYT PL02, whose two digits
keep the order of the hospital regulation): ``K02`` "Khoa Hồi sức cấp cứu". The
codes are the parameter ``khoa_cap_cuu`` (``;``-separated, so a deployment can
add one without a code change). A code matches itself and its sub-units: a
department split further (``K02.1``) and a unit ("đơn nguyên") of it
(``K02.D35``), all written ``<code>.<…>``. A multi-specialty department
(``K0249`` "Hồi sức cấp cứu; Chống độc", ``K0302``) is not matched: the texts do
not say when a combined department is "the emergency department", so such
claims are left to manual review.

Violation: an examination line (``MA_NHOM`` 13) ordered in the emergency
department, in an inpatient claim (``MA_LOAI_KCB`` 03) that has an inpatient bed
line (``MA_NHOM`` 15) of the emergency department.

Compliant: the examination of a patient admitted to another department, or of an
outpatient.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TH010",
    name="thematic.exam_fee_emergency_admission",
    version=1,
    doc=__doc__,
    title="Thanh toán tiền khám cho người bệnh vào điều trị nội trú tại khoa cấp cứu",
    title_en="Examination fee for a patient admitted in the emergency department",
    message=(
        "Không thanh toán tiền khám {ma_dich_vu} tại khoa {ma_khoa}: người bệnh vào "
        "điều trị nội trú tại khoa cấp cứu (ngày giường dòng {stt_giuong})"
    ),
    message_en=(
        "Examination {ma_dich_vu} in department {ma_khoa} is not paid: the patient "
        "was admitted for inpatient care in the emergency department (bed line "
        "{stt_giuong})"
    ),
    family=Family.THEMATIC,
    severity=Severity.REFUSE,
    basis=(
        cite("tt35_2016/4b.1"),
        cite("cv266_2025/pl1.kt223"),
    ),
    refusal_code="S.013.458",
    topic="KT223",
    effective=Period(start=date(2026, 1, 1)),
    grain=Grain.LINE,
    table="XML3",
    params={"khoa_cap_cuu": "K02"},
    evidence=frozenset({Evidence.CLAIM_DATA}),
    sql="""
        with emergency_codes as (
            select distinct upper(trim(k)) as k
            from (select unnest(string_split(khoa_cap_cuu, ';')) as k from params)
            where trim(k) <> ''
        ),
        in_emergency as (
            select distinct l.ma_lk, l.stt
            from xml3 as l
            join emergency_codes as c
              on upper(trim(l.ma_khoa)) = c.k
              or upper(trim(l.ma_khoa)) like c.k || '.%'
        ),
        emergency_beds as (
            select b.ma_lk, min(b.stt) as stt_giuong
            from xml3 as b
            join in_emergency as e on e.ma_lk = b.ma_lk and e.stt = b.stt
            where b.ma_nhom = 15
            group by b.ma_lk
        )
        select l.ma_lk, l.stt, l.ma_dich_vu, l.ma_khoa, b.stt_giuong
        from xml3 as l
        join in_emergency as e on e.ma_lk = l.ma_lk and e.stt = l.stt
        join xml1 as h on h.ma_lk = l.ma_lk
        join emergency_beds as b on b.ma_lk = l.ma_lk
        where l.ma_nhom = 13
          and h.ma_loai_kcb = '03'
    """,
)
