r"""Machine code not in the shape the standard prescribes.

Why: QĐ 130/QĐ-BYT (kept by QĐ 4750/QĐ-BYT), XML3 field ``MA_MAY``, writes each
machine as ``XX.n.YYYYY.Z``: the machine group (``XQ`` X-ray, ``CL`` CT, ``SA``
ultrasound, ``ĐT`` ECG… up to 3 letters), the source of the money that bought it
(1 state budget, 2 socialised capital, 3 other sources), the 5-digit facility
code and the serial number; several machines are separated by ``;``. A code in
another shape cannot be matched to the equipment catalogue nor to its funding
source, so the line needs joint verification (TT 12/2026/TT-BTC Art. 10.1.k,
consistency of the data).

Violation: an XML3 line whose ``MA_MAY`` has a part that is not a serial
continuation and does not match ``^[A-ZĐ]{2,3}\.[12]\.\d{5}\..+$`` or, for
source 3 (for which hospital systems accept a suffix and no facility part),
``^[A-ZĐ]{2,3}\.3[^.]*\..+$``; or a value longer than 1024 characters.

Compliant: every machine code is well formed. The first part must be a machine
code; later parts that are bare serials of a multi-unit system are accepted.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TB001",
    name="equipment.machine_code_malformed",
    version=1,
    doc=__doc__,
    title="Mã máy không đúng cấu trúc XX.n.YYYYY.Z",
    title_en="Machine code not in the XX.n.YYYYY.Z shape",
    message=(
        'Dịch vụ {ma_dich_vu}: mã máy "{ma_may}" không đúng cấu trúc XX.n.YYYYY.Z '
        "của QĐ 130/4750 (phần sai: {phan_sai})"
    ),
    message_en=(
        'Service {ma_dich_vu}: machine code "{ma_may}" is not in the XX.n.YYYYY.Z '
        "shape of QĐ 130/4750 (wrong part: {phan_sai})"
    ),
    family=Family.CONSISTENCY,
    severity=Severity.REVIEW,
    basis=(cite("qd130_2023/xml3.ma_may"),),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA}),
    sql=r"""
        with parts as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, l.ma_may, trim(x.code) as phan,
                trim(x.code) = trim(string_split(l.ma_may, ';')[1]) as dau_tien
            from xml3 as l
            cross join unnest(string_split(l.ma_may, ';')) as x(code)
            where coalesce(trim(l.ma_may), '') <> ''
        ),
        wrong as (
            select ma_lk, stt, ma_dich_vu, ma_may, phan
            from parts
            where length(ma_may) > 1024
               or not (
                   regexp_matches(phan, '^[A-ZĐ]{2,3}\.[12]\.\d{5}\..+$')
                   or regexp_matches(phan, '^[A-ZĐ]{2,3}\.3[^.]*\..+$')
                   or (not dau_tien and not regexp_matches(phan, '^[A-ZĐ]{2,3}\.'))
               )
        )
        select
            ma_lk, stt, any_value(ma_dich_vu) as ma_dich_vu,
            any_value(ma_may) as ma_may,
            array_to_string(list_sort(list(phan)), '; ') as phan_sai
        from wrong
        group by ma_lk, stt
    """,
)
