"""Service done on a machine placed by the reagent supplier, outside what the law pays.

Why: many public facilities run analysers placed by the winner of their reagent
or consumables contract ("máy đặt, mượn"). The law on paying the services done on
them changed four times, and each change is a version of this rule:

* 12/04/2018-11/05/2022: paid (letter 2009/BYT-KH-TC of the Ministry of Health,
  per the bid and the signed contract). No version: no finding.
* v1, 12/05/2022-04/11/2022, the stop: 2348/BYT-KH-TC (09/05/2022) annulled
  letter 2009 and BHXH Việt Nam told its offices to stop paying (1261/BHXH-CSYT,
  12/05/2022). Whether these services became payable again is not settled by the
  texts: Resolution 144/NQ-CP clause 4 as amended by Resolution 30/NQ-CP "cho
  phép tiếp tục thanh toán ... a) Đối với các hợp đồng được ký trước ngày 05
  tháng 11 năm 2022: thực hiện theo thời hạn của hợp đồng", without saying
  whether services already done during the stop are covered, and BHXH itself
  reported on 26/05/2022 that payment went on within the term of the reagent
  contract. Every such service is therefore ``review`` (joint verification with
  the contract in hand), never refused.
* v2, from 05/11/2022: Resolution 144/NQ-CP clause 4: the fund pays the services
  done on machines provided by the winning bidders of supplies and chemicals,
  per the signed contract. No finding while the contract runs (``HD_DEN`` not
  passed).
* v3, from 04/03/2023: Resolution 30/NQ-CP clause 1 rewrites that clause: a)
  contracts signed before 05/11/2022 per their term, b) contracts signed from
  05/11/2022 until a legal text rules on the matter, and "Trường hợp hết thời
  hạn hợp đồng ... thì được tiếp tục thanh toán đến khi sử dụng hết vật tư, hóa
  chất đã mua". After ``HD_DEN`` the service is paid while the reagents bought
  under the contract last, which only the facility can show: ``review``.
* v4, from 01/01/2024: the Bidding Law 22/2023/QH15 makes buying reagents with
  the supplier's equipment a lawful procurement; the payment rule of v3 goes on.

In v2 the original wording of clause 4 (before Resolution 30) was not available,
so a service after the contract's end is ``review`` there too.

The acquisition form comes from the equipment register (``ref_equipment_sources``,
one row per form with its period ``HD_TU``..``HD_DEN``): on the service date the
machine's form is that of its latest row started by then. A machine lent and
later bought outright (a ``ngan_sach`` or ``xa_hoi_hoa`` row after the loan) is no
longer lent. A lent machine with no later row stays lent after its contract ends.

Violation: an XML3 line whose ``MA_MAY`` (or one of its ``;``-separated codes)
is ``muon_nha_thau`` on the execution date (``NGAY_TH_YL``, else ``NGAY_YL``),
done during the stop, or after the contract's ``HD_DEN`` from 05/11/2022.

Compliant: the machine is the facility's own (state budget, socialised capital,
joint venture, lease) on that date, the service was done before 12/05/2022, or
from 05/11/2022 within the contract.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

_V1 = Rule(
    id="TB006",
    name="equipment.machine_lent_by_supplier",
    version=1,
    doc=__doc__,
    title="Dịch vụ thực hiện trên máy do nhà thầu cung cấp hóa chất đặt, cho mượn",
    title_en="Service on a machine placed by the reagent supplier",
    message=(
        "Dịch vụ {ma_dich_vu} thực hiện ngày {ngay_thuc_hien} trên máy {may} do "
        "nhà thầu cho mượn, đặt ({tinh_trang}, hợp đồng đến {hd_den}) trong thời "
        "gian dừng thanh toán (CV 2348/BYT-KH-TC, CV 1261/BHXH-CSYT); cần giám định "
        "cùng cơ sở theo hợp đồng (NQ 144/NQ-CP khoản 4, sửa đổi bởi NQ 30/NQ-CP)"
    ),
    message_en=(
        "Service {ma_dich_vu} was done on {ngay_thuc_hien} on machine {may}, placed "
        "by the supplier ({tinh_trang_en}, contract until {hd_den}), while payment "
        "was stopped (letters 2348/BYT-KH-TC, 1261/BHXH-CSYT); verify with the "
        "facility against the contract (Resolution 144/NQ-CP clause 4 as amended "
        "by Resolution 30/NQ-CP)"
    ),
    family=Family.FACILITY_SCOPE,
    severity=Severity.REVIEW,
    basis=(cite("cv2348_2022"), cite("cv1261_2022")),
    effective=Period(start=date(2022, 5, 12), end=date(2022, 11, 4)),
    grain=Grain.LINE,
    table="XML3",
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
        ),
        forms as (
            select
                p.ma_lk, p.stt, p.ma_dich_vu, p.may, p.ngay_thuc_hien,
                s.hinh_thuc, s.hd_den,
                row_number() over (
                    partition by p.ma_lk, p.stt, p.may
                    order by s.valid_from desc, s.hinh_thuc
                ) as thu_tu
            from machines as p
            join ref_equipment_sources as s
              on s.ma_may = p.may and s.valid_from <= p.ngay_thuc_hien
        ),
        lent as (
            select
                ma_lk, stt, ma_dich_vu, may, ngay_thuc_hien, hd_den,
                case
                    when hd_den is not null and ngay_thuc_hien > hd_den then 1
                    else 0
                end as sau_hop_dong
            from forms
            where thu_tu = 1 and hinh_thuc = 'muon_nha_thau'
        )
        select
            ma_lk, stt, any_value(ma_dich_vu) as ma_dich_vu,
            array_to_string(list_sort(list_distinct(list(may))), '; ') as may,
            min(ngay_thuc_hien) as ngay_thuc_hien,
            max(hd_den) as hd_den,
            case
                when max(sau_hop_dong) = 1 then 'sau khi hợp đồng hết hạn'
                else 'trong thời hạn hợp đồng'
            end as tinh_trang,
            case
                when max(sau_hop_dong) = 1 then 'after the contract ended'
                else 'within the contract'
            end as tinh_trang_en
        from lent
        -- NOTE: one check for every version: during the stop (to 04/11/2022)
        -- every line on a lent machine, later only those after the contract.
        where ngay_thuc_hien <= date '2022-11-04' or sau_hop_dong = 1
        group by ma_lk, stt
    """,
)

PER_CONTRACT = (
    "Dịch vụ {ma_dich_vu} thực hiện ngày {ngay_thuc_hien} trên máy {may} do "
    "nhà thầu cho mượn, đặt sau khi hợp đồng hết hạn ({hd_den}); NQ 144/NQ-CP "
    "khoản 4 thanh toán theo hợp đồng đã ký: cần giám định cùng cơ sở"
)
PER_CONTRACT_EN = (
    "Service {ma_dich_vu} was done on {ngay_thuc_hien} on machine {may}, placed "
    "by the supplier, after its contract ended ({hd_den}); Resolution 144/NQ-CP "
    "clause 4 pays per the signed contract: verify with the facility"
)
UNTIL_USED_UP = (
    "Dịch vụ {ma_dich_vu} thực hiện ngày {ngay_thuc_hien} trên máy {may} do "
    "nhà thầu cho mượn, đặt sau khi hợp đồng hết hạn ({hd_den}); chỉ thanh toán "
    "đến khi sử dụng hết vật tư, hóa chất đã mua theo hợp đồng: cần cơ sở chứng "
    "minh còn vật tư, hóa chất (NQ 144/NQ-CP khoản 4, sửa đổi bởi NQ 30/NQ-CP)"
)
UNTIL_USED_UP_EN = (
    "Service {ma_dich_vu} was done on {ngay_thuc_hien} on machine {may}, placed "
    "by the supplier, after its contract ended ({hd_den}); it is paid only until "
    "the supplies and chemicals bought under the contract are used up: the "
    "facility must show its stock (Resolution 144/NQ-CP clause 4 as amended by "
    "Resolution 30/NQ-CP)"
)

RULES = (
    _V1,
    dataclasses.replace(
        _V1,
        version=2,
        message=PER_CONTRACT,
        message_en=PER_CONTRACT_EN,
        basis=(cite("nq144_2022/4"),),
        effective=Period(start=date(2022, 11, 5), end=date(2023, 3, 3)),
    ),
    dataclasses.replace(
        _V1,
        version=3,
        message=UNTIL_USED_UP,
        message_en=UNTIL_USED_UP_EN,
        basis=(cite("nq144_2022/4"), cite("nq30_2023/1")),
        effective=Period(start=date(2023, 3, 4), end=date(2023, 12, 31)),
    ),
    dataclasses.replace(
        _V1,
        version=4,
        message=UNTIL_USED_UP,
        message_en=UNTIL_USED_UP_EN,
        basis=(cite("nq144_2022/4"), cite("nq30_2023/1"), cite("luat_dau_thau_2023")),
        effective=Period(start=date(2024, 1, 1)),
    ),
)
