"""Turn a built episode into the claim records of the shared contract (table → rows).

Money is computed here from the final lines (§6 of the data standard) and XML1 totals
are the exact sums of the lines. STT numbers run from 1 in each table, lines in order
of their order time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from giamdinh.domain.money import ZERO
from giamdinh.synth.clinical import ICD_NAMES, KIND_PROFILES, Kind
from giamdinh.synth.money import base_salary, drug_amounts, service_amounts, split, text
from giamdinh.synth.province import Tier

if TYPE_CHECKING:
    import random

    from giamdinh.synth.episode import Episode, Line

ClaimRecords = dict[str, list[dict[str, str]]]

_DOITUONG_FACTOR = {"3.1": Decimal("0.4")}


class Clock:
    """Writes minutes since the month start as ``yyyymmddHHMM`` and ISO seconds."""

    def __init__(self, month_start: date, days: int = 120) -> None:
        self.start = month_start
        self._days = [(month_start + timedelta(days=d)) for d in range(days)]
        self._compact = [d.strftime("%Y%m%d") for d in self._days]
        self._iso = [d.isoformat() for d in self._days]

    def stamp(self, minute: int) -> str:
        """Return ``yyyymmddHHMM``."""
        day, rest = divmod(minute, 1440)
        return f"{self._compact[day]}{rest // 60:02d}{rest % 60:02d}"

    def day(self, minute: int) -> date:
        """Return the date of ``minute``."""
        return self._days[minute // 1440]

    def compact_date(self, minute: int) -> str:
        """Return ``yyyymmdd`` of ``minute``."""
        return self._compact[minute // 1440]

    def iso_seconds(self, second: int) -> str:
        """Return ``yyyy-mm-ddTHH:MM:SS`` of a second since the month start."""
        day, rest = divmod(second, 86400)
        return (
            f"{self._iso[day]}T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}"
        )

    def dicom(self, second: int) -> tuple[str, str]:
        """Return DICOM ``(DA, TM)`` of a second since the month start."""
        day, rest = divmod(second, 86400)
        return self._compact[
            day
        ], f"{rest // 3600:02d}{rest // 60 % 60:02d}{rest % 60:02d}"


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums written in XML1."""

    t_thuoc: Decimal
    t_vtyt: Decimal
    t_tongchi_bv: Decimal
    t_tongchi_bh: Decimal
    t_bntt: Decimal
    t_bncct: Decimal
    t_bhtt: Decimal


def _muc_huong(ep: Episode, total_bh: Decimal, day: date) -> int:
    patient = ep.patient
    rate = patient.rate
    if ep.facility.tier is Tier.COMMUNE:
        return 100
    if total_bh < base_salary(day) * Decimal("0.15"):
        return 100
    factor = _DOITUONG_FACTOR.get(ep.doi_tuong)
    if factor is not None:
        return int(rate * factor)
    return rate


def number_lines(ep: Episode) -> None:
    """Give STT numbers: XML3 lines by order time, XML2 likewise."""
    ep.lines.sort(key=lambda x: (x.yl, x.th, x.seq))
    for i, line in enumerate(ep.lines, start=1):
        line.stt = i
    ep.drugs.sort(key=lambda d: (d.yl, d.th, d.drug.code))
    for i, drug in enumerate(ep.drugs, start=1):
        drug.stt = i


def claim_records(ep: Episode, clock: Clock, rng: random.Random) -> ClaimRecords:
    """Return the claim records of ``ep`` (lines must be numbered)."""
    f = ep.facility
    p = ep.patient
    ma_lk = ep.ma_lk
    day = clock.day(ep.arrival)
    # Amounts before the benefit split.
    service_money = []
    for line in ep.lines:
        bv, bh = service_amounts(
            quantity=line.qty,
            price_bv=line.price,
            price_bh=line.price,
            tyle_dv=line.tyle_dv,
        )
        service_money.append((bv, bh))
    drug_money = [
        drug_amounts(quantity=d.qty, price=Decimal(d.drug.price)) for d in ep.drugs
    ]
    total_bh = sum((bh for _, bh in service_money), ZERO) + sum(
        (bh for _, bh in drug_money), ZERO
    )
    muc = _muc_huong(ep, total_bh, day)
    ep.muc_huong = muc
    sums = {
        "bv": ZERO,
        "bh": ZERO,
        "bntt": ZERO,
        "bncct": ZERO,
        "bhtt": ZERO,
        "thuoc": ZERO,
    }
    xml2: list[dict[str, str]] = []
    for d, (bv, bh) in zip(ep.drugs, drug_money, strict=True):
        m = split(bv, bh, muc)
        sums["thuoc"] += bv
        sums["bv"] += bv
        sums["bh"] += bh
        sums["bntt"] += m.t_bntt
        sums["bncct"] += m.t_bncct
        sums["bhtt"] += m.t_bhtt
        drug = d.drug
        xml2.append(
            {
                "MA_LK": ma_lk,
                "STT": str(d.stt),
                "MA_THUOC": drug.code,
                "MA_NHOM": "4",
                "TEN_THUOC": drug.name,
                "DON_VI_TINH": drug.unit,
                "HAM_LUONG": drug.strength,
                "DUONG_DUNG": drug.route_code,
                "DANG_BAO_CHE": drug.form,
                "LIEU_DUNG": d.dosage,
                "CACH_DUNG": "Theo chỉ định của bác sĩ",
                "SO_DANG_KY": drug.registration,
                "TT_THAU": f"{f.ma_cskcb}/QĐ-TTTH;G1;N4;{clock.start.year - 1}",
                "PHAM_VI": "1",
                "TYLE_TT_BH": "100",
                "SO_LUONG": text(d.qty),
                "DON_GIA": drug.price,
                "THANH_TIEN_BV": text(bv),
                "THANH_TIEN_BH": text(bh),
                "T_NGUONKHAC_NSNN": "0",
                "T_NGUONKHAC_VTNN": "0",
                "T_NGUONKHAC_VTTN": "0",
                "T_NGUONKHAC_CL": "0",
                "T_NGUONKHAC": "0",
                "MUC_HUONG": str(muc),
                "T_BNTT": text(m.t_bntt),
                "T_BNCCT": text(m.t_bncct),
                "T_BHTT": text(m.t_bhtt),
                "MA_KHOA": d.department,
                "MA_BAC_SI": d.orderer,
                "MA_DICH_VU": d.service,
                "NGAY_YL": clock.stamp(d.yl),
                "NGAY_TH_YL": clock.stamp(d.th),
                "MA_PTTT": "1",
                "NGUON_CTRA": "1",
            }
        )
    xml3: list[dict[str, str]] = []
    xml4: list[dict[str, str]] = []
    for line, (bv, bh) in zip(ep.lines, service_money, strict=True):
        m = split(bv, bh, muc)
        sums["bv"] += bv
        sums["bh"] += bh
        sums["bntt"] += m.t_bntt
        sums["bncct"] += m.t_bncct
        sums["bhtt"] += m.t_bhtt
        profile = KIND_PROFILES[line.kind]
        is_bed = line.kind is Kind.BED
        xml3.append(
            {
                "MA_LK": ma_lk,
                "STT": str(line.stt),
                "MA_DICH_VU": line.code,
                "MA_NHOM": profile.ma_nhom,
                "TEN_DICH_VU": line.name,
                "DON_VI_TINH": "Ngày" if is_bed else "Lần",
                "PHAM_VI": "1",
                "SO_LUONG": text(line.qty),
                "DON_GIA_BV": text(line.price),
                "DON_GIA_BH": text(line.price),
                "TYLE_TT_DV": str(line.tyle_dv),
                "TYLE_TT_BH": "100",
                "THANH_TIEN_BV": text(bv),
                "THANH_TIEN_BH": text(bh),
                "MUC_HUONG": str(muc),
                "T_NGUONKHAC_NSNN": "0",
                "T_NGUONKHAC_VTNN": "0",
                "T_NGUONKHAC_VTTN": "0",
                "T_NGUONKHAC_CL": "0",
                "T_NGUONKHAC": "0",
                "T_BNTT": text(m.t_bntt),
                "T_BNCCT": text(m.t_bncct),
                "T_BHTT": text(m.t_bhtt),
                "MA_KHOA": line.department,
                "MA_GIUONG": line.bed,
                "MA_BAC_SI": line.orderer,
                "NGUOI_THUC_HIEN": line.performer,
                "NGAY_YL": clock.stamp(line.yl),
                "NGAY_TH_YL": clock.stamp(line.th),
                "NGAY_KQ": clock.stamp(line.kq),
                "MA_PTTT": "1",
                "PP_VO_CAM": "2" if line.kind in {Kind.ENDO, Kind.ENDO_BIOPSY} else "",
                "MA_MAY": line.ma_may,
            }
        )
        if line.results and line.kind not in {Kind.BED, Kind.EXAM}:
            xml4.extend(_results(ep, line, clock, rng))
    for i, row in enumerate(xml4, start=1):
        row["STT"] = str(i)
    totals = Totals(
        t_thuoc=sums["thuoc"],
        t_vtyt=ZERO,
        t_tongchi_bv=sums["bv"],
        t_tongchi_bh=sums["bh"],
        t_bntt=sums["bntt"],
        t_bncct=sums["bncct"],
        t_bhtt=sums["bh"] - sums["bncct"],
    )
    xml1 = _xml1(ep, clock, totals)
    records: ClaimRecords = {"XML1": [xml1]}
    if xml2:
        records["XML2"] = xml2
    records["XML3"] = xml3
    if xml4:
        records["XML4"] = xml4
    if ep.inpatient and ep.notes:
        records["XML5"] = [
            {
                "MA_LK": ma_lk,
                "STT": str(i),
                "DIEN_BIEN_LS": n.text,
                "THOI_DIEM_DBLS": clock.stamp(n.time),
                "NGUOI_THUC_HIEN": n.author,
            }
            for i, n in enumerate(ep.notes, start=1)
        ]
    if ep.inpatient:
        records["XML7"] = [_xml7(ep, clock, xml1)]
    _ = p
    return records


def _xml1(ep: Episode, clock: Clock, totals: Totals) -> dict[str, str]:
    f = ep.facility
    p = ep.patient
    recipe = ep.recipe
    end = ep.discharge
    inpatient = ep.inpatient
    days = 0
    if inpatient and ep.admission is not None:
        days = (clock.day(end) - clock.day(ep.admission)).days + 1
    age = p.age(clock.start)
    weight = "15.00" if age < 6 else ("35.00" if age < 14 else "58.50")  # noqa: PLR2004
    diagnosis = ICD_NAMES[recipe.icd]
    return {
        "MA_LK": ep.ma_lk,
        "STT": "1",
        "MA_BN": p.ma_bn,
        "HO_TEN": p.name,
        "SO_CCCD": p.cccd,
        "NGAY_SINH": p.birth.strftime("%Y%m%d") + "0000",
        "GIOI_TINH": str(p.sex),
        "MA_QUOCTICH": "000",
        "MA_DANTOC": "01",
        "MA_NGHE_NGHIEP": "00000",
        "DIA_CHI": p.address,
        "MATINH_CU_TRU": clock_province(p.card),
        "MAHUYEN_CU_TRU": p.district,
        "MAXA_CU_TRU": p.commune,
        "DIEN_THOAI": p.phone,
        "MA_THE_BHYT": p.card,
        "MA_DKBD": p.dkbd,
        "GT_THE_TU": p.card_from.strftime("%Y%m%d"),
        "GT_THE_DEN": p.card_to.strftime("%Y%m%d"),
        "LY_DO_VV": recipe.reason,
        "LY_DO_VNT": recipe.reason if inpatient else "",
        "CHAN_DOAN_VAO": diagnosis,
        "CHAN_DOAN_RV": diagnosis,
        "MA_BENH_CHINH": recipe.icd,
        "MA_DOITUONG_KCB": ep.doi_tuong,
        "MA_NOI_DI": ep.noi_di,
        "GIAY_CHUYEN_TUYEN": ep.giay_ct,
        "NGAY_VAO": clock.stamp(ep.arrival),
        "NGAY_VAO_NOI_TRU": clock.stamp(ep.admission)
        if ep.admission is not None
        else "",
        "NGAY_RA": clock.stamp(end),
        "SO_NGAY_DTRI": str(days),
        "PP_DIEU_TRI": "Điều trị nội khoa",
        "KET_QUA_DTRI": "2",
        "MA_LOAI_RV": "1",
        "NGAY_TTOAN": clock.stamp(ep.payment),
        "T_THUOC": text(totals.t_thuoc),
        "T_VTYT": text(totals.t_vtyt),
        "T_TONGCHI_BV": text(totals.t_tongchi_bv),
        "T_TONGCHI_BH": text(totals.t_tongchi_bh),
        "T_BNTT": text(totals.t_bntt),
        "T_BNCCT": text(totals.t_bncct),
        "T_BHTT": text(totals.t_bhtt),
        "T_NGUONKHAC": "0",
        "T_BHTT_GDV": text(totals.t_bhtt),
        "NAM_QT": str(clock.day(end).year),
        "THANG_QT": str(clock.day(end).month),
        "MA_LOAI_KCB": "03" if inpatient else "01",
        "MA_KHOA": ep.department,
        "MA_CSKCB": f.ma_cskcb,
        "CAN_NANG": weight,
        "MA_HSBA": f"{'BA' if inpatient else 'KB'}{ep.ma_lk[-11:]}",
        "MA_TTDV": f.head_bhxh,
    }


def _xml7(ep: Episode, clock: Clock, xml1: dict[str, str]) -> dict[str, str]:
    """Return the discharge paper (giấy ra viện) of an inpatient stay.

    The treating doctor signs for the head of department (``MA_BS``, ``TEN_BS``).
    """
    doctor = ep.treating
    return {
        "MA_LK": ep.ma_lk,
        "SO_LUU_TRU": xml1["MA_HSBA"],
        "MA_YTE": xml1["MA_BN"],
        "MA_KHOA_RV": ep.department,
        "NGAY_VAO": xml1["NGAY_VAO"],
        "NGAY_RA": xml1["NGAY_RA"],
        "MA_DINH_CHI_THAI": "0",
        "CHAN_DOAN_RV": xml1["CHAN_DOAN_RV"],
        "PP_DIEUTRI": xml1["PP_DIEU_TRI"],
        "MA_TTDV": xml1["MA_TTDV"],
        "MA_BS": doctor.bhxh,
        "TEN_BS": doctor.name,
        "NGAY_CT": clock.compact_date(ep.discharge),
    }


def clock_province(card: str) -> str:
    """Return the province part (4th–5th characters) of a card number."""
    return card[3:5]


def _results(
    ep: Episode, line: Line, clock: Clock, rng: random.Random
) -> list[dict[str, str]]:
    info = line.info
    base = {
        "MA_LK": ep.ma_lk,
        "MA_DICH_VU": line.code,
        "NGAY_KQ": clock.stamp(line.kq),
        "MA_BS_DOC_KQ": line.reader,
    }
    if line.kind is Kind.LAB:
        rows = []
        for index in info.indices:
            if index.high == index.low:
                positive = ep.recipe.key == "tuberculosis" and line.day == 0
                value = "Dương tính" if positive else "Âm tính"
                conclusion = value
            else:
                span = index.high - index.low
                number = rng.uniform(index.low - 0.1 * span, index.high + 0.15 * span)
                value = f"{max(number, 0):.{index.decimals}f}"
                conclusion = (
                    "Cao"
                    if number > index.high
                    else ("Thấp" if number < index.low else "Bình thường")
                )
            rows.append(
                {
                    **base,
                    "TEN_CHI_SO": index.name,
                    "GIA_TRI": value,
                    "DON_VI_DO": index.unit,
                    "KET_LUAN": conclusion,
                }
            )
        return rows
    finding = ep.recipe.conclusion if line.abnormal and ep.recipe.conclusion else ""
    return [
        {
            **base,
            "TEN_CHI_SO": line.name,
            "MO_TA": f"{finding}." if finding else info.normal,
            "KET_LUAN": finding or "Chưa phát hiện bất thường",
        }
    ]


__all__ = ["ClaimRecords", "Clock", "Totals", "claim_records", "number_lines"]
