"""Insured patients: card (``MA_THE_BHYT``), benefit level, age, sex and address.

A card number is 15 characters: a 2-letter beneficiary group, 1 benefit-level digit
(1, 2, 5 → 100 %; 3 → 95 %; 4 → 80 %), the 2-digit province and a 10-digit BHXH
number. Patients are drawn from a pool by number, so the same person comes back for
several visits, and each is rebuilt from the seed when needed (nothing is stored).

Each facility has its own catchment: a range of patient numbers in every (sex, ages)
class, sized by the facility's volume. Most visits come from the facility's own
catchment; a small share (``AWAY_SHARE``) are people of another facility's catchment
(referred, away from home, a second opinion). ``Visits`` remembers, while they can
still matter, when each patient's recent episodes end, so that one person is never
in two episodes at once, and is never seen at two facilities on the same day: on
the insurer's side both would be anomalies (TR002), and none is planted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from giamdinh.synth.province import person_name
from giamdinh.synth.streams import stream

if TYPE_CHECKING:
    import random
    from collections.abc import Sequence

#: Patient numbers of one (sex, ages) class: ``class × CLASS_STRIDE + k``.
CLASS_STRIDE = 10**6
#: Share of visits by a patient of another facility's catchment.
AWAY_SHARE = 0.06
#: Minutes between the end of one episode and the next arrival of the same patient
#: at the same facility.
SAME_FACILITY_GAP = 60
_DAY = 1440

LEVEL_RATE = {"1": 100, "2": 100, "3": 95, "4": 80, "5": 100}

_ADULT_GROUPS = (
    ("DN", "4", 35),
    ("HC", "4", 10),
    ("GD", "4", 30),
    ("HN", "2", 8),
    ("CN", "3", 10),
    ("BT", "2", 2),
    ("CC", "1", 2),
    ("QN", "5", 3),
)
_ELDER_GROUPS = (
    ("HT", "3", 40),
    ("GD", "4", 35),
    ("BT", "2", 10),
    ("CC", "1", 5),
    ("HN", "2", 10),
)
_STREETS = (
    "Nguyễn Trãi",
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Hùng Vương",
    "30 Tháng 4",
    "Cách Mạng Tháng 8",
    "Lý Thường Kiệt",
    "Phan Đình Phùng",
)


@dataclass(frozen=True, slots=True)
class Patient:
    """One insured person."""

    number: int
    ma_bn: str
    name: str
    sex: int
    birth: date
    card: str
    level: str
    dkbd: str
    card_from: date
    card_to: date
    cccd: str
    address: str
    district: str
    commune: str
    phone: str

    @property
    def rate(self) -> int:
        """Return the benefit percentage of the card level."""
        return LEVEL_RATE[self.level]

    def age(self, on: date) -> int:
        """Return the age in full years on ``on``."""
        years = on.year - self.birth.year
        if (on.month, on.day) < (self.birth.month, self.birth.day):
            years -= 1
        return years


def make_patient(
    *,
    seed: int,
    number: int,
    province: str,
    month_start: date,
    sex: int | None,
    ages: tuple[int, int],
    registration: list[str],
) -> Patient:
    """Rebuild patient ``number``, fitting ``sex`` and ``ages`` (the recipe's limits).

    The caller keeps one number range per (sex, ages) class, so a number always
    rebuilds the same person.
    """
    rng = stream(seed, "patient", number)
    sex = sex if sex is not None else rng.choice((1, 2))
    age = rng.randint(ages[0], ages[1])
    birth = date(month_start.year - age - 1, rng.randrange(1, 13), rng.randrange(1, 29))
    if (birth.month, birth.day) < (month_start.month, month_start.day):
        birth = date(birth.year + 1, birth.month, birth.day)
    if age < 6:  # noqa: PLR2004
        group, level = "TE", "1"
    elif age < 18:  # noqa: PLR2004
        group, level = "HS", "4"
    else:
        table = _ELDER_GROUPS if age >= 60 else _ADULT_GROUPS  # noqa: PLR2004
        group, level, _ = rng.choices(table, weights=[w for _, _, w in table])[0]
    bhxh = f"{province}{number % 10**8:08d}"
    district = f"9{rng.randrange(10, 40)}"
    commune = f"{district}{rng.randrange(10, 99)}"
    century = 0 if birth.year < 2000 else 2  # noqa: PLR2004
    tail = f"{birth.year % 100:02d}{rng.randrange(10**6):06d}"
    cccd = f"0{province}{century + sex - 1}{tail}"
    return Patient(
        number=number,
        ma_bn=f"BN{number:08d}",
        name=person_name(rng, sex).upper(),
        sex=sex,
        birth=birth,
        card=f"{group}{level}{province}{bhxh}",
        level=level,
        dkbd=rng.choice(registration),
        card_from=date(month_start.year, 1, 1),
        card_to=date(month_start.year, 12, 31),
        cccd=cccd,
        address=(
            f"Số {rng.randrange(1, 300)} đường {rng.choice(_STREETS)}, xã {commune}, "
            f"huyện {district}, Tỉnh Mẫu"
        ),
        district=district,
        commune=commune,
        phone=f"09{rng.randrange(10**8):08d}",
    )


class Catchments:
    """Patient numbers by home facility: one range per facility in every class."""

    def __init__(self, weights: Sequence[float], *, pool: int) -> None:
        """Split ``pool`` patients per class over facilities by ``weights``.

        Args:
            weights: the facilities' volume weights, in facility order.
            pool: patients per (sex, ages) class in the whole province.
        """
        total = sum(weights)
        self.ranges: list[tuple[int, int]] = []
        start = 0
        for weight in weights:
            size = max(5, round(pool * weight / total))
            self.ranges.append((start, size))
            start += size
        #: Numbers from here on are fresh patients, used when the catchment's
        #: people are all busy (rare: small catchments, long stays).
        self.fresh = start
        self._next_fresh = 0
        self.weights = list(weights)

    def home(self, rng: random.Random, facility: int) -> int:
        """Return the home facility of the next patient seen at ``facility``."""
        others = len(self.weights) - 1
        if others and rng.random() < AWAY_SHARE:
            weights = self.weights[:facility] + self.weights[facility + 1 :]
            home = rng.choices(range(others), weights)[0]
            return home if home < facility else home + 1
        return facility

    def draw(self, rng: random.Random, home: int, cls: int) -> int:
        """Return a patient number of ``home``'s catchment in class ``cls``."""
        start, size = self.ranges[home]
        return cls * CLASS_STRIDE + start + rng.randrange(size)

    def new_patient(self, cls: int) -> int:
        """Return the number of a patient never drawn before, in class ``cls``."""
        number = cls * CLASS_STRIDE + self.fresh + self._next_fresh
        self._next_fresh += 1
        return number


class Visits:
    """When each patient's recent episodes end, and where (bounded memory).

    Claims are built roughly in order of arrival, and a claim never arrives more
    than a day before the claim built just before it, so an episode that ended
    two days before the latest arrival can no longer meet a new one and is
    forgotten.
    """

    def __init__(self) -> None:
        self._ends: dict[int, list[list[int]]] = {}
        self._day = 0

    def free(self, number: int, *, facility: int, arrival: int) -> bool:
        """Whether patient ``number`` may arrive at ``facility`` at ``arrival``.

        Every earlier episode must have ended: at the same facility at least
        ``SAME_FACILITY_GAP`` minutes before, at another one on an earlier day.
        """
        for end, where, _ in self._ends.get(number, ()):
            if where == facility:
                if end > arrival - SAME_FACILITY_GAP:
                    return False
            elif end // _DAY >= arrival // _DAY:
                return False
        return True

    def book(self, number: int, *, facility: int, index: int, end: int) -> None:
        """Record that claim ``index`` of patient ``number`` runs until ``end``."""
        self._ends.setdefault(number, []).append([end, facility, index])

    def settle(self, number: int, *, index: int, end: int) -> None:
        """Move the end of claim ``index`` later (planted changes can extend it)."""
        for entry in self._ends.get(number, ()):
            if entry[2] == index:
                entry[0] = max(entry[0], end)

    def forget_before(self, day: int) -> None:
        """Forget the episodes that ended two days or more before ``day`` began."""
        if day <= self._day:
            return
        self._day = day
        limit = (day - 2) * _DAY
        stale = []
        for number, entries in self._ends.items():
            entries[:] = [e for e in entries if e[0] >= limit]
            if not entries:
                stale.append(number)
        for number in stale:
            del self._ends[number]

    def __len__(self) -> int:
        return len(self._ends)


__all__ = [
    "AWAY_SHARE",
    "CLASS_STRIDE",
    "LEVEL_RATE",
    "Catchments",
    "Patient",
    "Visits",
    "make_patient",
]
