"""Machine not declared in the facility's equipment catalogue.

Why: a technical service is paid only when done with equipment the facility has
declared to BHXH in its catalogue of medical equipment used for technical services
(form 06/DM, ``ref_machines``; TT 12/2026/TT-BTC Art. 7–8). The insurer checks the
facility's professional scope and conditions, which include the equipment
(TT 12/2026/TT-BTC Art. 10.1.e). ``MA_MAY`` names the machines that did the work
(QĐ 130/4750, XML3).

Violation: an XML3 line whose ``MA_MAY`` (the whole value, or each of its
``;``-separated machine codes of the shape ``GROUP.n.…``) has no row at all in the
M06 of the claim's facility, nor of the facility written in the code
(``XX.n.YYYYY.Z``). The rule only runs for facilities that sent an M06.

Compliant: every machine of the line is declared (a machine declared but used
outside its period is TB004's business).
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="TB003",
    name="equipment.machine_not_declared",
    version=1,
    doc=__doc__,
    title="Máy thực hiện dịch vụ không có trong danh mục thiết bị (Mẫu 06/DM)",
    title_en="Machine not declared in the equipment catalogue (form 06/DM)",
    message=(
        "Dịch vụ {ma_dich_vu} thực hiện trên máy {may} không có trong danh mục "
        "thiết bị y tế dùng để thực hiện DVKT (Mẫu 06/DM) của cơ sở {ma_cskcb}"
    ),
    message_en=(
        "Service {ma_dich_vu} was done on machine {may}, which is not in the "
        "equipment catalogue (form 06/DM) of facility {ma_cskcb}"
    ),
    family=Family.FACILITY_SCOPE,
    severity=Severity.REFUSE,
    basis=(cite("tt12_2026/10.1.e"),),
    effective=Period(start=date(2026, 2, 10), end=date(2026, 3, 31)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql=r"""
        with lines as (
            select l.ma_lk, l.stt, l.ma_dich_vu, h.ma_cskcb, trim(l.ma_may) as ma_may
            from xml3 as l
            join xml1 as h on h.ma_lk = l.ma_lk
            left join ref_machines as whole
              on whole.ma_cskcb = h.ma_cskcb and whole.ma_may = trim(l.ma_may)
            where coalesce(trim(l.ma_may), '') <> ''
              and whole.ma_may is null
              and h.ma_cskcb in (select c.ma_cskcb from ref_machines as c)
        ),
        machines as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, l.ma_cskcb, trim(x.code) as may,
                coalesce(
                    nullif(
                        regexp_extract(trim(x.code), '^[^.]+\.[12]\.(\d{5})\.', 1), ''
                    ),
                    l.ma_cskcb
                ) as noi_ghi_ma
            from lines as l
            cross join unnest(string_split(l.ma_may, ';')) as x(code)
            where regexp_matches(trim(x.code), '^[A-ZĐ]{2,3}\.[0-9]')
        )
        select
            p.ma_lk, p.stt, any_value(p.ma_dich_vu) as ma_dich_vu,
            any_value(p.ma_cskcb) as ma_cskcb,
            array_to_string(list_sort(list_distinct(list(p.may))), '; ') as may
        from machines as p
        left join ref_machines as m
          on m.ma_may = p.may
         and (m.ma_cskcb = p.ma_cskcb or m.ma_cskcb = p.noi_ghi_ma)
        where m.ma_may is null
        group by p.ma_lk, p.stt
    """,
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        basis=(
            cite("tt12_2026/10.1.e"),
            cite("tt12_2026/7.m06"),
        ),
        effective=Period(start=date(2026, 4, 1)),
    ),
)
