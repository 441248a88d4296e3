"""The synthetic province: facilities, catalogues, staff, licences, machines, patients.

Everything is derived from the configuration (seed, month, facility count, expected
volume) so the same configuration always builds the same province. Staff and machines
are sized from the expected daily volume of each facility so that departments are busy
but not overloaded: a scheduler then books every imaging, endoscopy, ECG and exam on
its performer's and machine's timeline, so clean claims never put one person or one
machine in two places at once.

Flawed items exist only for planted anomalies and are never used by clean claims:
practitioners whose licence expired, was suspended or revoked; a retired machine whose
M06 row ended before the month; analysers lent by reagent suppliers whose contract runs
past 12/05/2022 (payments stopped by 1261/BHXH-CSYT).

Lent analysers whose contract is running are paid under the law in force from
05/11/2022 (Resolution 144/NQ-CP clause 4) and clean claims use them. From
``LENT_SCENARIOS_FROM`` each facility also has some of the lent analysers the policy
options of issue 17 judge differently (``LENT_SCENARIOS``): contracts ended with
reagents left, used up or undeclared (their lines are TB006 ``review``, labelled),
a conversion to a Decree 151/2017 form approved and under way, and one completed.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from giamdinh.synth.clinical import (
    DEPARTMENTS,
    KIND_PROFILES,
    MACHINE_MODELS,
    REAGENT_SUPPLIERS,
    RECIPES,
    ROLE_SCOPE,
    SERVICES,
    Kind,
    Role,
)
from giamdinh.synth.schedule import Timeline
from giamdinh.synth.streams import stream

if TYPE_CHECKING:
    import random

#: Payment for services on machines lent by reagent suppliers: allowed by
#: 2009/BYT-KH-TC from 12/04/2018, stopped by 1261/BHXH-CSYT from 12/05/2022.
LENT_PAID_FROM = date(2018, 4, 12)
LENT_STOPPED_FROM = date(2022, 5, 12)
#: Payment per contract again: Resolution 144/NQ-CP clause 4 (05/11/2022).
LENT_PAID_AGAIN_FROM = date(2022, 11, 5)
#: First month with the lent-machine scenarios of the policy replay (issue 17): a
#: conversion completed on 01/01/2024 must lie before the month.
LENT_SCENARIOS_FROM = date(2024, 2, 1)
#: Default deadline of policy option D (conversion to a Decree 151/2017 form): not
#: a legal date, the replay's parameter; synthetic conversions are approved before it.
CONVERSION_DEADLINE = date(2025, 12, 31)
#: Lent analysers whose contract ended before the month and which are still in use.
LENT_EXPIRED = (
    "lent_expired_stock",
    "lent_expired_used_up",
    "lent_expired_undeclared",
)
#: Every scenario planted from ``LENT_SCENARIOS_FROM`` (``odd_machines`` keys).
LENT_SCENARIOS = (*LENT_EXPIRED, "lent_converting", "lent_converted")
#: Milestones of a conversion to a Decree 151/2017 form (``machine_milestones.csv``).
MILESTONES = ("de_an", "phe_duyet", "hop_dong", "ban_giao")


class Tier(StrEnum):
    """Facility tier (the former "tuyến")."""

    CENTRAL = "central"
    PROVINCIAL = "provincial"
    DISTRICT = "district"
    COMMUNE = "commune"
    PRIVATE = "private"


#: Province code of the central hospital: it is seated in Hà Nội (01), as most
#: central hospitals are, and takes the province's referrals. Its ``MA_CSKCB`` starts
#: with a zero, so the leading zero is exercised from the files to the reports.
CENTRAL_PROVINCE = "01"
_TIER_ORDER = (Tier.CENTRAL, Tier.PROVINCIAL, Tier.DISTRICT, Tier.COMMUNE, Tier.PRIVATE)
_TIER_CYCLE = (Tier.DISTRICT, Tier.COMMUNE, Tier.COMMUNE, Tier.PRIVATE, Tier.DISTRICT)
TIER_WEIGHT = {
    Tier.CENTRAL: 10.0,
    Tier.PROVINCIAL: 8.0,
    Tier.DISTRICT: 5.0,
    Tier.COMMUNE: 1.0,
    Tier.PRIVATE: 2.5,
}
_TIER_NAME = {
    Tier.CENTRAL: "Bệnh viện Trung ương khu vực",
    Tier.PROVINCIAL: "Bệnh viện Đa khoa tỉnh",
    Tier.DISTRICT: "Trung tâm Y tế khu vực",
    Tier.COMMUNE: "Trạm Y tế xã",
    Tier.PRIVATE: "Phòng khám Đa khoa",
}
_PLACES = (
    "An Bình",
    "Bình Minh",
    "Cái Răng",
    "Châu Thành",
    "Đông Hải",
    "Hòa Lợi",
    "Long Mỹ",
    "Mỹ Tú",
    "Ngã Năm",
    "Phong Điền",
    "Phú Tân",
    "Tân Hiệp",
    "Thạnh An",
    "Thới Lai",
    "Trà Ôn",
    "Vĩnh Thạnh",
    "Xuân Hòa",
    "Hưng Lợi",
    "Tam Bình",
    "Kế Sách",
)

#: Machine groups each tier has (``CL64``: a 64–128 slice CT, ``CL``: 1–32 slices).
_TIER_MACHINES: dict[Tier, tuple[str, ...]] = {
    Tier.CENTRAL: ("XQ", "CL64", "MRI", "SA", "ĐT", "NS", "SH", "HH", "VS", "GPB"),
    Tier.PROVINCIAL: ("XQ", "CL64", "MRI", "SA", "ĐT", "NS", "SH", "HH", "VS", "GPB"),
    Tier.DISTRICT: ("XQ", "CL", "SA", "ĐT", "NS", "SH", "HH", "VS", "GPB"),
    Tier.COMMUNE: ("SA", "ĐT", "SH", "HH"),
    Tier.PRIVATE: ("XQ", "CL", "SA", "ĐT", "NS", "SH", "HH"),
}
_TIER_BEDS = {Tier.CENTRAL, Tier.PROVINCIAL, Tier.DISTRICT}

#: Expected services per claim and mean minutes occupied, per machine group: sizes the
#: departments so that they run at about 45 % of an 8-hour day.
_GROUP_LOAD: dict[str, tuple[float, float]] = {
    "XQ": (0.45, 6.0),
    "CL": (0.12, 15.0),
    "CL64": (0.12, 15.0),
    "MRI": (0.06, 32.0),
    "SA": (0.55, 11.0),
    "ĐT": (0.2, 6.0),
    "NS": (0.08, 18.0),
}
_UTILISATION_MINUTES = 480 * 0.45


@dataclass(slots=True)
class CatalogueItem:
    """One row of a facility's M05: code, names and approved price."""

    code: str
    name: str
    price_name: str
    price: Decimal
    ma_gia: str
    ten_gia: str
    phan_loai: str


@dataclass(slots=True)
class Practitioner:
    """A practitioner with a practice certificate (CCHN/GPHN) and its history."""

    macchn: str
    name: str
    sex: int
    birth: date
    bhxh: str
    cccd: str
    role: Role
    facilities: list[str]
    licence: list[tuple[str, date, date | None]]
    flaw: str = ""
    timeline: Timeline = field(default_factory=Timeline)

    @property
    def scope(self) -> str:
        """Return ``PHAMVI_CM`` (specialty codes separated by ``;``)."""
        return ROLE_SCOPE[self.role][0]


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceRow:
    """An earlier ``equipment_sources.csv`` row of a machine (a form it left)."""

    form: str
    supplier: str
    contract_from: date
    contract_to: date | None
    het_vat_tu: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Milestone:
    """One step of a machine's conversion (``machine_milestones.csv``)."""

    moc: str
    ngay: date
    hinh_thuc: str
    so_van_ban: str
    ghi_chu: str


@dataclass(slots=True)
class Machine:
    """A machine of M06 with how it was acquired (``equipment_sources.csv``)."""

    ma_may: str
    group: str
    name: str
    maker: str
    model: str
    country: str
    year_made: int
    year_used: int
    form: str
    supplier: str
    contract_from: date
    contract_to: date | None
    valid_from: date
    valid_to: date | None
    flaw: str = ""
    slices: int = 0
    declared: bool = True
    timeline: Timeline = field(default_factory=Timeline)
    #: The logged study with the latest end so far: (start, end) in minutes and its
    #: device-log (start, end) in seconds; a planted overlap starts inside it.
    last: tuple[int, int, int, int] | None = None
    #: Lent machines: the day the reagents bought under the contract ran out.
    het_vat_tu: date | None = None
    #: Rows of the forms the machine had before its current one, oldest first.
    earlier: list[SourceRow] = field(default_factory=list)
    #: Steps of its conversion to a Decree 151/2017 form, in date order.
    milestones: list[Milestone] = field(default_factory=list)


@dataclass(slots=True)
class Facility:
    """A facility of the province with its catalogues and resources."""

    ma_cskcb: str
    name: str
    tier: Tier
    weight: float
    head_bhxh: str
    catalogue: dict[str, CatalogueItem]
    not_listed: dict[str, list[str]]
    departments: list[str]
    staff: dict[Role, list[Practitioner]] = field(default_factory=dict)
    flawed_staff: list[Practitioner] = field(default_factory=list)
    machines: dict[str, list[Machine]] = field(default_factory=dict)
    odd_machines: dict[str, Machine] = field(default_factory=dict)
    registered: list[Practitioner] = field(default_factory=list)
    #: Lent (or once lent) analysers that clean claims use: paid under the law in
    #: force on every day of the month (contract running, or converted).
    lent_paid: list[Machine] = field(default_factory=list)
    #: Lent analysers in use after their contract ended: TB006 ``review`` lines.
    lent_review: list[Machine] = field(default_factory=list)
    #: Share of the facility's ``SH`` lines done on ``lent_paid``/``lent_review``.
    lent_share: float = 0.0

    def has_group(self, group: str) -> bool:
        """Return whether the facility has a usable machine of ``group``."""
        return bool(self.machines.get(group))

    @property
    def has_beds(self) -> bool:
        """Return whether the facility admits inpatients."""
        return self.tier in _TIER_BEDS


@dataclass(slots=True)
class Province:
    """The whole province: facilities and the shared people and clock."""

    code: str
    month_start: date
    facilities: list[Facility]
    practitioners: list[Practitioner]
    lent_usable: bool
    dual: list[tuple[Practitioner, str, str]]


def _month_end(day: date) -> date:
    """Return the last day of ``day``'s month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


_MILESTONE_TEXT = {
    "de_an": ("ĐA", "Đề án chuyển máy đặt, mượn sang hình thức {form} đã trình"),
    "phe_duyet": ("QĐ", "Đề án {form} được cấp có thẩm quyền phê duyệt"),
    "hop_dong": ("HĐ", "Ký hợp đồng {form} mới với nhà thầu"),
    "ban_giao": ("BB", "Bàn giao, đưa máy vào sử dụng theo hình thức {form}"),
}
_FORM_TEXT = {"lien_doanh_lien_ket": "liên doanh, liên kết", "thue": "thuê"}


def _milestone(
    facility: Facility, moc: str, day: date, form: str, rng: random.Random
) -> Milestone:
    """Return one conversion milestone with a synthetic document number."""
    kind, text = _MILESTONE_TEXT[moc]
    issuer = "BYT" if facility.tier is Tier.CENTRAL else "SYT"
    author = issuer if moc == "phe_duyet" else facility.ma_cskcb
    return Milestone(
        moc=moc,
        ngay=day,
        hinh_thuc=form,
        so_van_ban=f"{rng.randrange(1, 999)}/{kind}-{author}",
        ghi_chu=text.format(form=_FORM_TEXT.get(form, form))
        + " (Nghị định 151/2017/NĐ-CP)",
    )


def _data_text(name: str) -> str:
    return resources.files("giamdinh.synth").joinpath("data", name).read_text("utf-8")


@cache
def sample_catalogue() -> tuple[dict[str, str], ...]:
    """Return the rows of the real M05 sample (facility 92114) plus the supplement.

    ``.K.`` rows (services sent to another facility) are left out because they name
    real facilities of another province.
    """
    rows = [
        r
        for r in csv.DictReader(
            _data_text("dvkt_catalogue_M05_sample_facility_92114.csv").splitlines()
        )
        if ".K." not in r["MA_DICH_VU"]
    ]
    rows.extend(
        {
            "MA_DICH_VU": r["MA_DICH_VU"],
            "TEN_DICH_VU": r["TEN_DICH_VU"],
            "TEN_DVKT_GIA": r["TEN_DICH_VU"],
            "DON_GIA": r["DON_GIA"],
            "MA_GIA": "",
            "TEN_GIA": "",
            "PHAN_LOAI_PTTT": r["PHAN_LOAI_PTTT"],
            "supplement": "1",
        }
        for r in csv.DictReader(_data_text("services_supplement.csv").splitlines())
    )
    return tuple(rows)


def _is_film_xray(row: dict[str, str]) -> bool:
    return row["MA_DICH_VU"].startswith("18.") and "24x30" in row["TEN_DICH_VU"]


_SUPPLEMENT_MRI = frozenset(
    code
    for code, info in SERVICES.items()
    if info.kind in {Kind.MRI, Kind.MRI_CONTRAST}
)


def _keep_row(  # noqa: PLR0911 - one rule per tier
    row: dict[str, str], tier: Tier, groups: tuple[str, ...]
) -> bool:
    code = row["MA_DICH_VU"]
    if _is_film_xray(row):
        return False
    if tier in {Tier.CENTRAL, Tier.PROVINCIAL}:
        return True
    if code in _SUPPLEMENT_MRI or "64-128" in row["TEN_DICH_VU"]:
        return False
    if tier is Tier.DISTRICT:
        return True
    info = SERVICES.get(code)
    if info is None:
        return False
    if info.kind is Kind.BED:
        return False
    group = info.machine_group or KIND_PROFILES[info.kind].machine_group
    return info.kind is Kind.EXAM or group in groups


def _build_catalogue(
    tier: Tier, groups: tuple[str, ...], rng: random.Random
) -> tuple[dict[str, CatalogueItem], dict[str, list[str]]]:
    multiplier = Decimal(1)
    if tier is Tier.CENTRAL:
        multiplier = Decimal(100 + rng.randrange(3, 13)) / 100
    catalogue: dict[str, CatalogueItem] = {}
    for row in sample_catalogue():
        code = row["MA_DICH_VU"]
        if not _keep_row(row, tier, groups):
            continue
        if code not in SERVICES and tier is not Tier.COMMUNE and rng.random() < 0.03:  # noqa: PLR2004
            continue
        price = Decimal(row["DON_GIA"])
        if multiplier != 1:
            price = (price * multiplier / 100).quantize(Decimal(1), ROUND_HALF_UP) * 100
        catalogue[code] = CatalogueItem(
            code=code,
            name=row["TEN_DICH_VU"],
            price_name=row["TEN_DVKT_GIA"] or row["TEN_DICH_VU"],
            price=price,
            ma_gia=row["MA_GIA"],
            ten_gia=row["TEN_GIA"],
            phan_loai=row["PHAN_LOAI_PTTT"],
        )
    # Film X-ray variants of the techniques the facility bills digitally: billing one
    # is "service not in the catalogue".
    not_listed: dict[str, list[str]] = {}
    for row in sample_catalogue():
        if _is_film_xray(row):
            prefix = row["MA_DICH_VU"][:7]
            not_listed.setdefault(prefix, []).append(row["MA_DICH_VU"])
    return catalogue, not_listed


_FAMILY = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Huỳnh",
    "Hoàng",
    "Võ",
    "Phan",
    "Trương",
    "Bùi",
    "Đặng",
    "Đỗ",
    "Ngô",
    "Dương",
    "Lý",
)
_MIDDLE = {
    1: ("Văn", "Hữu", "Minh", "Quốc", "Thành", "Đức"),
    2: ("Thị", "Ngọc", "Thanh", "Thu", "Mỹ", "Kim"),
}
_GIVEN = {
    1: (
        "An",
        "Bảo",
        "Cường",
        "Dũng",
        "Hải",
        "Hùng",
        "Khang",
        "Long",
        "Nam",
        "Phúc",
        "Quang",
        "Sơn",
        "Tâm",
        "Thắng",
        "Trung",
        "Tuấn",
        "Vinh",
    ),
    2: (
        "Anh",
        "Châu",
        "Dung",
        "Giang",
        "Hà",
        "Hạnh",
        "Hoa",
        "Hương",
        "Lan",
        "Linh",
        "Mai",
        "Nga",
        "Nhung",
        "Phương",
        "Thảo",
        "Trang",
        "Yến",
    ),
}


def person_name(rng: random.Random, sex: int) -> str:
    """Return a Vietnamese full name for ``sex`` (1 male, 2 female)."""
    return f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE[sex])} {rng.choice(_GIVEN[sex])}"


def _count(volume: float, share: float, minutes: float, floor: int) -> int:
    return max(floor, math.ceil(volume * share * minutes / _UTILISATION_MINUTES))


_ROLE_NEEDS: dict[Role, tuple[tuple[str, ...], float, float]] = {
    Role.RAD_TECH: (("XQ", "CL", "CL64", "MRI"), 0.0, 0.0),
    Role.RADIOLOGIST: (("SA",), 0.0, 0.0),
    Role.FUNCTIONAL: (("ĐT",), 0.0, 0.0),
    Role.ENDOSCOPIST: (("NS",), 0.0, 0.0),
}
_EXAM_ROLES: dict[Role, float] = {
    Role.INTERNIST: 0.62,
    Role.PEDIATRICIAN: 0.14,
    Role.SURGEON: 0.14,
    Role.OBGYN: 0.12,
    Role.DERMATOLOGIST: 0.03,
}


class ProvinceBuilder:
    """Build a province deterministically from a seed."""

    def __init__(
        self,
        *,
        seed: int,
        month_start: date,
        facilities: int,
        claims: int,
        province_code: str = "99",
    ) -> None:
        self.rng = stream(seed, "province")
        self.month_start = month_start
        self.count = facilities
        self.claims = claims
        self.code = province_code
        self._cchn = 0
        self._machine_serial = 0
        self._scenario_serial = 70_000
        self._scenarios_planted = False
        self.seed = seed

    def build(self) -> Province:
        """Return the province."""
        tiers = [
            _TIER_ORDER[i] if i < len(_TIER_ORDER) else _TIER_CYCLE[(i - 5) % 5]
            for i in range(self.count)
        ]
        numbers = dict.fromkeys(Tier, 0)
        facilities: list[Facility] = []
        total_weight = sum(TIER_WEIGHT[t] for t in tiers)
        working_days = 25.0
        for tier in tiers:
            numbers[tier] += 1
            facilities.append(
                self._facility(
                    tier,
                    numbers[tier],
                    daily=self.claims * TIER_WEIGHT[tier] / total_weight / working_days,
                )
            )
        practitioners = [p for f in facilities for p in f.registered]
        dual = self._dual(facilities)
        practitioners.extend(p for p, _, _ in dual)
        return Province(
            code=self.code,
            month_start=self.month_start,
            facilities=facilities,
            practitioners=practitioners,
            lent_usable=self.month_start < LENT_STOPPED_FROM,
            dual=dual,
        )

    # -- facilities -------------------------------------------------------------------

    def _facility(self, tier: Tier, number: int, *, daily: float) -> Facility:
        block = {
            Tier.CENTRAL: 0,
            Tier.PROVINCIAL: 0,
            Tier.DISTRICT: 100,
            Tier.COMMUNE: 200,
            Tier.PRIVATE: 300,
        }[tier]
        offset = {Tier.CENTRAL: 1, Tier.PROVINCIAL: 10}.get(tier, 0)
        prefix = CENTRAL_PROVINCE if tier is Tier.CENTRAL else self.code
        ma_cskcb = f"{prefix}{block + offset + number:03d}"
        place = _PLACES[(block + number) % len(_PLACES)]
        name = f"{_TIER_NAME[tier]} {place}"
        if tier in {Tier.CENTRAL, Tier.PROVINCIAL} and number > 1:
            name = f"{name} {number}"
        groups = _TIER_MACHINES[tier]
        catalogue, not_listed = _build_catalogue(tier, groups, self.rng)
        departments = ["K01"]
        if tier in _TIER_BEDS:
            departments += ["K02", "K03", "K18", "K19", "K27"]
        departments += ["K39", "K40", "K42"]
        if "NS" in groups:
            departments.append("K41")
        if "GPB" in groups:
            departments.append("K43")
        facility = Facility(
            ma_cskcb=ma_cskcb,
            name=name,
            tier=tier,
            weight=TIER_WEIGHT[tier],
            head_bhxh=f"{self.code}{self.rng.randrange(10**8):08d}",
            catalogue=catalogue,
            not_listed=not_listed,
            departments=[d for d in DEPARTMENTS if d in departments],
        )
        self._machines(facility, groups, daily)
        self._staff(facility, groups, daily)
        return facility

    # -- machines ---------------------------------------------------------------------

    def _new_machine(
        self,
        facility: Facility,
        group: str,
        *,
        form: str,
        valid_to: date | None = None,
        contract: tuple[date, date | None] | None = None,
        supplier: str = "",
        rng: random.Random | None = None,
    ) -> Machine:
        if rng is None:
            rng = self.rng
            self._machine_serial += 1
            number = self._machine_serial
        else:
            # NOTE: machines drawn from their own stream take serials of their own,
            # so adding them leaves every other machine of the province unchanged.
            self._scenario_serial += 1
            number = self._scenario_serial
        code_group = "CL" if group == "CL64" else group
        label, models = MACHINE_MODELS[code_group]
        maker, model, country = rng.choice(models)
        year_made = rng.randrange(2012, 2024)
        year_used = min(year_made + rng.randrange(0, 2), self.month_start.year - 1)
        funding = {"ngan_sach": "1", "xa_hoi_hoa": "2", "lien_doanh_lien_ket": "2"}.get(
            form, "3"
        )
        prefix = model.split()[0][:3].upper()
        serial = f"{prefix}{year_made % 100:02d}{number:05d}"
        ma_may = f"{code_group}.{funding}.{facility.ma_cskcb}.{serial}"
        valid_from = date(year_used, rng.randrange(1, 13), 1)
        if contract is not None:
            valid_from = contract[0]
        if valid_to is not None and valid_from > valid_to:
            valid_from = date(valid_to.year - 2, valid_to.month, 1)
        if contract is None and form in {"lien_doanh_lien_ket", "thue"}:
            contract = (
                valid_from,
                date(self.month_start.year + rng.randrange(1, 4), 12, 31),
            )
        if contract is None:
            contract = (valid_from, None)
        return Machine(
            ma_may=ma_may,
            group=code_group,
            name=label,
            maker=maker,
            model=model,
            country=country,
            year_made=year_made,
            year_used=year_used,
            form=form,
            supplier=supplier,
            contract_from=contract[0],
            contract_to=contract[1],
            valid_from=min(valid_from, contract[0]),
            valid_to=valid_to,
            slices=128 if group == "CL64" else (16 if group == "CL" else 0),
        )

    def _machines(
        self, facility: Facility, groups: tuple[str, ...], daily: float
    ) -> None:
        rng = self.rng
        private = facility.tier is Tier.PRIVATE
        for group in groups:
            share, minutes = _GROUP_LOAD.get(group, (0.0, 0.0))
            n = _count(daily, share, minutes, 1) if share else 1
            pool: list[Machine] = []
            for _ in range(n):
                if private:
                    form = "xa_hoi_hoa"
                else:
                    form = rng.choices(
                        ("ngan_sach", "xa_hoi_hoa", "lien_doanh_lien_ket", "thue"),
                        weights=(6, 2, 1.5, 0.5),
                    )[0]
                pool.append(self._new_machine(facility, group, form=form))
            code_group = "CL" if group == "CL64" else group
            facility.machines[code_group] = pool
        month = self.month_start
        # Analysers lent by reagent suppliers: one contract ended before payments
        # stopped (M06 row closed), one runs past it and one was signed after it
        # (both still declared).
        if "SH" in groups and facility.tier is not Tier.COMMUNE:
            ended = self._new_machine(
                facility,
                "SH",
                form="muon_nha_thau",
                contract=(date(2019, rng.randrange(1, 13), 1), date(2022, 3, 31)),
                valid_to=date(2022, 3, 31),
                supplier=rng.choice(REAGENT_SUPPLIERS),
            )
            ended.flaw = "lent_ended"
            ongoing = self._new_machine(
                facility,
                "SH",
                form="muon_nha_thau",
                contract=(
                    date(2020, rng.randrange(1, 13), 1),
                    date(month.year + 1, 12, 31),
                ),
                supplier=rng.choice(REAGENT_SUPPLIERS),
            )
            ongoing.flaw = "lent_ongoing"
            facility.odd_machines["lent_ended"] = ended
            facility.odd_machines["lent"] = ongoing
            if month - LENT_STOPPED_FROM > timedelta(days=60):
                # A contract signed after payments stopped (still lent, still billed).
                signed = LENT_STOPPED_FROM + timedelta(
                    days=rng.randrange(30, (month - LENT_STOPPED_FROM).days - 1)
                )
                late = self._new_machine(
                    facility,
                    "SH",
                    form="muon_nha_thau",
                    contract=(signed.replace(day=1), date(month.year + 2, 12, 31)),
                    supplier=rng.choice(REAGENT_SUPPLIERS),
                )
                late.flaw = "lent_ongoing"
                facility.odd_machines["lent_signed_after"] = late
            self._lent_scenarios(facility)
        # A retired machine whose M06 row ended before the month.
        retired_group = "XQ" if "XQ" in groups else "SA"
        retired = self._new_machine(
            facility,
            retired_group,
            form="ngan_sach",
            valid_to=month - timedelta(days=rng.randrange(20, 400)),
        )
        retired.flaw = "retired"
        facility.odd_machines["retired"] = retired
        # Machines in use that were never declared in M06, one per imaging group.
        for group in ("XQ", "SA", "CL"):
            if group in facility.machines:
                ghost = self._new_machine(facility, group, form="ngan_sach")
                ghost.flaw = "undeclared"
                ghost.declared = False
                facility.odd_machines[f"undeclared_{group}"] = ghost

    def _lent_scenarios(self, facility: Facility) -> None:
        """Plant the lent analysers the policy options judge differently.

        Drawn from the facility's own stream so the rest of the province stays as
        it was. The first facility with analysers has every scenario, the others a
        share of them, so the options' money differs by facility too.
        """
        month = self.month_start
        rng = stream(self.seed, "lent", facility.ma_cskcb)
        ended = facility.odd_machines["lent_ended"]
        if rng.random() < 0.5:  # noqa: PLR2004 - half declare when reagents ran out
            assert ended.contract_to is not None  # noqa: S101
            ended.het_vat_tu = ended.contract_to + timedelta(
                days=rng.randrange(30, 150)
            )
        if month < LENT_PAID_AGAIN_FROM:
            return
        facility.lent_share = round(rng.uniform(0.25, 0.6), 2)
        facility.lent_paid.extend(
            facility.odd_machines[k]
            for k in ("lent", "lent_signed_after")
            if k in facility.odd_machines
        )
        if month < LENT_SCENARIOS_FROM:
            return
        first = not self._scenarios_planted
        self._scenarios_planted = True
        chosen = [k for k in LENT_SCENARIOS if first or rng.random() < 0.6]  # noqa: PLR2004
        for key in chosen:
            machine = self._lent_scenario(facility, key, rng)
            machine.flaw = key
            facility.odd_machines[key] = machine
            if key in LENT_EXPIRED:
                facility.lent_review.append(machine)
            else:
                facility.lent_paid.append(machine)

    def _lent_scenario(
        self, facility: Facility, key: str, rng: random.Random
    ) -> Machine:
        month = self.month_start
        supplier = rng.choice(REAGENT_SUPPLIERS)

        def ended(low: int, high: int) -> date:
            """The last day of a month ``low``..``high`` months before ``month``."""
            back = rng.randrange(low, high + 1)
            first = date(
                month.year + (month.month - 1 - back) // 12,
                (month.month - 1 - back) % 12 + 1,
                1,
            )
            return _month_end(first)

        def lent(start: date, end: date) -> Machine:
            return self._new_machine(
                facility,
                "SH",
                form="muon_nha_thau",
                contract=(start, end),
                supplier=supplier,
                rng=rng,
            )

        month_end = _month_end(month)
        if key == "lent_expired_stock":
            m = lent(date(2017, rng.randrange(1, 13), 1), ended(5, 10))
            m.het_vat_tu = month_end + timedelta(days=rng.randrange(30, 240))
        elif key == "lent_expired_used_up":
            m = lent(date(2021, rng.randrange(1, 13), 1), ended(11, 14))
            assert m.contract_to is not None  # noqa: S101
            m.het_vat_tu = m.contract_to + timedelta(days=rng.randrange(30, 120))
        elif key == "lent_expired_undeclared":
            end = ended(1, 4)
            start = min(date(2023, rng.randrange(4, 13), 1), end - timedelta(days=200))
            m = lent(start.replace(day=1), end)
        elif key == "lent_converting":
            m = lent(date(2020, rng.randrange(1, 13), 1), date(month.year + 1, 12, 31))
            target = rng.choice(("lien_doanh_lien_ket", "thue"))
            last = min(CONVERSION_DEADLINE, month - timedelta(days=1))
            approved = last - timedelta(days=rng.randrange(10, 120))
            drafted = approved - timedelta(days=rng.randrange(30, 150))
            m.milestones = [
                _milestone(facility, "de_an", drafted, target, rng),
                _milestone(facility, "phe_duyet", approved, target, rng),
            ]
        else:  # lent_converted
            converted = date(2024, 1, 1)
            m = lent(date(2019, rng.randrange(1, 13), 1), converted - timedelta(days=1))
            target = rng.choice(("lien_doanh_lien_ket", "lien_doanh_lien_ket", "thue"))
            m.earlier = [
                SourceRow(
                    form=m.form,
                    supplier=m.supplier,
                    contract_from=m.contract_from,
                    contract_to=m.contract_to,
                )
            ]
            m.form = target
            m.contract_from = converted
            m.contract_to = date(month.year + rng.randrange(2, 6), 12, 31)
            days = (
                date(2023, rng.randrange(2, 4), rng.randrange(1, 29)),
                date(2023, rng.randrange(5, 8), rng.randrange(1, 29)),
                date(2023, rng.randrange(9, 12), rng.randrange(1, 29)),
                date(2023, 12, rng.randrange(15, 30)),
            )
            m.milestones = [
                _milestone(facility, moc, day, target, rng)
                for moc, day in zip(MILESTONES, days, strict=True)
            ]
        return m

    # -- staff ------------------------------------------------------------------------

    def _cchn_number(self, facility: Facility, issued: date) -> str:
        self._cchn += 1
        authority = "BYT" if facility.tier is Tier.CENTRAL else "TMA"
        kind = "GPHN" if issued.year >= 2024 else "CCHN"  # noqa: PLR2004
        return f"{self._cchn:06d}/{authority}-{kind}"

    def _new_practitioner(
        self, facility: Facility, role: Role, flaw: str = ""
    ) -> Practitioner:
        rng = self.rng
        sex = rng.choice((1, 2))
        birth = date(
            rng.randrange(1962, 1998), rng.randrange(1, 13), rng.randrange(1, 29)
        )
        issued = date(
            max(birth.year + 25, rng.randrange(2005, 2025)), rng.randrange(1, 13), 1
        )
        issued = min(issued, self.month_start - timedelta(days=60))
        licence: list[tuple[str, date, date | None]]
        month = self.month_start
        if flaw == "expired":
            licence = [
                ("active", issued, month - timedelta(days=rng.randrange(15, 300)))
            ]
        elif flaw in {"suspended", "revoked"}:
            cut = month - timedelta(days=rng.randrange(15, 300))
            licence = [("active", issued, cut - timedelta(days=1)), (flaw, cut, None)]
        else:
            licence = [("active", issued, None)]
        prov = self.code
        century = 0 if birth.year < 2000 else 2  # noqa: PLR2004
        gender_digit = century + (0 if sex == 1 else 1)
        cccd = f"0{prov}{gender_digit}{birth.year % 100:02d}{rng.randrange(10**6):06d}"
        p = Practitioner(
            macchn=self._cchn_number(facility, issued),
            name=person_name(rng, sex),
            sex=sex,
            birth=birth,
            bhxh=f"{prov}{rng.randrange(10**8):08d}",
            cccd=cccd,
            role=role,
            facilities=[facility.ma_cskcb],
            licence=licence,
            flaw=flaw,
        )
        facility.registered.append(p)
        return p

    def _staff(self, facility: Facility, groups: tuple[str, ...], daily: float) -> None:
        tier = facility.tier
        counts: dict[Role, int] = {}
        for role, (role_groups, _, _) in _ROLE_NEEDS.items():
            minutes = sum(
                _GROUP_LOAD[g][0] * _GROUP_LOAD[g][1]
                for g in role_groups
                if g in groups
            )
            if minutes:
                counts[role] = (
                    max(1, math.ceil(daily * minutes / _UTILISATION_MINUTES)) + 1
                )
        if "XQ" in groups or "CL" in groups or "CL64" in groups:
            counts[Role.RADIOLOGIST] = counts.get(Role.RADIOLOGIST, 1) + 1
        if tier is Tier.COMMUNE:
            counts[Role.GP] = max(2, math.ceil(daily * 12 / _UTILISATION_MINUTES) + 1)
            counts.pop(Role.RAD_TECH, None)
        else:
            for role, share in _EXAM_ROLES.items():
                counts[role] = (
                    max(1, math.ceil(daily * share * 10 / _UTILISATION_MINUTES)) + 1
                )
        counts[Role.LAB_TECH] = max(2, math.ceil(daily / 150) + 1)
        counts[Role.LAB_DOCTOR] = 1
        if "GPB" in groups:
            counts[Role.PATHOLOGIST] = 2
        for role in Role:
            n = counts.get(role, 0)
            facility.staff[role] = [
                self._new_practitioner(facility, role) for _ in range(n)
            ]
        # Practitioners whose licence is no longer valid (still listed in M02).
        performing = [
            r for r in (Role.RAD_TECH, Role.RADIOLOGIST, Role.LAB_TECH) if counts.get(r)
        ]
        for i, flaw in enumerate(("expired", "suspended", "revoked")):
            role = performing[i % len(performing)]
            facility.flawed_staff.append(self._new_practitioner(facility, role, flaw))

    def _dual(self, facilities: list[Facility]) -> list[tuple[Practitioner, str, str]]:
        """Register radiologists at two facilities (a hospital and a private clinic)."""
        hosts = [f for f in facilities if f.tier in {Tier.DISTRICT, Tier.PROVINCIAL}]
        clinics = [f for f in facilities if f.tier is Tier.PRIVATE]
        pairs: list[tuple[Practitioner, str, str]] = []
        for i, clinic in enumerate(clinics):
            if not hosts:
                break
            host = hosts[i % len(hosts)]
            p = self._new_practitioner(host, Role.RADIOLOGIST)
            host.registered.remove(p)
            p.facilities.append(clinic.ma_cskcb)
            host.registered.append(p)
            clinic.registered.append(p)
            # NOTE: the shared practitioner goes last so that clean claims use them
            # only when colleagues are busy; one timeline covers both facilities.
            host.staff[Role.RADIOLOGIST].append(p)
            clinic.staff[Role.RADIOLOGIST].append(p)
            pairs.append((p, host.ma_cskcb, clinic.ma_cskcb))
        return pairs


def feasible_recipes(facility: Facility) -> list[int]:
    """Return indices of ``RECIPES`` the facility can perform (all mandatory steps)."""
    out: list[int] = []
    for i, recipe in enumerate(RECIPES):
        if recipe.exam not in facility.catalogue:
            continue
        if recipe.inpatient >= 1.0 and not facility.has_beds:
            continue
        ok = True
        for step in recipe.steps:
            if step.p < 1.0:
                continue
            if not any(can_do(facility, code) for code in step.codes):
                ok = False
                break
        if ok:
            out.append(i)
    return out


def resolve_code(facility: Facility, code: str) -> str | None:
    """Return the code billed for recipe code ``code`` (CT steps by scanner)."""
    from giamdinh.synth.clinical import CT_CODES, CT_STEP  # noqa: PLC0415

    if code.startswith(CT_STEP):
        _, body, contrast = code.split(":")
        machines = facility.machines.get("CL")
        if not machines:
            return None
        variant = CT_CODES[(body, contrast == "1")][1 if machines[0].slices > 32 else 0]  # noqa: PLR2004
        return variant if variant in facility.catalogue else None
    if code not in facility.catalogue:
        return None
    info = SERVICES[code]
    group = info.machine_group or KIND_PROFILES[info.kind].machine_group
    if group and not facility.machines.get(group):
        return None
    profile = KIND_PROFILES[info.kind]
    if profile.performer is not None and not facility.staff.get(
        _performer_role(facility, info.kind)
    ):
        return None
    return code


def _performer_role(facility: Facility, kind: Kind) -> Role:
    role = KIND_PROFILES[kind].performer
    assert role is not None  # noqa: S101 - callers check
    if facility.tier is Tier.COMMUNE and role in {Role.RADIOLOGIST, Role.FUNCTIONAL}:
        return Role.GP
    return role


def performer_role(facility: Facility, kind: Kind) -> Role:
    """Return the role performing ``kind`` at ``facility`` (GPs at commune stations)."""
    return _performer_role(facility, kind)


def can_do(facility: Facility, code: str) -> bool:
    """Return whether ``facility`` can bill recipe code ``code``."""
    return resolve_code(facility, code) is not None


__all__ = [
    "CENTRAL_PROVINCE",
    "CONVERSION_DEADLINE",
    "LENT_EXPIRED",
    "LENT_PAID_AGAIN_FROM",
    "LENT_PAID_FROM",
    "LENT_SCENARIOS",
    "LENT_SCENARIOS_FROM",
    "LENT_STOPPED_FROM",
    "MILESTONES",
    "TIER_WEIGHT",
    "CatalogueItem",
    "Facility",
    "Machine",
    "Milestone",
    "Practitioner",
    "Province",
    "ProvinceBuilder",
    "SourceRow",
    "Tier",
    "can_do",
    "feasible_recipes",
    "performer_role",
    "person_name",
    "resolve_code",
    "sample_catalogue",
]
