# ruff: noqa: E501
# NOTE: the tables of demo data below are kept one row per line on purpose.
"""A seeded, synthetic norms programme matching the figures of seed 000.

What is real: the 17 hospitals named in seed 000, the programme totals at
11/11/2025 (assigned 9,033 / qualified 5,386 / drafts sent 2,790) and the techniques:
their codes, names and chapters come from appendix 01 of TT 23/2024/TT-BYT
(:mod:`giamdinh.norms.catalogue`). Everything else is **synthetic** and says so: the
per-hospital split (apportioned from made-up weights), which technique goes to which
hospital, states and dates, quantities, volumes, machine values and prices.

Which techniques: the hospitals' shares of the 9,033 are dealt one technique at a
time, each hospital taking in turn from its specialty chapters (``HOSPITALS``); in
each chapter first the techniques appendix 02 links to (the programme's list, as far
as the copy holds it), then the others, each in code order; a hospital whose chapters
run out goes on in ``OVERFLOW_CHAPTERS`` (``_deal``).
Only techniques with a code ``XX.YYYY`` and a complete name are drawn (not the
``BS_`` techniques added in 2024, which have no such code).

The imaging techniques and the radiotherapy techniques that the list has (linac
12.0344, IMRT 12.0345, Cobalt 12.0353, HDR 12.0349, CT simulation 12.0421, planning
12.0383) carry their real codes and names, so the published norms join real claim
lines (``MA_DICH_VU`` ``18.0119.0028`` → ``18.0119``); the radiotherapy techniques the
list lacks (VMAT, IGRT, SBRT, SRS, electrons, TBI, QA, multileaf set-up) carry codes
``12.93xx``, outside the real list, and descriptive names.

Imaging and radiotherapy techniques (35) carry full drafts from 3-6 hospitals each,
with one hospital now and then far from the others (so comparison has outliers to
show) and radiotherapy volumes from ~6,000 to ~28,000 sessions a year (so the volume
effect of the seed's K Hospital example shows up).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select, update

from giamdinh.db.models.norms import (
    NormAssignment,
    NormComment,
    NormEvent,
    NormHospital,
    NormTechnique,
)
from giamdinh.errors import ConfigError
from giamdinh.norms import catalogue
from giamdinh.norms.consolidate import consolidate
from giamdinh.norms.model import (
    DraftSpec,
    Evidence,
    LineCategory,
    NormLineSpec,
    Price,
    PriceBook,
)
from giamdinh.norms.store import (
    chapter_of,
    latest_drafts,
    save_draft,
    save_national,
    save_price_book,
)
from giamdinh.norms.workflow import DraftState, NotQualifiedReason

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

TOTAL_ASSIGNED = 9033
TOTAL_QUALIFIED = 5386
TOTAL_SENT = 2790
REPORT_DAY = date(2025, 11, 11)
ACTOR = "demo"

# code, Vietnamese name, English name (seed 000), assignment weight, share qualified,
# share of qualified sent, specialty chapters. Weights and shares are synthetic.
HOSPITALS: tuple[tuple[str, str, str, int, str, str, tuple[str, ...]], ...] = (
    ("BACHMAI", "Bệnh viện Bạch Mai", "Bach Mai Hospital", 16, "0.62", "0.55", ("01", "02", "12", "18", "21", "22", "23")),
    ("VIETDUC", "Bệnh viện Hữu nghị Việt Đức", "Viet Duc Friendship Hospital", 10, "0.60", "0.50", ("10", "18", "27", "26")),
    ("DALIEUTW", "Bệnh viện Da liễu Trung ương", "Central Dermatology Hospital", 3, "0.58", "0.48", ("05",)),
    ("DHYDHCM", "Bệnh viện Đại học Y Dược TP. Hồ Chí Minh", "Ho Chi Minh City University of Medicine and Pharmacy Hospital", 8, "0.60", "0.52", ("02", "10", "12", "18", "20", "27")),
    ("MATTW", "Bệnh viện Mắt Trung ương", "Central Eye Hospital", 4, "0.64", "0.56", ("14",)),
    ("TMHTW", "Bệnh viện Tai Mũi Họng Trung ương", "Central Ear, Nose and Throat Hospital", 4, "0.61", "0.50", ("15",)),
    ("PHUSANTW", "Bệnh viện Phụ sản Trung ương", "Central Obstetrics Hospital", 4, "0.60", "0.53", ("13",)),
    ("PHUSANHN", "Bệnh viện Phụ sản Hà Nội", "Hanoi Obstetrics Hospital", 3, "0.55", "0.45", ("13",)),
    ("BONGQG", "Bệnh viện Bỏng Quốc gia", "National Burn Hospital", 3, "0.57", "0.50", ("11",)),
    ("MATDN", "Bệnh viện Mắt Đà Nẵng", "Da Nang Eye Hospital", 2, "0.52", "0.45", ("14",)),
    ("NOITIETTW", "Bệnh viện Nội tiết Trung ương", "Central Endocrinology Hospital", 3, "0.59", "0.50", ("07", "23")),
    ("RHMTW", "Bệnh viện Răng Hàm Mặt Trung ương", "Central Hospital of Dentistry and Jaw", 3, "0.60", "0.52", ("16",)),
    ("HUETW", "Bệnh viện Trung ương Huế", "Hue Central Hospital", 12, "0.58", "0.50", ("02", "03", "10", "12", "18", "21")),
    ("NHIETDOITW", "Bệnh viện Bệnh Nhiệt đới Trung ương", "Central Hospital of Tropical Diseases", 3, "0.60", "0.50", ("02", "24")),
    ("HHTMTW", "Viện Huyết học - Truyền máu Trung ương", "Central Institute of Hematology and Blood Transfusion", 3, "0.62", "0.55", ("22",)),
    ("CHORAY", "Bệnh viện Chợ Rẫy", "Cho Ray Hospital", 14, "0.60", "0.53", ("01", "02", "10", "12", "18", "19", "20")),
    ("TUDU", "Bệnh viện Từ Dũ", "Tu Du Hospital", 4, "0.59", "0.50", ("13",)),
)  # fmt: skip


def apportion(total: int, weights: list[Decimal]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder, exact sum)."""
    weight_sum = sum(weights, Decimal(0))
    quotas = [Decimal(total) * w / weight_sum for w in weights]
    counts = [int(q) for q in quotas]
    order = sorted(
        range(len(weights)), key=lambda i: (quotas[i] - counts[i], -i), reverse=True
    )
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


@dataclass(frozen=True, slots=True, kw_only=True)
class HospitalSplit:
    """The synthetic per-hospital split of the seed's totals."""

    code: str
    assigned: int
    qualified: int
    sent: int


def hospital_split() -> list[HospitalSplit]:
    """Return the per-hospital split; it sums exactly to 9,033 / 5,386 / 2,790."""
    assigned = apportion(TOTAL_ASSIGNED, [Decimal(h[3]) for h in HOSPITALS])
    qualified = apportion(
        TOTAL_QUALIFIED,
        [Decimal(a) * Decimal(h[4]) for a, h in zip(assigned, HOSPITALS, strict=True)],
    )
    sent = apportion(
        TOTAL_SENT,
        [Decimal(q) * Decimal(h[5]) for q, h in zip(qualified, HOSPITALS, strict=True)],
    )
    result = [
        HospitalSplit(code=h[0], assigned=a, qualified=q, sent=s)
        for h, a, q, s in zip(HOSPITALS, assigned, qualified, sent, strict=True)
    ]
    for item in result:
        if not item.assigned >= item.qualified >= item.sent:
            msg = f"demo split is inconsistent for {item.code}: {item}"
            raise AssertionError(msg)
    return result


# --- imaging and radiotherapy techniques with full drafts ---------------------------

D = Decimal

# Equipment classes of the demo price book: value (VND), life (years; specialised
# equipment 8 years as in the TT 23/2023/TT-BTC tables, linac 10), minutes per year
# (declared operating basis), maintenance rate per year.
EQUIPMENT: dict[str, tuple[str, str, str, str, str]] = {
    "TB.XQDR": ("Máy X-quang kỹ thuật số (DR)", "3000000000", "8", "180000", "0.05"),
    "TB.MAMMO": ("Máy chụp X-quang tuyến vú", "6000000000", "8", "150000", "0.06"),
    "TB.SIEUAM": ("Máy siêu âm Doppler màu", "1500000000", "8", "150000", "0.04"),
    "TB.CT128": ("Máy CT 128 lát cắt", "25000000000", "8", "270000", "0.07"),
    "TB.MRI15": ("Máy cộng hưởng từ 1.5 Tesla", "35000000000", "8", "240000", "0.07"),
    "TB.DSA": ("Máy chụp mạch số hóa xóa nền (DSA)", "30000000000", "8", "150000", "0.07"),
    "TB.LINAC": ("Máy gia tốc tuyến tính + hệ thống mô phỏng", "100000000000", "10", "450000", "0.08"),
    "TB.CTSIM": ("Máy CT mô phỏng", "20000000000", "10", "180000", "0.06"),
    "TB.TPS": ("Hệ thống lập kế hoạch xạ trị", "5000000000", "8", "180000", "0.10"),
    "TB.HDR": ("Máy xạ trị áp sát suất liều cao", "15000000000", "10", "120000", "0.08"),
    "TB.COBALT": ("Máy xạ trị Cobalt-60", "25000000000", "10", "240000", "0.06"),
}  # fmt: skip

LABOUR: dict[str, tuple[str, str]] = {
    "BS": ("Bác sĩ", "1950"),
    "KTV": ("Kỹ thuật viên", "1300"),
    "DD": ("Điều dưỡng", "1250"),
    "KSVL": ("Kỹ sư vật lý y khoa", "1700"),
    "HL": ("Hộ lý", "900"),
}

ITEMS: dict[str, tuple[str, str, str, str]] = {
    # code: name, unit, price, category
    "TH.IOHEXOL": ("Iohexol 300 mg I/ml, 100 ml", "lọ", "450000", "drug"),
    "TH.GADOBUTROL": ("Gadobutrol 1 mmol/ml, 7.5 ml", "lọ", "650000", "drug"),
    "TH.NACL": ("Natri clorid 0,9 %, 100 ml", "chai", "10000", "drug"),
    "TH.LIDOCAIN": ("Lidocain 2 %, 2 ml", "ống", "3000", "drug"),
    "HC.SATKHUAN": ("Dung dịch sát khuẩn tay nhanh", "ml", "120", "chemical"),
    "HC.GEL": ("Gel siêu âm", "ml", "60", "chemical"),
    "VT.BOMTIEM": ("Bơm tiêm 20 ml", "cái", "3000", "supply"),
    "VT.KIMLUON": ("Kim luồn tĩnh mạch", "cái", "12000", "supply"),
    "VT.GANGTAY": ("Găng tay y tế", "đôi", "2500", "supply"),
    "VT.PHIM": ("Phim in kết quả", "tấm", "60000", "supply"),
    "VT.DIACD": ("Đĩa lưu hình ảnh", "cái", "15000", "supply"),
    "VT.DAYTIEM": ("Dây nối bơm tiêm áp lực", "bộ", "180000", "supply"),
    "VT.CATHETER": ("Ống thông chụp mạch", "cái", "1200000", "supply"),
    "VT.MASKRT": ("Mặt nạ cố định nhiệt dẻo (chia theo buổi)", "cái", "1200000", "replacement_tool"),
    "VT.APPLICATOR": ("Bộ dụng cụ áp sát (chia theo lần dùng)", "bộ", "90000000", "replacement_tool"),
    "VT.GIAYTRAI": ("Giấy trải bàn", "m", "4000", "supply"),
}  # fmt: skip

TARIFFS: dict[str, tuple[str, str, str]] = {
    "electricity": ("Điện", "kWh", "2900"),
    "water": ("Nước", "m3", "15000"),
    "waste": ("Xử lý chất thải y tế", "kg", "14000"),
    "laundry": ("Giặt là", "kg", "9000"),
    "sterilisation": ("Tiệt khuẩn dụng cụ", "chu trình", "150000"),
    "maintenance": ("Duy tu, bảo dưỡng phòng máy", "lần", "20000"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class TechniqueTemplate:
    """Base quantities of one demo technique (hospitals vary around them)."""

    code: str
    name: str
    group: str
    machine: str
    machine_minutes: str
    labour: tuple[tuple[str, str, str], ...]  # title, persons, minutes
    items: tuple[tuple[str, str], ...] = ()  # code, quantity
    kwh: str = "1"
    waste_kg: str = "0.1"
    laundry_kg: str = "0.2"
    sterilisation: str = "0"
    volume: int = 10000


def _imaging() -> list[TechniqueTemplate]:
    base_items = (("VT.GANGTAY", "1"), ("HC.SATKHUAN", "6"), ("VT.GIAYTRAI", "1"))
    contrast_ct = (
        ("TH.IOHEXOL", "1"),
        ("VT.BOMTIEM", "2"),
        ("VT.KIMLUON", "1"),
        ("VT.DAYTIEM", "1"),
        ("TH.NACL", "1"),
    )
    contrast_mr = (
        ("TH.GADOBUTROL", "1"),
        ("VT.BOMTIEM", "1"),
        ("VT.KIMLUON", "1"),
        ("TH.NACL", "1"),
    )
    rows = [
        ("18.0119", "Chụp X-quang ngực thẳng", "TB.XQDR", "5", (("KTV", "1", "8"), ("BS", "1", "5")), (("VT.PHIM", "1"),), "0.2", 60000),
        ("18.0091", "Chụp X-quang cột sống thắt lưng thẳng nghiêng", "TB.XQDR", "8", (("KTV", "1", "12"), ("BS", "1", "6")), (("VT.PHIM", "1"),), "0.3", 25000),
        ("18.0112", "Chụp X-quang khớp gối thẳng nghiêng", "TB.XQDR", "7", (("KTV", "1", "10"), ("BS", "1", "5")), (("VT.PHIM", "1"),), "0.25", 20000),
        ("18.0126", "Chụp X-quang tuyến vú", "TB.MAMMO", "15", (("KTV", "1", "20"), ("BS", "1", "10")), (("VT.PHIM", "2"),), "0.4", 8000),
        ("18.0015", "Siêu âm ổ bụng", "TB.SIEUAM", "15", (("BS", "1", "15"), ("DD", "1", "5")), (("HC.GEL", "30"),), "0.1", 50000),
        ("18.0045", "Siêu âm Doppler động mạch, tĩnh mạch chi dưới", "TB.SIEUAM", "30", (("BS", "1", "30"), ("DD", "1", "5")), (("HC.GEL", "40"),), "0.2", 12000),
        ("18.0001", "Siêu âm tuyến giáp", "TB.SIEUAM", "12", (("BS", "1", "12"), ("DD", "1", "4")), (("HC.GEL", "20"),), "0.1", 20000),
        ("18.0165", "Chụp CT sọ não không tiêm thuốc cản quang (64-128 dãy)", "TB.CT128", "10", (("KTV", "2", "15"), ("BS", "1", "15")), (("VT.PHIM", "1"), ("VT.DIACD", "1")), "1.2", 30000),
        ("18.0166", "Chụp CT sọ não có tiêm thuốc cản quang (64-128 dãy)", "TB.CT128", "20", (("KTV", "2", "25"), ("BS", "1", "20"), ("DD", "1", "20")), (*contrast_ct, ("VT.PHIM", "2"), ("VT.DIACD", "1")), "1.8", 9000),
        ("18.0200", "Chụp CT lồng ngực không tiêm thuốc cản quang (64-128 dãy)", "TB.CT128", "10", (("KTV", "2", "15"), ("BS", "1", "15")), (("VT.PHIM", "1"), ("VT.DIACD", "1")), "1.2", 25000),
        ("18.0201", "Chụp CT lồng ngực có tiêm thuốc cản quang (64-128 dãy)", "TB.CT128", "20", (("KTV", "2", "25"), ("BS", "1", "20"), ("DD", "1", "20")), (*contrast_ct, ("VT.PHIM", "2"), ("VT.DIACD", "1")), "1.8", 12000),
        ("18.0232", "Chụp CT bụng - tiểu khung có tiêm thuốc cản quang (64-128 dãy)", "TB.CT128", "25", (("KTV", "2", "30"), ("BS", "1", "25"), ("DD", "1", "25")), (*contrast_ct, ("VT.PHIM", "2"), ("VT.DIACD", "1")), "2", 15000),
        ("18.0207", "Chụp CT động mạch vành, tim (64-128 dãy)", "TB.CT128", "30", (("KTV", "2", "35"), ("BS", "1", "40"), ("DD", "1", "30")), (*contrast_ct, ("VT.PHIM", "3"), ("VT.DIACD", "1")), "2.4", 4000),
        ("18.0272", "Chụp CT cột sống thắt lưng không tiêm thuốc cản quang (64-128 dãy)", "TB.CT128", "12", (("KTV", "2", "15"), ("BS", "1", "15")), (("VT.PHIM", "1"), ("VT.DIACD", "1")), "1.3", 8000),
        ("18.0296", "Chụp cộng hưởng từ sọ não không tiêm thuốc đối quang", "TB.MRI15", "30", (("KTV", "2", "40"), ("BS", "1", "25")), (("VT.PHIM", "2"), ("VT.DIACD", "1")), "6", 10000),
        ("18.0297", "Chụp cộng hưởng từ sọ não có tiêm thuốc đối quang", "TB.MRI15", "45", (("KTV", "2", "55"), ("BS", "1", "30"), ("DD", "1", "30")), (*contrast_mr, ("VT.PHIM", "2"), ("VT.DIACD", "1")), "9", 6000),
        ("18.0338", "Chụp cộng hưởng từ cột sống thắt lưng - cùng", "TB.MRI15", "35", (("KTV", "2", "45"), ("BS", "1", "25")), (("VT.PHIM", "2"), ("VT.DIACD", "1")), "7", 8000),
        ("18.0340", "Chụp cộng hưởng từ khớp gối", "TB.MRI15", "35", (("KTV", "2", "45"), ("BS", "1", "25")), (("VT.PHIM", "2"), ("VT.DIACD", "1")), "7", 5000),
        ("18.0320", "Chụp cộng hưởng từ tầng bụng có tiêm thuốc đối quang", "TB.MRI15", "50", (("KTV", "2", "60"), ("BS", "1", "35"), ("DD", "1", "30")), (*contrast_mr, ("VT.PHIM", "2"), ("VT.DIACD", "1")), "10", 3000),
        ("18.0501", "Chụp động mạch não số hóa xóa nền (DSA)", "TB.DSA", "60", (("BS", "2", "75"), ("KTV", "1", "75"), ("DD", "1", "90")), (*contrast_ct, ("VT.CATHETER", "1"), ("TH.LIDOCAIN", "2")), "8", 1500),
    ]  # fmt: skip
    result = []
    for code, name, machine, minutes, labour, items, kwh, volume in rows:
        extra = items + base_items
        result.append(
            TechniqueTemplate(
                code=code, name=name, group="imaging", machine=machine,
                machine_minutes=minutes, labour=labour, items=extra, kwh=kwh,
                volume=volume,
                sterilisation="0.02" if machine == "TB.DSA" else "0",
            )
        )  # fmt: skip
    return result


def _radiotherapy() -> list[TechniqueTemplate]:
    base_items = (("VT.GANGTAY", "1"), ("HC.SATKHUAN", "5"), ("VT.GIAYTRAI", "1"))
    rows = [
        ("12.0421", "Xạ trị sử dụng CT mô phỏng", "TB.CTSIM", "30", (("KTV", "2", "40"), ("BS", "1", "30"), ("KSVL", "1", "30")), (("VT.MASKRT", "1"),), "2", 3000),
        ("12.0383", "Mô phỏng và lập kế hoạch cho xạ trị ngoài (3D)", "TB.TPS", "120", (("KSVL", "1", "150"), ("BS", "1", "60")), (), "0.5", 2500),
        ("12.9303", "Lập kế hoạch xạ trị điều biến liều (IMRT/VMAT)", "TB.TPS", "240", (("KSVL", "1", "300"), ("BS", "1", "90")), (), "1", 1500),
        ("12.0344", "Xạ trị 3D-CRT bằng máy gia tốc (một buổi)", "TB.LINAC", "15", (("KTV", "2", "15"), ("BS", "1", "3"), ("KSVL", "1", "3")), (("VT.MASKRT", "0.04"),), "3", 20000),
        ("12.0345", "Xạ trị bằng máy gia tốc có điều biến liều IMRT (một buổi)", "TB.LINAC", "20", (("KTV", "2", "20"), ("BS", "1", "4"), ("KSVL", "1", "5")), (("VT.MASKRT", "0.033"),), "4", 15000),
        ("12.9306", "Xạ trị điều biến thể tích VMAT (một buổi)", "TB.LINAC", "15", (("KTV", "2", "15"), ("BS", "1", "4"), ("KSVL", "1", "5")), (("VT.MASKRT", "0.033"),), "3", 15000),
        ("12.9307", "Xạ trị có hướng dẫn hình ảnh IGRT (một buổi)", "TB.LINAC", "20", (("KTV", "2", "20"), ("BS", "1", "5"), ("KSVL", "1", "5")), (("VT.MASKRT", "0.033"),), "4", 10000),
        ("12.9308", "Xạ phẫu định vị thân SBRT (một buổi)", "TB.LINAC", "45", (("KTV", "2", "45"), ("BS", "1", "30"), ("KSVL", "1", "45")), (("VT.MASKRT", "0.2"),), "8", 1500),
        ("12.9309", "Xạ phẫu định vị não SRS", "TB.LINAC", "60", (("KTV", "2", "60"), ("BS", "2", "60"), ("KSVL", "1", "60")), (("VT.MASKRT", "1"),), "10", 600),
        ("12.9310", "Xạ trị chùm điện tử (một buổi)", "TB.LINAC", "12", (("KTV", "2", "12"), ("BS", "1", "3"), ("KSVL", "1", "2")), (), "2.5", 3000),
        ("12.0353", "Xạ trị bằng máy Cobalt-60 (một buổi)", "TB.COBALT", "10", (("KTV", "2", "10"), ("BS", "1", "3")), (("VT.MASKRT", "0.04"),), "0.8", 8000),
        ("12.0349", "Xạ trị áp sát suất liều cao HDR (một lần)", "TB.HDR", "60", (("BS", "1", "60"), ("KSVL", "1", "60"), ("DD", "1", "60"), ("KTV", "1", "60")), (("VT.APPLICATOR", "0.002"), ("TH.LIDOCAIN", "2")), "2", 1500),
        ("12.9313", "Xạ trị toàn thân TBI", "TB.LINAC", "90", (("KTV", "2", "90"), ("BS", "1", "60"), ("KSVL", "1", "90")), (), "12", 80),
        ("12.9314", "Mô phỏng và kiểm tra kế hoạch trên máy (QA bệnh nhân)", "TB.LINAC", "30", (("KSVL", "1", "45"), ("KTV", "1", "30")), (), "4", 2000),
        ("12.9315", "Đặt khuôn chì đa lá và kiểm tra trường chiếu", "TB.LINAC", "20", (("KTV", "2", "20"), ("KSVL", "1", "20")), (), "3", 2000),
    ]  # fmt: skip
    result = []
    for code, name, machine, minutes, labour, items, kwh, volume in rows:
        result.append(
            TechniqueTemplate(
                code=code, name=name, group="radiotherapy", machine=machine,
                machine_minutes=minutes, labour=labour, items=items + base_items,
                kwh=kwh, volume=volume,
                sterilisation="0.05" if machine == "TB.HDR" else "0",
            )
        )  # fmt: skip
    return result


def technique_templates() -> list[TechniqueTemplate]:
    """Return the 35 imaging and radiotherapy techniques with full demo drafts.

    A template whose code is in appendix 01 of TT 23/2024/TT-BYT carries the
    appendix's name (unless the extract cut it, as for ``18.0207``); the names
    written above describe the demo's quantities and stay only where the list has
    no usable name (the ``12.93xx`` radiotherapy techniques the list lacks).
    """
    by_code = catalogue.techniques_by_code()
    result = []
    for template in _imaging() + _radiotherapy():
        real = by_code.get(template.code)
        if real is not None and real.name_complete:
            template = replace(template, name=real.name)  # noqa: PLW2901
        result.append(template)
    return result


IMAGING_HOSPITALS = ("BACHMAI", "CHORAY", "HUETW", "VIETDUC", "DHYDHCM", "NHIETDOITW")
RADIOTHERAPY_HOSPITALS = ("BACHMAI", "CHORAY", "HUETW", "DHYDHCM")
# Volume of a hospital relative to the template's volume (radiotherapy: Cho Ray and
# Bach Mai near capacity, Hue and UMC at provincial-like volumes).
VOLUME_FACTOR = {
    "BACHMAI": D("1.3"),
    "CHORAY": D("1.45"),
    "HUETW": D("0.5"),
    "VIETDUC": D("0.9"),
    "DHYDHCM": D("0.32"),
    "NHIETDOITW": D("0.3"),
}
UTILISATION = {
    "BACHMAI": D("0.90"),
    "CHORAY": D("0.92"),
    "HUETW": D("0.60"),
    "VIETDUC": D("0.80"),
    "DHYDHCM": D("0.45"),
    "NHIETDOITW": D("0.40"),
}


def _vary(rng: random.Random, value: str, spread: float = 0.15) -> Decimal:
    factor = D(str(round(1 + rng.uniform(-spread, spread), 3)))
    return (D(value) * factor).quantize(D("0.001")).normalize()


def draft_for(
    template: TechniqueTemplate, hospital: str, rng: random.Random, *, outlier: bool
) -> DraftSpec:
    """Return a synthetic full draft of ``template`` by ``hospital``."""
    lines: list[NormLineSpec] = []

    def add(**kwargs: object) -> None:
        lines.append(NormLineSpec(line_no=len(lines) + 1, **kwargs))  # type: ignore[arg-type]

    for title, persons, minutes in template.labour:
        factor = D("2.2") if outlier and title in {"KTV", "KSVL"} else D(1)
        add(
            category=LineCategory.LABOUR,
            resource_code=title,
            resource_name=LABOUR[title][0],
            unit="phút",
            persons=D(persons),
            minutes=(_vary(rng, minutes) * factor).quantize(D("0.1")).normalize(),
        )
    for code, qty in template.items:
        name, unit, price, category = ITEMS[code]
        add(
            category=LineCategory(category),
            resource_code=code,
            resource_name=name,
            unit=unit,
            quantity=_vary(rng, qty, 0.1) if D(qty) > 1 else D(qty),
            unit_price=_vary(rng, price, 0.08).quantize(D(1)),
        )
    name, value, life, minutes_year, maintenance = EQUIPMENT[template.machine]
    add(
        category=LineCategory.EQUIPMENT,
        resource_code=template.machine,
        resource_name=name,
        unit="phút",
        minutes=_vary(rng, template.machine_minutes, 0.1)
        .quantize(D("0.1"))
        .normalize(),
        purchase_value=_vary(rng, value, 0.2).quantize(D(1000000)),
        useful_life_years=D(life),
        minutes_per_year=D(minutes_year),
        utilisation=UTILISATION.get(hospital, D("0.6")),
        maintenance_rate=D(maintenance),
    )
    for category, qty in (
        (LineCategory.ELECTRICITY, template.kwh),
        (LineCategory.WATER, "0.01"),
        (LineCategory.WASTE, template.waste_kg),
        (LineCategory.LAUNDRY, template.laundry_kg),
        (LineCategory.STERILISATION, template.sterilisation),
        (LineCategory.MAINTENANCE, "1"),
    ):
        if D(qty) == 0:
            continue
        tariff_name, unit, price = TARIFFS[category.value]
        add(
            category=category,
            resource_code=category.value,
            resource_name=tariff_name,
            unit=unit,
            quantity=_vary(rng, qty, 0.1),
            unit_price=D(price),
        )
    volume = (
        D(template.volume) * VOLUME_FACTOR.get(hospital, D("0.5"))
    ).to_integral_value()
    return DraftSpec(
        technique_code=template.code,
        hospital_code=hospital,
        technique_name=template.name,
        annual_volume=volume,
        guidance_version="QĐ 2775/QĐ-BYT 2025" if template.group == "imaging" else "QTKT Ung bướu 2025",
        method="micro-costing",
        period_from=date(2024, 1, 1),
        period_to=date(2024, 12, 31),
        lines=tuple(lines),
        evidence=(
            Evidence(kind="time_study", title=f"Bấm giờ 30 ca {template.code}", reference="bam-gio.xlsx"),
            Evidence(kind="issue_records", title="Phiếu xuất kho vật tư 2024", reference="xuat-kho-2024.pdf"),
            Evidence(kind="machine_log", title="Nhật ký máy (DICOM/console) 2024", reference="machine-log-2024.csv"),
        ),
    )  # fmt: skip


def demo_price_book() -> PriceBook:
    """Return the synthetic national price book of the demo (valid from 2025)."""
    prices: list[Price] = [
        Price(
            kind="labour",
            code=code,
            name=name,
            unit="phút",
            price=D(rate),
            source="synthetic",
        )
        for code, (name, rate) in LABOUR.items()
    ]
    prices += [
        Price(
            kind="item",
            code=code,
            name=name,
            unit=unit,
            price=D(price),
            source="synthetic",
        )
        for code, (name, unit, price, _category) in ITEMS.items()
    ]
    prices += [
        Price(
            kind="tariff",
            code=code,
            name=name,
            unit=unit,
            price=D(price),
            source="synthetic",
        )
        for code, (name, unit, price) in TARIFFS.items()
    ]
    prices += [
        Price(
            kind="equipment",
            code=code,
            name=name,
            unit="máy",
            price=D(value),
            useful_life_years=D(life),
            minutes_per_year=D(minutes),
            maintenance_rate=D(maintenance),
            source="synthetic",
        )
        for code, (name, value, life, minutes, maintenance) in EQUIPMENT.items()
    ]
    prices.append(
        Price(
            kind="rate",
            code="management",
            name="Chi phí quản lý (tỷ lệ)",
            price=D("0.10"),
            source="synthetic",
        )
    )
    return PriceBook(
        code="QG-2025-DEMO",
        name="Bảng giá quốc gia mô phỏng 2025 (synthetic)",
        valid_from=date(2025, 1, 1),
        prices=tuple(prices),
    )  # fmt: skip


@dataclass(slots=True, kw_only=True)
class DemoSummary:
    """What the demo wrote."""

    hospitals: int = 0
    techniques: int = 0
    assignments: int = 0
    events: int = 0
    drafts: int = 0
    national_norms: int = 0
    price_book: str = ""
    split: list[HospitalSplit] = field(default_factory=list)


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(
        day, time(rng.randint(1, 10), rng.randint(0, 59)), tzinfo=UTC
    )


# Window of days in which each step of the path happens (all before the report day).
STEP_WINDOWS: dict[DraftState, tuple[date, date]] = {
    DraftState.QUALIFIED: (date(2025, 4, 1), date(2025, 6, 30)),
    DraftState.NOT_QUALIFIED: (date(2025, 4, 1), date(2025, 6, 30)),
    DraftState.DRAFTING: (date(2025, 7, 1), date(2025, 8, 15)),
    DraftState.SUBMITTED: (date(2025, 8, 16), date(2025, 10, 31)),
    DraftState.REVIEWED: (date(2025, 11, 1), date(2025, 11, 6)),
    DraftState.REVISED: (date(2025, 11, 7), date(2025, 11, 10)),
}
PATHS: dict[DraftState, tuple[DraftState, ...]] = {
    DraftState.ASSIGNED: (),
    DraftState.NOT_QUALIFIED: (DraftState.NOT_QUALIFIED,),
    DraftState.QUALIFIED: (DraftState.QUALIFIED,),
    DraftState.DRAFTING: (DraftState.QUALIFIED, DraftState.DRAFTING),
    DraftState.SUBMITTED: (DraftState.QUALIFIED, DraftState.DRAFTING, DraftState.SUBMITTED),
    DraftState.REVIEWED: (DraftState.QUALIFIED, DraftState.DRAFTING, DraftState.SUBMITTED, DraftState.REVIEWED),
    DraftState.REVISED: (DraftState.QUALIFIED, DraftState.DRAFTING, DraftState.SUBMITTED, DraftState.REVIEWED, DraftState.REVISED),
}  # fmt: skip
NOT_QUALIFIED_SHARE = Decimal("0.85")
# Where a hospital goes on once its own chapters run out: anaesthesia (chapter 09
# lists the anaesthesia of every specialty's procedures), then paediatrics (03).
OVERFLOW_CHAPTERS = ("09", "03")
MIN_DRAFTS_FOR_OUTLIER = 3


@dataclass(slots=True, kw_only=True)
class _Plan:
    """Which technique goes to which hospital, and where each assignment ends."""

    templates: list[TechniqueTemplate]
    focal: list[tuple[str, str]]
    participants: dict[str, list[str]]
    techniques: list[dict[str, object]]


def technique_pool(exclude: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Return the real techniques the demo assigns, by chapter, in assignment order.

    Appendix 01 techniques with a code ``XX.YYYY`` and a complete name, minus
    ``exclude``; in each chapter those appendix 02 links to come first (the programme
    works on appendix 02), then the others, each in code order.
    """
    linked = catalogue.appendix_02_codes()
    pool: dict[str, list[str]] = {}
    for item in catalogue.appendix_01():
        code = item.technique_code
        if code and item.name_complete and code not in exclude:
            pool.setdefault(item.chapter, []).append(code)
    for codes in pool.values():
        codes.sort(key=lambda c: (c not in linked, c))
    return pool


def _deal(
    pool: dict[str, list[str]], wants: list[tuple[str, tuple[str, ...], int]]
) -> dict[str, list[str]]:
    """Deal techniques to hospitals one at a time, like cards.

    ``wants`` holds (hospital, specialty chapters, count). At each turn every
    hospital still short takes the next technique of its next chapter that has one
    left, so hospitals sharing a chapter share it evenly; a hospital whose chapters
    have run out takes from ``OVERFLOW_CHAPTERS`` and then from every chapter in code
    order, so the totals of the seed always hold.
    """
    dealt: dict[str, list[str]] = {hospital: [] for hospital, _c, _n in wants}
    turn: dict[str, int] = dict.fromkeys(dealt, 0)
    fallback = (*OVERFLOW_CHAPTERS, *sorted(pool))
    while any(len(dealt[h]) < n for h, _c, n in wants):
        for hospital, chapters, count in wants:
            if len(dealt[hospital]) >= count:
                continue
            order = [*chapters[turn[hospital] :], *chapters[: turn[hospital]]]
            chapter = next((c for c in order if pool.get(c)), None)
            if chapter is not None:
                turn[hospital] = (chapters.index(chapter) + 1) % len(chapters)
            else:
                chapter = next((c for c in fallback if pool.get(c)), None)
            if chapter is None:
                msg = "the technique list has too few techniques for the demo"
                raise AssertionError(msg)
            dealt[hospital].append(pool[chapter].pop(0))
    return dealt


def _plan(rng: random.Random, split: list[HospitalSplit]) -> _Plan:
    templates = technique_templates()
    participants: dict[str, list[str]] = {}
    focal: list[tuple[str, str]] = []
    for index, template in enumerate(templates):
        imaging = template.group == "imaging"
        pool = IMAGING_HOSPITALS if imaging else RADIOTHERAPY_HOSPITALS
        size = 3 + index % 3 if imaging else len(pool)
        chosen = sorted(rng.sample(pool, size), key=pool.index)
        focal.append((template.code, chosen[0]))
        participants[template.code] = chosen[1:]
    names = catalogue.chapter_names()
    techniques: list[dict[str, object]] = [
        {"code": t.code, "name": t.name, "chapter": chapter_of(t.code),
         "chapter_name": names[chapter_of(t.code)], "service_unit": "lần", "group": t.group}
        for t in templates
    ]  # fmt: skip
    taken: dict[str, int] = {}
    for _code, hospital in focal:
        taken[hospital] = taken.get(hospital, 0) + 1
    by_code = catalogue.techniques_by_code()
    real = technique_pool(frozenset(t.code for t in templates))
    dealt = _deal(
        real,
        [
            (spec[0], spec[6], item.assigned - taken.get(spec[0], 0))
            for spec, item in zip(HOSPITALS, split, strict=True)
        ],
    )
    for spec in HOSPITALS:
        for code in dealt[spec[0]]:
            technique = by_code[code]
            techniques.append(
                {"code": code, "name": technique.name, "chapter": technique.chapter,
                 "chapter_name": names[technique.chapter], "service_unit": "lần",
                 "group": None}
            )  # fmt: skip
            focal.append((code, spec[0]))
    return _Plan(
        templates=templates,
        focal=focal,
        participants=participants,
        techniques=techniques,
    )


def planned_techniques(seed: int = 0) -> list[dict[str, object]]:
    """Return the techniques ``load_demo(seed=seed)`` writes (code, name, chapter...)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    return _plan(rng, hospital_split()).techniques


def _final_states(
    rng: random.Random,
    plan: _Plan,
    split: list[HospitalSplit],
    key_to_id: dict[tuple[str, str], int],
) -> tuple[dict[int, DraftState], dict[int, NotQualifiedReason]]:
    template_codes = {t.code for t in plan.templates}
    final: dict[int, DraftState] = {}
    reasons: dict[int, NotQualifiedReason] = {}
    sent_states = (DraftState.SUBMITTED, DraftState.REVIEWED, DraftState.REVISED)
    for spec, item in zip(HOSPITALS, split, strict=True):
        mine = [t for t, h in plan.focal if h == spec[0]]
        # Template techniques come first: they are sent (they carry full drafts).
        ordered = sorted(mine, key=lambda t: t not in template_codes)
        not_qualified = int((item.assigned - item.qualified) * NOT_QUALIFIED_SHARE)
        for position, technique in enumerate(ordered):
            aid = key_to_id[(technique, spec[0])]
            if position < item.sent:
                final[aid] = (
                    DraftState.SUBMITTED
                    if technique in template_codes
                    else rng.choices(sent_states, weights=(6, 3, 1))[0]
                )
            elif position < item.qualified:
                final[aid] = rng.choices(
                    (DraftState.QUALIFIED, DraftState.DRAFTING), weights=(1, 3)
                )[0]
            elif position < item.qualified + not_qualified:
                final[aid] = DraftState.NOT_QUALIFIED
                reasons[aid] = rng.choices(
                    tuple(NotQualifiedReason), weights=(25, 35, 40)
                )[0]
            else:
                final[aid] = DraftState.ASSIGNED
    for template in plan.templates:
        for hospital in plan.participants[template.code]:
            final[key_to_id[(template.code, hospital)]] = DraftState.SUBMITTED
    return final, reasons


def _events(
    rng: random.Random,
    key_to_id: dict[tuple[str, str], int],
    final: dict[int, DraftState],
    reasons: dict[int, NotQualifiedReason],
) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    for (_technique, hospital), aid in key_to_id.items():
        events.append(
            {"assignment_id": aid, "from_state": None, "to_state": "assigned",
             "actor": "cuc-qlkcb", "at": _at(date(2025, 3, 3), rng), "reason": None}
        )  # fmt: skip
        previous = DraftState.ASSIGNED
        for step in PATHS[final[aid]]:
            start, end = STEP_WINDOWS[step]
            day = start + timedelta(days=rng.randint(0, (end - start).days))
            reason = None
            if step is DraftState.NOT_QUALIFIED:
                reason = f"{reasons[aid].value}: {reasons[aid].label_vi}"
            actor = "cuc-qlkcb" if step is DraftState.REVIEWED else hospital.lower()
            events.append(
                {"assignment_id": aid, "from_state": previous.value, "to_state": step.value,
                 "actor": actor, "at": _at(day, rng), "reason": reason}
            )  # fmt: skip
            previous = step
    return events


def _drafts(
    session: Session, rng: random.Random, plan: _Plan, book: PriceBook
) -> tuple[int, int]:
    drafts = 0
    focal_of = dict(plan.focal)
    for index, template in enumerate(plan.templates):
        hospitals = [focal_of[template.code], *plan.participants[template.code]]
        many = len(hospitals) >= MIN_DRAFTS_FOR_OUTLIER
        outlier_at = hospitals[-1] if index % 4 == 0 and many else None
        for hospital in hospitals:
            draft = draft_for(template, hospital, rng, outlier=hospital == outlier_at)
            created = _at(date(2025, 8, 10) + timedelta(days=index % 5), rng)
            row = save_draft(
                session, draft, actor=hospital.lower(), at=created, source_file="demo"
            )
            drafts += 1
            if hospital == outlier_at:
                session.add(
                    NormComment(
                        draft_id=row.id, line_no=1, author="cuc-qlkcb",
                        at=datetime.combine(date(2025, 11, 3), time(9), tzinfo=UTC),
                        text="Thời gian nhân lực cao bất thường so với các bệnh viện khác; đề nghị giải trình.",
                        resolved=False,
                    )
                )  # fmt: skip
        national = consolidate(latest_drafts(session, template.code))
        save_national(
            session,
            national,
            actor="cuc-qlkcb",
            price_book_code=book.code,
            at=datetime.combine(REPORT_DAY, time(12), tzinfo=UTC),
        )
    return drafts, len(plan.templates)


def load_demo(session: Session, *, seed: int = 0) -> DemoSummary:
    """Write the demo programme into an empty norms store.

    Raises:
        ConfigError: The store already holds techniques (use a fresh database).
    """
    if session.scalar(select(func.count()).select_from(NormTechnique)):
        msg = "the norms store is not empty; run the demo on a fresh database"
        raise ConfigError(msg)
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    split = hospital_split()
    plan = _plan(rng, split)
    session.execute(
        insert(NormHospital),
        [{"code": h[0], "name": h[1], "name_en": h[2]} for h in HOSPITALS],
    )
    session.execute(
        insert(NormTechnique).execution_options(render_nulls=True), plan.techniques
    )
    common = {
        "state": DraftState.ASSIGNED.value,
        "deadline": date(2025, 10, 31),
        "assigned_on": date(2025, 3, 3),
    }
    rows = [
        {"technique_code": t, "hospital_code": h, "is_focal": True, **common}
        for t, h in plan.focal
    ] + [
        {"technique_code": t, "hospital_code": h, "is_focal": False, **common}
        for t, hospitals in plan.participants.items()
        for h in hospitals
    ]
    ids = list(
        session.scalars(
            insert(NormAssignment)
            .returning(NormAssignment.id, sort_by_parameter_order=True)
            .execution_options(render_nulls=True),
            rows,
        )
    )
    key_to_id = {
        (str(r["technique_code"]), str(r["hospital_code"])): i
        for r, i in zip(rows, ids, strict=True)
    }
    final, reasons = _final_states(rng, plan, split, key_to_id)
    events = _events(rng, key_to_id, final, reasons)
    session.execute(insert(NormEvent).execution_options(render_nulls=True), events)
    session.execute(
        update(NormAssignment),
        [
            {"id": aid, "state": state.value,
             "not_qualified_reason": reasons[aid].value if aid in reasons else None}
            for aid, state in final.items()
        ],
    )  # fmt: skip
    book = demo_price_book()
    save_price_book(session, book)
    drafts, national = _drafts(session, rng, plan, book)
    session.flush()
    return DemoSummary(
        hospitals=len(HOSPITALS),
        techniques=len(plan.techniques),
        assignments=len(ids),
        events=len(events),
        drafts=drafts,
        national_norms=national,
        price_book=book.code,
        split=split,
    )
