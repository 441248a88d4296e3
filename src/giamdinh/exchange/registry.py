"""The licence registry: facts, their effective-dated history, and who may state them.

Three kinds of fact travel between provinces (``docs/exchange.md``):

* ``licence``: a practice licence (``MACCHN``) and its holder, title and scope;
* ``licence_status``: a period of status (``active``, ``suspended``, ``revoked``)
  with the decision that set it;
* ``registration``: a person registered to practise at a facility (department,
  weekdays, hours, from … to).

Authority (enforced by :func:`apply_fact`): the licence and its status belong to
the *issuing* province; a registration belongs to the province of the facility
(the first two digits of ``MA_CSKCB``). A fact stated by another province is not
applied: it is kept in ``registry_refused`` and reported.

History: nothing is updated in place except ``replaced_at``, the moment a row
stopped being current; a change adds rows (``recorded_at``, ``source``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import bindparam, insert, or_, select, update

from giamdinh.db.models.registry import (
    RegistryLicence,
    RegistryLicenceStatus,
    RegistryPractitioner,
    RegistryRefused,
    RegistryRegistration,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy import Table
    from sqlalchemy.orm import Session

KINDS = ("licence", "licence_status", "registration")
STATUSES = ("active", "suspended", "revoked")

#: Who may state which fact: kind → the field naming the authoritative province.
AUTHORITY: dict[str, str] = {
    "licence": "issuing_province (the province that issued the licence)",
    "licence_status": "issuing_province (the province that issued the licence)",
    "registration": "MA_CSKCB[:2] (the province of the registering facility)",
}

#: Professional title (lower case, leading words) → the TT 32/2023/TT-BYT appendix
#: listing its techniques, as named in ``ref_scope_of_practice`` (the appendices
#: the project holds: ``giamdinh.refdata.national``).
TITLE_APPENDICES: dict[str, str] = {
    "bác sĩ y khoa": "PL V",
    "bác sỹ y khoa": "PL V",
    "kỹ thuật y": "PL XIV",
}

_PROVINCE = re.compile(r"^\d{2}$")
_ID = re.compile(r"^\d{12}$")
_HOUR = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DAYS = re.compile(r"^[1-7]{1,7}$")


class FactError(ValueError):
    """A fact is malformed or not the sender's to state (Vietnamese and English)."""

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(f"{message} / {message_en}")
        self.message = message
        self.message_en = message_en


# ------------------------------------------------------------------ facts


def _text(fact: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    value = fact.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FactError(f"thiếu trường {name}", f"field {name} missing")
        return ""
    if not isinstance(value, str):
        raise FactError(
            f"trường {name} phải là chuỗi: {value!r}",
            f"field {name} must be text: {value!r}",
        )
    return value.strip()


def _day(fact: Mapping[str, Any], name: str, *, required: bool = True) -> date | None:
    text = _text(fact, name, required=required)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FactError(
            f"trường {name} không phải ngày YYYY-MM-DD: {text!r}",
            f"field {name} is not a YYYY-MM-DD date: {text!r}",
        ) from None


def _match(value: str, pattern: re.Pattern[str], name: str, what: str) -> str:
    if not pattern.match(value):
        raise FactError(
            f"trường {name} sai định dạng ({what}): {value!r}",
            f"field {name} is malformed ({what}): {value!r}",
        )
    return value


def _period(start: date, end: date | None, name: str) -> None:
    if end is not None and end < start:
        raise FactError(
            f"{name}: ngày kết thúc {end} trước ngày bắt đầu {start}",
            f"{name}: end {end} is before start {start}",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenceFact:
    """A practice licence and its holder (kind ``licence``)."""

    macchn: str
    so_dinh_danh: str
    ho_ten: str
    issuing_province: str
    chuc_danh: str
    pham_vi: str
    ngay_cap: date
    ngay_het_han: date | None
    source: str = ""

    @classmethod
    def parse(cls, fact: Mapping[str, Any]) -> LicenceFact:
        """Return the fact, or raise :class:`FactError` naming the bad field."""
        issued = _day(fact, "ngay_cap")
        assert issued is not None  # noqa: S101 - required above
        expires = _day(fact, "ngay_het_han", required=False)
        _period(issued, expires, "ngay_cap…ngay_het_han")
        return cls(
            macchn=_text(fact, "macchn"),
            so_dinh_danh=_match(
                _text(fact, "so_dinh_danh"), _ID, "so_dinh_danh", "12 chữ số/digits"
            ),
            ho_ten=_text(fact, "ho_ten"),
            issuing_province=_match(
                _text(fact, "issuing_province"),
                _PROVINCE,
                "issuing_province",
                "2 chữ số/digits",
            ),
            chuc_danh=_text(fact, "chuc_danh"),
            pham_vi=_text(fact, "pham_vi", required=False),
            ngay_cap=issued,
            ngay_het_han=expires,
            source=_text(fact, "source", required=False),
        )

    def to_json(self) -> dict[str, Any]:
        """Return the fact as it travels in a feed entry."""
        return {
            "macchn": self.macchn,
            "so_dinh_danh": self.so_dinh_danh,
            "ho_ten": self.ho_ten,
            "issuing_province": self.issuing_province,
            "chuc_danh": self.chuc_danh,
            "pham_vi": self.pham_vi,
            "ngay_cap": self.ngay_cap.isoformat(),
            "ngay_het_han": _iso(self.ngay_het_han),
            "source": self.source,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusFact:
    """A period of a licence's status and its decision (kind ``licence_status``)."""

    macchn: str
    issuing_province: str
    status: str
    valid_from: date
    valid_to: date | None
    decision_no: str
    decision_date: date | None
    source: str = ""

    @classmethod
    def parse(cls, fact: Mapping[str, Any]) -> StatusFact:
        """Return the fact, or raise :class:`FactError` naming the bad field."""
        start = _day(fact, "valid_from")
        assert start is not None  # noqa: S101 - required above
        end = _day(fact, "valid_to", required=False)
        _period(start, end, "valid_from…valid_to")
        status = _text(fact, "status")
        if status not in STATUSES:
            raise FactError(
                f"trạng thái {status!r} không hợp lệ (active/suspended/revoked)",
                f"status {status!r} is not one of active/suspended/revoked",
            )
        return cls(
            macchn=_text(fact, "macchn"),
            issuing_province=_match(
                _text(fact, "issuing_province"),
                _PROVINCE,
                "issuing_province",
                "2 chữ số/digits",
            ),
            status=status,
            valid_from=start,
            valid_to=end,
            decision_no=_text(fact, "decision_no", required=status != "active"),
            decision_date=_day(fact, "decision_date", required=False),
            source=_text(fact, "source", required=False),
        )

    def to_json(self) -> dict[str, Any]:
        """Return the fact as it travels in a feed entry."""
        return {
            "macchn": self.macchn,
            "issuing_province": self.issuing_province,
            "status": self.status,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": _iso(self.valid_to),
            "decision_no": self.decision_no,
            "decision_date": _iso(self.decision_date),
            "source": self.source,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationFact:
    """A registration to practise at a facility (kind ``registration``)."""

    ma_cskcb: str
    ma_khoa: str
    so_dinh_danh: str
    ho_ten: str
    macchn: str
    full_time: bool
    days: str
    hour_from: str
    hour_to: str
    valid_from: date
    valid_to: date | None
    source: str = ""

    @property
    def province(self) -> str:
        """Return the province of the facility (the first two digits of MA_CSKCB)."""
        return self.ma_cskcb[:2]

    @classmethod
    def parse(cls, fact: Mapping[str, Any]) -> RegistrationFact:
        """Return the fact, or raise :class:`FactError` naming the bad field."""
        start = _day(fact, "valid_from")
        assert start is not None  # noqa: S101 - required above
        end = _day(fact, "valid_to", required=False)
        _period(start, end, "valid_from…valid_to")
        ma_cskcb = _text(fact, "ma_cskcb")
        if not _PROVINCE.match(ma_cskcb[:2]):
            raise FactError(
                f"MA_CSKCB {ma_cskcb!r} không bắt đầu bằng mã tỉnh (2 chữ số)",
                f"MA_CSKCB {ma_cskcb!r} does not start with a province code",
            )
        hour_from = _match(_text(fact, "hour_from"), _HOUR, "hour_from", "HH:MM")
        hour_to = _match(_text(fact, "hour_to"), _HOUR, "hour_to", "HH:MM")
        if hour_to <= hour_from:
            raise FactError(
                f"giờ kết thúc {hour_to} không sau giờ bắt đầu {hour_from}",
                f"hour_to {hour_to} is not after hour_from {hour_from}",
            )
        full_time = fact.get("full_time", True)
        if not isinstance(full_time, bool):
            raise FactError(
                f"full_time phải là true/false: {full_time!r}",
                f"full_time must be true/false: {full_time!r}",
            )
        days = "".join(sorted(set(_text(fact, "days"))))
        return cls(
            ma_cskcb=ma_cskcb,
            ma_khoa=_text(fact, "ma_khoa", required=False),
            so_dinh_danh=_match(
                _text(fact, "so_dinh_danh"), _ID, "so_dinh_danh", "12 chữ số/digits"
            ),
            ho_ten=_text(fact, "ho_ten"),
            macchn=_text(fact, "macchn"),
            full_time=full_time,
            days=_match(days, _DAYS, "days", "thứ 1–7 ISO / ISO weekdays 1–7"),
            hour_from=hour_from,
            hour_to=hour_to,
            valid_from=start,
            valid_to=end,
            source=_text(fact, "source", required=False),
        )

    def to_json(self) -> dict[str, Any]:
        """Return the fact as it travels in a feed entry."""
        return {
            "ma_cskcb": self.ma_cskcb,
            "ma_khoa": self.ma_khoa,
            "so_dinh_danh": self.so_dinh_danh,
            "ho_ten": self.ho_ten,
            "macchn": self.macchn,
            "full_time": self.full_time,
            "days": self.days,
            "hour_from": self.hour_from,
            "hour_to": self.hour_to,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": _iso(self.valid_to),
            "source": self.source,
        }


Fact = LicenceFact | StatusFact | RegistrationFact


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def scope_appendix(chuc_danh: str) -> str:
    """Return the TT 32/2023 appendix of a professional title, ``""`` if not held."""
    title = " ".join(chuc_danh.lower().split())
    for prefix, appendix in TITLE_APPENDICES.items():
        if title.startswith(prefix):
            return appendix
    return ""


def parse_fact(kind: str, fact: Mapping[str, Any]) -> Fact:
    """Return the typed fact of a kind.

    Raises:
        FactError: unknown kind or malformed fact (the message names the field).
    """
    if kind == "licence":
        return LicenceFact.parse(fact)
    if kind == "licence_status":
        return StatusFact.parse(fact)
    if kind == "registration":
        return RegistrationFact.parse(fact)
    raise FactError(
        f"loại dữ kiện không biết: {kind!r} ({', '.join(KINDS)})",
        f"unknown kind of fact: {kind!r} ({', '.join(KINDS)})",
    )


def kind_of(fact: Fact) -> str:
    """Return the kind name of a typed fact."""
    if isinstance(fact, LicenceFact):
        return "licence"
    if isinstance(fact, StatusFact):
        return "licence_status"
    return "registration"


# -------------------------------------------------------------- authority


_L = cast("Table", RegistryLicence.__table__)
_S = cast("Table", RegistryLicenceStatus.__table__)
_P = cast("Table", RegistryPractitioner.__table__)
_R = cast("Table", RegistryRegistration.__table__)
#: Far end of an open period in comparisons (both back ends hold it).
_OPEN_END = date(9999, 12, 31)

# NOTE: the statements of the apply path are built once: building a SQLAlchemy
# statement per entry cost more than running it (pulls apply millions).
_ISSUER = (
    select(_L.c.issuing_province)
    .where(_L.c.macchn == bindparam("m"), _L.c.replaced_at.is_(None))
    .limit(1)
)
_PERSON = select(_P.c.id).where(
    _P.c.so_dinh_danh == bindparam("i"), _P.c.ho_ten == bindparam("n")
)
_REPLACE_LICENCE = (
    update(_L)
    .where(_L.c.macchn == bindparam("m"), _L.c.replaced_at.is_(None))
    .values(replaced_at=bindparam("now"))
)
_HAS_STATUS = (
    select(_S.c.id)
    .where(_S.c.macchn == bindparam("m"), _S.c.replaced_at.is_(None))
    .limit(1)
)
_OVERLAPPING = select(_S).where(
    _S.c.macchn == bindparam("m"),
    _S.c.replaced_at.is_(None),
    or_(_S.c.valid_to.is_(None), _S.c.valid_to >= bindparam("start")),
    _S.c.valid_from <= bindparam("end"),
)
_REPLACE_STATUS = (
    update(_S)
    .where(_S.c.id.in_(bindparam("ids", expanding=True)))
    .values(replaced_at=bindparam("now"))
)
_REPLACE_REGISTRATION = (
    update(_R)
    .where(
        _R.c.ma_cskcb == bindparam("c"),
        _R.c.so_dinh_danh == bindparam("i"),
        _R.c.macchn == bindparam("m"),
        _R.c.ma_khoa == bindparam("k"),
        _R.c.replaced_at.is_(None),
    )
    .values(replaced_at=bindparam("now"))
)


def _issuer_of(session: Session, macchn: str) -> str | None:
    return session.execute(_ISSUER, {"m": macchn}).scalar()


def check_authority(session: Session, *, province: str, fact: Fact) -> None:
    """Refuse a fact ``province`` is not authoritative for.

    Raises:
        FactError: naming the fact, the sender and the authoritative province.
    """
    if isinstance(fact, RegistrationFact):
        owner = fact.province
        what = f"đăng ký hành nghề tại {fact.ma_cskcb}"
        what_en = f"registration at {fact.ma_cskcb}"
    else:
        owner = _issuer_of(session, fact.macchn) or fact.issuing_province
        what = f"giấy phép {fact.macchn}"
        what_en = f"licence {fact.macchn}"
        if fact.issuing_province != owner:
            raise FactError(
                f"{what} do tỉnh {owner} cấp, không phải {fact.issuing_province}",
                f"{what_en} was issued by province {owner}, not "
                f"{fact.issuing_province}",
            )
    if province != owner:
        raise FactError(
            f"tỉnh {province} không có thẩm quyền về {what} (thuộc tỉnh {owner})",
            f"province {province} is not authoritative for {what_en} "
            f"(province {owner} is)",
        )


# ------------------------------------------------------------------ apply


def apply_fact(
    session: Session, *, province: str, fact: Fact, source: str, now: datetime
) -> None:
    """Record a fact stated by ``province`` (authority checked first).

    Args:
        session: an open session (the caller commits).
        province: the province stating the fact (feed owner).
        fact: the typed fact.
        source: where it comes from (``<province>#<seq>`` and the fact's own source).
        now: the recording time (aware).

    Raises:
        FactError: ``province`` is not authoritative for the fact.
    """
    check_authority(session, province=province, fact=fact)
    if isinstance(fact, LicenceFact):
        _apply_licence(session, fact, source=source, now=now)
    elif isinstance(fact, StatusFact):
        _apply_status(session, fact, source=source, now=now)
    else:
        _apply_registration(session, fact, source=source, now=now)


def record_refused(
    session: Session,
    *,
    province: str,
    seq: int,
    kind: str,
    fact: Mapping[str, Any],
    error: FactError,
    now: datetime,
) -> None:
    """Keep an entry that was not applied, with the reason."""
    session.add(
        RegistryRefused(
            province=province,
            seq=seq,
            kind=kind,
            fact=json.dumps(fact, ensure_ascii=False, sort_keys=True),
            reason=error.message,
            reason_en=error.message_en,
            recorded_at=now,
        )
    )


def _person(
    session: Session, so_dinh_danh: str, ho_ten: str, *, source: str, now: datetime
) -> None:
    if session.execute(_PERSON, {"i": so_dinh_danh, "n": ho_ten}).first() is None:
        session.execute(
            insert(_P),
            {
                "so_dinh_danh": so_dinh_danh,
                "ho_ten": ho_ten,
                "recorded_at": now,
                "source": source,
            },
        )


def _apply_licence(
    session: Session, fact: LicenceFact, *, source: str, now: datetime
) -> None:
    _person(session, fact.so_dinh_danh, fact.ho_ten, source=source, now=now)
    session.execute(_REPLACE_LICENCE, {"m": fact.macchn, "now": now})
    session.execute(
        insert(_L),
        {
            "macchn": fact.macchn,
            "so_dinh_danh": fact.so_dinh_danh,
            "ho_ten": fact.ho_ten,
            "issuing_province": fact.issuing_province,
            "chuc_danh": fact.chuc_danh,
            "pham_vi": fact.pham_vi,
            "scope_appendix": scope_appendix(fact.chuc_danh),
            "ngay_cap": fact.ngay_cap,
            "ngay_het_han": fact.ngay_het_han,
            "recorded_at": now,
            "replaced_at": None,
            "source": source,
        },
    )
    if session.execute(_HAS_STATUS, {"m": fact.macchn}).first() is None:
        # NOTE: a licence granted is active from its issue date until it expires,
        # until a status decision says otherwise.
        _apply_status(
            session,
            StatusFact(
                macchn=fact.macchn,
                issuing_province=fact.issuing_province,
                status="active",
                valid_from=fact.ngay_cap,
                valid_to=fact.ngay_het_han,
                decision_no="",
                decision_date=fact.ngay_cap,
            ),
            source=source,
            now=now,
        )


def _apply_status(
    session: Session, fact: StatusFact, *, source: str, now: datetime
) -> None:
    start, end = fact.valid_from, fact.valid_to
    overlapping = session.execute(
        _OVERLAPPING, {"m": fact.macchn, "start": start, "end": end or _OPEN_END}
    ).all()
    rows: list[dict[str, Any]] = []
    for row in overlapping:
        pieces: list[tuple[date, date | None]] = []
        if row.valid_from < start:
            pieces.append((row.valid_from, start - timedelta(days=1)))
        if end is not None and (row.valid_to is None or row.valid_to > end):
            pieces.append((end + timedelta(days=1), row.valid_to))
        rows.extend(
            {
                "macchn": row.macchn,
                "issuing_province": row.issuing_province,
                "status": row.status,
                "valid_from": piece_from,
                "valid_to": piece_to,
                "decision_no": row.decision_no,
                "decision_date": row.decision_date,
                "recorded_at": now,
                "replaced_at": None,
                "source": row.source,
            }
            for piece_from, piece_to in pieces
        )
    if overlapping:
        session.execute(
            _REPLACE_STATUS, {"ids": [r.id for r in overlapping], "now": now}
        )
    rows.append(
        {
            "macchn": fact.macchn,
            "issuing_province": fact.issuing_province,
            "status": fact.status,
            "valid_from": start,
            "valid_to": end,
            "decision_no": fact.decision_no,
            "decision_date": fact.decision_date,
            "recorded_at": now,
            "replaced_at": None,
            "source": source,
        }
    )
    session.execute(insert(_S), rows)


def _apply_registration(
    session: Session, fact: RegistrationFact, *, source: str, now: datetime
) -> None:
    _person(session, fact.so_dinh_danh, fact.ho_ten, source=source, now=now)
    session.execute(
        _REPLACE_REGISTRATION,
        {
            "c": fact.ma_cskcb,
            "i": fact.so_dinh_danh,
            "m": fact.macchn,
            "k": fact.ma_khoa,
            "now": now,
        },
    )
    session.execute(
        insert(_R),
        {
            "province": fact.province,
            "ma_cskcb": fact.ma_cskcb,
            "ma_khoa": fact.ma_khoa,
            "so_dinh_danh": fact.so_dinh_danh,
            "ho_ten": fact.ho_ten,
            "macchn": fact.macchn,
            "full_time": fact.full_time,
            "days": fact.days,
            "hour_from": fact.hour_from,
            "hour_to": fact.hour_to,
            "valid_from": fact.valid_from,
            "valid_to": fact.valid_to,
            "recorded_at": now,
            "replaced_at": None,
            "source": source,
        },
    )


def is_current(session: Session, fact: Fact) -> bool:
    """Return whether the registry already holds exactly this fact (a no-op)."""
    if isinstance(fact, LicenceFact):
        row = session.scalar(
            select(RegistryLicence).where(
                RegistryLicence.macchn == fact.macchn,
                RegistryLicence.replaced_at.is_(None),
            )
        )
        return row is not None and (
            row.so_dinh_danh,
            row.ho_ten,
            row.issuing_province,
            row.chuc_danh,
            row.pham_vi,
            row.ngay_cap,
            row.ngay_het_han,
        ) == (
            fact.so_dinh_danh,
            fact.ho_ten,
            fact.issuing_province,
            fact.chuc_danh,
            fact.pham_vi,
            fact.ngay_cap,
            fact.ngay_het_han,
        )
    if isinstance(fact, StatusFact):
        return (
            session.scalar(
                select(RegistryLicenceStatus.id).where(
                    RegistryLicenceStatus.macchn == fact.macchn,
                    RegistryLicenceStatus.replaced_at.is_(None),
                    RegistryLicenceStatus.status == fact.status,
                    RegistryLicenceStatus.valid_from == fact.valid_from,
                    _same_end(RegistryLicenceStatus.valid_to, fact.valid_to),
                    RegistryLicenceStatus.decision_no == fact.decision_no,
                )
            )
            is not None
        )
    return (
        session.scalar(
            select(RegistryRegistration.id).where(
                RegistryRegistration.ma_cskcb == fact.ma_cskcb,
                RegistryRegistration.so_dinh_danh == fact.so_dinh_danh,
                RegistryRegistration.macchn == fact.macchn,
                RegistryRegistration.ma_khoa == fact.ma_khoa,
                RegistryRegistration.replaced_at.is_(None),
                RegistryRegistration.full_time == fact.full_time,
                RegistryRegistration.days == fact.days,
                RegistryRegistration.hour_from == fact.hour_from,
                RegistryRegistration.hour_to == fact.hour_to,
                RegistryRegistration.valid_from == fact.valid_from,
                _same_end(RegistryRegistration.valid_to, fact.valid_to),
            )
        )
        is not None
    )


def _same_end(column: Any, value: date | None) -> Any:
    return column.is_(None) if value is None else column == value


# ---------------------------------------------------------------- queries


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenceOnDay:
    """A licence of a person and its status on a day (``None``: no period)."""

    macchn: str
    issuing_province: str
    chuc_danh: str
    pham_vi: str
    scope_appendix: str
    status: str | None
    decision_no: str


def licences_of_person(
    session: Session, so_dinh_danh: str, on: date
) -> list[LicenceOnDay]:
    """Return every current licence of a person, any province, with a day's status."""
    out: list[LicenceOnDay] = []
    for lic in session.scalars(
        select(RegistryLicence)
        .where(
            RegistryLicence.so_dinh_danh == so_dinh_danh,
            RegistryLicence.replaced_at.is_(None),
        )
        .order_by(RegistryLicence.macchn)
    ):
        status = session.scalar(
            select(RegistryLicenceStatus).where(
                RegistryLicenceStatus.macchn == lic.macchn,
                RegistryLicenceStatus.replaced_at.is_(None),
                RegistryLicenceStatus.valid_from <= on,
                or_(
                    RegistryLicenceStatus.valid_to.is_(None),
                    RegistryLicenceStatus.valid_to >= on,
                ),
            )
        )
        out.append(
            LicenceOnDay(
                macchn=lic.macchn,
                issuing_province=lic.issuing_province,
                chuc_danh=lic.chuc_danh,
                pham_vi=lic.pham_vi,
                scope_appendix=lic.scope_appendix,
                status=None if status is None else status.status,
                decision_no="" if status is None else status.decision_no,
            )
        )
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class LicencePeriod:
    """A current status period of a licence with its holder (a ``ref_licences`` row)."""

    macchn: str
    ho_ten: str
    issuing_province: str
    pham_vi: str
    status: str
    valid_from: date
    valid_to: date | None
    source: str


def status_periods(session: Session) -> list[LicencePeriod]:
    """Return every current status period of every licence, any province.

    These are the ``ref_licences`` rows the rules read when a registry is used.
    """
    s, lic = RegistryLicenceStatus, RegistryLicence
    rows = session.execute(
        select(
            s.macchn,
            lic.ho_ten,
            s.issuing_province,
            lic.pham_vi,
            s.status,
            s.valid_from,
            s.valid_to,
            s.source,
        )
        .outerjoin(lic, (lic.macchn == s.macchn) & lic.replaced_at.is_(None))
        .where(s.replaced_at.is_(None))
        .order_by(s.macchn, s.valid_from)
    ).all()
    return [
        LicencePeriod(
            macchn=r[0],
            ho_ten=r[1] or "",
            issuing_province=r[2],
            pham_vi=r[3] or "",
            status=r[4],
            valid_from=r[5],
            valid_to=r[6],
            source=r[7],
        )
        for r in rows
    ]


def registrations_on(
    session: Session, on: date, *, so_dinh_danh: str | None = None
) -> list[RegistryRegistration]:
    """Return the current registrations in force on a day (of one person if given)."""
    query = select(RegistryRegistration).where(
        RegistryRegistration.replaced_at.is_(None),
        RegistryRegistration.valid_from <= on,
        or_(
            RegistryRegistration.valid_to.is_(None), RegistryRegistration.valid_to >= on
        ),
    )
    if so_dinh_danh is not None:
        query = query.where(RegistryRegistration.so_dinh_danh == so_dinh_danh)
    return list(
        session.scalars(
            query.order_by(RegistryRegistration.so_dinh_danh, RegistryRegistration.id)
        )
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Conflict:
    """Two full-time registrations of one person by two provinces that overlap.

    Both are kept; the conflict is a lead, not a correction.
    """

    so_dinh_danh: str
    first: RegistryRegistration
    second: RegistryRegistration
    days: str
    hours: tuple[str, str]
    period: tuple[date, date | None]


def registration_conflicts(session: Session) -> list[Conflict]:
    """Return the overlapping full-time registrations of a person by two provinces.

    Both registrations are current, their periods overlap, they share a weekday
    and their hours overlap.
    """
    a = RegistryRegistration.__table__.alias("a")
    b = RegistryRegistration.__table__.alias("b")
    pairs = session.execute(
        select(a.c.id, b.c.id).where(
            a.c.so_dinh_danh == b.c.so_dinh_danh,
            a.c.province < b.c.province,
            a.c.replaced_at.is_(None),
            b.c.replaced_at.is_(None),
            a.c.full_time.is_(True),
            b.c.full_time.is_(True),
            a.c.hour_from < b.c.hour_to,
            b.c.hour_from < a.c.hour_to,
            or_(a.c.valid_to.is_(None), a.c.valid_to >= b.c.valid_from),
            or_(b.c.valid_to.is_(None), b.c.valid_to >= a.c.valid_from),
        )
    ).all()
    out: list[Conflict] = []
    for first_id, second_id in pairs:
        first = session.get_one(RegistryRegistration, first_id)
        second = session.get_one(RegistryRegistration, second_id)
        days = "".join(sorted(set(first.days) & set(second.days)))
        if not days:
            continue
        ends = [d for d in (first.valid_to, second.valid_to) if d is not None]
        out.append(
            Conflict(
                so_dinh_danh=first.so_dinh_danh,
                first=first,
                second=second,
                days=days,
                hours=(
                    max(first.hour_from, second.hour_from),
                    min(first.hour_to, second.hour_to),
                ),
                period=(
                    max(first.valid_from, second.valid_from),
                    min(ends) if ends else None,
                ),
            )
        )
    return out


__all__ = [
    "AUTHORITY",
    "KINDS",
    "STATUSES",
    "TITLE_APPENDICES",
    "Conflict",
    "Fact",
    "FactError",
    "LicenceFact",
    "LicenceOnDay",
    "LicencePeriod",
    "RegistrationFact",
    "StatusFact",
    "apply_fact",
    "check_authority",
    "is_current",
    "kind_of",
    "licences_of_person",
    "parse_fact",
    "record_refused",
    "registration_conflicts",
    "registrations_on",
    "scope_appendix",
    "status_periods",
]
