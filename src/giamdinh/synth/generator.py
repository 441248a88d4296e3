"""Generate a synthetic province month, claim by claim, straight to disk.

Claims are generated in order of arrival (day by day; within a day by minute), each
from its own random stream ``(seed, claim index)``; the shared state is the province's
timelines (bounded: intervals more than a day old are forgotten), the one-byte-per-claim
anomaly plan and per-facility envelope buffers. Nothing else accumulates, so memory
stays flat from 100 claims to 10 million service lines.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, cast

from giamdinh.standard.writer import envelope_bytes
from giamdinh.synth import dicom, variants
from giamdinh.synth.anomalies import (
    BUSY_DAY_CLAIMS,
    IMPOSSIBLE_DAY_CLAIMS,
    PAIR_SECOND,
    PATTERN_CODE,
    PATTERN_NAMES,
    PATTERNS,
    make_plan,
    pattern_rates,
)
from giamdinh.synth.clinical import (
    ABDOMINAL_US,
    AFB_CODE,
    ECHO_CODE,
    HISTOLOGY_CODE,
    IMAGING_KINDS,
    RECIPES,
    SERVICES,
    UNSUPPORTED_INDICATION,
    Kind,
    Role,
)
from giamdinh.synth.dicom import DICOM_TRUTH_COLUMNS, DICOM_TRUTH_FILE
from giamdinh.synth.episode import Builder, Episode, Label, Line
from giamdinh.synth.output import (
    GROUND_TRUTH_COLUMNS,
    LENT_TRUTH_FILE,
    DeviceLogs,
    study_uid,
    write_lent_truth,
    write_reference,
)
from giamdinh.synth.province import (
    LENT_PAID_AGAIN_FROM,
    LENT_SCENARIOS_FROM,
    LENT_STOPPED_FROM,
    Facility,
    Practitioner,
    ProvinceBuilder,
    Tier,
    performer_role,
    sample_catalogue,
)
from giamdinh.synth.records import Clock, claim_records, number_lines
from giamdinh.synth.registries import (
    RegistryPlan,
    appendix_codes,
    plan_registries,
    write_registries,
)
from giamdinh.synth.streams import stream
from giamdinh.synth.variants import (
    VARIANT_NAMES,
    VARIANT_TRUTH_COLUMNS,
    VARIANT_TRUTH_FILE,
    variant_shares,
)

if TYPE_CHECKING:
    import random
    from _csv import Writer as CsvWriter
    from pathlib import Path

    from giamdinh.synth.config import SynthConfig
    from giamdinh.synth.records import ClaimRecords

_DAY_WEIGHT = (1.25, 1.0, 1.0, 1.0, 1.0, 0.45, 0.1)
_EMERGENCY_SHARE = 0.06
_GI_RECIPES = frozenset({"gastritis", "constipation"})
_CARDIAC_RECIPES = frozenset({"hypertension", "angina", "coronary", "heart_failure"})
_UNBUNDLE_PAID = ("18.0016.0001", "18.0018.0001")


@dataclass(slots=True)
class SynthResult:
    """What a run wrote."""

    out: Path
    claims: int
    files: int
    lines: dict[str, int]
    labels: dict[str, int]
    planned: dict[str, int]
    device_log_rows: int
    dicom_files: int
    reference_files: int
    facilities: list[str] = field(default_factory=list)
    #: Files written with each real-world variant (see ``ground_truth_variants.csv``).
    variants: dict[str, int] = field(default_factory=dict)
    #: Labels on clean claims from the province's make-up, beyond ``planned``
    #: (lines on lent analysers past their contract).
    routine: dict[str, int] = field(default_factory=dict)


def day_counts(config: SynthConfig) -> list[int]:
    """Return the number of claims arriving on each day of the month."""
    start = config.month
    days = ((start.replace(day=28) + timedelta(days=4)).replace(day=1) - start).days
    weights = [_DAY_WEIGHT[(start + timedelta(days=d)).weekday()] for d in range(days)]
    total = sum(weights)
    raw = [config.claims * w / total for w in weights]
    counts = [math.floor(x) for x in raw]
    rest = config.claims - sum(counts)
    order = sorted(range(days), key=lambda d: (-(raw[d] - counts[d]), d))
    for d in order[:rest]:
        counts[d] += 1
    return counts


class Generator:
    """One generation run."""

    _variant_truth: CsvWriter
    _dicom_truth: CsvWriter

    def __init__(self, config: SynthConfig, out: Path) -> None:
        self.config = config
        self.out = out
        self.rates = pattern_rates(config)
        self.variant_shares = variant_shares(config)
        self.variant_files = dict.fromkeys(VARIANT_NAMES, 0)
        if config.month < LENT_STOPPED_FROM or (
            LENT_PAID_AGAIN_FROM <= config.month < LENT_SCENARIOS_FROM
        ):
            # Before the stop every lent analyser was paid; from 05/11/2022 only
            # those past their contract are flagged, and the province has them
            # from LENT_SCENARIOS_FROM.
            self.rates["machine_lent_after_stop"] = 0.0
        self.counts = day_counts(config)
        starts = [0]
        for c in self.counts:
            starts.append(starts[-1] + c)
        self.day_ranges = [(starts[d], starts[d + 1]) for d in range(len(self.counts))]
        self.plan, self.clusters = make_plan(config, self.day_ranges, self.rates)
        self.province = ProvinceBuilder(
            seed=config.seed,
            month_start=config.month,
            facilities=config.facilities,
            claims=config.claims,
            province_code=config.province,
        ).build()
        self.clock = Clock(config.month, days=len(self.counts) + 60)
        self.volume_facility = self._volume_facility()
        self.day_doctors = self._impossible_day_setup()
        self.busy_people = self._busy_setup()
        self.registries: RegistryPlan | None = None
        if config.neighbours:
            self.registries = plan_registries(
                self.province,
                seed=config.seed,
                neighbours=config.neighbours,
                exclude={
                    p.macchn
                    for _, p in (*self.day_doctors.values(), *self.busy_people.values())
                },
            )
        self.builder = Builder(self.province, config)
        self.labels = dict.fromkeys(PATTERN_NAMES, 0)
        self.planned = dict.fromkeys(PATTERN_NAMES, 0)
        #: Labels on clean claims that come from the province's make-up, not the
        #: plan: lines on lent analysers past their contract.
        self.routine = dict.fromkeys(PATTERN_NAMES, 0)
        for code in self.plan:
            if 0 < code <= len(PATTERNS):
                self.planned[PATTERNS[code - 1].name] += 1
            elif code == PAIR_SECOND:
                self.planned["practitioner_two_places"] += 1
        self.lines = dict.fromkeys(("XML1", "XML2", "XML3", "XML4", "XML5", "XML7"), 0)
        self.files = 0
        self.dicom_written = 0
        self._any_variant = any(self.variant_shares.values())
        self._buffers: dict[str, list[ClaimRecords]] = {}
        self._buffer_day: dict[str, str] = {}
        self._file_no: dict[str, int] = {}
        self._folders: dict[str, Path] = {}
        self._pending_second: Episode | None = None
        #: Planted overlaps whose anchor could not be kept, owed by later claims.
        self._owed_overlaps = 0

    # -- setup ------------------------------------------------------------------------

    def _volume_facility(self) -> Facility | None:
        for tier in (Tier.DISTRICT, Tier.PROVINCIAL, Tier.CENTRAL):
            for f in self.province.facilities:
                if f.tier is tier and ABDOMINAL_US in f.catalogue and f.has_group("SA"):
                    return f
        return None

    def _impossible_day_setup(self) -> dict[int, tuple[Facility, Practitioner]]:
        """Pick the facility and doctor of each impossible day; add echo capacity."""
        out: dict[int, tuple[Facility, Practitioner]] = {}
        hosts = [
            f
            for f in self.province.facilities
            if f.tier in {Tier.PROVINCIAL, Tier.CENTRAL, Tier.DISTRICT}
            and ECHO_CODE in f.catalogue
            and f.has_group("SA")
        ]
        if not hosts:
            return out
        builder = ProvinceBuilder(
            seed=self.config.seed + 7919,
            month_start=self.config.month,
            facilities=1,
            claims=1,
            province_code=self.config.province,
        )
        builder._cchn = 900_000
        builder._machine_serial = 90_000
        for day, ordinal in sorted(self.clusters.items()):
            facility = hosts[ordinal % len(hosts)]
            doctor = builder._new_practitioner(facility, Role.RADIOLOGIST)
            self.province.practitioners.append(doctor)
            extra = math.ceil(IMPOSSIBLE_DAY_CLAIMS * 18 / 420)
            for _ in range(extra):
                facility.machines["SA"].append(
                    builder._new_machine(facility, "SA", form="ngan_sach")
                )
            out[day] = (facility, doctor)
        return out

    def _busy_setup(self) -> dict[int, tuple[Facility, Practitioner]]:
        """Pick the hospital and the radiographer of each busy-but-honest day.

        The radiographer is registered (M02) at the hospital for the whole month
        and performs only that day's X-rays, one after another on the hospital's
        own X-ray machines: a long, honest day.
        """
        code = PATTERN_CODE["busy_honest"]
        days = [d for d, (a, b) in enumerate(self.day_ranges) if code in self.plan[a:b]]
        hosts = [
            f
            for f in self.province.facilities
            if f.tier in {Tier.DISTRICT, Tier.PROVINCIAL, Tier.CENTRAL}
            and f.has_group("XQ")
            and any(SERVICES[c].kind is Kind.XRAY for c in f.catalogue if c in SERVICES)
        ]
        out: dict[int, tuple[Facility, Practitioner]] = {}
        if not days or not hosts:
            return out
        builder = ProvinceBuilder(
            seed=self.config.seed + 7927,
            month_start=self.config.month,
            facilities=1,
            claims=1,
            province_code=self.config.province,
        )
        builder._cchn = 800_000
        for ordinal, day in enumerate(days):
            facility = hosts[ordinal % len(hosts)]
            person = builder._new_practitioner(facility, Role.RAD_TECH)
            self.province.practitioners.append(person)
            out[day] = (facility, person)
        return out

    # -- run --------------------------------------------------------------------------

    def run(self) -> SynthResult:
        """Generate everything; return the summary."""
        out = self.out
        out.mkdir(parents=True, exist_ok=True)
        reference_files = write_reference(self.province, out / "reference")
        write_lent_truth(self.province, out / LENT_TRUTH_FILE)
        logs = DeviceLogs(out / "device_logs")
        with (
            (out / "ground_truth.csv").open(
                "w", encoding="utf-8", newline=""
            ) as handle,
            (out / VARIANT_TRUTH_FILE).open(
                "w", encoding="utf-8", newline=""
            ) as variant_handle,
            (out / DICOM_TRUTH_FILE).open("w", encoding="utf-8", newline="") as dcm,
        ):
            truth = csv.writer(handle, lineterminator="\n")
            truth.writerow(GROUND_TRUTH_COLUMNS)
            self._variant_truth = csv.writer(variant_handle, lineterminator="\n")
            self._variant_truth.writerow(VARIANT_TRUTH_COLUMNS)
            self._dicom_truth = csv.writer(dcm, lineterminator="\n")
            self._dicom_truth.writerow(DICOM_TRUTH_COLUMNS)
            self._generate(truth, logs)
            if self.registries is not None:
                truth.writerows(
                    write_registries(
                        self.registries,
                        self.province,
                        out / "registries",
                        scope_codes=appendix_codes(),
                    )
                )
                self.labels.update(self.registries.labels)
            logs.flush()
            for ma_cskcb in sorted(self._buffers):
                self._flush(ma_cskcb)
        result = SynthResult(
            out=out,
            claims=self.config.claims,
            files=self.files,
            lines=self.lines,
            labels=self.labels,
            planned=self.planned,
            device_log_rows=logs.count,
            dicom_files=self.dicom_written,
            reference_files=reference_files,
            facilities=[f.ma_cskcb for f in self.province.facilities],
            variants=self.variant_files,
            routine={k: v for k, v in self.routine.items() if v},
        )
        self._manifest(result)
        return result

    def _generate(self, truth: CsvWriter, logs: DeviceLogs) -> None:
        """Build and emit every claim in order of arrival."""
        index = 0
        for day, count in enumerate(self.counts):
            arrivals = self._arrivals(day, count)
            for minute, emergency in arrivals:
                code = self.plan[index]
                if code == PAIR_SECOND:
                    second = self._pending_second
                    self._pending_second = None
                    if second is not None:
                        self._emit(second, truth, logs)
                    else:
                        self._emit(
                            self._clean(index, minute, emergency=emergency),
                            truth,
                            logs,
                        )
                    index += 1
                    continue
                self.builder.clock = minute + day * 1440
                overlap = PATTERN_CODE["machine_overlap"]
                if code == 0 and self._owed_overlaps:
                    code = overlap  # a failed overlap moves to the next clean claim
                ep = self._claim(
                    index, day * 1440 + minute, emergency=emergency, code=code
                )
                if code == overlap:
                    kept = any(x.pattern == "machine_overlap" for x in ep.labels)
                    late = self.plan[index] == 0
                    self._owed_overlaps += (0 if kept else 1) - (1 if late else 0)
                self._emit(ep, truth, logs)
                index += 1
        self._facility_rows(truth)

    def _arrivals(self, day: int, count: int) -> list[tuple[int, bool]]:
        rng = stream(self.config.seed, "day", day)
        weekday = (self.config.month + timedelta(days=day)).weekday()
        out: list[tuple[int, bool]] = []
        for _ in range(count):
            if weekday == 6 or rng.random() < _EMERGENCY_SHARE:  # noqa: PLR2004 - Sunday
                out.append((rng.randrange(1440), True))
            elif weekday == 5 or rng.random() < 0.68:  # noqa: PLR2004 - Saturday: mornings
                out.append((rng.randrange(420, 690), False))
            else:
                out.append((rng.randrange(810, 990), False))
        out.sort()
        return out

    # -- claims -----------------------------------------------------------------------

    def _clean(self, index: int, arrival: int, *, emergency: bool) -> Episode:
        rng = stream(self.config.seed, "claim", index)
        for _ in range(20):
            facility = self.builder.pick_facility(rng, emergency=emergency)
            recipe = self.builder.pick_recipe(
                rng, facility, emergency=emergency, allowed=None
            )
            if recipe is None:
                continue
            inpatient = facility.has_beds and rng.random() < recipe.inpatient
            lines = self.builder.plan(rng, facility, recipe, inpatient=inpatient)
            # Lines on lent analysers past their contract belong to the pattern:
            # without it (a clean province) those analysers stand idle.
            self.builder.routine = self.rates["machine_lent_after_stop"] > 0
            try:
                ep = self.builder.episode(
                    rng,
                    index=index,
                    arrival=arrival,
                    emergency=emergency,
                    facility=facility,
                    recipe=recipe,
                    lines=lines,
                    inpatient=inpatient,
                )
            finally:
                self.builder.routine = False
            self._label_routine(ep)
            return ep
        msg = "no facility can perform any recipe"
        raise RuntimeError(msg)

    def _label_routine(self, ep: Episode) -> None:
        """Label the lines a clean claim billed on a lent analyser past its contract.

        Under the law in force they are TB006 ``review`` (Resolution 30/NQ-CP pays
        them only while the contract's reagents last, which the facility must show).
        """
        expired = {m.ma_may: m for m in ep.facility.lent_review}
        for line in ep.lines:
            machine = expired.get(line.ma_may)
            if machine is None:
                continue
            self.routine["machine_lent_after_stop"] += 1
            ep.labels.append(
                Label(
                    "machine_lent_after_stop",
                    f"{line.ma_may} lent by a reagent supplier (muon_nha_thau), "
                    f"contract ended {machine.contract_to}",
                    line=line,
                )
            )

    def _claim(
        self, index: int, arrival: int, *, emergency: bool, code: int
    ) -> Episode:
        if code == 0:
            return self._clean(index, arrival, emergency=emergency)
        pattern = PATTERNS[code - 1].name
        rng = stream(self.config.seed, "claim", index)
        day = arrival // 1440
        if emergency:
            # Planted claims come in working hours, never as emergencies.
            arrival = day * 1440 + rng.randrange(450, 960)
        built = self._planted(rng, index, arrival, pattern, day)
        if built is None:
            return self._clean(index, arrival, emergency=False)
        return built

    def _planted(  # noqa: PLR0911, PLR0912 - one branch per pattern
        self, rng: random.Random, index: int, arrival: int, pattern: str, day: int
    ) -> Episode | None:
        b = self.builder
        if pattern == "volume_outlier" and self.volume_facility is None:
            return None
        if pattern == "busy_honest" and day not in self.busy_people:
            return None
        dual: tuple[Practitioner, str, str] | None = None
        for _ in range(60):
            forced: Facility | None = None
            allowed: set[str] | None = None
            force: frozenset[str] = frozenset()
            if pattern == "volume_outlier":
                forced, allowed, force = (
                    self.volume_facility,
                    set(_GI_RECIPES),
                    frozenset({ABDOMINAL_US}),
                )
            elif pattern == "impossible_day":
                if day not in self.day_doctors:
                    return None
                forced = self.day_doctors[day][0]
                allowed, force = set(_CARDIAC_RECIPES), frozenset({ECHO_CODE})
            elif pattern == "practitioner_two_places":
                if not self.province.dual:
                    return None
                dual = rng.choice(self.province.dual)
                forced = next(
                    f for f in self.province.facilities if f.ma_cskcb == dual[1]
                )
                force = frozenset({Kind.US, Kind.ECHO})
            elif pattern == "busy_honest":
                forced = self.busy_people[day][0]
                force = frozenset({Kind.XRAY})
            elif pattern == "diagnosis_not_supporting":
                allowed = set(UNSUPPORTED_INDICATION)
            elif pattern == "frequency_over_limit":
                allowed, force = {"tuberculosis"}, frozenset({AFB_CODE})
            elif pattern == "unbundling_cv266":
                force = frozenset(_UNBUNDLE_PAID)
            elif pattern == "ct_contrast_without_drug":
                force = frozenset({Kind.CT_CONTRAST})
            elif pattern == "biopsy_without_histology":
                force = frozenset({Kind.ENDO_BIOPSY})
            if allowed is None:
                allowed = _allowed(pattern, force)
            facility = forced or b.pick_facility(rng, emergency=False)
            recipe = b.pick_recipe(rng, facility, emergency=False, allowed=allowed)
            if recipe is None:
                if forced is not None and pattern != "practitioner_two_places":
                    return None
                continue
            inpatient = facility.has_beds and rng.random() < recipe.inpatient
            if pattern == "machine_overlap":
                # an outpatient's study comes soon after arrival, so the anchor holds
                inpatient = False
            lines = b.plan(rng, facility, recipe, inpatient=inpatient, force=force)
            target = self._prepare(rng, pattern, facility, recipe.key, lines)
            if target is None:
                continue
            if dual is not None:
                return self._two_places(
                    rng=rng,
                    index=index,
                    arrival=arrival,
                    dual=dual,
                    host=facility,
                    recipe_first=recipe,
                    lines=lines,
                    target=target,
                    inpatient=inpatient,
                )
            ep = b.episode(
                rng,
                index=index,
                arrival=arrival,
                emergency=False,
                facility=facility,
                recipe=recipe,
                lines=lines,
                inpatient=inpatient,
                anchored=target if target.overlap is not None else None,
            )
            label = self._post(rng, pattern, ep, target)
            if label is None:
                return ep
            ep.labels.append(label)
            return ep
        return None

    def _prepare(  # noqa: PLR0911, PLR0912, PLR0915 - one branch per pattern
        self,
        rng: random.Random,
        pattern: str,
        facility: Facility,
        recipe: str,
        lines: list[Line],
    ) -> Line | None:
        """Check the plan can carry ``pattern``, set overrides, return the target."""
        b = self.builder
        imaging = [x for x in lines if x.kind in IMAGING_KINDS]
        labs = [x for x in lines if x.kind is Kind.LAB]
        if pattern in {"price_above_approved", "result_missing"}:
            return rng.choice(imaging) if imaging else None
        if pattern == "service_not_in_catalogue":
            xr = [
                x
                for x in lines
                if x.kind is Kind.XRAY and x.code[:7] in facility.not_listed
            ]
            return rng.choice(xr) if xr else None
        if pattern == "unbundling_cv266":
            paid = [x for x in lines if x.code in _UNBUNDLE_PAID]
            if (
                not paid
                or ABDOMINAL_US not in facility.catalogue
                or any(x.code == ABDOMINAL_US for x in lines)
            ):
                return None
            extra = b.new_line(facility, ABDOMINAL_US)
            extra.seq = 1
            lines.append(extra)
            return extra
        if pattern == "ct_contrast_without_drug":
            ct = [x for x in lines if x.kind is Kind.CT_CONTRAST]
            return ct[0] if ct else None
        if pattern == "biopsy_without_histology":
            bx = [x for x in lines if x.kind is Kind.ENDO_BIOPSY]
            histo = [x for x in lines if x.code == HISTOLOGY_CODE]
            if not bx or not histo:
                return None
            for h in histo:
                lines.remove(h)
            return bx[0]
        if pattern in {"duplicate_line", "order_after_discharge"}:
            return rng.choice(labs) if labs else None
        if pattern == "frequency_over_limit":
            afb = [x for x in lines if x.code == AFB_CODE]
            return afb[0] if afb else None
        if pattern == "diagnosis_not_supporting":
            code = UNSUPPORTED_INDICATION.get(recipe)
            if (
                code is None
                or code not in facility.catalogue
                or not facility.has_group("XQ")
            ):
                return None
            extra = b.new_line(facility, code)
            lines.append(extra)
            return extra
        if pattern == "practitioner_unlicensed":
            options = [
                (x, p)
                for x in lines
                if x.kind not in {Kind.BED, Kind.EXAM, Kind.HISTOLOGY}
                for p in facility.flawed_staff
                if p.role == performer_role(facility, x.kind)
            ]
            if not options:
                return None
            line, person = rng.choice(options)
            line.performer_override = person
            return line
        if pattern == "practitioner_out_of_scope":
            us = [x for x in lines if x.kind in {Kind.US, Kind.ECHO}]
            people = [
                p
                for r in (
                    Role.INTERNIST,
                    Role.PEDIATRICIAN,
                    Role.OBGYN,
                    Role.DERMATOLOGIST,
                )
                for p in facility.staff.get(r, [])
            ]
            if not us or not people or facility.tier is Tier.COMMUNE:
                return None
            line = rng.choice(us)
            line.performer_override = rng.choice(people)
            return line
        if pattern in {
            "machine_undeclared",
            "machine_outside_period",
            "machine_lent_after_stop",
        }:
            key: str | None = None
            if pattern == "machine_outside_period":
                key = "retired"
            elif pattern == "machine_lent_after_stop" and facility.lent_review:
                # From 05/11/2022 the law pays a lent analyser per its contract:
                # what TB006 flags is a line after the contract's end.
                expired = rng.choice(facility.lent_review)
                labs = [
                    x
                    for x in lines
                    if x.group == expired.group and x.kind is not Kind.HISTOLOGY
                ]
                if not labs:
                    return None
                target = rng.choice(labs)
                target.machine_override = expired
                return target
            elif pattern == "machine_lent_after_stop":
                if self.config.month >= LENT_PAID_AGAIN_FROM:
                    return None
                lent = [
                    k
                    for k in ("lent", "lent_signed_after")
                    if k in facility.odd_machines
                ]
                key = rng.choice(lent) if lent else "lent"
            for x in lines:
                odd = facility.odd_machines.get(key or f"undeclared_{x.group}")
                if (
                    odd is not None
                    and odd.group == x.group
                    and x.kind is not Kind.HISTOLOGY
                ):
                    x.machine_override = odd
                    return x
            return None
        if pattern == "volume_outlier":
            us = [x for x in lines if x.code == ABDOMINAL_US]
            return us[0] if us else None
        if pattern == "impossible_day":
            echo = [x for x in lines if x.code == ECHO_CODE]
            if not echo:
                return None
            day = self.builder.clock // 1440
            doctor = self.day_doctors[day][1]
            echo[0].performer_override = doctor
            echo[0].hidden_performer = True
            return echo[0]
        if pattern == "practitioner_two_places":
            us = [x for x in lines if x.kind in {Kind.US, Kind.ECHO}]
            return us[0] if us else None
        if pattern == "machine_overlap":
            return b.overlap_target(rng, facility, lines)
        if pattern == "busy_honest":
            xr = [x for x in lines if x.kind is Kind.XRAY]
            if not xr:
                return None
            xr[0].performer_override = self.busy_people[b.clock // 1440][1]
            return xr[0]
        return None

    def _post(  # noqa: PLR0911, PLR0912, PLR0915 - one branch per pattern
        self, rng: random.Random, pattern: str, ep: Episode, line: Line
    ) -> Label | None:
        """Apply the changes that need no timeline; return the label."""
        facility = ep.facility
        if pattern == "price_above_approved":
            approved = line.price
            factor = Decimal(rng.randint(115, 160)) / 10_000
            line.price = (approved * factor).to_integral_value(ROUND_HALF_UP) * 100
            return Label(
                pattern, f"DON_GIA_BH {line.price} > M05 {approved}", line=line
            )
        if pattern == "service_not_in_catalogue":
            old = line.code
            code = rng.choice(facility.not_listed[old[:7]])
            row = next(r for r in sample_catalogue() if r["MA_DICH_VU"] == code)
            line.code = code
            line.name = row["TEN_DICH_VU"]
            line.price = Decimal(row["DON_GIA"])
            return Label(
                pattern,
                f"{code} not in M05 of {facility.ma_cskcb} (billed for {old})",
                line=line,
            )
        if pattern == "unbundling_cv266":
            paid = next(x.code for x in ep.lines if x.code in _UNBUNDLE_PAID)
            return Label(
                pattern, f"KT217 S.005.434: {ABDOMINAL_US} with {paid}", line=line
            )
        if pattern == "ct_contrast_without_drug":
            ep.drugs = [d for d in ep.drugs if d.service != line.code]
            return Label(
                pattern,
                f"{line.code} 'có thuốc cản quang' without contrast in XML2",
                line=line,
            )
        if pattern == "biopsy_without_histology":
            return Label(
                pattern,
                f"{line.code} 'có sinh thiết' without {HISTOLOGY_CODE}",
                line=line,
            )
        if pattern == "duplicate_line":
            copy = _copy_line(line)
            copy.results = False
            copy.seq = 5
            ep.lines.append(copy)
            return Label(
                pattern, f"{line.code} billed twice at the same NGAY_YL", line=copy
            )
        if pattern == "frequency_over_limit":
            last = line
            for k in (1, 2):
                extra = _copy_line(line)
                extra.yl = line.yl + 150 * k
                extra.th = line.th + 150 * k
                extra.kq = line.kq + 150 * k
                extra.seq = 5 + k
                ep.lines.append(extra)
                last = extra
            ep.discharge = max(ep.discharge, last.kq + 60)
            ep.payment = max(ep.payment, ep.discharge + 5)
            return Label(pattern, f"{AFB_CODE} 3 times on one day (limit 2)", line=last)
        if pattern == "diagnosis_not_supporting":
            return Label(
                pattern, f"{line.code} not indicated for {ep.recipe.icd}", line=line
            )
        if pattern == "practitioner_unlicensed":
            person = line.performer_override
            assert person is not None  # noqa: S101
            status, since, _ = person.licence[-1]
            detail = (
                f"{person.macchn} expired {person.licence[0][2]}"
                if person.flaw == "expired"
                else f"{person.macchn} {status} since {since}"
            )
            return Label(pattern, detail, line=line)
        if pattern == "practitioner_out_of_scope":
            person = line.performer_override
            assert person is not None  # noqa: S101
            return Label(
                pattern, f"{person.macchn} PHAMVI_CM {person.scope} lacks 18", line=line
            )
        if pattern == "machine_undeclared":
            return Label(
                pattern, f"{line.ma_may} not in M06 of {facility.ma_cskcb}", line=line
            )
        if pattern == "machine_outside_period":
            machine = line.machine_override
            assert machine is not None  # noqa: S101
            return Label(
                pattern, f"{line.ma_may} M06 DEN_NGAY {machine.valid_to}", line=line
            )
        if pattern == "machine_lent_after_stop":
            return Label(
                pattern,
                f"{line.ma_may} lent by a reagent supplier (muon_nha_thau)",
                line=line,
            )
        if pattern == "result_missing":
            line.results = False
            return Label(pattern, f"{line.code} without XML4 result", line=line)
        if pattern == "order_after_discharge":
            shift = ep.discharge + rng.randint(20, 240) - line.yl
            line.yl += shift
            line.th += shift
            line.kq += shift
            line.seq = 9
            return Label(pattern, f"{line.code} ordered after NGAY_RA", line=line)
        if pattern == "volume_outlier":
            return Label(pattern, f"{ABDOMINAL_US} at {facility.ma_cskcb}", line=line)
        if pattern == "impossible_day":
            return Label(
                pattern,
                f"{line.performer} billed for {IMPOSSIBLE_DAY_CLAIMS} echo studies",
                line=line,
            )
        if pattern == "machine_overlap":
            previous = line.overlap
            if line.anchor is None or previous is None or line.th != line.anchor:
                return None  # the anchor could not be kept: a clean claim
            return Label(
                pattern,
                f"{line.ma_may} starts {self.clock.iso_seconds(line.th * 60)} "
                f"while its previous study runs until "
                f"{self.clock.iso_seconds(previous[1] * 60)}",
                line=line,
            )
        if pattern == "busy_honest":
            return Label(
                pattern,
                f"{line.performer}: one of {BUSY_DAY_CLAIMS} X-rays that day, "
                "clean (must not be flagged)",
                line=line,
            )
        return None

    def _two_places(
        self,
        *,
        rng: random.Random,
        index: int,
        arrival: int,
        dual: tuple[Practitioner, str, str],
        host: Facility,
        recipe_first: object,
        lines: list[Line],
        target: Line,
        inpatient: bool,
    ) -> Episode | None:
        """Build both claims of a pair; the second waits for the next plan position."""
        from giamdinh.synth.clinical import Recipe  # noqa: PLC0415

        assert isinstance(recipe_first, Recipe)  # noqa: S101
        person, _, clinic_code = dual
        b = self.builder
        target.performer_override = person
        first = b.episode(
            rng,
            index=index,
            arrival=arrival,
            emergency=False,
            facility=host,
            recipe=recipe_first,
            lines=lines,
            inpatient=inpatient,
        )
        clinic = next(f for f in self.province.facilities if f.ma_cskcb == clinic_code)
        rng2 = stream(self.config.seed, "claim", index + 1)
        for _ in range(30):
            recipe = b.pick_recipe(rng2, clinic, emergency=False, allowed=None)
            if recipe is None:
                break
            plan = b.plan(
                rng2,
                clinic,
                recipe,
                inpatient=False,
                force=frozenset({Kind.US, Kind.ECHO}),
            )
            us = [x for x in plan if x.kind in {Kind.US, Kind.ECHO}]
            if not us:
                continue
            second_line = us[0]
            second_line.performer_override = person
            second_line.hidden_performer = True
            second_line.anchor = target.th + min(2, max(0, target.kq - target.th - 1))
            second = b.episode(
                rng2,
                index=index + 1,
                arrival=arrival,
                emergency=False,
                facility=clinic,
                recipe=recipe,
                lines=plan,
                inpatient=False,
                anchored=second_line,
            )
            kept = cast("int | None", second_line.anchor)
            if kept is not None and second_line.th < target.kq:
                first.labels.append(
                    Label(
                        "practitioner_two_places",
                        f"{person.macchn} also at {clinic.ma_cskcb} ({second.ma_lk})",
                        line=target,
                    )
                )
                second.labels.append(
                    Label(
                        "practitioner_two_places",
                        f"{person.macchn} also at {host.ma_cskcb} ({first.ma_lk})",
                        line=second_line,
                    )
                )
            else:
                _rehome(second, second_line, clinic, person)
            self._pending_second = second
            return first
        return first

    # -- writing ----------------------------------------------------------------------

    def _emit(self, ep: Episode, truth: CsvWriter, logs: DeviceLogs) -> None:
        rng = stream(self.config.seed, "records", ep.index)
        self.builder.settle(ep)
        number_lines(ep)
        records = claim_records(ep, self.clock, rng)
        for table, rows in records.items():
            self.lines[table] = self.lines.get(table, 0) + len(rows)
        if self.registries is not None:
            self.registries.observe(ep.facility.ma_cskcb, records)
        for label in ep.labels:
            stt = label.line.stt if label.line is not None else ""
            truth.writerow(
                (
                    ep.ma_lk,
                    ep.facility.ma_cskcb,
                    label.table,
                    stt,
                    label.pattern,
                    label.detail,
                )
            )
            self.labels[label.pattern] += 1
        for line in ep.lines:
            if line.log is None or not line.ma_may:
                continue
            uid = study_uid(self.config.seed, ep.ma_lk, line.stt)
            start, end = line.log
            logs.add(
                line.ma_may,
                uid,
                ma_lk=ep.ma_lk,
                stt=line.stt,
                start=self.clock.iso_seconds(start),
                end=self.clock.iso_seconds(end),
            )
            if self.dicom_written < self.config.dicom_files and dicom.supported(
                line.group
            ):
                self._dicom(ep, line, uid)
        self._queue(ep, records)

    def _dicom(self, ep: Episode, line: Line, uid: str) -> None:
        assert line.log is not None  # noqa: S101
        folder = self.out / "dicom"
        folder.mkdir(parents=True, exist_ok=True)
        p = ep.patient
        name = f"{ep.ma_lk}_{line.stt}.dcm"
        accession = dicom.accession_number(
            yymm=f"{self.config.month:%y%m}", claim=ep.index, stt=line.stt
        )
        dicom.write_study(
            folder / name,
            group=line.group,
            study=uid,
            ma_may=line.ma_may,
            accession=accession,
            order=f"{ep.ma_lk}/{line.stt}",
            stt=line.stt,
            patient_id=p.ma_bn,
            patient_name=p.name,
            birth=p.birth.strftime("%Y%m%d"),
            sex="M" if p.sex == 1 else "F",
            start=self.clock.dicom(line.log[0]),
            end=self.clock.dicom(line.log[1]),
            description=line.name,
        )
        self._dicom_truth.writerow(
            (f"dicom/{name}", accession, uid, ep.ma_lk, line.stt, line.ma_may)
        )
        self.dicom_written += 1

    def _queue(self, ep: Episode, records: ClaimRecords) -> None:
        code = ep.facility.ma_cskcb
        buffer = self._buffers.setdefault(code, [])
        buffer.append(records)
        self._buffer_day[code] = self.clock.compact_date(ep.payment)
        if len(buffer) >= self.config.claims_per_file:
            self._flush(code)

    def _flush(self, code: str) -> None:
        buffer = self._buffers.get(code)
        if not buffer:
            return
        folder = self._folders.get(code)
        if folder is None:
            folder = self._folders[code] = self.out / "claims" / code
            folder.mkdir(parents=True, exist_ok=True)
        if self.config.claims_per_file == 1:
            name = f"{buffer[0]['XML1'][0]['MA_LK']}.xml"
        else:
            number = self._file_no.get(code, 0) + 1
            self._file_no[code] = number
            name = f"{code}_{self.config.month:%Y%m}_{number:05d}.xml"
            for i, claim in enumerate(buffer, start=1):
                claim["XML1"][0]["STT"] = str(i)
        ngay_lap = self._buffer_day[code]
        data = self._variant_file(buffer, code=code, name=name, ngay_lap=ngay_lap)
        if data is None:
            data = envelope_bytes(buffer, ma_cskcb=code, ngay_lap=ngay_lap)
        (folder / name).write_bytes(data)
        self.files += 1
        buffer.clear()

    def _variant_file(
        self, buffer: list[ClaimRecords], *, code: str, name: str, ngay_lap: str
    ) -> bytes | None:
        """Write a file with its real-world variants and label them, if it has any.

        Returns:
            The file's bytes, or ``None`` when it is written as the clean writer does.
        """
        if not self._any_variant:
            return None
        chosen = variants.choose(
            self.variant_shares, seed=self.config.seed, ma_cskcb=code, name=name
        )
        if not chosen:
            return None
        file = f"claims/{code}/{name}"
        rows = variants.file_labels(chosen, file=file)
        rows += variants.apply_content(buffer, chosen, seed=self.config.seed, file=file)
        self._variant_truth.writerows(rows)
        for variant in {row[4] for row in rows}:
            self.variant_files[variant] += 1
        return variants.envelope_bytes(
            buffer, ma_cskcb=code, ngay_lap=ngay_lap, chosen=chosen
        )

    def _facility_rows(self, truth: CsvWriter) -> None:
        f = self.volume_facility
        if f is not None and self.labels["volume_outlier"]:
            truth.writerow(
                (
                    "",
                    f.ma_cskcb,
                    "XML3",
                    "",
                    "volume_outlier",
                    f"{ABDOMINAL_US} ordered far above peer facilities",
                )
            )

    def _manifest(self, result: SynthResult) -> None:
        c = self.config
        manifest = {
            "generator": "giamdinh.synth",
            "seed": c.seed,
            "month": f"{c.month:%Y-%m}",
            "province": c.province,
            "claims": c.claims,
            "facilities": result.facilities,
            "claims_per_file": c.claims_per_file,
            "anomaly_rate": c.anomaly_rate,
            "rates": {k: round(v, 6) for k, v in sorted(self.rates.items())},
            "planned": result.planned,
            "labels": result.labels,
            "routine": result.routine,
            "variant_share": c.variant_share,
            "variant_shares": {
                k: round(v, 6) for k, v in sorted(self.variant_shares.items())
            },
            "variants": result.variants,
            "counts": {
                "files": result.files,
                "lines": result.lines,
                "device_log_rows": result.device_log_rows,
                "dicom_files": result.dicom_files,
                "reference_files": result.reference_files,
            },
            "notes": {
                "impossible_day": f"clusters of {IMPOSSIBLE_DAY_CLAIMS} claims on one "
                "day (round(rate x claims / 120) clusters); none when no day has "
                f"{IMPOSSIBLE_DAY_CLAIMS * 6 // 5} claims",
                "machine_lent_after_stop": "0 for months before 2022-05-12 "
                "(lent machines were then paid, under 2009/BYT-KH-TC) and from "
                f"{LENT_PAID_AGAIN_FROM} to {LENT_SCENARIOS_FROM} (paid per contract "
                "again, no analyser past its contract yet); from "
                f"{LENT_SCENARIOS_FROM} planted on analysers past their contract, "
                "and every line clean claims bill on them is labelled too "
                "(counted in routine)",
            },
        }
        (self.out / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
            encoding="utf-8",
        )


_NEEDS: dict[str, frozenset[Kind]] = {
    "price_above_approved": frozenset(IMAGING_KINDS),
    "result_missing": frozenset(IMAGING_KINDS),
    "service_not_in_catalogue": frozenset({Kind.XRAY}),
    "duplicate_line": frozenset({Kind.LAB}),
    "order_after_discharge": frozenset({Kind.LAB}),
    "practitioner_out_of_scope": frozenset({Kind.US, Kind.ECHO}),
    "machine_undeclared": frozenset({Kind.XRAY, Kind.US, Kind.ECHO, Kind.CT}),
    "machine_outside_period": frozenset({Kind.XRAY, Kind.US, Kind.ECHO}),
    "machine_lent_after_stop": frozenset({Kind.LAB}),
    "machine_overlap": frozenset({Kind.XRAY, Kind.US, Kind.ECHO, Kind.CT}),
}


def _step_kinds(code: str) -> set[str]:
    if code.startswith("CT:"):
        return {Kind.CT_CONTRAST if code.endswith(":1") else Kind.CT}
    return {code, SERVICES[code].kind}


def _allowed(pattern: str, force: frozenset[str]) -> set[str] | None:
    """Return the recipes that can carry ``pattern`` (``None``: any)."""
    need = set(force) | set(_NEEDS.get(pattern, frozenset()))
    if not need:
        return None
    return {
        r.key
        for r in RECIPES
        if any(_step_kinds(c) & need for step in r.steps for c in step.codes)
    }


def _copy_line(line: Line) -> Line:
    return Line(
        code=line.code,
        kind=line.kind,
        info=line.info,
        name=line.name,
        price=line.price,
        day=line.day,
        qty=line.qty,
        tyle_dv=line.tyle_dv,
        department=line.department,
        bed=line.bed,
        orderer=line.orderer,
        performer=line.performer,
        reader=line.reader,
        yl=line.yl,
        th=line.th,
        kq=line.kq,
        ma_may=line.ma_may,
        group=line.group,
        log=None,
        results=line.results,
        abnormal=line.abnormal,
        seq=line.seq,
    )


def _rehome(ep: Episode, line: Line, facility: Facility, person: Practitioner) -> None:
    """Give a line whose planted overlap failed a real, free performer."""
    duration = max(1, line.kq - line.th)
    for candidate in facility.staff.get(Role.RADIOLOGIST, []):
        if candidate is person:
            continue
        if candidate.timeline.earliest(line.th, duration) == line.th:
            candidate.timeline.book(line.th, duration)
            line.performer = line.reader = candidate.macchn
            return
    if person.timeline.earliest(line.th, duration) == line.th:
        person.timeline.book(line.th, duration)
        return
    _ = ep


def generate(config: SynthConfig, out: Path) -> SynthResult:
    """Generate a synthetic province month into ``out``; return what was written."""
    return Generator(config, out).run()


__all__ = ["SynthResult", "day_counts", "generate"]
_ = date
