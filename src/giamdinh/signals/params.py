"""Thresholds and conservative minutes of the signals, with the reasons for each value.

Every minute a signal counts is a *lower bound* of the real time, so that a flag means
something: a practitioner flagged for more than 24 hours counted this way worked more
than 24 hours even if every service took half its reference time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

#: Lower-bound minutes per machine group (the ``XX`` of ``MA_MAY``), used only when a
#: technique has no reference time and no norm. Far below the procedure-guidance
#: averages (an X-ray is 6 minutes in QĐ 2775/QĐ-BYT per the MoH letter, seed 001).
#: Laboratory analysers (HH, VS, SH, DC) run batches: they count 0 minutes.
GROUP_FLOOR_MINUTES: Mapping[str, float] = MappingProxyType(
    {
        "XQ": 2.0,
        "SA": 5.0,
        "CL": 5.0,
        "MRI": 15.0,
        "DSA": 20.0,
        "NS": 10.0,
        "ĐT": 2.0,
        "SP": 15.0,
        "PET": 15.0,
        "XH": 15.0,
        "XT": 5.0,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalParams:
    """Parameters of the signals; the defaults are the documented, conservative ones.

    Attributes:
        performer_fraction: share of the reference (or norm staff) minutes counted for
            the person who performs a service (``NGUOI_THUC_HIEN``).
        reader_fraction: share counted for the person who reads the result
            (``MA_BS_DOC_KQ``); a person who performs and reads a line counts once,
            with the larger share.
        machine_fraction: share of the reference minutes a study occupies its machine.
        group_floor_minutes: lower-bound minutes per machine group when a technique
            has no reference time.
        day_minutes: minutes in a day (SG001) and a machine's daily capacity (SG003).
        overtime_factor: declared daily working time times this factor is the most
            a person may lawfully work (Labour Code 2019 Art. 107: overtime at most
            50% of normal daily hours), the threshold of SG002.
        full_time_minutes: daily minutes of a full-time registration (``THOIGIAN_DK``
            = 1) that states no hours (Labour Code 2019 Art. 105: 8 hours a day).
        min_overlaps: overlapping pairs on one machine-day needed for SG004.
        travel_minutes: gap between two facilities' services under which a person
            cannot have moved (SG006); 0 means only true overlaps.
        peer_min_facilities: smallest peer group that is compared (SG008).
        peer_percentile: percentile rank a facility must reach in its peer group.
        peer_min_z: robust z-score (0.6745 × (x − median) / MAD, Iglewicz–Hoaglin)
            a facility must reach.
        peer_min_poisson_z: one-sided Poisson test (Byar's approximation) the count
            must pass against the count expected at the peer median rate; 3.09 is
            p = 0.001, the outer control limit of a funnel plot.
        peer_min_lines: smallest number of lines of a service at a facility compared.
        max_lines_per_lead: most lines listed in one lead (all are counted).
    """

    performer_fraction: float = 0.5
    reader_fraction: float = 0.25
    machine_fraction: float = 0.5
    group_floor_minutes: Mapping[str, float] = field(
        default_factory=lambda: GROUP_FLOOR_MINUTES
    )
    day_minutes: float = 1440.0
    overtime_factor: float = 1.5
    full_time_minutes: float = 480.0
    min_overlaps: int = 1
    travel_minutes: float = 0.0
    peer_min_facilities: int = 5
    peer_percentile: float = 0.9
    peer_min_z: float = 3.5
    peer_min_poisson_z: float = 3.09
    peer_min_lines: int = 10
    max_lines_per_lead: int = 5000
