"""One episode of care: choose, schedule and price what happens to one patient.

An episode is built in three steps: a *plan* (facility, recipe, patient and the list of
services, with the planted pattern's requirements checked before anything is booked),
a *schedule* (order, execution and result times on the performers' and machines'
timelines, following working hours) and *post* changes of the planted pattern, which
never touch the timelines. Money is computed last, from the final lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from giamdinh.synth.clinical import (
    ABDOMINAL_US,
    AFB_CODE,
    BED_CODE,
    BOOKED_KINDS,
    CONTRAST_KINDS,
    DRUGS,
    GADOLINIUM_CONTRAST,
    HISTOLOGY_CODE,
    IMAGING_KINDS,
    IODINE_CONTRAST,
    KIND_PROFILES,
    LOGGED_KINDS,
    RECIPES,
    SERVICES,
    UNSUPPORTED_INDICATION,
    Drug,
    Kind,
    Recipe,
    Role,
    ServiceInfo,
)
from giamdinh.synth.patients import (
    CLASS_STRIDE,
    Catchments,
    Patient,
    Visits,
    make_patient,
)
from giamdinh.synth.province import (
    Facility,
    Machine,
    Practitioner,
    Province,
    Tier,
    feasible_recipes,
    performer_role,
    resolve_code,
)
from giamdinh.synth.schedule import DAY, Timeline, earliest_common
from giamdinh.synth.streams import stream

if TYPE_CHECKING:
    import random

    from giamdinh.synth.config import SynthConfig

#: Counted minutes per kind (the signals count half the reference time for the
#: performer): keeps every clean performer's day far below the thresholds.
_REFERENCE = {
    Kind.EXAM: 0.0,
    Kind.XRAY: 9.0,
    Kind.CT: 15.0,
    Kind.CT_CONTRAST: 30.0,
    Kind.MRI: 30.0,
    Kind.MRI_CONTRAST: 45.0,
    Kind.US: 15.0,
    Kind.ECHO: 30.0,
    Kind.ECG: 10.0,
    Kind.ENDO: 20.0,
    Kind.ENDO_BIOPSY: 30.0,
}
_DAILY_BUDGET = 300.0
_URGENT = 0.7
#: Draws from the catchment before a fresh patient is taken instead.
_PATIENT_TRIES = 12
_EXAM_ROLE = {
    "02.03": Role.INTERNIST,
    "03.18": Role.PEDIATRICIAN,
    "10.19": Role.SURGEON,
    "13.27": Role.OBGYN,
    "02.13": Role.DERMATOLOGIST,
}
_WARD_ROLE = {
    "K03": Role.INTERNIST,
    "K18": Role.PEDIATRICIAN,
    "K19": Role.SURGEON,
    "K27": Role.OBGYN,
    "K02": Role.INTERNIST,
}
_OUT_OF_SCOPE_ROLES = (
    Role.INTERNIST,
    Role.PEDIATRICIAN,
    Role.OBGYN,
    Role.DERMATOLOGIST,
)


@dataclass(slots=True)
class Line:
    """One XML3 line while the episode is built."""

    code: str
    kind: Kind
    info: ServiceInfo
    name: str
    price: Decimal
    day: int = 0
    qty: Decimal = Decimal(1)
    tyle_dv: int = 100
    department: str = ""
    bed: str = ""
    orderer: str = ""
    performer: str = ""
    reader: str = ""
    yl: int = 0
    th: int = 0
    kq: int = 0
    ma_may: str = ""
    group: str = ""
    log: tuple[int, int] | None = None
    results: bool = True
    abnormal: bool = False
    seq: int = 0
    stt: int = 0
    performer_override: Practitioner | None = None
    machine_override: Machine | None = None
    hidden_performer: bool = False
    anchor: int | None = None
    #: Planted machine overlap: the machine's previous study (start, end minutes,
    #: log start, end seconds) this line starts inside, at ``anchor``.
    overlap: tuple[int, int, int, int] | None = None


@dataclass(slots=True)
class DrugLine:
    """One XML2 line."""

    drug: Drug
    qty: Decimal
    yl: int
    th: int
    department: str
    orderer: str
    service: str = ""
    dosage: str = ""
    stt: int = 0


@dataclass(slots=True)
class Note:
    """One XML5 clinical-course note."""

    time: int
    text: str
    author: str


@dataclass(slots=True)
class Label:
    """A planted anomaly on one line (or the whole claim)."""

    pattern: str
    detail: str
    table: str = "XML3"
    line: Line | None = None
    drug: DrugLine | None = None


@dataclass(slots=True)
class Episode:
    """One claim being built."""

    index: int
    ma_lk: str
    facility: Facility
    patient: Patient
    recipe: Recipe
    inpatient: bool
    emergency: bool
    department: str
    treating: Practitioner
    doi_tuong: str
    arrival: int = 0
    admission: int | None = None
    discharge: int = 0
    payment: int = 0
    noi_di: str = ""
    giay_ct: str = ""
    lines: list[Line] = field(default_factory=list)
    drugs: list[DrugLine] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    muc_huong: int = 100


def _book_tail(machine: Machine, previous_end: int, end: int) -> None:
    """Book what a planted overlapping study adds after the previous one ends."""
    if end > previous_end:
        length = end - previous_end
        if machine.timeline.earliest(previous_end, length) == previous_end:
            machine.timeline.book(previous_end, length)


def _tri(rng: random.Random, lo: int, mode: int, hi: int) -> int:
    return max(lo, round(rng.triangular(lo, hi, mode)))


class Builder:
    """Builds episodes one after another on a shared province and clock."""

    def __init__(self, province: Province, config: SynthConfig) -> None:
        self.province = province
        self.config = config
        self.seed = config.seed
        #: Whether the episode being built is clean (see ``_pick_pool_machine``).
        self.routine = False
        self.lent_rng = stream(config.seed, "lent-lines")
        self.feasible = {f.ma_cskcb: feasible_recipes(f) for f in province.facilities}
        self.bedded = [f for f in province.facilities if f.has_beds]
        self.registration = [
            f.ma_cskcb
            for f in province.facilities
            if f.tier in {Tier.COMMUNE, Tier.DISTRICT}
        ] or [province.facilities[0].ma_cskcb]
        self.referrers = [
            f.ma_cskcb for f in province.facilities if f.tier is Tier.DISTRICT
        ]
        classes = sorted({(r.sex, r.ages) for r in RECIPES}, key=str)
        self.patient_class = {c: i for i, c in enumerate(classes)}
        self.facility_no = {f.ma_cskcb: i for i, f in enumerate(province.facilities)}
        pool = min(max(50, config.claims // 3), CLASS_STRIDE // 2)
        self.catchments = Catchments([f.weight for f in province.facilities], pool=pool)
        self.visits = Visits()
        self.clock = 0

    # -- choice -----------------------------------------------------------------------

    def pick_facility(self, rng: random.Random, *, emergency: bool) -> Facility:
        """Draw a facility by volume weight (emergencies go to hospitals with beds)."""
        pool = self.bedded if emergency and self.bedded else self.province.facilities
        return rng.choices(pool, weights=[f.weight for f in pool])[0]

    def pick_recipe(
        self,
        rng: random.Random,
        facility: Facility,
        *,
        emergency: bool,
        allowed: set[str] | None,
    ) -> Recipe | None:
        """Draw a recipe the facility can perform."""
        candidates = [RECIPES[i] for i in self.feasible[facility.ma_cskcb]]
        if emergency:
            urgent = [
                r for r in candidates if "emergency" in r.tags or r.inpatient >= _URGENT
            ]
            candidates = urgent or candidates
        if allowed is not None:
            candidates = [r for r in candidates if r.key in allowed]
        if not candidates:
            return None
        return rng.choices(candidates, weights=[r.weight for r in candidates])[0]

    def patient(
        self, rng: random.Random, recipe: Recipe, *, facility: Facility, arrival: int
    ) -> Patient:
        """Draw a patient fitting the recipe, free at ``arrival``.

        The patient comes from the facility's catchment (or, for a small share of
        visits, another facility's) and is not in another episode at that time,
        nor seen at another facility that day.
        """
        cls = self.patient_class[(recipe.sex, recipe.ages)]
        where = self.facility_no[facility.ma_cskcb]
        self.visits.forget_before(arrival // DAY)
        home = self.catchments.home(rng, where)
        for _ in range(_PATIENT_TRIES):
            number = self.catchments.draw(rng, home, cls)
            if self.visits.free(number, facility=where, arrival=arrival):
                break
        else:
            number = self.catchments.new_patient(cls)
        return make_patient(
            seed=self.seed,
            number=number,
            province=self.province.code,
            month_start=self.province.month_start,
            sex=recipe.sex,
            ages=recipe.ages,
            registration=self.registration,
        )

    def plan(
        self,
        rng: random.Random,
        facility: Facility,
        recipe: Recipe,
        *,
        inpatient: bool,
        force: frozenset[str] = frozenset(),
    ) -> list[Line]:
        """Return the services of the recipe available at the facility (unscheduled)."""
        lines: list[Line] = []
        for step in recipe.steps:
            if step.day > 0 and not inpatient:
                continue
            codes = [
                c for c in (resolve_code(facility, code) for code in step.codes) if c
            ]
            if not codes:
                continue
            forced = any(c in force or SERVICES[c].kind in force for c in codes)
            if not forced and rng.random() >= step.p:
                continue
            code = next(
                (c for c in codes if c in force or SERVICES[c].kind in force), codes[0]
            )
            lines.append(self.new_line(facility, code, day=step.day))
        return lines

    def new_line(self, facility: Facility, code: str, *, day: int = 0) -> Line:
        """Return an unscheduled line of ``code`` priced from the facility's M05."""
        info = SERVICES[code]
        item = facility.catalogue[code]
        profile = KIND_PROFILES[info.kind]
        return Line(
            code=code,
            kind=info.kind,
            info=info,
            name=item.name,
            price=item.price,
            day=day,
            group=info.machine_group or profile.machine_group,
        )

    # -- people and machines ----------------------------------------------------------

    def staff(self, facility: Facility, role: Role) -> list[Practitioner]:
        """Return the facility's valid practitioners of ``role``."""
        return facility.staff.get(role, [])

    def book_service(  # noqa: PLR0912, PLR0915 - one path per kind of booking
        self,
        rng: random.Random,
        facility: Facility,
        line: Line,
        earliest: int,
    ) -> None:
        """Schedule one line at or after ``earliest`` (its order time)."""
        profile = KIND_PROFILES[line.kind]
        kind = line.kind
        if kind is Kind.BED:
            return
        if kind not in BOOKED_KINDS:
            wait = rng.randint(*profile.wait)
            line.th = earliest + wait
            lo, mode, hi = profile.process
            line.kq = line.th + _tri(rng, lo, mode, hi)
            role = (
                performer_role(facility, kind) if profile.performer else Role.LAB_TECH
            )
            performer = line.performer_override or rng.choice(
                self.staff(facility, role)
            )
            line.performer = performer.macchn
            reader_role = profile.reader or Role.LAB_DOCTOR
            readers = self.staff(facility, reader_role) or [performer]
            line.reader = (
                performer.macchn if reader_role == role else rng.choice(readers).macchn
            )
            machine = line.machine_override or self._pick_pool_machine(
                rng, facility, line.group
            )
            line.ma_may = machine.ma_may if machine else ""
            return
        lo, mode, hi = profile.process
        duration = _tri(rng, lo, mode, hi)
        counted = _REFERENCE[kind] * 0.5
        start_at = earliest + (
            rng.randint(*profile.wait) // 3 if kind is not Kind.EXAM else 0
        )
        if line.anchor is not None:
            start_at = line.anchor
        machine = line.machine_override
        candidates: list[Machine | None] = (
            [machine] if machine else list(facility.machines.get(line.group, []))
        ) or [None]
        if kind is Kind.EXAM:
            role = _EXAM_ROLE[line.code]
            if facility.tier is Tier.COMMUNE:
                role = Role.GP
        else:
            role = performer_role(facility, kind)
        people = (
            [line.performer_override]
            if line.performer_override
            else self.staff(facility, role)
        )
        best: tuple[int, Practitioner, Machine | None] | None = None
        day = start_at // DAY
        for person in people:
            if (
                line.performer_override is None
                and person.timeline.load(day) + counted > _DAILY_BUDGET
                and best is not None
            ):
                continue
            timelines: list[Timeline] = (
                [] if line.hidden_performer else [person.timeline]
            )
            for m in candidates:
                # a planted overlap starts while the machine is busy: only the
                # person must be free
                tl = (
                    [*timelines, m.timeline]
                    if m is not None and line.overlap is None
                    else timelines
                )
                t = earliest_common(tl, start_at, duration) if tl else start_at
                if line.anchor is not None and t != line.anchor:
                    continue
                if best is None or t < best[0]:
                    best = (t, person, m)
            if best is not None and best[0] == start_at:
                break
        if best is None and line.anchor is not None:
            # The anchor could not be kept: the caller sees ``anchor`` cleared.
            line.anchor = None
            line.overlap = None
            self.book_service(rng, facility, line, earliest)
            return
        assert best is not None  # noqa: S101 - every facility has the staff it bills
        start, person, m = best
        if not line.hidden_performer:
            person.timeline.book(start, duration, counted=counted)
        if m is not None:
            if line.overlap is None:
                m.timeline.book(start, duration)
            else:
                _book_tail(m, line.overlap[1], start + duration)
            line.ma_may = m.ma_may
        line.th = start
        line.kq = start + duration
        line.performer = person.macchn
        if kind is Kind.EXAM:
            line.reader = person.macchn
        elif profile.reader is not None and profile.reader is not profile.performer:
            readers = self.staff(facility, profile.reader) or [person]
            line.reader = rng.choice(readers).macchn
        else:
            line.reader = person.macchn
        if kind in LOGGED_KINDS and m is not None:
            share = rng.uniform(*profile.machine_share)
            seconds = max(20, int(duration * 60 * share))
            offset = rng.randint(0, max(0, duration * 60 - seconds - 1))
            line.log = (start * 60 + offset, start * 60 + offset + seconds)
            if line.overlap is not None:
                # the device also records this study starting inside the previous
                # one's log, never before this study's own start
                begin = start * 60 + max(0, line.overlap[3] - start * 60) // 2
                end = min(begin + seconds, (start + duration) * 60)
                line.log = (begin, max(end, begin + 1))
            if m.last is None or start + duration >= m.last[1]:
                m.last = (start, start + duration, *line.log)

    def overlap_target(
        self, rng: random.Random, facility: Facility, lines: list[Line]
    ) -> Line | None:
        """Plant a machine overlap on one line of ``lines``; return it, or ``None``.

        The line is anchored to start on a machine while the machine's latest
        logged study of the same day is still running, in the claim times and in
        the device log (the log starts inside the previous study's log).
        """
        day = self.clock // DAY
        options: list[tuple[Line, Machine, int]] = []
        for x in lines:
            if x.kind not in LOGGED_KINDS or x.kind is Kind.EXAM:
                continue
            for m in facility.machines.get(x.group, []):
                if m.flaw or not m.declared or m.last is None:
                    continue
                start, end, log_start, log_end = m.last
                anchor = -(-log_start // 60)  # first whole minute inside the log
                if (
                    start // DAY == day
                    and anchor < end
                    and log_end - anchor * 60 > 1
                    and self._someone_free(facility, x.kind, anchor)
                ):
                    options.append((x, m, anchor))
        if not options:
            return None
        line, machine, anchor = rng.choice(options)
        line.machine_override = machine
        line.anchor = anchor
        line.overlap = machine.last
        return line

    def _someone_free(self, facility: Facility, kind: Kind, start: int) -> bool:
        """Whether a performer of ``kind`` is free from ``start`` long enough.

        Long enough is the longest duration of ``kind``, so an anchored study holds.
        """
        longest = KIND_PROFILES[kind].process[2]
        return any(
            p.timeline.earliest(start, longest) == start
            for p in self.staff(facility, performer_role(facility, kind))
        )

    def _pick_pool_machine(
        self, rng: random.Random, facility: Facility, group: str
    ) -> Machine | None:
        pool = facility.machines.get(group)
        if not pool:
            return None
        usable = [m for m in pool if not m.flaw]
        if self.province.lent_usable:
            lent = facility.odd_machines.get("lent")
            if lent is not None and group == lent.group:
                usable.append(lent)
        machine = rng.choice(usable or pool)
        # A share of the analyses runs on lent analysers, drawn from a stream of
        # its own so the claims' own draws stay as they were. Only clean claims
        # use the analysers past their contract: their lines are labelled.
        lent_pool = [m for m in facility.lent_paid if m.group == group]
        if self.routine:
            lent_pool += [m for m in facility.lent_review if m.group == group]
        if lent_pool and self.lent_rng.random() < facility.lent_share:
            return self.lent_rng.choice(lent_pool)
        return machine

    # -- the episode ------------------------------------------------------------------

    def episode(  # noqa: PLR0912, PLR0915 - one linear story of a visit
        self,
        rng: random.Random,
        *,
        index: int,
        arrival: int,
        emergency: bool,
        facility: Facility,
        recipe: Recipe,
        lines: list[Line],
        inpatient: bool,
        anchored: Line | None = None,
    ) -> Episode:
        """Schedule a planned episode and return it (money not yet computed)."""
        self.lent_rng = stream(self.seed, "lent-lines", index)
        if anchored is not None:
            arrival = self._anchor_arrival(rng, anchored)
        patient = self.patient(rng, recipe, facility=facility, arrival=arrival)
        age = patient.age(self.province.month_start)
        department = recipe.department
        if inpatient and age < 16 and department == "K03":  # noqa: PLR2004
            department = "K18"
        ward_role = _WARD_ROLE.get(department, Role.INTERNIST)
        exam_role = _EXAM_ROLE.get(recipe.exam, Role.INTERNIST)
        if facility.tier is Tier.COMMUNE:
            exam_role = ward_role = Role.GP
        treating_pool = self.staff(
            facility, ward_role if inpatient else exam_role
        ) or self.staff(facility, Role.GP)
        treating = rng.choice(treating_pool)
        ep = Episode(
            index=index,
            ma_lk=f"{facility.ma_cskcb}{self.province.month_start:%y%m}{index:07d}",
            facility=facility,
            patient=patient,
            recipe=recipe,
            inpatient=inpatient,
            emergency=emergency,
            department=department if inpatient else ("K02" if emergency else "K01"),
            treating=treating,
            doi_tuong=self._doi_tuong(
                rng, facility, patient, emergency=emergency, inpatient=inpatient
            ),
        )
        if ep.doi_tuong == "1.3":
            ep.noi_di = rng.choice(self.referrers or [facility.ma_cskcb])
            ep.giay_ct = f"{rng.randrange(1, 9999)}/GCT"
        outpatient_dept = "K02" if emergency else "K01"
        # Arrival, exam.
        exam: Line | None = None
        admitted_from_emergency = emergency and inpatient
        ep.arrival = arrival
        t = arrival + rng.randint(2, 12)
        if not admitted_from_emergency:
            exam = self.new_line(facility, recipe.exam)
            exam.department = outpatient_dept
            exam.yl = t
            exam.performer_override = None
            self.book_service(rng, facility, exam, t)
            exam.orderer = exam.performer
            ep.lines.append(exam)
            t = exam.kq
            if anchored is None:
                ep.treating = (
                    treating if inpatient else self._person(facility, exam.performer)
                )
        order_time = max(t - rng.randint(0, 2), exam.th if exam else t)
        if inpatient:
            admission = (exam.kq if exam else arrival) + rng.randint(15, 90)
            ep.admission = admission
            order_time = admission + rng.randint(5, 30)
        # Services.
        last_result = order_time
        admission_day = (ep.admission or order_time) // DAY
        if (
            anchored is not None
            and anchored.anchor is not None
            and order_time >= anchored.anchor
        ):
            anchored.anchor = None
            anchored.overlap = None
        for line in lines:
            if line.day == 0:
                yl = order_time
            else:
                yl = (admission_day + line.day) * DAY + rng.randint(450, 570)
            line.yl = yl
            in_ward = inpatient and (ep.admission is not None)
            line.department = ep.department if in_ward else outpatient_dept
            line.orderer = ep.treating.macchn
            if line.kind is Kind.HISTOLOGY:
                continue
            self.book_service(rng, facility, line, yl)
            last_result = max(last_result, line.kq)
        for line in lines:
            if line.kind is Kind.HISTOLOGY:
                biopsy = next((x for x in lines if x.kind is Kind.ENDO_BIOPSY), None)
                base = biopsy.kq if biopsy else order_time
                line.yl = biopsy.yl if biopsy else order_time
                self.book_service(rng, facility, line, base)
                last_result = max(last_result, line.kq)
        ep.lines.extend(lines)
        # Drugs and contrast.
        self._contrast(rng, ep)
        if inpatient:
            assert ep.admission is not None  # noqa: S101
            stay = max(recipe.min_stay, 1) + min(int(rng.expovariate(0.5)), 10)
            discharge_day = ep.admission // DAY + stay
            discharge = discharge_day * DAY + rng.randint(540, 900)
            discharge = max(discharge, last_result + rng.randint(30, 120))
            ep.discharge = discharge
            days = max(1, ep.discharge // DAY - ep.admission // DAY)
            bed = self.new_line(facility, BED_CODE.get(department, "K03.NO2"))
            bed.qty = Decimal(days)
            bed.department = department
            bed.bed = f"H{rng.randrange(1, 300):03d}"
            bed.orderer = ep.treating.macchn
            bed.performer = ""
            bed.yl = bed.th = ep.admission
            bed.kq = ep.discharge
            ep.lines.append(bed)
            for code, per_day in recipe.drugs:
                drug = DRUGS[code]
                ep.drugs.append(
                    DrugLine(
                        drug=drug,
                        qty=Decimal(per_day * days),
                        yl=ep.admission + rng.randint(10, 40),
                        th=ep.admission + rng.randint(41, 90),
                        department=department,
                        orderer=ep.treating.macchn,
                        dosage=f"{per_day} {drug.unit.lower()}/ngày x {days} ngày",
                    )
                )
            for d in range(days + 1):
                when = (ep.admission // DAY + d) * DAY + rng.randint(480, 560)
                when = max(when, ep.admission + 5)
                if when >= ep.discharge:
                    break
                ep.notes.append(
                    Note(
                        time=when,
                        text=(
                            "Người bệnh tỉnh, tiếp xúc tốt. Mạch 80 l/p, "
                            "HA 120/80 mmHg, "
                            f"nhiệt độ 37°C. Ngày điều trị thứ {d + 1}."
                        ),
                        author=ep.treating.macchn,
                    )
                )
        else:
            conclusion = last_result + rng.randint(5, 25)
            for code, per_day in recipe.drugs:
                drug = DRUGS[code]
                days = 5
                ep.drugs.append(
                    DrugLine(
                        drug=drug,
                        qty=Decimal(per_day * days),
                        yl=conclusion,
                        th=conclusion + rng.randint(5, 20),
                        department=outpatient_dept,
                        orderer=ep.treating.macchn,
                        dosage=f"{per_day} {drug.unit.lower()}/ngày x {days} ngày",
                    )
                )
            end = max([conclusion, *(d.th for d in ep.drugs)])
            ep.discharge = end + rng.randint(3, 15)
        ep.payment = ep.discharge + rng.randint(1, 20)
        for line in ep.lines:
            line.abnormal = bool(recipe.conclusion) and rng.random() < 0.6  # noqa: PLR2004
        self.visits.book(
            patient.number,
            facility=self.facility_no[facility.ma_cskcb],
            index=index,
            end=ep.discharge,
        )
        return ep

    def settle(self, ep: Episode) -> None:
        """Record the final end of ``ep`` (after the planted changes) for its patient.

        The end is the latest time any of its lines or drugs is ordered, done or
        reported, or the discharge, whichever is last.
        """
        end = max(
            [
                ep.discharge,
                *(t for x in ep.lines for t in (x.yl, x.th, x.kq)),
                *(t for d in ep.drugs for t in (d.yl, d.th)),
            ]
        )
        self.visits.settle(ep.patient.number, index=ep.index, end=end)

    def _person(self, facility: Facility, macchn: str) -> Practitioner:
        for p in facility.registered:
            if p.macchn == macchn:
                return p
        return facility.registered[0]

    def _anchor_arrival(self, rng: random.Random, line: Line) -> int:
        """Return an arrival early enough to reach ``line`` at its anchor."""
        assert line.anchor is not None  # noqa: S101
        return max(0, line.anchor - rng.randint(70, 110))

    def _doi_tuong(  # noqa: PLR0911 - one return per case of QĐ 3276
        self,
        rng: random.Random,
        facility: Facility,
        patient: Patient,
        *,
        emergency: bool,
        inpatient: bool,
    ) -> str:
        if emergency:
            return "2"
        if facility.tier is Tier.COMMUNE:
            # QĐ 3276: a visit to a primary-care station is 1.2 whether or not the
            # patient is registered there (1.1 excludes it), paid 100 %.
            return "1.2"
        if patient.dkbd == facility.ma_cskcb:
            return "1.1"
        if facility.tier in {Tier.COMMUNE, Tier.DISTRICT}:
            return "1.2"
        if facility.tier is Tier.PRIVATE:
            return "1.11"
        roll = rng.random()
        if inpatient and facility.tier is Tier.CENTRAL and roll < 0.15:  # noqa: PLR2004
            return "3.1"
        if inpatient and facility.tier is Tier.PROVINCIAL and roll < 0.25:  # noqa: PLR2004
            return "3.2"
        return "1.3" if roll < 0.7 else "1.5"  # noqa: PLR2004

    def _contrast(self, rng: random.Random, ep: Episode) -> None:
        for line in ep.lines:
            if line.kind in CONTRAST_KINDS:
                code = (
                    IODINE_CONTRAST
                    if line.kind is Kind.CT_CONTRAST
                    else GADOLINIUM_CONTRAST
                )
                ep.drugs.append(
                    DrugLine(
                        drug=DRUGS[code],
                        qty=Decimal(1),
                        yl=line.yl,
                        th=line.th + rng.randint(1, 4),
                        department=line.department,
                        orderer=line.orderer,
                        service=line.code,
                        dosage=f"{line.info.contrast_ml} ml tiêm tĩnh mạch",
                    )
                )


__all__ = [
    "ABDOMINAL_US",
    "AFB_CODE",
    "HISTOLOGY_CODE",
    "IMAGING_KINDS",
    "UNSUPPORTED_INDICATION",
    "Builder",
    "DrugLine",
    "Episode",
    "Label",
    "Line",
    "Note",
]
