"""Machine group does not fit the service (e.g. an X-ray billed on an ultrasound).

Why: the first part of ``MA_MAY`` is the machine group (QĐ 130/4750, XML3: ``XQ``
X-ray, ``CL`` CT, ``MRI``, ``SA`` ultrasound, ``NS`` endoscopy, ``ĐT`` ECG…) and
the technique catalogue says which group a technique is done on
(``ref_techniques.machine_group``). A service recorded on a machine of another
group was either not done as billed or recorded carelessly: it needs joint
verification (TT 12/2026/TT-BTC Art. 10.1.e and k).

Violation: an XML3 line whose technique has a machine group in the catalogue on
the order date and none of whose machine codes belongs to that group.

Compliant: one of the machines is of the technique's group, or the catalogue has
no group for the technique.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TB005",
    name="equipment.machine_group_mismatch",
    version=1,
    doc=__doc__,
    title="Nhóm máy không phù hợp với dịch vụ kỹ thuật",
    title_en="Machine group does not fit the service",
    message=(
        "Dịch vụ {ma_dich_vu} cần máy nhóm {nhom_can} nhưng ghi máy {ma_may} "
        "(nhóm {nhom_ghi})"
    ),
    message_en=(
        "Service {ma_dich_vu} needs a machine of group {nhom_can} but names "
        "{ma_may} (group {nhom_ghi})"
    ),
    family=Family.FACILITY_SCOPE,
    severity=Severity.REVIEW,
    basis=(
        cite("qd130_2023/xml3.ma_may.group"),
        cite("tt12_2026/10.1.ek"),
    ),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql=r"""
        with machines as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, l.ma_may, t.machine_group,
                nullif(regexp_extract(trim(x.code), '^([A-ZĐ]{2,3})\.', 1), '')
                    as nhom
            from xml3 as l
            join ref_techniques as t
              on t.ma_dich_vu = left(l.ma_dich_vu, 12)
             and cast(l.ngay_yl as date) >= t.valid_from
             and (t.valid_to is null or cast(l.ngay_yl as date) <= t.valid_to)
            cross join unnest(string_split(l.ma_may, ';')) as x(code)
            where coalesce(trim(l.ma_may), '') <> ''
              and coalesce(t.machine_group, '') <> ''
        )
        select
            ma_lk, stt, any_value(ma_dich_vu) as ma_dich_vu,
            any_value(machine_group) as nhom_can, any_value(ma_may) as ma_may,
            array_to_string(list_sort(list_distinct(list(nhom))), ', ') as nhom_ghi
        from machines
        where nhom is not null
        group by ma_lk, stt
        having max(case when nhom = machine_group then 1 else 0 end) = 0
    """,
)
