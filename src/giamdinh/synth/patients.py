"""Insured patients: card (``MA_THE_BHYT``), benefit level, age, sex and address.

A card number is 15 characters: a 2-letter beneficiary group, 1 benefit-level digit
(1, 2, 5 → 100 %; 3 → 95 %; 4 → 80 %), the 2-digit province and a 10-digit BHXH
number. Patients are drawn from a pool by number, so the same person comes back for
several visits, and each is rebuilt from the seed when needed (nothing is stored).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from giamdinh.synth.province import person_name
from giamdinh.synth.streams import stream

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


__all__ = ["LEVEL_RATE", "Patient", "make_patient"]
