"""The register of machines lent by reagent suppliers, and their conversion.

BHXH asked the Ministry of Health to make facilities convert machines placed by
reagent suppliers to a form Decree 151/2017/NĐ-CP allows (joint venture or
association, lease) or buy them (seed 003). The register follows each such
machine: its facility (M06), supplier and contract (``equipment_sources.csv``),
the day its reagents ran out (``HET_VAT_TU``), the steps of its conversion
(``machine_milestones.csv``), the day it was converted (a later row of another
form in ``equipment_sources.csv``), and the money billed on it each month while
it was still lent. A machine not converted by the deadline (option D's
``convert_by``) is *overdue*, unless its conversion scheme was approved by then
(the grace option D gives such a machine).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

LENT = "muon_nha_thau"


class MachineStatus(StrEnum):
    """Where a lent machine stands on a day."""

    CONVERTED = "converted"
    CONVERTING = "converting"
    IN_CONTRACT = "in_contract"
    STOCK_LEFT = "after_contract_stock_left"
    USED_UP = "after_contract_used_up"
    UNDECLARED = "after_contract_undeclared"

    @property
    def label(self) -> str:
        """Return the status in Vietnamese."""
        return _LABELS[self]


_LABELS = {
    MachineStatus.CONVERTED: "đã chuyển đổi",
    MachineStatus.CONVERTING: "đang chuyển đổi",
    MachineStatus.IN_CONTRACT: "máy mượn, trong hạn hợp đồng",
    MachineStatus.STOCK_LEFT: "máy mượn, hết hạn hợp đồng, còn vật tư",
    MachineStatus.USED_UP: "máy mượn, hết hạn hợp đồng, hết vật tư",
    MachineStatus.UNDECLARED: "máy mượn, hết hạn hợp đồng, chưa kê khai vật tư",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Milestone:
    """One step of a conversion."""

    step: str
    day: date
    form: str | None
    document: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MonthStake:
    """Money billed on a machine in one month while it was lent."""

    month: str
    lines: int
    money: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class LentMachine:
    """One machine placed by a supplier, as the register follows it.

    Attributes:
        ma_may: the machine code.
        ma_cskcb: the facility whose M06 lists it (``?`` when none does).
        name: the machine's name in M06.
        supplier: the supplier (``NHA_CUNG_CAP``).
        contract_from: first day of the lending contract.
        contract_to: last day of the lending contract, if any.
        stock_until: the day its reagents ran out (``HET_VAT_TU``), if declared.
        converted_on: the first day of a later row of another form, if any.
        converted_to: that form.
        target_form: the form its conversion aims at (milestones or conversion).
        milestones: the steps recorded, oldest first.
        status: where it stands on the register's day.
        overdue: not converted by the deadline, which has passed, and its
            conversion scheme not approved by then.
        months: money billed on it per month while lent.
    """

    ma_may: str
    ma_cskcb: str
    name: str
    supplier: str
    contract_from: date | None
    contract_to: date | None
    stock_until: date | None
    converted_on: date | None
    converted_to: str | None
    target_form: str | None
    milestones: tuple[Milestone, ...]
    status: MachineStatus
    overdue: bool
    months: tuple[MonthStake, ...] = field(default_factory=tuple)

    @property
    def at_stake(self) -> Decimal:
        """Return the money billed on it while lent."""
        return sum((m.money for m in self.months), Decimal(0))


def _status(
    on: date,
    *,
    converted_on: date | None,
    milestones: tuple[Milestone, ...],
    contract_to: date | None,
    stock_until: date | None,
) -> MachineStatus:
    if converted_on is not None and converted_on <= on:
        return MachineStatus.CONVERTED
    if any(m.day <= on for m in milestones):
        return MachineStatus.CONVERTING
    if contract_to is None or on <= contract_to:
        return MachineStatus.IN_CONTRACT
    if stock_until is None:
        return MachineStatus.UNDECLARED
    return MachineStatus.STOCK_LEFT if on <= stock_until else MachineStatus.USED_UP


def build_register(
    equipment: pa.Table,
    machines: pa.Table,
    milestones: pa.Table,
    *,
    on: date,
    deadline: date,
    billed: pa.Table | None = None,
) -> list[LentMachine]:
    """Return every machine ever lent by a supplier, sorted by facility and code.

    Args:
        equipment: ``ref_equipment_sources``.
        machines: ``ref_machines`` (M06), for the facility and name.
        milestones: ``ref_machine_milestones`` (``giamdinh.policy.milestones``).
        on: the day the status is read on.
        deadline: the conversion deadline (option D's ``convert_by``).
        billed: money billed per machine and month (``ma_may``, ``month``,
            ``lines``, ``money``), e.g. from the claim store; none when omitted.
    """
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in equipment.to_pylist():
        rows[str(row["ma_may"]).strip()].append(row)
    where: dict[str, tuple[str, str]] = {}
    for row in machines.to_pylist():
        code = str(row.get("ma_may") or "").strip()
        if code and code not in where:
            where[code] = (
                str(row.get("ma_cskcb") or "?"),
                str(row.get("ten_tb") or ""),
            )
    steps: dict[str, list[Milestone]] = defaultdict(list)
    for row in milestones.to_pylist():
        steps[row["ma_may"]].append(
            Milestone(
                step=row["moc"],
                day=row["ngay"],
                form=row["hinh_thuc"],
                document=row["so_van_ban"],
            )
        )
    money: dict[str, list[MonthStake]] = defaultdict(list)
    for row in billed.to_pylist() if billed is not None else []:
        money[row["ma_may"]].append(
            MonthStake(
                month=row["month"],
                lines=int(row["lines"]),
                money=Decimal(row["money"] or 0),
            )
        )
    out: list[LentMachine] = []
    for code, forms in rows.items():
        forms.sort(key=lambda r: (r["valid_from"] or date.min, r["hinh_thuc"]))
        lent = [r for r in forms if r["hinh_thuc"] == LENT]
        if not lent:
            continue
        first = lent[-1]
        later = [
            r
            for r in forms
            if r["hinh_thuc"] != LENT
            and (r["valid_from"] or date.min) > (first["valid_from"] or date.min)
        ]
        converted_on = later[0]["valid_from"] if later else None
        converted_to = later[0]["hinh_thuc"] if later else None
        recorded = tuple(sorted(steps.get(code, []), key=lambda m: (m.day, m.step)))
        target = converted_to or next(
            (m.form for m in reversed(recorded) if m.form), None
        )
        facility, name = where.get(code, ("?", ""))
        months = tuple(
            sorted(
                (
                    m
                    for m in money.get(code, [])
                    if converted_on is None or m.month < f"{converted_on:%Y-%m}"
                ),
                key=lambda m: m.month,
            )
        )
        out.append(
            LentMachine(
                ma_may=code,
                ma_cskcb=facility,
                name=name,
                supplier=str(first.get("nha_cung_cap") or ""),
                contract_from=first["hd_tu"],
                contract_to=first["hd_den"],
                stock_until=first.get("het_vat_tu"),
                converted_on=converted_on,
                converted_to=converted_to,
                target_form=target,
                milestones=recorded,
                status=_status(
                    on,
                    converted_on=converted_on,
                    milestones=recorded,
                    contract_to=first["hd_den"],
                    stock_until=first.get("het_vat_tu"),
                ),
                overdue=on > deadline
                and (converted_on is None or converted_on > deadline)
                and not any(
                    m.step == "phe_duyet" and m.day <= deadline for m in recorded
                ),
                months=months,
            )
        )
    return sorted(out, key=lambda m: (m.ma_cskcb, m.ma_may))
