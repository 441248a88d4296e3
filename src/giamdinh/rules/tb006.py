"""Service done on a machine lent by a reagent supplier after payment stopped.

Why: machines placed at a public facility by the supplier of its reagents or
consumables ("máy đặt, mượn" of the winning bidder) were accepted for payment of
the services done on them by letter 2009/BYT-KH-TC from 12/04/2018. The Ministry
of Health stopped this by letter 2348/BYT-KH-TC of 09/05/2022, and BHXH Việt Nam
told its provincial offices (letter 1261/BHXH-CSYT) not to pay services done on
such machines from 12/05/2022. Facilities petitioned to be paid until their
contracts end (``HD_DEN``); whether an office accepts that is a policy choice,
so it is the parameter ``pay_until_contract_end`` (0 = not paid from 12/05/2022,
the letters' text; 1 = paid up to ``HD_DEN``).

Violation: an XML3 line whose ``MA_MAY`` (or one of its machine codes) is
recorded in the equipment-source register (``ref_equipment_sources``) as
``muon_nha_thau`` (lent by a supplier), executed on or after 12/05/2022 (the
effective date of this version) — and, with ``pay_until_contract_end = 1``, after
the contract's ``HD_DEN``.

Compliant: the machine is the facility's own (state budget, socialised capital,
joint venture, lease), or the service was done before 12/05/2022 (between
12/04/2018 and 11/05/2022 such services were payable).
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Basis, Grain, Period, Severity
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TB006",
    name="equipment.machine_lent_by_supplier",
    version=1,
    doc=__doc__,
    title="Dịch vụ thực hiện trên máy do nhà thầu cho mượn sau khi dừng thanh toán",
    title_en="Service on a machine lent by a reagent supplier after payment stopped",
    message=(
        "Dịch vụ {ma_dich_vu} thực hiện ngày {ngay_thuc_hien} trên máy {may} do "
        "nhà thầu cho mượn (hợp đồng đến {hd_den}); không thanh toán từ 12/05/2022 "
        "(CV 2348/BYT-KH-TC, CV 1261/BHXH-CSYT)"
    ),
    message_en=(
        "Service {ma_dich_vu} was done on {ngay_thuc_hien} on machine {may}, lent "
        "by a supplier (contract until {hd_den}); not paid from 2022-05-12 "
        "(letters 2348/BYT-KH-TC, 1261/BHXH-CSYT)"
    ),
    family=Family.FACILITY_SCOPE,
    severity=Severity.REFUSE,
    basis=(
        Basis(
            document="Công văn 2348/BYT-KH-TC",
            article="dừng thanh toán chi phí DVKT thực hiện trên máy đặt, mượn "
            "của nhà thầu cung cấp hóa chất, vật tư",
            date=date(2022, 5, 9),
        ),
        Basis(
            document="Công văn 1261/BHXH-CSYT",
            article="không thanh toán từ ngày 12/05/2022",
        ),
        Basis(
            document="Thông tư 12/2026/TT-BTC",
            article="Điều 10",
            clause="khoản 1 điểm e",
            date=date(2026, 2, 10),
        ),
    ),
    effective=Period(start=date(2022, 5, 12)),
    grain=Grain.LINE,
    table="XML3",
    params={"pay_until_contract_end": 0},
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql="""
        with machines as (
            select
                l.ma_lk, l.stt, l.ma_dich_vu, trim(x.code) as may,
                cast(coalesce(l.ngay_th_yl, l.ngay_yl) as date) as ngay_thuc_hien
            from xml3 as l
            cross join unnest(
                list_distinct(list_append(string_split(l.ma_may, ';'), l.ma_may))
            ) as x(code)
            where coalesce(trim(l.ma_may), '') <> ''
        )
        select
            p.ma_lk, p.stt, any_value(p.ma_dich_vu) as ma_dich_vu,
            array_to_string(list_sort(list_distinct(list(p.may))), '; ') as may,
            min(p.ngay_thuc_hien) as ngay_thuc_hien,
            max(s.hd_den) as hd_den
        from machines as p
        join ref_equipment_sources as s
          on s.ma_may = p.may and s.hinh_thuc = 'muon_nha_thau'
        where p.ngay_thuc_hien >= date '2022-05-12'
          and not (
              (select pay_until_contract_end from params) = 1
              and s.hd_den is not null
              and p.ngay_thuc_hien <= s.hd_den
          )
        group by p.ma_lk, p.stt
    """,
)
