"""Drug prescriber without a valid practice licence on the order date.

Why: prescribing while the licence has expired, is suspended or has been revoked
is practising without a licence (Law on Medical Examination and Treatment
15/2023/QH15, Art. 7, prohibited acts); the insurer checks the practitioner of
every line (TT 12/2026/TT-BTC Art. 10.1.g) against the licence registry
(``ref_licences``).

Violation: an XML2 line whose ``MA_BAC_SI`` (each ``;``-separated person, special
forms read as in NV001) names a certificate known to the registry without an
``active`` row on the order date. Certificates unknown to the registry are not
judged here.

Compliant: every prescriber holds an active licence that day.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Basis, Grain, Period, Severity
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="NV005",
    name="practitioner.prescriber_licence_not_valid",
    version=1,
    doc=__doc__,
    title="Người kê đơn thuốc không có giấy phép hành nghề còn hiệu lực",
    title_en="Drug prescriber without a valid practice licence on the date",
    message=(
        "Thuốc {ma_thuoc}: chứng chỉ/giấy phép của người kê đơn {nguoi_ke_don} "
        "không còn hiệu lực ngày {ngay} (tình trạng: {tinh_trang})"
    ),
    message_en=(
        "Drug {ma_thuoc}: the prescriber's licence {nguoi_ke_don} is not in force "
        "on {ngay} (status: {tinh_trang})"
    ),
    family=Family.PRACTITIONER,
    severity=Severity.REFUSE,
    basis=(
        Basis(
            document="Luật Khám bệnh, chữa bệnh 15/2023/QH15",
            article="Điều 7 (hành vi bị nghiêm cấm: hành nghề khi không có giấy "
            "phép hoặc đang bị đình chỉ, thu hồi)",
            date=date(2023, 1, 9),
        ),
        Basis(
            document="Thông tư 12/2026/TT-BTC",
            article="Điều 10",
            clause="khoản 1 điểm g",
            date=date(2026, 2, 10),
        ),
    ),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML2",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql=r"""
        with people as (
            select distinct ma_lk, stt, code as ma_thuoc, ngay, macchn
            from line_practitioners
            where tbl = 'XML2'
        ),
        judged as (
            select
                p.ma_lk, p.stt, p.ma_thuoc, p.ngay, p.macchn,
                max(case when r.trang_thai = 'active' then 1 else 0 end)
                    as co_hieu_luc,
                max(r.trang_thai) as tinh_trang_ngay
            from people as p
            left join ref_licences as r
              on r.macchn = p.macchn
             and p.ngay >= r.valid_from
             and (r.valid_to is null or p.ngay <= r.valid_to)
            where p.macchn in (select k.macchn from ref_licences as k)
            group by p.ma_lk, p.stt, p.ma_thuoc, p.ngay, p.macchn
        )
        select
            ma_lk, stt, any_value(ma_thuoc) as ma_thuoc,
            array_to_string(
                list_sort(list_distinct(list(macchn))), '; '
            ) as nguoi_ke_don,
            min(ngay) as ngay,
            array_to_string(
                list_sort(list_distinct(list(coalesce(tinh_trang_ngay, 'expired')))),
                ', '
            ) as tinh_trang
        from judged
        where co_hieu_luc = 0
        group by ma_lk, stt
    """,
)
