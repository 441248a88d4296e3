"""Rule templates of the policy library: rules an option adds, with parameters.

A template turns an option's parameters into rule versions that the rule model
checks like any other (a ``refuse`` rule needs the option's texts as its basis).
Rules of a template have ids ``PL`` + 3 digits, which no rule of the rule set uses.

``lent_machine_payment`` (seed 003): what the fund pays for a service done on a
machine placed or lent by the supplier of reagents (``muon_nha_thau`` in the
equipment register on the service date, read as TB006 reads it: the machine's
latest ``equipment_sources.csv`` row started by then). Each such line gets one
outcome, in this order:

1. ``pay`` before ``stop_from`` (paid since letter 2009/BYT-KH-TC of 2018);
2. ``refuse`` after ``convert_by`` when the machine is still lent, unless
   ``approved_grace`` is 1, its conversion scheme was approved (milestone
   ``phe_duyet`` of ``machine_milestones.csv``) by ``convert_by`` and the line is
   within the contract (then rule 3 decides);
3. ``within_contract`` (``pay``, ``review`` or ``refuse``) up to ``HD_DEN``
   (a lent machine without ``HD_DEN`` is within its contract);
4. after ``HD_DEN``, ``after_contract``: ``pay``, ``review``, ``refuse``, or
   ``until_used_up``: paid up to the day its reagents ran out (``HET_VAT_TU``),
   refused after it, ``review`` when the facility has not declared that day.

The template gives two rules: ``PL001`` refuses the lines whose outcome is
``refuse`` and ``PL002`` holds for review those whose outcome is ``review``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING

from giamdinh.domain import Grain, Period, Severity
from giamdinh.errors import ConfigError
from giamdinh.rules.model import Evidence, Family, Rule

if TYPE_CHECKING:
    from giamdinh.domain import Basis
    from giamdinh.policy.options import ParamValue

NO_DEADLINE = date(9999, 12, 31)
OUTCOMES = frozenset({"pay", "review", "refuse"})
AFTER_OUTCOMES = OUTCOMES | {"until_used_up"}

LENT_DEFAULTS: Mapping[str, ParamValue] = {
    "stop_from": date(2022, 5, 12),
    "within_contract": "pay",
    "after_contract": "review",
    "convert_by": NO_DEADLINE,
    "approved_grace": 0,
}

_LENT_SQL = """
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
            s.hinh_thuc, s.hd_den, s.het_vat_tu,
            row_number() over (
                partition by p.ma_lk, p.stt, p.may
                order by s.valid_from desc, s.hinh_thuc
            ) as thu_tu
        from machines as p
        join ref_equipment_sources as s
          on s.ma_may = p.may and s.valid_from <= p.ngay_thuc_hien
    ),
    approved as (
        select ma_may, min(ngay) as ngay_duyet
        from ref_machine_milestones
        where moc = 'phe_duyet'
        group by ma_may
    ),
    judged as (
        select
            f.ma_lk, f.stt, f.ma_dich_vu, f.may, f.ngay_thuc_hien, f.hd_den,
            f.het_vat_tu, params.phuong_an,
            case
                when f.ngay_thuc_hien < params.stop_from then 'truoc_khi_dung'
                when f.ngay_thuc_hien > params.convert_by
                     and not (
                         params.approved_grace = 1
                         and coalesce(a.ngay_duyet <= params.convert_by, false)
                         and (f.hd_den is null or f.ngay_thuc_hien <= f.hd_den)
                     ) then 'chua_chuyen_doi'
                when f.hd_den is null or f.ngay_thuc_hien <= f.hd_den
                     then 'trong_hop_dong'
                when params.after_contract <> 'until_used_up' then 'sau_hop_dong'
                when f.het_vat_tu is null then 'chua_ke_khai_vat_tu'
                when f.ngay_thuc_hien <= f.het_vat_tu then 'con_vat_tu'
                else 'het_vat_tu'
            end as ly_do
        from forms as f
        cross join params
        left join approved as a on a.ma_may = f.may
        where f.thu_tu = 1 and f.hinh_thuc = 'muon_nha_thau'
    ),
    decided as (
        select
            j.*,
            case j.ly_do
                when 'truoc_khi_dung' then 'pay'
                when 'chua_chuyen_doi' then 'refuse'
                when 'trong_hop_dong' then params.within_contract
                when 'sau_hop_dong' then params.after_contract
                when 'chua_ke_khai_vat_tu' then 'review'
                when 'con_vat_tu' then 'pay'
                else 'refuse'
            end as ket_qua
        from judged as j
        cross join params
    )
    select
        ma_lk, stt, any_value(ma_dich_vu) as ma_dich_vu,
        array_to_string(list_sort(list_distinct(list(may))), '; ') as may,
        min(ngay_thuc_hien) as ngay_thuc_hien,
        max(hd_den) as hd_den,
        max(het_vat_tu) as het_vat_tu,
        any_value(phuong_an) as phuong_an,
        min(ly_do) as ly_do,
        case min(ly_do)
            when 'chua_chuyen_doi'
                then 'chưa chuyển đổi sang hình thức theo NĐ 151/2017 đến hạn'
            when 'trong_hop_dong' then 'trong thời hạn hợp đồng'
            when 'sau_hop_dong' then 'sau khi hợp đồng hết hạn'
            when 'chua_ke_khai_vat_tu'
                then 'sau hợp đồng, chưa kê khai ngày dùng hết vật tư, hóa chất'
            else 'sau hợp đồng, đã dùng hết vật tư, hóa chất'
        end as tinh_trang,
        case min(ly_do)
            when 'chua_chuyen_doi'
                then 'not converted to a Decree 151/2017 form by the deadline'
            when 'trong_hop_dong' then 'within the contract'
            when 'sau_hop_dong' then 'after the contract ended'
            when 'chua_ke_khai_vat_tu'
                then 'after the contract, the day the reagents ran out not declared'
            else 'after the contract, the reagents used up'
        end as tinh_trang_en
    from decided
    where ket_qua = (select keep from params)
    group by ma_lk, stt
"""


def _typed(name: str, value: ParamValue, default: ParamValue) -> ParamValue:
    if isinstance(default, date):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            msg = f"{name}={value!r}: phải là ngày YYYY-MM-DD / must be a date"
            raise ConfigError(msg) from None
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool) and value in {0, 1}:
            return value
        msg = f"{name}={value!r}: phải là 0 hoặc 1 / must be 0 or 1"
        raise ConfigError(msg)
    return str(value)


def lent_machine_payment(
    params: Mapping[str, ParamValue], *, option: str, basis: tuple[Basis, ...]
) -> tuple[Rule, ...]:
    """Return the rules of ``lent_machine_payment`` for one option.

    Raises:
        ConfigError: an unknown parameter, a value of the wrong type or outcome,
            or a refusal without any text to rest on.
    """
    unknown = sorted(set(params) - set(LENT_DEFAULTS))
    if unknown:
        msg = (
            f"lent_machine_payment: tham số không biết {unknown} / unknown "
            f"parameter(s) {unknown}; known: {sorted(LENT_DEFAULTS)}"
        )
        raise ConfigError(msg)
    values = {k: _typed(k, params.get(k, d), d) for k, d in LENT_DEFAULTS.items()}
    if values["within_contract"] not in OUTCOMES:
        msg = (
            f"within_contract={values['within_contract']!r}: one of {sorted(OUTCOMES)}"
        )
        raise ConfigError(msg)
    if values["after_contract"] not in AFTER_OUTCOMES:
        msg = (
            f"after_contract={values['after_contract']!r}: one of "
            f"{sorted(AFTER_OUTCOMES)}"
        )
        raise ConfigError(msg)
    stop_from = values["stop_from"]
    assert isinstance(stop_from, date)  # noqa: S101 - typed above
    if not basis:
        msg = "lent_machine_payment refuses lines: the option must cite its texts"
        raise ConfigError(msg)
    common = {**values, "phuong_an": option}
    refuse = Rule(
        id="PL001",
        name="policy.lent_machine_refused",
        version=1,
        doc=__doc__,
        title="Phương án chính sách: không thanh toán dịch vụ trên máy đặt, mượn",
        title_en="Policy option: service on a supplier-placed machine not paid",
        message=(
            "Phương án {phuong_an}: dịch vụ {ma_dich_vu} ngày {ngay_thuc_hien} trên "
            "máy {may} do nhà thầu đặt, cho mượn ({tinh_trang}; hợp đồng đến "
            "{hd_den}, hết vật tư {het_vat_tu}) không được thanh toán"
        ),
        message_en=(
            "Option {phuong_an}: service {ma_dich_vu} on {ngay_thuc_hien} on machine "
            "{may}, placed by the supplier ({tinh_trang_en}; contract until {hd_den}, "
            "stock until {het_vat_tu}), is not paid"
        ),
        family=Family.FACILITY_SCOPE,
        severity=Severity.REFUSE,
        basis=basis,
        effective=Period(start=stop_from),
        grain=Grain.LINE,
        table="XML3",
        sql=_LENT_SQL,
        params={**common, "keep": "refuse"},
        evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    )
    review = dataclasses.replace(
        refuse,
        id="PL002",
        name="policy.lent_machine_review",
        title="Phương án chính sách: dịch vụ trên máy đặt, mượn cần giám định",
        title_en="Policy option: service on a supplier-placed machine held for review",
        message=(
            "Phương án {phuong_an}: dịch vụ {ma_dich_vu} ngày {ngay_thuc_hien} trên "
            "máy {may} do nhà thầu đặt, cho mượn ({tinh_trang}; hợp đồng đến "
            "{hd_den}): cần cơ sở chứng minh để thanh toán"
        ),
        message_en=(
            "Option {phuong_an}: service {ma_dich_vu} on {ngay_thuc_hien} on machine "
            "{may}, placed by the supplier ({tinh_trang_en}; contract until "
            "{hd_den}): the facility must show it is payable"
        ),
        severity=Severity.REVIEW,
        params={**common, "keep": "review"},
    )
    return (refuse, review)


Template = Callable[..., tuple[Rule, ...]]

TEMPLATES: Mapping[str, Template] = {"lent_machine_payment": lent_machine_payment}
"""The policy library: template name → function building its rules."""


def build(
    name: str,
    params: Mapping[str, ParamValue],
    *,
    option: str,
    basis: tuple[Basis, ...],
) -> tuple[Rule, ...]:
    """Return the rules of template ``name`` for one option.

    Raises:
        ConfigError: no such template, or its parameters are wrong.
    """
    template = TEMPLATES.get(name)
    if template is None:
        msg = (
            f"không có mẫu quy tắc {name!r} / no template {name!r}: {sorted(TEMPLATES)}"
        )
        raise ConfigError(msg)
    return template(params, option=option, basis=basis)
