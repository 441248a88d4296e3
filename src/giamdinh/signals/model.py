"""What a lead is: its stable code, the entities it names, its evidence and its lines.

A lead is a statistical sign that targets an inspection. Per the MoH position (its
letter of February 2026 on the QĐ 2775/2776 guidance, seeds 001/002) time is honest
evidence in aggregate but never a ground for refusal: a lead therefore never refuses
a line; its severity is ``review`` (joint verification with the facility) at most.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from giamdinh.domain import Basis, Finding, Location, Period, Severity
from giamdinh.rules.citations import cite

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalSpec:
    """One kind of lead: a stable code, a dotted name and what it means.

    Attributes:
        code: ``SG`` plus three digits; never reused.
        name: dotted snake-case name.
        title: one line, in English.
        title_vi: one line, in Vietnamese.
        entity: what the lead is about: ``practitioner``, ``machine`` or ``facility``.
    """

    code: str
    name: str
    title: str
    title_vi: str
    entity: str


SIGNALS: dict[str, SignalSpec] = {
    s.code: s
    for s in (
        SignalSpec(
            code="SG001",
            name="practitioner.impossible_day",
            title="Practitioner billed more conservative minutes than a day holds",
            title_vi="Người hành nghề có tổng thời gian tối thiểu vượt 24 giờ/ngày",
            entity="practitioner",
        ),
        SignalSpec(
            code="SG002",
            name="practitioner.over_declared_time",
            title="Practitioner billed more minutes than their declared working time",
            title_vi="Người hành nghề vượt thời gian làm việc đã đăng ký (Mẫu 02/DM)",
            entity="practitioner",
        ),
        SignalSpec(
            code="SG003",
            name="machine.over_capacity",
            title="Machine billed more studies in a day than it can run",
            title_vi="Máy được kê nhiều ca hơn công suất trong ngày",
            entity="machine",
        ),
        SignalSpec(
            code="SG004",
            name="machine.overlapping_studies",
            title="Overlapping studies on one machine",
            title_vi="Các ca chồng lấn thời gian trên cùng một máy",
            entity="machine",
        ),
        SignalSpec(
            code="SG005",
            name="machine.no_device_record",
            title="Studies billed on a machine without a device record",
            title_vi="Dịch vụ kê trên máy không có bản ghi thiết bị",
            entity="machine",
        ),
        SignalSpec(
            code="SG006",
            name="practitioner.two_places",
            title="Practitioner performing at two facilities at overlapping times",
            title_vi="Người hành nghề thực hiện tại hai cơ sở cùng thời điểm",
            entity="practitioner",
        ),
        SignalSpec(
            code="SG007",
            name="practitioner.not_registered",
            title="Practitioner performing at a facility where not registered (M02)",
            title_vi="Người hành nghề thực hiện tại cơ sở không đăng ký (Mẫu 02/DM)",
            entity="practitioner",
        ),
        SignalSpec(
            code="SG008",
            name="facility.peer_outlier",
            title="Facility bills a service far more than its peers would for the "
            "same patients",
            title_vi="Cơ sở chỉ định dịch vụ vượt xa các cơ sở cùng hạng với cùng"
            " nhóm người bệnh",
            entity="facility",
        ),
        SignalSpec(
            code="SG009",
            name="practitioner.licence_suspended_or_revoked",
            title="Licence suspended or revoked (any connected province) still on "
            "claims",
            title_vi="Giấy phép hành nghề bị đình chỉ, thu hồi (tại bất kỳ tỉnh nào) "
            "vẫn có trên hồ sơ",
            entity="practitioner",
        ),
        SignalSpec(
            code="SG010",
            name="practitioner.outside_registration",
            title="Practice at a facility, on a day or at an hour outside the "
            "registration to practise",
            title_vi="Hành nghề ngoài cơ sở, ngày hoặc giờ đã đăng ký hành nghề",
            entity="practitioner",
        ),
        SignalSpec(
            code="SG011",
            name="practitioner.two_provinces",
            title="Same person registered full time, or billing, in two provinces "
            "at once",
            title_vi="Cùng một người đăng ký toàn thời gian hoặc thực hiện dịch vụ "
            "tại hai tỉnh cùng lúc",
            entity="practitioner",
        ),
        SignalSpec(
            code="SG012",
            name="practitioner.technique_outside_title",
            title="Technique outside the scope of practice of the licence's title "
            "(TT 32/2023)",
            title_vi="Kỹ thuật ngoài phạm vi hành nghề của chức danh trên giấy phép "
            "(TT 32/2023)",
            entity="practitioner",
        ),
        SignalSpec(
            code="SG013",
            name="facility.technique_not_approved",
            title="Facility bills a technique its M05 does not list",
            title_vi="Cơ sở thanh toán kỹ thuật không có trong danh mục Mẫu 05/DM",
            entity="facility",
        ),
    )
}

#: Why a lead is a review and never a refusal (the MoH position on time criteria):
#: the Ministry's letter to the Ministry of Finance of February 2026 (its number and
#: day are not public; the press reported it on 11/02/2026), a row of the rules'
#: ``citations.csv`` with its sources.
BASIS_TIME_IS_EVIDENCE = cite("byt_2026_02_time")

#: The law behind the unauthorised-practice leads (``giamdinh.signals.registry``);
#: the other leads rest on the MoH position above. Verification status per row in
#: the rules' ``citations.csv``.
SIGNAL_BASES: dict[str, tuple[Basis, ...]] = {
    "SG009": (cite("luat_kbcb_2023/7"), cite("luat_kbcb_2023/35")),
    "SG010": (cite("luat_kbcb_2023/7"),),
    "SG011": (cite("luat_kbcb_2023/7"),),
    "SG012": (cite("luat_kbcb_2023/26.3"), cite("tt32_2023/scope")),
    "SG013": (cite("tt12_2026/10.1.c"),),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class LineRef:
    """One service line a lead involves: claim ``MA_LK`` and line ``STT``."""

    ma_lk: str
    stt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Lead:
    """One ranked, explained lead for inspection.

    Attributes:
        lead_id: stable id (hash of code, entities and period): rerunning the signals
            over the same claims gives the same id, so a review case can refer to it.
        code: ``SG001``…; see ``SIGNALS``.
        name: the signal's dotted name.
        severity: always ``review``: a lead opens a joint verification, never a refusal.
        period: the days the evidence covers (both inclusive).
        practitioner: practice-certificate number (CCHN), when about a person.
        machine: ``MA_MAY``, when about a machine.
        ma_cskcb: facility code(s), ``;``-separated when several.
        ma_dich_vu: service code, when about one service (peer comparison).
        message: what was seen, with the arithmetic, in Vietnamese.
        message_en: the same in English.
        arithmetic: the computation alone (``count × minutes = total``).
        evidence: the numbers behind the message.
        lines: the claim lines involved (at most ``max_lines_per_lead`` listed).
        n_lines: how many lines are involved in all (``None``: as many as listed).
        amount: insurer money at stake, in đồng (2 decimals).
        score: how far past the threshold (ratio or robust z), for ranking.
        outlier_score: unsupervised local-outlier factor, a secondary column only.
    """

    lead_id: str
    code: str
    name: str
    period: Period
    message: str
    message_en: str
    arithmetic: str
    amount: Decimal
    score: float
    severity: Severity = Severity.REVIEW
    practitioner: str | None = None
    machine: str | None = None
    ma_cskcb: str | None = None
    ma_dich_vu: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    lines: tuple[LineRef, ...] = ()
    n_lines: int | None = None
    outlier_score: float | None = None

    @property
    def claims(self) -> tuple[str, ...]:
        """Return the distinct claims (``MA_LK``) involved, in first-seen order."""
        return tuple(dict.fromkeys(line.ma_lk for line in self.lines))

    def findings(self) -> Iterator[Finding]:
        """Yield one ``review`` finding per line involved (the one finding stream)."""
        for line in self.lines:
            yield Finding(
                code=self.code,
                severity=Severity.REVIEW,
                message=self.message,
                message_en=self.message_en,
                location=Location(ma_lk=line.ma_lk, table="XML3", stt=line.stt),
                evidence={"lead_id": self.lead_id, **self.evidence},
                basis=SIGNAL_BASES.get(self.code, (BASIS_TIME_IS_EVIDENCE,)),
                ma_cskcb=self.ma_cskcb,
            )


_LINE = pa.struct([("ma_lk", pa.string()), ("stt", pa.int64())])

#: Arrow schema of the ``leads`` table written to the store.
LEADS_SCHEMA = pa.schema(
    [
        ("lead_id", pa.string()),
        ("code", pa.string()),
        ("name", pa.string()),
        ("severity", pa.string()),
        ("rank", pa.int64()),
        ("score", pa.float64()),
        ("amount", pa.decimal128(18, 2)),
        ("period_start", pa.date32()),
        ("period_end", pa.date32()),
        ("practitioner", pa.string()),
        ("machine", pa.string()),
        ("ma_cskcb", pa.string()),
        ("ma_dich_vu", pa.string()),
        ("message", pa.string()),
        ("message_en", pa.string()),
        ("arithmetic", pa.string()),
        ("evidence", pa.string()),
        ("n_lines", pa.int64()),
        ("claims", pa.list_(pa.string())),
        ("lines", pa.list_(_LINE)),
        ("outlier_score", pa.float64()),
    ]
)


def leads_from_table(table: pa.Table) -> list[Lead]:
    """Turn rows of a ``LEADS_SCHEMA`` table into ``Lead`` objects (rank order kept)."""
    leads: list[Lead] = []
    for row in table.to_pylist():
        raw_amount = row["amount"]
        leads.append(
            Lead(
                lead_id=row["lead_id"],
                code=row["code"],
                name=row["name"],
                severity=Severity(row["severity"]),
                period=Period(start=row["period_start"], end=row["period_end"]),
                practitioner=row["practitioner"],
                machine=row["machine"],
                ma_cskcb=row["ma_cskcb"],
                ma_dich_vu=row["ma_dich_vu"],
                message=row["message"],
                message_en=row["message_en"],
                arithmetic=row["arithmetic"],
                evidence=json.loads(row["evidence"]) if row["evidence"] else {},
                lines=tuple(
                    LineRef(ma_lk=item["ma_lk"], stt=int(item["stt"]))
                    for item in row["lines"] or ()
                ),
                n_lines=row["n_lines"],
                amount=Decimal(raw_amount) if raw_amount is not None else Decimal(0),
                score=float(row["score"] or 0.0),
                outlier_score=row["outlier_score"],
            )
        )
    return leads


def leads_to_table(leads: Iterable[Lead]) -> pa.Table:
    """Turn ``Lead`` objects into a ``LEADS_SCHEMA`` table, ranked in given order."""
    rows = [
        {
            "lead_id": lead.lead_id,
            "code": lead.code,
            "name": lead.name,
            "severity": str(lead.severity),
            "rank": rank,
            "score": lead.score,
            "amount": lead.amount,
            "period_start": lead.period.start,
            "period_end": lead.period.end,
            "practitioner": lead.practitioner,
            "machine": lead.machine,
            "ma_cskcb": lead.ma_cskcb,
            "ma_dich_vu": lead.ma_dich_vu,
            "message": lead.message,
            "message_en": lead.message_en,
            "arithmetic": lead.arithmetic,
            "evidence": json.dumps(lead.evidence, ensure_ascii=False, default=str),
            "n_lines": len(lead.lines) if lead.n_lines is None else lead.n_lines,
            "claims": list(lead.claims),
            "lines": [{"ma_lk": x.ma_lk, "stt": x.stt} for x in lead.lines],
            "outlier_score": lead.outlier_score,
        }
        for rank, lead in enumerate(leads, start=1)
    ]
    return pa.Table.from_pylist(rows, schema=LEADS_SCHEMA)
