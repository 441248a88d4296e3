"""Licence registries of the synthetic province and its neighbours, with planted leads.

With ``SynthConfig.neighbours`` (``giamdinh synth --neighbour 75 --neighbour 74``)
the generator also writes ``registries/<province>/`` for the home province and each
neighbour: ``licences.csv`` (the licence list that ``giamdinh exchange import``
reads: licences granted, then suspensions and revocations) and ``M02.csv`` (the
registrations to practise). Each folder is what one province's instance imports
on its own feed; the instances then exchange their feeds (``docs/exchange.md``).

Planted, and labelled in ``ground_truth.csv`` on every claim line concerned:

- ``licence_revoked_elsewhere``: a practitioner of the province whose licence was
  issued by a neighbour, which revoked or suspended it before the month (after
  issue); every line naming the licence (``MA_BAC_SI``, ``NGUOI_THUC_HIEN``,
  ``MA_BS_DOC_KQ``) from that day is labelled (SG009);
- ``registered_two_provinces``: a practitioner also registered full time at a
  neighbour's facility, Monday to Friday 07:00–17:00; the lines naming them in
  those hours are labelled (SG011);
- ``outside_registration``: a practitioner registered at home only on weekday
  mornings (07:00–11:30), or only at another facility of the province; the lines
  they perform or read outside that are labelled (SG010);
- ``technique_outside_title``: a radiologist whose licence gives the title
  "Bác sỹ y khoa" (TT 32/2023/TT-BYT appendix V) without the imaging speciality;
  the techniques they perform outside appendix V are labelled (SG012).

Everyone else is registered at their facilities for the whole week (00:00–23:59):
the generated claims follow no registered rota, so that only the planted patterns
break a registration. The central hospital (seated in province 01) is the Ministry's
province's to register: it is left out of the registries. Keys are not written: a
province's key is its secret (``giamdinh exchange keygen``).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from giamdinh.synth.clinical import ROLE_DEPARTMENT, ROLE_SCOPE, Role
from giamdinh.synth.streams import stream

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from giamdinh.synth.province import Practitioner, Province

REGISTRY_PATTERNS: dict[str, str] = {
    "licence_revoked_elsewhere": "licence issued by a neighbour province, revoked "
    "or suspended there before the month, still on the province's claims (SG009)",
    "registered_two_provinces": "practitioner also registered full time at a "
    "neighbour's facility, Mon–Fri 07:00–17:00; their lines in those hours (SG011)",
    "outside_registration": "practitioner registered only on weekday mornings, or "
    "only at another facility; their lines outside the registration (SG010)",
    "technique_outside_title": "radiologist whose licence title is 'Bác sỹ y khoa' "
    "(TT 32/2023 appendix V); techniques outside appendix V (SG012)",
}

LICENCE_COLUMNS = [
    "SO_DINH_DANH",
    "HO_TEN",
    "MACCHN",
    "CHUC_DANH",
    "PHAM_VI",
    "NGAY_CAP",
    "NGAY_HET_HAN",
    "TRANG_THAI",
    "TU_NGAY",
    "DEN_NGAY",
    "SO_QUYET_DINH",
    "NGAY_QUYET_DINH",
    "NOI_CAP",
]
M02_COLUMNS = [
    "MA_CSKCB",
    "MA_KHOA",
    "HO_TEN",
    "SO_CCCD",
    "MACCHN",
    "THOIGIAN_DK",
    "GIO_LAM_VIEC",
    "NGAY_LAM_VIEC",
    "TU_NGAY",
    "DEN_NGAY",
]
#: Hours of everyone not planted, and of the planted patterns.
WHOLE_WEEK = ("00:00", "23:59", "1234567")
NEIGHBOUR_HOURS = ("07:00", "17:00", "12345")
MORNINGS = ("07:00", "11:30", "12345")
#: The title without the imaging speciality, and its appendix's code prefix.
GENERAL_TITLE = "Bác sỹ y khoa"
_CODE = re.compile(r"^\s*([^();]+?)(?:\.C\.\d{5})?\s*(?:\(.*\))?\s*$")
_TECHNIQUE = re.compile(r"^\d{2}\.\d{4}\.\d{4}")
_ROLES = ("MA_BAC_SI", "NGUOI_THUC_HIEN", "MA_BS_DOC_KQ")


@dataclass(frozen=True, slots=True)
class Seen:
    """A claim line naming a tracked person in one role."""

    ma_lk: str
    ma_cskcb: str
    stt: int
    role: str
    at: datetime
    code: str
    mobilised: bool


@dataclass(slots=True)
class RegistryPlan:
    """Who is planted how, and the claim lines naming them."""

    home: str
    neighbours: tuple[str, ...]
    month: date
    people: dict[str, Practitioner]
    revoked: dict[str, tuple[str, str, date]] = field(default_factory=dict)
    double: dict[str, str] = field(default_factory=dict)
    mornings: set[str] = field(default_factory=set)
    moved: dict[str, str] = field(default_factory=dict)
    general: set[str] = field(default_factory=set)
    seen: dict[str, list[Seen]] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)

    @property
    def tracked(self) -> set[str]:
        """Return the licence numbers whose lines are kept."""
        return (
            set(self.revoked)
            | set(self.double)
            | self.mornings
            | set(self.moved)
            | self.general
        )

    def observe(self, ma_cskcb: str, records: dict[str, list[dict[str, str]]]) -> None:
        """Keep the lines of one claim that name a planted person."""
        tracked = self.tracked
        xml3 = records.get("XML3", [])
        by_code: dict[str, list[dict[str, str]]] = {}
        for row in xml3:
            by_code.setdefault(row.get("MA_DICH_VU", ""), []).append(row)
        for row in xml3:
            for role in ("MA_BAC_SI", "NGUOI_THUC_HIEN"):
                stamp = row.get("NGAY_YL" if role == "MA_BAC_SI" else "NGAY_TH_YL")
                self._keep(
                    ma_cskcb,
                    row,
                    role=role,
                    codes=row.get(role, ""),
                    stamp=stamp,
                    tracked=tracked,
                )
        for result in records.get("XML4", []):
            for row in by_code.get(result.get("MA_DICH_VU", ""), []):
                self._keep(
                    ma_cskcb,
                    row,
                    role="MA_BS_DOC_KQ",
                    codes=result.get("MA_BS_DOC_KQ", ""),
                    stamp=result.get("NGAY_KQ"),
                    tracked=tracked,
                )

    def _keep(
        self,
        ma_cskcb: str,
        row: dict[str, str],
        *,
        role: str,
        codes: str,
        stamp: str | None,
        tracked: set[str],
    ) -> None:
        if not codes or not stamp:
            return
        for raw in codes.split(";"):
            match = _CODE.match(raw)
            if match is None or match[1] not in tracked:
                continue
            seen = Seen(
                ma_lk=row["MA_LK"],
                ma_cskcb=ma_cskcb,
                stt=int(row["STT"]),
                role=role,
                at=datetime.strptime(stamp[:12], "%Y%m%d%H%M"),  # noqa: DTZ007
                code=row.get("MA_DICH_VU", ""),
                mobilised=".C." in raw,
            )
            bucket = self.seen.setdefault(match[1], [])
            if seen not in bucket:
                bucket.append(seen)


def plan_registries(
    province: Province,
    *,
    seed: int,
    neighbours: tuple[str, ...],
    exclude: Iterable[str] = (),
) -> RegistryPlan:
    """Choose the planted practitioners (none of ``exclude``, flawed or shared)."""
    rng = stream(seed, "registries", 0)
    skip = set(exclude) | {p.macchn for p, _, _ in province.dual}
    people = {p.macchn: p for p in province.practitioners}
    home = [
        p
        for p in province.practitioners
        if not p.flaw
        and p.macchn not in skip
        and not p.facilities[0].startswith("01")
        and len(p.facilities) == 1
    ]

    def pick(roles: set[Role], n: int) -> list[Practitioner]:
        pool = [p for p in home if p.role in roles and p.macchn not in chosen]
        out = rng.sample(pool, min(n, len(pool)))
        chosen.update(p.macchn for p in out)
        return out

    def pick_busy(role: Role, n: int) -> list[Practitioner]:
        """The first-called practitioner of ``role`` at the busiest facilities."""
        out: list[Practitioner] = []
        for facility in sorted(facilities, key=lambda f: -f.weight):
            staff = [
                p
                for p in facility.staff.get(role, [])
                if p in home and p.macchn not in chosen
            ]
            if staff and len(out) < n:
                out.append(staff[0])
                chosen.add(staff[0].macchn)
        return out

    chosen: set[str] = set()
    facilities = [f for f in province.facilities if not f.ma_cskcb.startswith("01")]
    plan = RegistryPlan(
        home=province.code,
        neighbours=neighbours,
        month=province.month_start,
        people=people,
    )
    performers = {Role.RADIOLOGIST, Role.RAD_TECH, Role.LAB_TECH, Role.INTERNIST}
    for i, neighbour in enumerate(neighbours):
        for status, p in zip(
            ("revoked", "suspended"), pick(performers, 2), strict=False
        ):
            issued = p.licence[0][1]
            start = max(
                issued + timedelta(days=30),
                province.month_start - timedelta(days=20 + 30 * i),
            )
            plan.revoked[p.macchn] = (neighbour, status, start)
        for p in pick(performers, 1):
            plan.double[p.macchn] = neighbour
    for p in pick({Role.RADIOLOGIST, Role.RAD_TECH, Role.LAB_TECH}, 2):
        plan.mornings.add(p.macchn)
    for p in pick({Role.RAD_TECH, Role.LAB_TECH}, 1):
        others = [f.ma_cskcb for f in facilities if f.ma_cskcb != p.facilities[0]]
        if others:
            plan.moved[p.macchn] = rng.choice(others)
    # NOTE: radiologists who perform: the first called at the busiest facilities
    # (the last of a facility's list only stands in when colleagues are busy).
    for p in pick_busy(Role.RADIOLOGIST, 2):
        plan.general.add(p.macchn)
    return plan


def appendix_codes(appendix: str = "PL V") -> frozenset[str]:
    """Return the technique codes (``XX.YYYY``) a TT 32/2023 appendix lists."""
    from giamdinh.refdata import ReferenceSet  # noqa: PLC0415

    table = ReferenceSet.national().table("ref_scope_of_practice").to_pylist()
    return frozenset(
        r["ma_ky_thuat"]
        for r in table
        if r["appendix"] == appendix and r["ma_ky_thuat"]
    )


# ------------------------------------------------------------------ writing


def _iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def _title(p: Practitioner, plan: RegistryPlan) -> str:
    if p.macchn in plan.general:
        return GENERAL_TITLE
    title = ROLE_SCOPE[p.role][1]
    # NOTE: "Bác sỹ y khoa - <speciality>" is written as the specialist title the
    # registry holds no appendix for; plain "Bác sỹ y khoa" is appendix V.
    return title.replace("Bác sỹ y khoa - ", "Bác sỹ chuyên khoa ")


def _licence_rows(
    p: Practitioner, plan: RegistryPlan, issuer: str
) -> list[dict[str, str]]:
    issued = p.licence[0][1]
    rows = [
        {
            "SO_DINH_DANH": p.cccd,
            "HO_TEN": p.name,
            "MACCHN": p.macchn,
            "CHUC_DANH": _title(p, plan),
            "PHAM_VI": p.scope,
            "NGAY_CAP": issued.isoformat(),
            # a licence that only expires has one period; the others' first
            # period ends where a decision starts
            "NGAY_HET_HAN": _iso(p.licence[0][2]) if len(p.licence) == 1 else "",
            "TRANG_THAI": "active",
            "TU_NGAY": "",
            "DEN_NGAY": "",
            "SO_QUYET_DINH": "",
            "NGAY_QUYET_DINH": "",
            "NOI_CAP": issuer,
        }
    ]
    decisions: list[tuple[str, date, date | None]] = [
        (status, start, end) for status, start, end in p.licence[1:]
    ]
    if p.macchn in plan.revoked:
        _, status, start = plan.revoked[p.macchn]
        decisions.append((status, start, None))
    for n, (status, start, end) in enumerate(decisions, start=1):
        rows.append(
            {
                **rows[0],
                "TRANG_THAI": status,
                "TU_NGAY": start.isoformat(),
                "DEN_NGAY": _iso(end),
                "SO_QUYET_DINH": f"{n}{p.macchn[:6]}/QĐ-SYT{issuer}",
                "NGAY_QUYET_DINH": (start - timedelta(days=5)).isoformat(),
            }
        )
    return rows


def _m02_row(
    p: Practitioner,
    ma_cskcb: str,
    hours: tuple[str, str, str],
    *,
    full_time: bool = True,
) -> dict[str, str]:
    return {
        "MA_CSKCB": ma_cskcb,
        "MA_KHOA": ROLE_DEPARTMENT[p.role],
        "HO_TEN": p.name,
        "SO_CCCD": p.cccd,
        "MACCHN": p.macchn,
        "THOIGIAN_DK": "1" if full_time else "2",
        "GIO_LAM_VIEC": f"{hours[0]}-{hours[1]}",
        "NGAY_LAM_VIEC": hours[2],
        "TU_NGAY": max(p.licence[0][1], date(2020, 1, 1)).isoformat(),
        "DEN_NGAY": "",
    }


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_registries(
    plan: RegistryPlan,
    province: Province,
    out: Path,
    *,
    scope_codes: frozenset[str],
) -> list[tuple[str, str, str, int, str, str]]:
    """Write ``registries/<province>/`` files; return the ground-truth rows.

    Args:
        plan: who is planted how, with their claim lines.
        province: the generated province.
        out: the ``registries`` folder.
        scope_codes: the technique codes (``XX.YYYY``) of TT 32/2023 appendix V.

    Returns:
        ``(ma_lk, ma_cskcb, table, stt, pattern, detail)`` per labelled line.
    """
    licences: dict[str, list[dict[str, str]]] = {
        code: [] for code in (plan.home, *plan.neighbours)
    }
    m02: dict[str, list[dict[str, str]]] = {
        code: [] for code in (plan.home, *plan.neighbours)
    }
    for p in province.practitioners:
        issuer = plan.revoked[p.macchn][0] if p.macchn in plan.revoked else plan.home
        licences[issuer].extend(_licence_rows(p, plan, issuer))
        home_sites = [f for f in p.facilities if not f.startswith("01")]
        for n, site in enumerate(home_sites):
            if p.macchn in plan.moved:
                site = plan.moved[p.macchn]  # noqa: PLW2901
            hours = MORNINGS if p.macchn in plan.mornings else WHOLE_WEEK
            m02[plan.home].append(_m02_row(p, site, hours, full_time=n == 0))
        if p.macchn in plan.double:
            neighbour = plan.double[p.macchn]
            m02[neighbour].append(_m02_row(p, f"{neighbour}001", NEIGHBOUR_HOURS))
    for code in (plan.home, *plan.neighbours):
        folder = out / code
        _write(folder / "licences.csv", LICENCE_COLUMNS, licences[code])
        _write(folder / "M02.csv", M02_COLUMNS, m02[code])
    return _labels(plan, scope_codes)


def _labels(
    plan: RegistryPlan, scope_codes: frozenset[str]
) -> list[tuple[str, str, str, int, str, str]]:
    rows: dict[tuple[str, int, str], tuple[str, str, str, int, str, str]] = {}

    def label(seen: Seen, pattern: str, detail: str) -> None:
        key = (seen.ma_lk, seen.stt, pattern)
        if key not in rows:
            rows[key] = (seen.ma_lk, seen.ma_cskcb, "XML3", seen.stt, pattern, detail)

    for macchn, lines in sorted(plan.seen.items()):
        if macchn in plan.revoked:
            neighbour, status, start = plan.revoked[macchn]
            for s in lines:
                if s.at.date() >= start:
                    label(
                        s,
                        "licence_revoked_elsewhere",
                        f"{macchn} {status} by province {neighbour} from {start}",
                    )
        if macchn in plan.double:
            for s in lines:
                if _within(s.at, NEIGHBOUR_HOURS):
                    label(
                        s,
                        "registered_two_provinces",
                        f"{macchn} also full time at {plan.double[macchn]}001",
                    )
        if macchn in plan.mornings or macchn in plan.moved:
            _outside(plan, macchn, lines, label)
        if macchn in plan.general:
            for s in lines:
                if (
                    s.role == "NGUOI_THUC_HIEN"
                    and _TECHNIQUE.match(s.code)
                    and s.code[:7] not in scope_codes
                ):
                    label(
                        s,
                        "technique_outside_title",
                        f"{macchn} ({GENERAL_TITLE}) performs {s.code[:7]}",
                    )
    plan.labels = dict.fromkeys(REGISTRY_PATTERNS, 0)
    for row in rows.values():
        plan.labels[row[4]] += 1
    return sorted(rows.values(), key=lambda r: (r[4], r[0], r[3]))


def _within(at: datetime, hours: tuple[str, str, str]) -> bool:
    clock = at.strftime("%H:%M")
    return str(at.isoweekday()) in hours[2] and hours[0] <= clock <= hours[1]


def _outside(
    plan: RegistryPlan,
    macchn: str,
    lines: list[Seen],
    label: Callable[[Seen, str, str], None],
) -> None:
    """Label the lines performed or read outside the registration (SG010's view).

    A line is outside when every role of the person on it (performer, reader) is.
    """
    p = plan.people[macchn]
    site = plan.moved.get(macchn, p.facilities[0])
    hours = MORNINGS if macchn in plan.mornings else WHOLE_WEEK
    by_line: dict[tuple[str, int], list[Seen]] = {}
    for s in lines:
        if s.role in {"NGUOI_THUC_HIEN", "MA_BS_DOC_KQ"} and not s.mobilised:
            by_line.setdefault((s.ma_lk, s.stt), []).append(s)
    for seen in by_line.values():
        inside = any(s.ma_cskcb == site and _within(s.at, hours) for s in seen)
        if not inside:
            first = seen[0]
            where = "facility" if first.ma_cskcb != site else "hours"
            detail = f"{macchn} registered at {site} {hours[0]}-{hours[1]} T{hours[2]}"
            label(first, "outside_registration", f"{detail} ({where})")


__all__ = [
    "REGISTRY_PATTERNS",
    "RegistryPlan",
    "appendix_codes",
    "plan_registries",
    "write_registries",
]
