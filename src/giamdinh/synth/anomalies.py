"""Planted anomalies: stable pattern names, their rates and where they go.

Every claim carries at most one pattern, so one anomaly never hides or creates another;
the clean majority uses only valid practitioners, declared machines in their period,
catalogue prices and complete records. The plan decides, before any claim is built,
which claim gets which pattern: the count of each pattern is ``round(rate × claims)``
(impossible-day clusters of 120, busy-but-honest days of 80 and pairs rounded to the
nearest whole group; a cluster needs a day with 6/5 of its size in claims), placed at
random positions drawn from the seed. It costs one byte per claim.

``busy_honest`` is not an anomaly: its lines are clean and labelled so that a signal
flagging one is a measured false positive. It and ``machine_overlap`` have weight 0:
planted only when ``rates`` names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from giamdinh.errors import ConfigError
from giamdinh.synth.streams import stream

if TYPE_CHECKING:
    from giamdinh.synth.config import SynthConfig


#: Claims of one busy-but-honest day (one X-ray each, one radiographer).
BUSY_DAY_CLAIMS = 80


@dataclass(frozen=True, slots=True)
class Pattern:
    """One kind of planted anomaly.

    Attributes:
        name: stable name written in ``ground_truth.csv``.
        weight: share of ``--anomaly-rate`` it gets by default.
        table: table of the labelled line (``table`` of ``ground_truth.csv``).
        field: the field of that line that carries the anomaly.
        description: what is planted (English).
    """

    name: str
    weight: float
    table: str
    field: str
    description: str


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "price_above_approved",
        1.0,
        "XML3",
        "DON_GIA_BH",
        "imaging line billed 15–60 % above the facility's M05 price",
    ),
    Pattern(
        "service_not_in_catalogue",
        1.0,
        "XML3",
        "MA_DICH_VU",
        "X-ray billed with a film variant code absent from the facility's M05",
    ),
    Pattern(
        "unbundling_cv266",
        1.0,
        "XML3",
        "MA_DICH_VU",
        "abdominal ultrasound billed with urinary-tract or uterine ultrasound "
        "(CV 266 KT217, S.005.434); the abdominal line is labelled",
    ),
    Pattern(
        "ct_contrast_without_drug",
        1.0,
        "XML3",
        "MA_DICH_VU",
        "CT billed at the 'with contrast' price without a contrast drug in XML2 "
        "(CV 266 KT183, S.005.442)",
    ),
    Pattern(
        "biopsy_without_histology",
        1.0,
        "XML3",
        "MA_DICH_VU",
        "endoscopy billed 'with biopsy' without a histology line "
        "(CV 266 KT64, S.005.658)",
    ),
    Pattern(
        "duplicate_line",
        1.0,
        "XML3",
        "MA_DICH_VU",
        "a lab line billed twice with the same code and order time; the copy is "
        "labelled",
    ),
    Pattern(
        "frequency_over_limit",
        0.5,
        "XML3",
        "SO_LUONG",
        "AFB smear billed 3 times on one day (limit 2/day, CV 266 KT184, "
        "S.005.650); the third is labelled",
    ),
    Pattern(
        "diagnosis_not_supporting",
        1.0,
        "XML3",
        "MA_BENH",
        "lumbar spine X-ray for a diagnosis that does not indicate it "
        "(dermatitis, upper respiratory infection, pregnancy)",
    ),
    Pattern(
        "practitioner_unlicensed",
        1.0,
        "XML3",
        "NGUOI_THUC_HIEN",
        "performer whose licence expired, was suspended or revoked before the "
        "service date (licences.csv)",
    ),
    Pattern(
        "practitioner_out_of_scope",
        1.0,
        "XML3",
        "NGUOI_THUC_HIEN",
        "ultrasound performed by a clinician whose PHAMVI_CM lacks 18 (imaging)",
    ),
    Pattern(
        "practitioner_two_places",
        0.5,
        "XML3",
        "NGUOI_THUC_HIEN",
        "one radiologist registered at a hospital and a clinic performs "
        "overlapping ultrasounds at both; both lines are labelled",
    ),
    Pattern(
        "impossible_day",
        0.5,
        "XML3",
        "NGUOI_THUC_HIEN",
        "one doctor is billed for 120 echocardiographies in one day (counted "
        "minutes above 24 h); every line of the day is labelled",
    ),
    Pattern(
        "machine_undeclared",
        1.0,
        "XML3",
        "MA_MAY",
        "imaging on a machine code absent from the facility's M06",
    ),
    Pattern(
        "machine_outside_period",
        1.0,
        "XML3",
        "MA_MAY",
        "imaging on a machine whose M06 row ended before the month",
    ),
    Pattern(
        "machine_lent_after_stop",
        1.0,
        "XML3",
        "MA_MAY",
        "lab test on an analyser lent by a reagent supplier that TB006 flags: "
        "during the stop (12/05/2022-04/11/2022, 1261/BHXH-CSYT) any, from "
        "05/11/2022 one after the contract's end (HD_DEN); clean claims' lines "
        "on such analysers are labelled too",
    ),
    Pattern(
        "result_missing",
        1.0,
        "XML3",
        "MA_DICH_VU",
        "imaging line without any XML4 result; the XML3 line is labelled",
    ),
    Pattern(
        "order_after_discharge",
        1.0,
        "XML3",
        "NGAY_YL",
        "lab line ordered after NGAY_RA",
    ),
    Pattern(
        "volume_outlier",
        1.0,
        "XML3",
        "MA_DICH_VU",
        "one district hospital orders abdominal ultrasound for its digestive "
        "patients far more than its peers; the extra lines are labelled and one "
        "facility-level row names the service",
    ),
    Pattern(
        "machine_overlap",
        0.0,
        "XML3",
        "NGAY_TH_YL",
        "an imaging study starts on one machine while the machine's previous study "
        "is still running, in the claim times (NGAY_TH_YL) and in the device log; "
        "the later study is labelled (for the signals; planted only by --rate)",
    ),
    Pattern(
        "busy_honest",
        0.0,
        "XML3",
        "NGUOI_THUC_HIEN",
        f"not an anomaly: one radiographer performs {BUSY_DAY_CLAIMS} short X-rays "
        "on one day, each at its own time on a free machine; every such line is "
        "labelled so that a signal flagging one is a false positive (planted only "
        "by --rate)",
    ),
)
PATTERN_NAMES: tuple[str, ...] = tuple(p.name for p in PATTERNS)
"""Stable names of the planted patterns, as written in ``ground_truth.csv``."""
PATTERN_DESCRIPTIONS: dict[str, str] = {p.name: p.description for p in PATTERNS}
"""Pattern name → one-line description of what is planted and which line is labelled."""
PATTERN_CODE: dict[str, int] = {p.name: i + 1 for i, p in enumerate(PATTERNS)}
#: Second claim of a two-places pair (plan code only, not a pattern name).
PAIR_SECOND = len(PATTERNS) + 1
IMPOSSIBLE_DAY_CLAIMS = 120
#: A day takes an impossible-day cluster only if it has this many claims, so the
#: cluster is at most 5/6 of that day's arrivals.
_CLUSTER_DAY_CLAIMS = IMPOSSIBLE_DAY_CLAIMS * 6 // 5
#: Patterns planted in whole days (clusters), not claim by claim.
_CLUSTERED = frozenset({"impossible_day", "practitioner_two_places", "busy_honest"})


def render_patterns_markdown() -> str:
    """Return the pattern table of ``docs/synth.md``.

    Columns: name, labelled table, field, default share of ``--anomaly-rate``,
    description.
    """
    total = sum(p.weight for p in PATTERNS)
    rows = [
        "| pattern | labelled table | field | share of --anomaly-rate "
        "| what is planted |",
        "|---|---|---|---|---|",
    ]
    rows += [
        f"| `{p.name}` | {p.table} | `{p.field}` | {p.weight / total:.3f} "
        f"| {p.description} |"
        for p in PATTERNS
    ]
    return "\n".join(rows) + "\n"


def pattern_rates(config: SynthConfig) -> dict[str, float]:
    """Return the share of claims of each pattern.

    Raises:
        ConfigError: If a rate names an unknown pattern or the rates add up to more
            than 1.
    """
    unknown = set(config.rates) - set(PATTERN_NAMES)
    if unknown:
        known = ", ".join(PATTERN_NAMES)
        msg = f"unknown anomaly patterns {sorted(unknown)}; known: {known}"
        raise ConfigError(msg)
    total = sum(p.weight for p in PATTERNS)
    rates = {p.name: config.anomaly_rate * p.weight / total for p in PATTERNS}
    rates.update(config.rates)
    if sum(rates.values()) > 1.0:
        msg = f"anomaly rates add up to {sum(rates.values()):.3f}, more than 1"
        raise ConfigError(msg)
    return rates


def make_plan(
    config: SynthConfig, day_ranges: list[tuple[int, int]], rates: dict[str, float]
) -> tuple[bytearray, dict[int, int]]:
    """Return the pattern code of every claim (0 = clean) and the impossible days.

    Busy-but-honest days take whole days too, never an impossible day's.

    Args:
        config: the run.
        day_ranges: ``(first index, end index)`` of the claims of each day.
        rates: share of claims of each pattern.

    Returns:
        The plan (one byte per claim) and, for each impossible day, its day number
        mapped to the cluster's ordinal.
    """
    n = config.claims
    rng = stream(config.seed, "plan")
    plan = bytearray(n)
    clusters: dict[int, int] = {}
    # Impossible days: whole clusters inside one day.
    want = round(rates.get("impossible_day", 0.0) * n / IMPOSSIBLE_DAY_CLAIMS)
    days = [d for d, (a, b) in enumerate(day_ranges) if b - a >= _CLUSTER_DAY_CLAIMS]
    rng.shuffle(days)
    for ordinal, day in enumerate(days[:want]):
        a, b = day_ranges[day]
        for i in rng.sample(range(a, b), IMPOSSIBLE_DAY_CLAIMS):
            plan[i] = PATTERN_CODE["impossible_day"]
        clusters[day] = ordinal
    # Two-places pairs: two neighbouring claims.
    pairs = round(rates.get("practitioner_two_places", 0.0) * n / 2)
    tries = 0
    while pairs and tries < 50 * n:
        tries += 1
        i = rng.randrange(max(1, n - 1))
        if i + 1 < n and plan[i] == 0 and plan[i + 1] == 0:
            plan[i] = PATTERN_CODE["practitioner_two_places"]
            plan[i + 1] = PAIR_SECOND
            pairs -= 1
    for pattern in PATTERNS:
        if pattern.name in _CLUSTERED:
            continue
        count = round(rates.get(pattern.name, 0.0) * n)
        placed = 0
        tries = 0
        while placed < count and tries < 50 * n:
            tries += 1
            i = rng.randrange(n)
            if plan[i] == 0:
                plan[i] = PATTERN_CODE[pattern.name]
                placed += 1
    # Busy-but-honest days last, among the claims still clean (no draw at rate 0, so
    # a configuration without them gives the same plan as before they existed).
    busy = round(rates.get("busy_honest", 0.0) * n / BUSY_DAY_CLAIMS)
    if busy:
        free_days = [
            (d, free)
            for d, (a, b) in enumerate(day_ranges)
            if d not in clusters
            and len(free := [i for i in range(a, b) if plan[i] == 0])
            >= BUSY_DAY_CLAIMS * 6 // 5
        ]
        rng.shuffle(free_days)
        for _, free in free_days[:busy]:
            for i in rng.sample(free, BUSY_DAY_CLAIMS):
                plan[i] = PATTERN_CODE["busy_honest"]
    return plan, clusters


__all__ = [
    "BUSY_DAY_CLAIMS",
    "IMPOSSIBLE_DAY_CLAIMS",
    "PAIR_SECOND",
    "PATTERNS",
    "PATTERN_CODE",
    "PATTERN_DESCRIPTIONS",
    "PATTERN_NAMES",
    "Pattern",
    "make_plan",
    "pattern_rates",
    "render_patterns_markdown",
]
