"""Machine used outside the period it is declared for in the equipment catalogue.

Why: a machine counts for payment only for the days its row of the equipment
catalogue (form 06/DM, ``TU_NGAY``..``DEN_NGAY``) covers: a retired, moved or not
yet accepted machine is not part of the facility's declared conditions on other
days (TT 12/2026/TT-BTC Art. 7–8 on catalogue changes, Art. 10.1.e on the
facility's scope and conditions).

Violation: an XML3 line whose ``MA_MAY`` (the whole value, or one of its
``;``-separated machine codes) is declared in the M06 of the claim's facility (or
of the facility written in the code) but no row of it is valid on the execution
date (``NGAY_TH_YL``, else ``NGAY_YL``).

Compliant: a row of the machine covers the execution date. A machine never
declared is TB003's business.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="TB004",
    name="equipment.machine_outside_period",
    version=1,
    doc=__doc__,
    title="Máy thực hiện dịch vụ ngoài thời gian được khai báo trong Mẫu 06/DM",
    title_en="Machine used outside its declared period (form 06/DM)",
    message=(
        "Dịch vụ {ma_dich_vu} thực hiện ngày {ngay_thuc_hien} trên máy {may}, "
        "ngoài thời gian khai báo trong Mẫu 06/DM ({thoi_gian_khai_bao})"
    ),
    message_en=(
        "Service {ma_dich_vu} was done on {ngay_thuc_hien} on machine {may}, "
        "outside its declared period in form 06/DM ({thoi_gian_khai_bao})"
    ),
    family=Family.FACILITY_SCOPE,
    severity=Severity.REFUSE,
    basis=(cite("tt12_2026/10.1.e"),),
    effective=Period(start=date(2026, 2, 10), end=date(2026, 3, 31)),
    grain=Grain.LINE,
    table="XML3",
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql=r"""
        with machines as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, h.ma_cskcb, trim(x.code) as may,
                cast(coalesce(l.ngay_th_yl, l.ngay_yl) as date) as ngay_thuc_hien,
                coalesce(
                    nullif(
                        regexp_extract(trim(x.code), '^[^.]+\.[12]\.(\d{5})\.', 1), ''
                    ),
                    h.ma_cskcb
                ) as noi_ghi_ma
            from xml3 as l
            join xml1 as h on h.ma_lk = l.ma_lk
            cross join unnest(
                list_distinct(list_append(string_split(l.ma_may, ';'), l.ma_may))
            ) as x(code)
            where coalesce(trim(l.ma_may), '') <> ''
        ),
        keys as (
            select distinct ma_cskcb, noi_ghi_ma, may, ngay_thuc_hien
            from machines
        ),
        judged as (
            select
                k.ma_cskcb, k.noi_ghi_ma, k.may, k.ngay_thuc_hien,
                array_to_string(
                    list_sort(
                        list_distinct(
                            list(
                                concat(
                                    cast(m.valid_from as varchar), '..',
                                    coalesce(cast(m.valid_to as varchar), '')
                                )
                            )
                        )
                    ),
                    ', '
                ) as thoi_gian_khai_bao,
                max(
                    case
                        when k.ngay_thuc_hien >= m.valid_from
                         and (m.valid_to is null or k.ngay_thuc_hien <= m.valid_to)
                        then 1 else 0
                    end
                ) as trong_ky
            from keys as k
            join ref_machines as m
              on m.ma_may = k.may
             and (m.ma_cskcb = k.ma_cskcb or m.ma_cskcb = k.noi_ghi_ma)
            group by k.ma_cskcb, k.noi_ghi_ma, k.may, k.ngay_thuc_hien
        ),
        failing as (
            select distinct
                p.ma_lk, p.stt, p.ma_dich_vu, p.may, p.ngay_thuc_hien,
                j.thoi_gian_khai_bao
            from machines as p
            join judged as j
              on j.ma_cskcb = p.ma_cskcb
             and j.noi_ghi_ma = p.noi_ghi_ma
             and j.may = p.may
             and j.ngay_thuc_hien = p.ngay_thuc_hien
            where j.trong_ky = 0
        )
        select
            ma_lk, stt, any_value(ma_dich_vu) as ma_dich_vu,
            array_to_string(list_sort(list(may)), '; ') as may,
            min(ngay_thuc_hien) as ngay_thuc_hien,
            array_to_string(
                list_sort(list(concat(may, ': ', thoi_gian_khai_bao))), '; '
            ) as thoi_gian_khai_bao
        from failing
        group by ma_lk, stt
    """,
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        basis=(
            cite("tt12_2026/10.1.e"),
            cite("tt12_2026/7.m06.dates"),
        ),
        effective=Period(start=date(2026, 4, 1)),
    ),
)
