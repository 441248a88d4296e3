"""Clinical knowledge of the generator: services, roles, diagnoses and episode recipes.

Every service code here exists in the real M05 sample
(``data/dvkt_catalogue_M05_sample_facility_92114.csv``) or in the supplement
(``data/services_supplement.csv``: MRI and histology codes of QĐ 4440/QĐ-BYT PL3 that
the sample facility does not perform). Prices always come from the facility's own
catalogue, never from this module.

Times are minutes. ``process`` is the whole technical process recorded from
``NGAY_TH_YL`` to ``NGAY_KQ`` for performer-read services (reception, positioning,
acquisition, reading); ``machine`` is the share of it the device logs see. Short
processes are legitimate (QĐ 2775/2776 times are a reference only, MoH 2025): an X-ray
recorded in 3 minutes in a busy department is common and never an anomaly.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources


class Role(StrEnum):
    """What a practitioner does in the generated province."""

    INTERNIST = "internist"
    PEDIATRICIAN = "pediatrician"
    SURGEON = "surgeon"
    OBGYN = "obgyn"
    DERMATOLOGIST = "dermatologist"
    GP = "gp"
    RADIOLOGIST = "radiologist"
    RAD_TECH = "rad_tech"
    ENDOSCOPIST = "endoscopist"
    FUNCTIONAL = "functional"
    LAB_TECH = "lab_tech"
    LAB_DOCTOR = "lab_doctor"
    PATHOLOGIST = "pathologist"


#: Scope of practice (``PHAMVI_CM``: specialty codes 01–29 of Bảng 7, which coincide
#: with the technique chapters) and professional title of each role.
ROLE_SCOPE: dict[Role, tuple[str, str]] = {
    Role.INTERNIST: ("02", "Bác sỹ y khoa - Nội khoa"),
    Role.PEDIATRICIAN: ("03", "Bác sỹ y khoa - Nhi khoa"),
    Role.SURGEON: ("10", "Bác sỹ y khoa - Ngoại khoa"),
    Role.OBGYN: ("13", "Bác sỹ y khoa - Phụ sản"),
    Role.DERMATOLOGIST: ("02;05", "Bác sỹ y khoa - Da liễu"),
    Role.GP: ("02;03;18;21;29", "Bác sỹ y khoa - Đa khoa"),
    Role.RADIOLOGIST: ("18", "Bác sỹ y khoa - Chẩn đoán hình ảnh"),
    Role.RAD_TECH: ("18", "Kỹ thuật y - Hình ảnh y học"),
    Role.ENDOSCOPIST: ("02;20", "Bác sỹ y khoa - Nội soi"),
    Role.FUNCTIONAL: ("02;21", "Bác sỹ y khoa - Thăm dò chức năng"),
    Role.LAB_TECH: ("22;23;24", "Kỹ thuật y - Xét nghiệm y học"),
    Role.LAB_DOCTOR: ("22;23;24", "Bác sỹ y khoa - Xét nghiệm"),
    Role.PATHOLOGIST: ("25", "Bác sỹ y khoa - Giải phẫu bệnh"),
}

#: Department of each role in M01/M02 (``MA_KHOA``).
ROLE_DEPARTMENT: dict[Role, str] = {
    Role.INTERNIST: "K03",
    Role.PEDIATRICIAN: "K18",
    Role.SURGEON: "K19",
    Role.OBGYN: "K27",
    Role.DERMATOLOGIST: "K01",
    Role.GP: "K01",
    Role.RADIOLOGIST: "K39",
    Role.RAD_TECH: "K39",
    Role.ENDOSCOPIST: "K41",
    Role.FUNCTIONAL: "K40",
    Role.LAB_TECH: "K42",
    Role.LAB_DOCTOR: "K42",
    Role.PATHOLOGIST: "K43",
}

#: Departments (M01): code → (name, has beds). Codes of clinical departments follow
#: the sample facility's bed codes (K03, K18, K19, K27); K39–K43 for the paraclinical
#: departments are this generator's assumption (the official list is QĐ 2010 PL6).
DEPARTMENTS: dict[str, tuple[str, bool]] = {
    "K01": ("Khoa Khám bệnh", False),
    "K02": ("Khoa Hồi sức cấp cứu", True),
    "K03": ("Khoa Nội tổng hợp", True),
    "K18": ("Khoa Nhi", True),
    "K19": ("Khoa Ngoại tổng hợp", True),
    "K27": ("Khoa Phụ - Sản", True),
    "K39": ("Khoa Chẩn đoán hình ảnh", False),
    "K40": ("Khoa Thăm dò chức năng", False),
    "K41": ("Đơn vị Nội soi", False),
    "K42": ("Khoa Xét nghiệm", False),
    "K43": ("Khoa Giải phẫu bệnh", False),
}


class Kind(StrEnum):
    """Kind of a billed service, which decides roles, machine, times and results."""

    EXAM = "exam"
    XRAY = "xray"
    CT = "ct"
    CT_CONTRAST = "ct_contrast"
    MRI = "mri"
    MRI_CONTRAST = "mri_contrast"
    US = "us"
    ECHO = "echo"
    ECG = "ecg"
    ENDO = "endo"
    ENDO_BIOPSY = "endo_biopsy"
    HISTOLOGY = "histology"
    LAB = "lab"
    BED = "bed"


IMAGING_KINDS = frozenset(
    {
        Kind.XRAY,
        Kind.CT,
        Kind.CT_CONTRAST,
        Kind.MRI,
        Kind.MRI_CONTRAST,
        Kind.US,
        Kind.ECHO,
    }
)
CONTRAST_KINDS = frozenset({Kind.CT_CONTRAST, Kind.MRI_CONTRAST})
#: Kinds whose performer and machine are booked on a timeline (no overlaps).
BOOKED_KINDS = IMAGING_KINDS | {Kind.ECG, Kind.ENDO, Kind.ENDO_BIOPSY, Kind.EXAM}
#: Kinds that write a device-log row (PACS/DICOM-style machine time).
LOGGED_KINDS = IMAGING_KINDS | {Kind.ECG, Kind.ENDO, Kind.ENDO_BIOPSY}


@dataclass(frozen=True, slots=True)
class KindProfile:
    """How one kind of service is done.

    Attributes:
        ma_nhom: cost group (``MA_NHOM``) of XML3.
        machine_group: ``XX`` part of ``MA_MAY`` (empty: no machine).
        performer: role that performs it (``NGUOI_THUC_HIEN``).
        reader: role that reads or approves the result (``MA_BS_DOC_KQ``).
        process: (min, mode, max) minutes from ``NGAY_TH_YL`` to ``NGAY_KQ``.
        machine_share: (min, max) share of the process the machine runs.
        reference_minutes: time given by the procedure guidance (reference only).
        wait: (min, max) minutes between the order and the start.
    """

    ma_nhom: str
    machine_group: str
    performer: Role | None
    reader: Role | None
    process: tuple[int, int, int]
    machine_share: tuple[float, float]
    reference_minutes: int
    wait: tuple[int, int]


KIND_PROFILES: dict[Kind, KindProfile] = {
    Kind.EXAM: KindProfile("13", "", None, None, (4, 8, 20), (0, 0), 10, (0, 25)),
    Kind.XRAY: KindProfile(
        "2", "XQ", Role.RAD_TECH, Role.RADIOLOGIST, (2, 3, 10), (0.15, 0.45), 6, (3, 45)
    ),
    Kind.CT: KindProfile(
        "2", "CL", Role.RAD_TECH, Role.RADIOLOGIST, (5, 9, 20), (0.2, 0.5), 20, (10, 90)
    ),
    Kind.CT_CONTRAST: KindProfile(
        "2",
        "CL",
        Role.RAD_TECH,
        Role.RADIOLOGIST,
        (10, 16, 30),
        (0.2, 0.5),
        30,
        (15, 120),
    ),
    Kind.MRI: KindProfile(
        "2",
        "MRI",
        Role.RAD_TECH,
        Role.RADIOLOGIST,
        (20, 28, 45),
        (0.5, 0.8),
        45,
        (20, 180),
    ),
    Kind.MRI_CONTRAST: KindProfile(
        "2",
        "MRI",
        Role.RAD_TECH,
        Role.RADIOLOGIST,
        (25, 35, 55),
        (0.5, 0.8),
        60,
        (20, 180),
    ),
    Kind.US: KindProfile(
        "2",
        "SA",
        Role.RADIOLOGIST,
        Role.RADIOLOGIST,
        (4, 8, 20),
        (0.5, 0.85),
        20,
        (5, 60),
    ),
    Kind.ECHO: KindProfile(
        "2",
        "SA",
        Role.RADIOLOGIST,
        Role.RADIOLOGIST,
        (8, 15, 30),
        (0.6, 0.85),
        30,
        (10, 90),
    ),
    Kind.ECG: KindProfile(
        "3", "ĐT", Role.FUNCTIONAL, Role.FUNCTIONAL, (3, 5, 10), (0.1, 0.3), 10, (3, 30)
    ),
    Kind.ENDO: KindProfile(
        "18",
        "NS",
        Role.ENDOSCOPIST,
        Role.ENDOSCOPIST,
        (8, 14, 30),
        (0.5, 0.8),
        30,
        (20, 120),
    ),
    Kind.ENDO_BIOPSY: KindProfile(
        "18",
        "NS",
        Role.ENDOSCOPIST,
        Role.ENDOSCOPIST,
        (12, 18, 35),
        (0.5, 0.8),
        40,
        (20, 120),
    ),
    Kind.HISTOLOGY: KindProfile(
        "1",
        "GPB",
        Role.PATHOLOGIST,
        Role.PATHOLOGIST,
        (2880, 3600, 5760),
        (0, 0),
        0,
        (30, 90),
    ),
    Kind.LAB: KindProfile(
        "1", "SH", Role.LAB_TECH, Role.LAB_DOCTOR, (25, 45, 120), (0, 0), 0, (5, 30)
    ),
    Kind.BED: KindProfile("15", "", None, None, (0, 0, 0), (0, 0), 0, (0, 0)),
}

#: Name of each machine group in M06 (``TEN_TB``), with makers and models.
MACHINE_MODELS: dict[str, tuple[str, tuple[tuple[str, str, str], ...]]] = {
    "XQ": (
        "Máy X-quang kỹ thuật số",
        (
            ("Fujifilm", "FDR Smart X", "Nhật Bản"),
            ("Shimadzu", "RADspeed Pro", "Nhật Bản"),
        ),
    ),
    "CL": (
        "Máy chụp cắt lớp vi tính",
        (("Siemens", "SOMATOM go.Up", "Đức"), ("GE", "Revolution ACT", "Trung Quốc")),
    ),
    "MRI": (
        "Máy cộng hưởng từ 1.5T",
        (("Siemens", "MAGNETOM Sempra", "Đức"), ("Philips", "Ingenia 1.5T", "Hà Lan")),
    ),
    "SA": (
        "Máy siêu âm màu",
        (("GE", "LOGIQ P9", "Hàn Quốc"), ("Samsung Medison", "HS60", "Hàn Quốc")),
    ),
    "ĐT": (
        "Máy điện tim 12 kênh",
        (
            ("Nihon Kohden", "ECG-2350", "Nhật Bản"),
            ("Fukuda Denshi", "FX-8200", "Nhật Bản"),
        ),
    ),
    "NS": (
        "Hệ thống nội soi tiêu hóa",
        (("Olympus", "CV-170", "Nhật Bản"), ("Fujifilm", "EPX-3500HD", "Nhật Bản")),
    ),
    "SH": (
        "Máy xét nghiệm sinh hóa tự động",
        (("Roche", "cobas c 311", "Đức"), ("Beckman Coulter", "AU480", "Nhật Bản")),
    ),
    "HH": (
        "Máy xét nghiệm huyết học tự động",
        (("Sysmex", "XN-550", "Nhật Bản"), ("Mindray", "BC-6200", "Trung Quốc")),
    ),
    "VS": (
        "Kính hiển vi quang học",
        (("Olympus", "CX23", "Philippines"), ("Nikon", "Eclipse E100", "Trung Quốc")),
    ),
    "GPB": (
        "Máy xử lý mô tự động",
        (("Leica", "TP1020", "Đức"), ("Sakura", "Tissue-Tek VIP 6", "Nhật Bản")),
    ),
}

#: Reagent suppliers that lend analyzers (the practice of CV 2009/BYT-KH-TC, 2018).
REAGENT_SUPPLIERS = (
    "Công ty TNHH Thiết bị Y tế Phương Đông",
    "Công ty CP Hóa chất Xét nghiệm Việt Mỹ",
    "Công ty TNHH Sinh phẩm Nam Việt",
)


@dataclass(frozen=True, slots=True)
class LabIndex:
    """One result index of a lab test (``TEN_CHI_SO``, normal range, unit)."""

    name: str
    low: float
    high: float
    unit: str
    decimals: int = 1


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    """What the generator knows about one billed service code."""

    kind: Kind
    machine_group: str = ""
    indices: tuple[LabIndex, ...] = ()
    finding: str = ""
    normal: str = ""
    contrast_ml: int = 0
    body: str = ""


_CBC = (
    LabIndex("Số lượng bạch cầu (WBC)", 4.0, 10.0, "G/L"),
    LabIndex("Số lượng hồng cầu (RBC)", 3.8, 5.5, "T/L", 2),
    LabIndex("Huyết sắc tố (HGB)", 120, 160, "g/L", 0),
    LabIndex("Số lượng tiểu cầu (PLT)", 150, 400, "G/L", 0),
)


def _lab(group: str, *indices: LabIndex) -> ServiceInfo:
    return ServiceInfo(Kind.LAB, machine_group=group, indices=indices)


def _img(
    kind: Kind, group: str, body: str, normal: str, contrast_ml: int = 0
) -> ServiceInfo:
    return ServiceInfo(
        kind, machine_group=group, body=body, normal=normal, contrast_ml=contrast_ml
    )


SERVICES: dict[str, ServiceInfo] = {
    # Exams (MA_NHOM 13).
    "02.03": ServiceInfo(Kind.EXAM),
    "03.18": ServiceInfo(Kind.EXAM),
    "10.19": ServiceInfo(Kind.EXAM),
    "13.27": ServiceInfo(Kind.EXAM),
    "02.13": ServiceInfo(Kind.EXAM),
    # X-ray (digital variants only: the generated facilities are film-free).
    "18.0119.0028": _img(
        Kind.XRAY, "XQ", "chest", "Hai phế trường sáng, không thấy tổn thương nhu mô."
    ),
    "18.0119.0029": _img(
        Kind.XRAY, "XQ", "chest", "Hai phế trường sáng, bóng tim không to."
    ),
    "18.0091.0029": _img(
        Kind.XRAY, "XQ", "lumbar", "Cột sống thắt lưng thẳng trục, khe khớp đều."
    ),
    "18.0112.0029": _img(
        Kind.XRAY, "XQ", "knee", "Khe khớp gối hai bên đều, không thấy gai xương."
    ),
    "18.0107.0029": _img(
        Kind.XRAY, "XQ", "wrist", "Cấu trúc xương cổ tay bình thường."
    ),
    "18.0099.0028": _img(
        Kind.XRAY, "XQ", "clavicle", "Xương đòn liên tục, không thấy đường gãy."
    ),
    "18.0125.0028": _img(
        Kind.XRAY, "XQ", "abdomen", "Không thấy liềm hơi, không thấy mức nước hơi."
    ),
    # CT 1-32 slices / 64-128 slices.
    "18.0149.0040": _img(
        Kind.CT, "CL", "head", "Nhu mô não không thấy tổn thương khu trú."
    ),
    "18.0165.0043": _img(
        Kind.CT, "CL", "head", "Nhu mô não không thấy tổn thương khu trú."
    ),
    "18.0191.0040": _img(
        Kind.CT, "CL", "chest", "Nhu mô phổi hai bên không thấy tổn thương."
    ),
    "18.0200.0043": _img(
        Kind.CT, "CL", "chest", "Nhu mô phổi hai bên không thấy tổn thương."
    ),
    "18.0192.0041": _img(
        Kind.CT_CONTRAST,
        "CL",
        "chest",
        "Không thấy khối, hạch trung thất không to.",
        75,
    ),
    "18.0201.0042": _img(
        Kind.CT_CONTRAST,
        "CL",
        "chest",
        "Không thấy khối, hạch trung thất không to.",
        75,
    ),
    "18.0220.0041": _img(
        Kind.CT_CONTRAST, "CL", "abdomen", "Gan, lách, tụy, thận không thấy khối.", 100
    ),
    "18.0232.0042": _img(
        Kind.CT_CONTRAST, "CL", "abdomen", "Gan, lách, tụy, thận không thấy khối.", 100
    ),
    "18.0222.0040": _img(Kind.CT, "CL", "urinary", "Hai thận kích thước bình thường."),
    "18.0234.0043": _img(Kind.CT, "CL", "urinary", "Hai thận kích thước bình thường."),
    # MRI (supplement codes of QĐ 4440 PL3).
    "18.0296.0066": _img(
        Kind.MRI, "MRI", "head", "Nhu mô não không thấy bất thường tín hiệu."
    ),
    "18.0297.0065": _img(
        Kind.MRI_CONTRAST, "MRI", "head", "Không thấy ổ ngấm thuốc bất thường.", 15
    ),
    "18.0338.0066": _img(
        Kind.MRI, "MRI", "lumbar", "Các đĩa đệm thắt lưng không thoát vị."
    ),
    "18.0340.0066": _img(
        Kind.MRI, "MRI", "knee", "Dây chằng, sụn chêm khớp gối bình thường."
    ),
    # Ultrasound and echocardiography.
    "18.0015.0001": _img(
        Kind.US, "SA", "abdomen", "Gan, mật, tụy, lách, thận chưa thấy bất thường."
    ),
    "18.0016.0001": _img(
        Kind.US, "SA", "urinary", "Hai thận không ứ nước, bàng quang thành mỏng."
    ),
    "18.0018.0001": _img(
        Kind.US, "SA", "pelvis", "Tử cung, hai phần phụ chưa thấy bất thường."
    ),
    "18.0001.0001": _img(
        Kind.US, "SA", "thyroid", "Nhu mô tuyến giáp đều, không thấy nhân."
    ),
    "18.0054.0001": _img(
        Kind.US, "SA", "breast", "Nhu mô hai vú không thấy khối khu trú."
    ),
    "18.0034.0001": _img(
        Kind.US, "SA", "pregnancy", "Một thai trong buồng tử cung, tim thai đều."
    ),
    "18.0035.0001": _img(Kind.US, "SA", "pregnancy", "Một thai sống, ối bình thường."),
    "18.0036.0001": _img(
        Kind.US, "SA", "pregnancy", "Một thai sống, ngôi đầu, ối bình thường."
    ),
    "18.0043.0001": _img(Kind.US, "SA", "knee", "Không thấy tràn dịch khớp."),
    "18.0045.0004": _img(
        Kind.US, "SA", "leg_vessels", "Hệ động tĩnh mạch chi dưới lưu thông tốt."
    ),
    "18.0049.0004": _img(Kind.ECHO, "SA", "heart", "Các buồng tim không giãn, EF 62%."),
    # ECG, endoscopy, histology.
    "21.0014.1778": ServiceInfo(
        Kind.ECG, "ĐT", body="heart", normal="Nhịp xoang đều, trục trung gian."
    ),
    "20.0080.0135": ServiceInfo(
        Kind.ENDO, "NS", body="stomach", normal="Niêm mạc dạ dày, tá tràng bình thường."
    ),
    "20.0079.0134": ServiceInfo(
        Kind.ENDO_BIOPSY, "NS", body="stomach", normal="Đã sinh thiết 2 mảnh."
    ),
    "02.0259.0137": ServiceInfo(
        Kind.ENDO, "NS", body="colon", normal="Niêm mạc đại trực tràng bình thường."
    ),
    "02.0262.0136": ServiceInfo(
        Kind.ENDO_BIOPSY, "NS", body="colon", normal="Đã sinh thiết 3 mảnh."
    ),
    "25.0030.1751": ServiceInfo(
        Kind.HISTOLOGY,
        "GPB",
        normal="Mô bệnh học: viêm mạn tính, không thấy tế bào ác tính.",
    ),
    # Lab.
    "22.0121.1369": _lab("HH", *_CBC),
    "23.0075.1494": _lab("SH", LabIndex("Glucose", 3.9, 6.4, "mmol/L")),
    "23.0051.1494": _lab("SH", LabIndex("Creatinin", 62, 106, "µmol/L", 0)),
    "23.0166.1494": _lab("SH", LabIndex("Urê", 2.5, 7.5, "mmol/L")),
    "23.0019.1493": _lab("SH", LabIndex("ALT (GPT)", 5, 40, "U/L", 0)),
    "23.0020.1493": _lab("SH", LabIndex("AST (GOT)", 5, 40, "U/L", 0)),
    "23.0041.1506": _lab("SH", LabIndex("Cholesterol toàn phần", 3.9, 5.2, "mmol/L")),
    "23.0158.1506": _lab("SH", LabIndex("Triglycerid", 0.46, 1.88, "mmol/L", 2)),
    "23.0083.1523": _lab("SH", LabIndex("HbA1c", 4.0, 6.4, "%")),
    "23.0228.1483": _lab("SH", LabIndex("CRP", 0.0, 5.0, "mg/L")),
    "23.0206.1596": _lab("SH", LabIndex("Tỷ trọng nước tiểu", 1.005, 1.030, "", 3)),
    "23.0161.1569": _lab("SH", LabIndex("Troponin I", 0.0, 0.04, "ng/mL", 3)),
    "23.0162.1570": _lab("SH", LabIndex("TSH", 0.35, 4.94, "µIU/mL", 2)),
    "23.0069.1561": _lab("SH", LabIndex("FT4", 9.0, 19.0, "pmol/L")),
    "23.0058.1487": _lab(
        "SH", LabIndex("Na+", 135, 145, "mmol/L", 0), LabIndex("K+", 3.5, 5.0, "mmol/L")
    ),
    "24.0001.1714": _lab("VS", LabIndex("AFB (nhuộm Ziehl-Neelsen)", 0, 0, "")),
    # Beds (MA_NHOM 15), department-specific codes of the sample catalogue.
    "K03.NO2": ServiceInfo(Kind.BED),
    "K18.NO1": ServiceInfo(Kind.BED),
    "K19.NG3": ServiceInfo(Kind.BED),
    "K27.NO2": ServiceInfo(Kind.BED),
}

#: Bed code by inpatient department.
BED_CODE = {"K03": "K03.NO2", "K18": "K18.NO1", "K19": "K19.NG3", "K27": "K27.NO2"}

#: CT codes by (body, contrast) for (1-32 slices, 64-128 slices) scanners.
CT_CODES: dict[tuple[str, bool], tuple[str, str]] = {
    ("head", False): ("18.0149.0040", "18.0165.0043"),
    ("chest", False): ("18.0191.0040", "18.0200.0043"),
    ("chest", True): ("18.0192.0041", "18.0201.0042"),
    ("abdomen", True): ("18.0220.0041", "18.0232.0042"),
    ("urinary", False): ("18.0222.0040", "18.0234.0043"),
}

#: Codes that stand for one CT step; the episode picks the scanner's variant.
CT_STEP = "CT:"

HISTOLOGY_CODE = "25.0030.1751"
AFB_CODE = "24.0001.1714"
ABDOMINAL_US = "18.0015.0001"
THYROID_US = "18.0001.0001"
ECHO_CODE = "18.0049.0004"


@dataclass(frozen=True, slots=True)
class Drug:
    """A drug of the generated M03 (``MA_THUOC`` shaped like the common list).

    ``route`` is the route's name (M03 ``DUONG_DUNG``); ``route_code`` its code as
    XML2 carries it (1.01 oral, 2.15 intravenous injection, 2.19 intravenous infusion,
    the codes hospital information systems use; the official list was not available).
    """

    code: str
    active: str
    name: str
    unit: str
    strength: str
    route: str
    form: str
    price: str
    registration: str
    maker: str
    country: str

    @property
    def route_code(self) -> str:
        """Return the route code written in XML2 ``DUONG_DUNG``."""
        return _ROUTE_CODES[self.route]


_ROUTE_CODES = {"Uống": "1.01", "Tiêm tĩnh mạch": "2.15", "Tiêm truyền": "2.19"}

DRUGS: dict[str, Drug] = {
    d.code: d
    for d in (
        Drug(
            "40.48",
            "Paracetamol",
            "Paracetamol 500mg",
            "Viên",
            "500mg",
            "Uống",
            "Viên nén",
            "180",
            "VD-21524-14",
            "Công ty CP Dược Hậu Giang",
            "Việt Nam",
        ),
        Drug(
            "40.153",
            "Amoxicilin",
            "Amoxicilin 500mg",
            "Viên",
            "500mg",
            "Uống",
            "Viên nang",
            "850",
            "VD-25879-16",
            "Công ty CP Dược phẩm Imexpharm",
            "Việt Nam",
        ),
        Drug(
            "40.677",
            "Omeprazol",
            "Omeprazol 20mg",
            "Viên",
            "20mg",
            "Uống",
            "Viên nang",
            "420",
            "VD-27118-17",
            "Công ty CP Dược phẩm TV.Pharm",
            "Việt Nam",
        ),
        Drug(
            "40.496",
            "Amlodipin",
            "Amlodipin 5mg",
            "Viên",
            "5mg",
            "Uống",
            "Viên nén",
            "150",
            "VD-24376-16",
            "Công ty CP Dược phẩm Domesco",
            "Việt Nam",
        ),
        Drug(
            "40.759",
            "Metformin",
            "Metformin 850mg",
            "Viên",
            "850mg",
            "Uống",
            "Viên nén",
            "390",
            "VD-26652-17",
            "Công ty CP Dược phẩm Stella",
            "Việt Nam",
        ),
        Drug(
            "40.29",
            "Meloxicam",
            "Meloxicam 7,5mg",
            "Viên",
            "7,5mg",
            "Uống",
            "Viên nén",
            "260",
            "VD-23305-15",
            "Công ty CP Dược phẩm Khánh Hòa",
            "Việt Nam",
        ),
        Drug(
            "40.1018",
            "Natri clorid",
            "Natri clorid 0,9% 500ml",
            "Chai",
            "0,9%",
            "Tiêm truyền",
            "Dung dịch tiêm truyền",
            "10500",
            "VD-22117-15",
            "Công ty CP Fresenius Kabi Bidiphar",
            "Việt Nam",
        ),
        Drug(
            "40.227",
            "Ceftriaxon",
            "Ceftriaxon 1g",
            "Lọ",
            "1g",
            "Tiêm tĩnh mạch",
            "Bột pha tiêm",
            "12500",
            "VD-29033-18",
            "Công ty CP Dược phẩm Tenamyd",
            "Việt Nam",
        ),
        Drug(
            "40.1007",
            "Iohexol",
            "Omnipaque 300mgI/ml 100ml",
            "Chai",
            "300mgI/ml",
            "Tiêm tĩnh mạch",
            "Dung dịch tiêm",
            "485000",
            "VN-20877-17",
            "GE Healthcare AS",
            "Na Uy",
        ),
        Drug(
            "40.1005",
            "Acid gadoteric",
            "Dotarem 0,5mmol/ml 15ml",
            "Lọ",
            "0,5mmol/ml",
            "Tiêm tĩnh mạch",
            "Dung dịch tiêm",
            "610000",
            "VN-19905-16",
            "Guerbet",
            "Pháp",
        ),
        Drug(
            "40.276",
            "Isoniazid",
            "Isoniazid 300mg",
            "Viên",
            "300mg",
            "Uống",
            "Viên nén",
            "310",
            "VD-20164-13",
            "Công ty CP Dược phẩm Mekophar",
            "Việt Nam",
        ),
        Drug(
            "40.536",
            "Furosemid",
            "Furosemid 40mg",
            "Viên",
            "40mg",
            "Uống",
            "Viên nén",
            "140",
            "VD-24890-16",
            "Công ty CP Dược phẩm Vidipha",
            "Việt Nam",
        ),
    )
}
IODINE_CONTRAST = "40.1007"
GADOLINIUM_CONTRAST = "40.1005"


@dataclass(frozen=True, slots=True)
class Step:
    """One ordered service of a recipe: alternatives (first available wins) and odds."""

    codes: tuple[str, ...]
    p: float = 1.0
    day: int = 0


@dataclass(frozen=True, slots=True)
class Recipe:
    """An episode that makes clinical sense: a diagnosis and what is done for it.

    Attributes:
        key: stable name.
        icd: main diagnosis (``MA_BENH_CHINH``, QĐ 4469 dotted form).
        reason: reason for the visit (``LY_DO_VV``).
        sex: 1 male, 2 female, ``None`` either.
        ages: (min, max) age in years.
        exam: exam code of the outpatient visit.
        department: treating department when admitted.
        inpatient: probability of admission.
        steps: services (CT steps are ``"CT:<body>:<contrast 0/1>"``).
        drugs: (drug code, quantity per day).
        weight: relative frequency.
        conclusion: imaging/endoscopy conclusion when abnormal.
        min_stay: minimum days of an inpatient stay.
    """

    key: str
    icd: str
    reason: str
    exam: str
    department: str
    steps: tuple[Step, ...]
    drugs: tuple[tuple[str, int], ...] = ()
    sex: int | None = None
    ages: tuple[int, int] = (16, 85)
    inpatient: float = 0.0
    weight: float = 1.0
    conclusion: str = ""
    min_stay: int = 2
    tags: frozenset[str] = field(default_factory=frozenset)


def _s(*codes: str, p: float = 1.0, day: int = 0) -> Step:
    return Step(codes, p, day)


RECIPES: tuple[Recipe, ...] = (
    Recipe(
        "bronchitis",
        "J20.9",
        "Ho, sốt nhẹ 3 ngày",
        "02.03",
        "K03",
        (_s("22.0121.1369"), _s("18.0119.0028", "18.0119.0029", p=0.8)),
        (("40.153", 3), ("40.48", 3)),
        weight=6,
        conclusion="Hình ảnh viêm phế quản",
    ),
    Recipe(
        "urti_child",
        "J06.9",
        "Sốt, ho, sổ mũi",
        "03.18",
        "K18",
        (_s("22.0121.1369", p=0.6), _s("23.0228.1483", p=0.3)),
        (("40.48", 2),),
        ages=(1, 12),
        weight=7,
    ),
    Recipe(
        "pneumonia",
        "J18.9",
        "Sốt cao, ho đờm, khó thở",
        "02.03",
        "K03",
        (
            _s("22.0121.1369"),
            _s("23.0228.1483"),
            _s("18.0119.0029"),
            _s("CT:chest:0", p=0.25),
            _s("22.0121.1369", day=2),
        ),
        (("40.227", 2), ("40.1018", 1)),
        inpatient=0.7,
        weight=3,
        conclusion="Đám mờ thùy dưới phổi phải, theo dõi viêm phổi",
    ),
    Recipe(
        "hypertension",
        "I10",
        "Đau đầu, tăng huyết áp",
        "02.03",
        "K03",
        (
            _s("21.0014.1778"),
            _s("23.0075.1494"),
            _s("23.0051.1494"),
            _s("23.0041.1506", p=0.7),
            _s("18.0049.0004", p=0.25),
        ),
        (("40.496", 1),),
        ages=(35, 90),
        weight=8,
        conclusion="Dày thất trái nhẹ",
    ),
    Recipe(
        "diabetes",
        "E11.9",
        "Khám định kỳ đái tháo đường",
        "02.03",
        "K03",
        (
            _s("23.0075.1494"),
            _s("23.0083.1523", p=0.6),
            _s("23.0051.1494"),
            _s("23.0041.1506", p=0.6),
            _s("23.0158.1506", p=0.6),
            _s("23.0206.1596", p=0.5),
        ),
        (("40.759", 2),),
        ages=(35, 90),
        weight=7,
    ),
    Recipe(
        "gastritis",
        "K29.7",
        "Đau thượng vị",
        "02.03",
        "K03",
        (_s("20.0080.0135", p=0.6), _s("18.0015.0001", p=0.5)),
        (("40.677", 2),),
        weight=5,
        conclusion="Viêm niêm mạc hang vị",
    ),
    Recipe(
        "gastric_ulcer",
        "K25.9",
        "Đau thượng vị kéo dài, gầy sút",
        "02.03",
        "K03",
        (_s("22.0121.1369"), _s("20.0079.0134"), _s("25.0030.1751")),
        (("40.677", 2),),
        ages=(25, 85),
        inpatient=1.0,
        weight=2,
        min_stay=3,
        conclusion="Ổ loét hang vị",
        tags=frozenset({"biopsy"}),
    ),
    Recipe(
        "gastric_tumour",
        "C16.9",
        "Đau bụng, nuốt nghẹn, gầy sút",
        "02.03",
        "K03",
        (
            _s("22.0121.1369"),
            _s("23.0019.1493"),
            _s("23.0020.1493"),
            _s("20.0079.0134"),
            _s("25.0030.1751"),
            _s("CT:abdomen:1", p=0.8, day=1),
        ),
        (("40.677", 2), ("40.1018", 1)),
        ages=(40, 85),
        inpatient=1.0,
        weight=1,
        min_stay=4,
        conclusion="Khối sùi bờ cong nhỏ dạ dày",
        tags=frozenset({"biopsy"}),
    ),
    Recipe(
        "colon_polyp",
        "K63.5",
        "Đi ngoài phân có máu",
        "02.03",
        "K03",
        (_s("22.0121.1369"), _s("02.0262.0136"), _s("25.0030.1751")),
        (("40.1018", 1),),
        ages=(35, 85),
        inpatient=1.0,
        weight=1,
        min_stay=3,
        conclusion="Polyp đại tràng sigma",
        tags=frozenset({"biopsy"}),
    ),
    Recipe(
        "constipation",
        "K59.0",
        "Táo bón kéo dài",
        "02.03",
        "K03",
        (_s("02.0259.0137", p=0.5), _s("18.0015.0001", p=0.5)),
        weight=2,
    ),
    Recipe(
        "gallstones",
        "K80.2",
        "Đau hạ sườn phải",
        "02.03",
        "K03",
        (_s("18.0015.0001"), _s("23.0019.1493"), _s("23.0020.1493")),
        (("40.48", 2),),
        ages=(25, 85),
        weight=3,
        conclusion="Sỏi túi mật 12mm",
    ),
    Recipe(
        "fatty_liver",
        "K76.0",
        "Mệt mỏi, khám sức khỏe",
        "02.03",
        "K03",
        (
            _s("18.0015.0001"),
            _s("23.0019.1493"),
            _s("23.0020.1493"),
            _s("23.0041.1506"),
        ),
        ages=(25, 80),
        weight=3,
        conclusion="Gan nhiễm mỡ độ I",
    ),
    Recipe(
        "kidney_stones",
        "N20.0",
        "Đau hông lưng",
        "10.19",
        "K19",
        (
            _s("18.0016.0001"),
            _s("23.0206.1596"),
            _s("23.0051.1494"),
            _s("CT:urinary:0", p=0.35),
        ),
        (("40.48", 3),),
        ages=(20, 85),
        weight=4,
        conclusion="Sỏi thận phải 8mm",
    ),
    Recipe(
        "uti",
        "N39.0",
        "Tiểu buốt, tiểu rắt",
        "02.03",
        "K03",
        (_s("23.0206.1596"), _s("22.0121.1369", p=0.5), _s("18.0016.0001", p=0.6)),
        (("40.153", 3),),
        weight=3,
    ),
    Recipe(
        "prostate",
        "N40",
        "Tiểu khó, tiểu đêm",
        "10.19",
        "K19",
        (_s("18.0016.0001"), _s("23.0206.1596")),
        sex=1,
        ages=(50, 90),
        weight=2,
        conclusion="Phì đại tuyến tiền liệt 45g",
    ),
    Recipe(
        "low_back_pain",
        "M54.5",
        "Đau thắt lưng",
        "02.03",
        "K03",
        (_s("18.0091.0029"), _s("18.0338.0066", p=0.2)),
        (("40.29", 1),),
        ages=(20, 85),
        weight=5,
        conclusion="Thoái hóa cột sống thắt lưng",
    ),
    Recipe(
        "disc_herniation",
        "M51.2",
        "Đau lan xuống chân",
        "02.03",
        "K03",
        (_s("18.0091.0029"), _s("18.0338.0066", p=0.8)),
        (("40.29", 1),),
        ages=(25, 75),
        weight=2,
        conclusion="Thoát vị đĩa đệm L4-L5",
    ),
    Recipe(
        "knee_oa",
        "M17.9",
        "Đau khớp gối",
        "02.03",
        "K03",
        (_s("18.0112.0029"), _s("18.0043.0001", p=0.4), _s("18.0340.0066", p=0.1)),
        (("40.29", 1),),
        ages=(45, 90),
        weight=4,
        conclusion="Thoái hóa khớp gối",
    ),
    Recipe(
        "wrist_fracture",
        "S52.5",
        "Ngã chống tay, đau cổ tay",
        "10.19",
        "K19",
        (_s("18.0107.0029"),),
        (("40.48", 3),),
        ages=(5, 90),
        weight=2,
        conclusion="Gãy đầu dưới xương quay",
        tags=frozenset({"emergency"}),
    ),
    Recipe(
        "clavicle_fracture",
        "S42.0",
        "Ngã đau vai",
        "10.19",
        "K19",
        (_s("18.0099.0028"),),
        (("40.48", 3),),
        ages=(5, 80),
        weight=1,
        conclusion="Gãy 1/3 giữa xương đòn",
        tags=frozenset({"emergency"}),
    ),
    Recipe(
        "concussion",
        "S06.0",
        "Chấn thương đầu do tai nạn giao thông",
        "10.19",
        "K19",
        (_s("CT:head:0"), _s("22.0121.1369")),
        (("40.48", 3),),
        ages=(5, 85),
        inpatient=0.4,
        weight=2,
        tags=frozenset({"emergency"}),
    ),
    Recipe(
        "headache",
        "R51",
        "Đau đầu kéo dài",
        "02.03",
        "K03",
        (_s("CT:head:0", p=0.5), _s("18.0296.0066", p=0.2)),
        (("40.48", 2),),
        weight=2,
    ),
    Recipe(
        "migraine",
        "G43.9",
        "Đau nửa đầu",
        "02.03",
        "K03",
        (_s("18.0296.0066", "CT:head:0", p=0.5), _s("18.0297.0065", p=0.1)),
        (("40.48", 2),),
        ages=(15, 65),
        weight=1,
    ),
    Recipe(
        "stroke",
        "I63.9",
        "Yếu nửa người, nói khó",
        "02.03",
        "K03",
        (
            _s("CT:head:0"),
            _s("21.0014.1778"),
            _s("22.0121.1369"),
            _s("23.0075.1494"),
            _s("23.0058.1487"),
            _s("18.0296.0066", p=0.5, day=1),
            _s("18.0049.0004", p=0.5, day=2),
        ),
        (("40.1018", 1),),
        ages=(45, 95),
        inpatient=1.0,
        weight=2,
        min_stay=5,
        conclusion="Ổ nhồi máu não bán cầu trái",
        tags=frozenset({"emergency"}),
    ),
    Recipe(
        "angina",
        "I20.9",
        "Đau ngực trái",
        "02.03",
        "K03",
        (_s("21.0014.1778"), _s("23.0161.1569"), _s("18.0049.0004")),
        (("40.496", 1),),
        ages=(40, 90),
        weight=3,
        conclusion="Rối loạn vận động vùng",
    ),
    Recipe(
        "coronary",
        "I25.1",
        "Tức ngực khi gắng sức",
        "02.03",
        "K03",
        (_s("21.0014.1778"), _s("18.0049.0004"), _s("23.0041.1506")),
        (("40.496", 1),),
        ages=(45, 90),
        weight=2,
    ),
    Recipe(
        "heart_failure",
        "I50.9",
        "Khó thở, phù hai chân",
        "02.03",
        "K03",
        (
            _s("21.0014.1778"),
            _s("18.0049.0004"),
            _s("23.0051.1494"),
            _s("23.0058.1487"),
            _s("23.0058.1487", day=2),
        ),
        (("40.536", 1),),
        ages=(50, 95),
        inpatient=0.8,
        weight=2,
        min_stay=4,
        conclusion="Giãn thất trái, EF 38%",
    ),
    Recipe(
        "goitre",
        "E04.9",
        "Sưng vùng cổ",
        "02.03",
        "K03",
        (_s("18.0001.0001"), _s("23.0162.1570"), _s("23.0069.1561", p=0.6)),
        weight=2,
        conclusion="Nhân thùy phải tuyến giáp TIRADS 3",
    ),
    Recipe(
        "hyperthyroid",
        "E05.9",
        "Hồi hộp, run tay, sút cân",
        "02.03",
        "K03",
        (_s("18.0001.0001"), _s("23.0162.1570"), _s("23.0069.1561")),
        ages=(15, 75),
        weight=1,
        conclusion="Tuyến giáp to lan tỏa",
    ),
    Recipe(
        "breast_lump",
        "N63",
        "Sờ thấy khối ở vú",
        "13.27",
        "K27",
        (_s("18.0054.0001"),),
        sex=2,
        ages=(18, 80),
        weight=2,
        conclusion="Nốt giảm âm vú phải BIRADS 3",
    ),
    Recipe(
        "ovarian_cyst",
        "N83.2",
        "Đau bụng dưới",
        "13.27",
        "K27",
        (_s("18.0018.0001"), _s("22.0121.1369", p=0.5)),
        sex=2,
        ages=(15, 55),
        weight=2,
        conclusion="Nang buồng trứng trái 35mm",
    ),
    Recipe(
        "pregnancy",
        # Z34.x (supervision of normal pregnancy) may not be the main diagnosis
        # (QĐ 4469/QĐ-BYT annex A2), so the visit is coded in chapter O.
        "O26.8",
        "Khám thai, theo dõi thai nghén",
        "13.27",
        "K27",
        (
            _s("18.0035.0001", "18.0034.0001", "18.0036.0001"),
            _s("23.0206.1596"),
            _s("22.0121.1369", p=0.5),
        ),
        sex=2,
        ages=(18, 42),
        weight=4,
    ),
    Recipe(
        "tuberculosis",
        "A15.0",
        "Ho kéo dài, sốt về chiều",
        "02.03",
        "K03",
        (
            _s("18.0119.0029"),
            _s("24.0001.1714"),
            _s("24.0001.1714", day=1),
            _s("22.0121.1369"),
            _s("CT:chest:0", p=0.3, day=1),
        ),
        (("40.276", 1),),
        ages=(16, 85),
        inpatient=1.0,
        weight=1,
        min_stay=3,
        conclusion="Tổn thương thâm nhiễm đỉnh phổi phải",
    ),
    Recipe(
        "dermatitis",
        "L20.9",
        "Ngứa, nổi ban",
        "02.13",
        "K03",
        (),
        (("40.48", 1),),
        ages=(2, 80),
        weight=2,
        tags=frozenset({"no_imaging"}),
    ),
)

#: Recipes a "diagnosis does not support the indication" anomaly is planted on, with the
#: technique that their diagnosis does not support.
UNSUPPORTED_INDICATION: dict[str, str] = {
    "dermatitis": "18.0091.0029",
    "urti_child": "18.0091.0029",
    "pregnancy": "18.0091.0029",
}


def _icd_names() -> dict[str, str]:
    text = resources.files("giamdinh.synth").joinpath("data", "icd10_subset.csv")
    rows = csv.DictReader(text.read_text("utf-8").splitlines())
    return {row["code"]: row["name_vi"] for row in rows}


#: Vietnamese names of the ICD-10 codes used (QĐ 4469/QĐ-BYT).
ICD_NAMES: dict[str, str] = _icd_names()
