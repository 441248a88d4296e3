# ruff: noqa: E501, PLR0911 - data tables of reviewed rules read best on one line
"""Generate the procedure-guidance data of imaging, endoscopy and functional tests.

Reads technique names from the package data (the real M05 catalogue of facility
92114 and the QĐ 4440 PL3 code map) and applies the reviewed rules below to build,
in the structure of the MoH template (QĐ 3023/QĐ-BYT 2023, Phụ lục 01):

- ``technique_guidance.csv``: one row per (technique, section, field, seq) value;
- ``technique_indications.csv``: ICD-10 ranges of indications/contraindications;
- ``technique_companions.csv``: services a technique requires (e.g. histology).

Every value carries a ``source``:

- ``qd2775_2025_reported``: reference time named by the MoH for QĐ 2775/QĐ-BYT
  (2025) as reported in the press (X-ray 6 min, echocardiography 30 min);
- ``qd130_appendix_ma_may``: machine-group prefix from the QĐ 130 appendix list;
- ``tt32_2023_pl_xiv`` / ``tt32_2023_pl_v``: the technique is in the scope-of-practice
  list of medical technologists / general physicians (TT 32/2023/TT-BYT);
- ``catalogue_name``: read from the technique's official name (contrast, biopsy,
  anaesthesia, number of films);
- ``qd4440_pl3``: PTTT class or level from QĐ 4440/QĐ-BYT PL3;
- ``expert_estimate``: a reviewed estimate by the project, to be replaced when the
  published guidance (QĐ 2775/2776) is available.

Run: ``.venv/bin/python scripts/build_technique_guidance.py`` (rewrites the files).
"""

from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "src" / "giamdinh" / "refdata" / "data"
EXPERT = "expert_estimate"
MOH = "qd2775_2025_reported"
NAME = "catalogue_name"
MAMAY = "qd130_appendix_ma_may"


@dataclass(frozen=True)
class Modality:
    """Reviewed defaults of one modality (QĐ 3023 sections 1, 5.1–5.4, 5.7, 6, 7)."""

    key: str
    label: str
    machine_group: str
    machine_source: str
    minutes: int
    minutes_source: str
    equipment: str
    direct: tuple[str, ...]
    support: tuple[str, ...]
    drugs: tuple[str, ...]
    supplies: tuple[str, ...]
    steps: tuple[str, ...]
    complications: tuple[str, ...]
    contraindications: tuple[tuple[str, str, str, str], ...] = ()
    companions: tuple[tuple[str, str, str], ...] = field(default=())


_XRAY_STEPS = (
    "Kiểm tra chỉ định, đối chiếu người bệnh (họ tên, tuổi, vùng chụp)",
    "Hướng dẫn tháo bỏ vật cản quang; che chắn tia X vùng không cần chụp",
    "Đặt tư thế người bệnh, căn chỉnh bóng và bộ nhận ảnh theo tư thế chụp",
    "Chọn thông số kỹ thuật (kV, mAs), phát tia",
    "Kiểm tra chất lượng ảnh; chụp lại nếu không đạt",
    "Bác sĩ chẩn đoán hình ảnh đọc, mô tả, kết luận và trả kết quả",
)
_CONTRAST_STEPS = (
    "Kiểm tra chỉ định, đối chiếu người bệnh; khai thác tiền sử dị ứng, chức năng thận",
    "Giải thích, ký cam kết tiêm thuốc cản quang; đặt đường truyền tĩnh mạch",
    "Đặt tư thế, chụp định vị và các thì trước tiêm",
    "Tiêm thuốc cản quang theo quy trình, chụp các thì sau tiêm",
    "Theo dõi người bệnh ít nhất 30 phút sau tiêm",
    "Xử lý ảnh, bác sĩ đọc, mô tả, kết luận và trả kết quả",
)
_PLAIN_SCAN_STEPS = (
    "Kiểm tra chỉ định, đối chiếu người bệnh; loại trừ chống chỉ định",
    "Hướng dẫn người bệnh, tháo bỏ vật kim loại, đặt tư thế",
    "Chụp định vị, chọn chương trình và vùng khảo sát",
    "Thực hiện chuỗi xung/lát cắt theo chương trình",
    "Kiểm tra chất lượng ảnh, dựng hình khi cần",
    "Bác sĩ đọc, mô tả, kết luận và trả kết quả",
)
_US_STEPS = (
    "Kiểm tra chỉ định, đối chiếu người bệnh",
    "Đặt tư thế, bộc lộ vùng khảo sát, bôi gel",
    "Chọn đầu dò và chương trình; khảo sát lần lượt các cấu trúc theo quy trình",
    "Đo đạc, ghi hình các mặt cắt cần thiết",
    "Lau gel, mô tả, kết luận và trả kết quả",
)
_ECHO_STEPS = (
    "Kiểm tra chỉ định, đối chiếu người bệnh; mắc điện tim theo dõi",
    "Đặt tư thế nằm nghiêng trái, bôi gel",
    "Khảo sát các mặt cắt cạnh ức, mỏm, dưới sườn, trên hõm ức (2D, TM)",
    "Doppler màu, xung, liên tục; đo các thông số chức năng tâm thu, tâm trương",
    "Ghi hình, mô tả, kết luận và trả kết quả",
)
_ENDO_STEPS = (
    "Kiểm tra chỉ định, đối chiếu người bệnh; kiểm tra nhịn ăn, xét nghiệm đông máu khi cần",
    "Giải thích, ký cam kết; gây tê tại chỗ hoặc an thần/gây mê theo chỉ định",
    "Đặt tư thế, đưa ống soi, quan sát lần lượt các đoạn theo quy trình",
    "Thực hiện thủ thuật kèm theo (sinh thiết, cầm máu, lấy dị vật…) nếu có",
    "Rút ống soi, theo dõi người bệnh sau soi",
    "Mô tả, chụp ảnh tổn thương, kết luận; gửi bệnh phẩm nếu có",
    "Làm sạch, khử khuẩn ống soi theo quy định",
)
_INTERVENTION_US_STEPS = (
    "Kiểm tra chỉ định, đối chiếu người bệnh; xét nghiệm đông máu",
    "Giải thích, ký cam kết; sát khuẩn, gây tê tại chỗ",
    "Siêu âm xác định vị trí, đường vào",
    "Đưa kim/ống thông dưới hướng dẫn siêu âm, thực hiện thủ thuật",
    "Rút kim, băng ép; gửi bệnh phẩm nếu có",
    "Theo dõi người bệnh sau thủ thuật; ghi kết quả",
)
_DSA_STEPS = (
    "Kiểm tra chỉ định, đối chiếu người bệnh; xét nghiệm đông máu, chức năng thận",
    "Giải thích, ký cam kết; sát khuẩn, gây tê vùng chọc",
    "Chọc động mạch (Seldinger), đặt ống vào lòng mạch",
    "Luồn ống thông chọn lọc, tiêm thuốc cản quang, chụp số hóa xóa nền",
    "Can thiệp (nút mạch, nong, đặt stent) nếu có chỉ định",
    "Rút ống, băng ép vùng chọc; theo dõi tại giường",
    "Đọc, mô tả, kết luận và trả kết quả",
)
_ECG_STEPS = (
    "Kiểm tra chỉ định, đối chiếu người bệnh",
    "Đặt người bệnh nằm, bộc lộ ngực, cổ tay, cổ chân",
    "Mắc điện cực chi và trước tim theo quy ước",
    "Ghi điện tim các chuyển đạo, kiểm tra chất lượng bản ghi",
    "Tháo điện cực; đọc và kết luận",
)
_FUNCTION_STEPS = (
    "Kiểm tra chỉ định, đối chiếu người bệnh",
    "Giải thích, hướng dẫn người bệnh phối hợp",
    "Gắn cảm biến/điện cực, hiệu chỉnh thiết bị",
    "Thực hiện các bước đo theo quy trình, ghi kết quả",
    "Tháo thiết bị; phân tích, kết luận và trả kết quả",
)

_RADIOLOGIST = "Bác sĩ chuyên khoa chẩn đoán hình ảnh (1)"
_TECHNOLOGIST = "Cử nhân kỹ thuật y – kỹ thuật hình ảnh (1)"
_NURSE = "Điều dưỡng (1)"
_ENDOSCOPIST = "Bác sĩ chuyên khoa có chứng chỉ nội soi (1)"
_PREGNANCY = ("O00", "O99", "relative", "thai kỳ: cân nhắc lợi ích – nguy cơ tia X")
_RENAL = ("N17", "N19", "relative", "suy thận: nguy cơ bệnh thận do thuốc cản quang")
_CONTRAST_ALLERGY = ("Z88", "Z88", "relative", "tiền sử dị ứng thuốc (thuốc cản quang)")
_PACEMAKER = ("Z95", "Z95", "absolute", "máy tạo nhịp/thiết bị kim loại cấy ghép")
_COAG = ("D65", "D69", "relative", "rối loạn đông máu")
_HISTOLOGY = (
    "25.%",
    "Xét nghiệm mô bệnh học bệnh phẩm sinh thiết (chương 25)",
    "required",
)
_CYTOLOGY = ("25.%", "Xét nghiệm tế bào học bệnh phẩm chọc hút (chương 25)", "required")

M: dict[str, Modality] = {}


def _add(mod: Modality) -> None:
    M[mod.key] = mod


_add(
    Modality(
        "xray",
        "chụp X-quang thường quy",
        "XQ",
        MAMAY,
        6,
        MOH,
        "Máy X-quang (kỹ thuật số hoặc thường quy)",
        (_TECHNOLOGIST, _RADIOLOGIST),
        (),
        (),
        ("Tấm che chắn tia X", "Phim hoặc bộ nhận ảnh số"),
        _XRAY_STEPS,
        ("Không có tai biến đáng kể; chú ý liều chiếu ở trẻ em và phụ nữ có thai",),
        (_PREGNANCY,),
    )
)
_add(
    Modality(
        "xray_contrast",
        "chụp X-quang có thuốc cản quang",
        "XQ",
        MAMAY,
        40,
        EXPERT,
        "Máy X-quang có màn tăng sáng/kỹ thuật số",
        (_TECHNOLOGIST, _RADIOLOGIST),
        (_NURSE,),
        ("Thuốc cản quang (iod tan trong nước hoặc bari tùy vùng chụp)",),
        ("Bơm tiêm", "Ống thông (khi cần)", "Găng tay", "Tấm che chắn tia X"),
        _CONTRAST_STEPS,
        ("Phản ứng thuốc cản quang (nổi mẩn, khó thở, sốc phản vệ)",),
        (_PREGNANCY, _CONTRAST_ALLERGY, _RENAL),
    )
)
_add(
    Modality(
        "mammography",
        "chụp X-quang tuyến vú",
        "XQ",
        MAMAY,
        15,
        EXPERT,
        "Máy chụp X-quang tuyến vú",
        (_TECHNOLOGIST, _RADIOLOGIST),
        (),
        (),
        ("Bộ nhận ảnh số",),
        _XRAY_STEPS,
        ("Đau do ép vú (thoáng qua)",),
        (_PREGNANCY,),
    )
)
_add(
    Modality(
        "ct",
        "chụp cắt lớp vi tính không tiêm thuốc cản quang",
        "CL",
        MAMAY,
        15,
        EXPERT,
        "Máy chụp cắt lớp vi tính",
        (_TECHNOLOGIST, _RADIOLOGIST),
        (),
        (),
        ("Tấm che chắn tia X",),
        _PLAIN_SCAN_STEPS,
        ("Không có tai biến đáng kể; chú ý liều chiếu",),
        (_PREGNANCY,),
    )
)
_add(
    Modality(
        "ct_contrast",
        "chụp cắt lớp vi tính có tiêm thuốc cản quang",
        "CL",
        MAMAY,
        30,
        EXPERT,
        "Máy chụp cắt lớp vi tính, bơm tiêm điện",
        (_TECHNOLOGIST, _RADIOLOGIST),
        (_NURSE,),
        ("Thuốc cản quang iod tan trong nước", "Thuốc và hộp chống sốc"),
        ("Kim luồn tĩnh mạch", "Bơm tiêm điện chuyên dụng", "Dây nối", "Găng tay"),
        _CONTRAST_STEPS,
        (
            "Phản ứng thuốc cản quang (nổi mẩn, khó thở, sốc phản vệ)",
            "Thoát mạch thuốc cản quang tại chỗ tiêm",
            "Bệnh thận do thuốc cản quang",
        ),
        (_PREGNANCY, _CONTRAST_ALLERGY, _RENAL),
    )
)
_add(
    Modality(
        "ct_intervention",
        "thủ thuật dưới hướng dẫn cắt lớp vi tính",
        "CL",
        MAMAY,
        60,
        EXPERT,
        "Máy chụp cắt lớp vi tính, bộ dụng cụ sinh thiết/dẫn lưu",
        (_RADIOLOGIST, _TECHNOLOGIST),
        (_NURSE,),
        ("Thuốc gây tê tại chỗ (lidocain)", "Thuốc sát khuẩn", "Thuốc chống sốc"),
        ("Kim sinh thiết/chọc hút hoặc bộ dẫn lưu", "Bơm tiêm", "Gạc vô khuẩn"),
        (
            *_INTERVENTION_US_STEPS[:2],
            "Chụp cắt lớp định vị tổn thương, xác định đường vào",
            "Đưa kim/ống thông dưới hướng dẫn cắt lớp vi tính, kiểm tra vị trí",
            "Thực hiện thủ thuật; lấy bệnh phẩm nếu có",
            "Chụp kiểm tra sau thủ thuật; theo dõi người bệnh; ghi kết quả",
        ),
        ("Chảy máu", "Tràn khí màng phổi (thủ thuật vùng ngực)", "Nhiễm khuẩn"),
        (_PREGNANCY, _COAG),
    )
)
_add(
    Modality(
        "mri",
        "chụp cộng hưởng từ không tiêm thuốc đối quang từ",
        "MRI",
        MAMAY,
        30,
        EXPERT,
        "Máy chụp cộng hưởng từ",
        (_TECHNOLOGIST, _RADIOLOGIST),
        (),
        (),
        ("Nút bịt tai chống ồn",),
        _PLAIN_SCAN_STEPS,
        ("Sợ hãi khoảng kín; nóng vùng có kim loại",),
        (_PACEMAKER,),
    )
)
_add(
    Modality(
        "mri_contrast",
        "chụp cộng hưởng từ có tiêm thuốc đối quang từ",
        "MRI",
        MAMAY,
        45,
        EXPERT,
        "Máy chụp cộng hưởng từ, bơm tiêm điện tương thích từ trường",
        (_TECHNOLOGIST, _RADIOLOGIST),
        (_NURSE,),
        ("Thuốc đối quang từ (gadolinium)", "Thuốc và hộp chống sốc"),
        ("Kim luồn tĩnh mạch", "Bơm tiêm", "Dây nối", "Nút bịt tai chống ồn"),
        _CONTRAST_STEPS,
        ("Phản ứng thuốc đối quang từ", "Sợ hãi khoảng kín"),
        (_PACEMAKER, _RENAL, _CONTRAST_ALLERGY),
    )
)
_add(
    Modality(
        "ultrasound",
        "siêu âm chẩn đoán",
        "SA",
        MAMAY,
        15,
        EXPERT,
        "Máy siêu âm",
        ("Bác sĩ chuyên khoa chẩn đoán hình ảnh hoặc có chứng chỉ siêu âm (1)",),
        (),
        (),
        ("Gel siêu âm", "Giấy lau"),
        _US_STEPS,
        ("Không có tai biến",),
    )
)
_add(
    Modality(
        "doppler",
        "siêu âm Doppler mạch máu",
        "SA",
        MAMAY,
        20,
        EXPERT,
        "Máy siêu âm có Doppler màu",
        ("Bác sĩ chuyên khoa chẩn đoán hình ảnh hoặc có chứng chỉ siêu âm (1)",),
        (),
        (),
        ("Gel siêu âm", "Giấy lau"),
        _US_STEPS,
        ("Không có tai biến",),
    )
)
_add(
    Modality(
        "echo",
        "siêu âm tim",
        "SA",
        MAMAY,
        30,
        MOH,
        "Máy siêu âm tim có Doppler màu, đầu dò tim",
        ("Bác sĩ tim mạch hoặc chẩn đoán hình ảnh có chứng chỉ siêu âm tim (1)",),
        (_NURSE,),
        (),
        ("Gel siêu âm", "Điện cực điện tim"),
        _ECHO_STEPS,
        ("Không có tai biến",),
    )
)
_add(
    Modality(
        "echo_tee",
        "siêu âm tim qua thực quản",
        "SA",
        MAMAY,
        45,
        EXPERT,
        "Máy siêu âm tim, đầu dò qua thực quản",
        ("Bác sĩ tim mạch có chứng chỉ siêu âm tim qua thực quản (1)",),
        (_NURSE,),
        ("Thuốc gây tê họng (lidocain)", "Thuốc an thần khi cần"),
        ("Gel siêu âm", "Ngáng miệng", "Bao đầu dò"),
        _ECHO_STEPS,
        ("Tổn thương họng, thực quản", "Rối loạn nhịp", "Hít sặc"),
        (("I85", "I85", "absolute", "giãn tĩnh mạch thực quản"),),
    )
)
_add(
    Modality(
        "echo_stress",
        "siêu âm tim gắng sức",
        "SA",
        MAMAY,
        60,
        EXPERT,
        "Máy siêu âm tim, thảm chạy/xe đạp lực kế hoặc bơm tiêm điện (dobutamin)",
        ("Bác sĩ tim mạch có chứng chỉ siêu âm tim (1)",),
        (_NURSE,),
        ("Dobutamin (nghiệm pháp thuốc)", "Thuốc và hộp chống sốc"),
        ("Gel siêu âm", "Điện cực điện tim", "Kim luồn"),
        _ECHO_STEPS,
        ("Thiếu máu cơ tim, rối loạn nhịp trong gắng sức",),
        (("I21", "I22", "absolute", "nhồi máu cơ tim cấp"),),
    )
)
_add(
    Modality(
        "us_intervention",
        "thủ thuật dưới hướng dẫn siêu âm",
        "SA",
        MAMAY,
        45,
        EXPERT,
        "Máy siêu âm, bộ dụng cụ chọc hút/sinh thiết",
        ("Bác sĩ chuyên khoa chẩn đoán hình ảnh (1)",),
        (_NURSE,),
        ("Thuốc gây tê tại chỗ (lidocain)", "Thuốc sát khuẩn"),
        ("Kim chọc hút/sinh thiết", "Bao đầu dò vô khuẩn", "Bơm tiêm", "Gạc"),
        _INTERVENTION_US_STEPS,
        ("Chảy máu", "Nhiễm khuẩn", "Tổn thương tạng lân cận"),
        (_COAG,),
    )
)
_add(
    Modality(
        "endoscopy",
        "nội soi chẩn đoán",
        "NS",
        MAMAY,
        20,
        EXPERT,
        "Hệ thống nội soi (nguồn sáng, bộ xử lý hình ảnh, ống soi)",
        (_ENDOSCOPIST,),
        (_NURSE,),
        ("Thuốc gây tê tại chỗ (lidocain)",),
        ("Găng tay", "Ngáng miệng/gel bôi trơn", "Dung dịch khử khuẩn ống soi"),
        _ENDO_STEPS,
        ("Chảy máu", "Thủng tạng (hiếm)", "Phản ứng thuốc gây tê/an thần"),
        (_COAG,),
    )
)
_add(
    Modality(
        "endoscopy_biopsy",
        "nội soi có sinh thiết",
        "NS",
        MAMAY,
        30,
        EXPERT,
        "Hệ thống nội soi, kìm sinh thiết",
        (_ENDOSCOPIST,),
        (_NURSE,),
        ("Thuốc gây tê tại chỗ (lidocain)",),
        ("Kìm sinh thiết", "Lọ đựng bệnh phẩm, dung dịch cố định formol", "Găng tay"),
        _ENDO_STEPS,
        ("Chảy máu tại vị trí sinh thiết", "Thủng tạng (hiếm)"),
        (_COAG,),
        (_HISTOLOGY,),
    )
)
_add(
    Modality(
        "endoscopy_intervention",
        "nội soi can thiệp",
        "NS",
        MAMAY,
        60,
        EXPERT,
        "Hệ thống nội soi can thiệp và dụng cụ chuyên dụng",
        (_ENDOSCOPIST,),
        ("Điều dưỡng (2)",),
        ("Thuốc gây tê hoặc gây mê/an thần", "Thuốc cầm máu khi cần"),
        ("Dụng cụ can thiệp chuyên dụng (clip, snare, rọ, kim tiêm)", "Găng tay"),
        _ENDO_STEPS,
        ("Chảy máu", "Thủng tạng", "Phản ứng thuốc gây mê/an thần"),
        (_COAG,),
    )
)
_add(
    Modality(
        "dsa",
        "chụp và can thiệp mạch số hóa xóa nền",
        "DSA",
        MAMAY,
        60,
        EXPERT,
        "Máy chụp mạch số hóa xóa nền (DSA), bơm tiêm điện",
        (_RADIOLOGIST, _TECHNOLOGIST),
        ("Điều dưỡng (2)",),
        ("Thuốc cản quang iod", "Heparin", "Thuốc gây tê tại chỗ", "Thuốc chống sốc"),
        ("Bộ mở đường vào mạch (sheath)", "Ống thông, dây dẫn", "Bơm tiêm điện"),
        _DSA_STEPS,
        ("Chảy máu, tụ máu vùng chọc", "Phản ứng thuốc cản quang", "Tắc mạch"),
        (_CONTRAST_ALLERGY, _RENAL, _COAG),
    )
)
_add(
    Modality(
        "ecg",
        "ghi điện tim",
        "ĐT",
        MAMAY,
        10,
        EXPERT,
        "Máy ghi điện tim",
        ("Bác sĩ hoặc điều dưỡng/kỹ thuật viên đã được đào tạo ghi điện tim (1)",),
        (),
        (),
        ("Điện cực", "Gel", "Giấy ghi điện tim"),
        _ECG_STEPS,
        ("Không có tai biến",),
    )
)
_add(
    Modality(
        "holter",
        "ghi Holter",
        "ĐT",
        EXPERT,
        30,
        EXPERT,
        "Máy Holter và phần mềm phân tích",
        ("Bác sĩ tim mạch đọc kết quả (1)", "Điều dưỡng/kỹ thuật viên lắp máy (1)"),
        (),
        (),
        ("Điện cực", "Pin"),
        _FUNCTION_STEPS,
        ("Kích ứng da tại vị trí dán điện cực",),
    )
)
_add(
    Modality(
        "stress_ecg",
        "nghiệm pháp gắng sức điện tâm đồ",
        "ĐT",
        MAMAY,
        45,
        EXPERT,
        "Hệ thống điện tim gắng sức (thảm chạy/xe đạp lực kế)",
        ("Bác sĩ tim mạch (1)",),
        (_NURSE,),
        ("Thuốc và hộp chống sốc, thuốc cấp cứu tim mạch",),
        ("Điện cực", "Gel"),
        _FUNCTION_STEPS,
        ("Thiếu máu cơ tim, rối loạn nhịp trong gắng sức",),
        (("I21", "I22", "absolute", "nhồi máu cơ tim cấp"),),
    )
)
_add(
    Modality(
        "eeg",
        "ghi điện não",
        "ĐN",
        EXPERT,
        40,
        EXPERT,
        "Máy ghi điện não",
        ("Bác sĩ thần kinh đọc kết quả (1)", "Kỹ thuật viên ghi điện não (1)"),
        (),
        (),
        ("Điện cực", "Gel dẫn"),
        _FUNCTION_STEPS,
        ("Co giật khi làm nghiệm pháp kích thích",),
    )
)
_add(
    Modality(
        "emg",
        "ghi điện cơ",
        "ĐC",
        EXPERT,
        45,
        EXPERT,
        "Máy điện cơ",
        ("Bác sĩ thần kinh hoặc phục hồi chức năng (1)",),
        (),
        (),
        ("Điện cực kim/bề mặt", "Bông cồn"),
        _FUNCTION_STEPS,
        ("Đau, bầm tại vị trí kim",),
    )
)
_add(
    Modality(
        "dexa",
        "đo mật độ xương",
        "ĐMX",
        EXPERT,
        15,
        EXPERT,
        "Máy đo mật độ xương (DEXA)",
        (_TECHNOLOGIST, "Bác sĩ đọc kết quả (1)"),
        (),
        (),
        (),
        _FUNCTION_STEPS,
        ("Không có tai biến đáng kể",),
        (_PREGNANCY,),
    )
)
_add(
    Modality(
        "function",
        "thăm dò chức năng",
        "",
        EXPERT,
        30,
        EXPERT,
        "Thiết bị thăm dò chức năng chuyên dụng",
        ("Bác sĩ chuyên khoa (1)", "Kỹ thuật viên (1)"),
        (),
        (),
        (),
        _FUNCTION_STEPS,
        ("Không có tai biến đáng kể",),
    )
)

# (regex on the lower-cased name, modality); first match wins. Reviewed 2026-11.
RULES: tuple[tuple[str, str], ...] = (
    # Endoscopic gastrostomy (PEG) is an endoscopic intervention, not open surgery.
    (r"^mở thông dạ dày (qua|bằng) nội soi", "endoscopy_if"),
    (
        # "... tránh phẫu thuật" (done to avoid surgery) is not surgery.
        r"(?<!tránh )phẫu thuật|cắt bỏ|khâu |^(cắt|nối|khâu|tạo hình|bóc|mở )|nội soi bụng|nội soi ổ bụng.*(cắt|khâu|nối)",
        "",
    ),
    (r"siêu âm điều trị|điều trị.*bằng siêu âm|có sử dụng siêu âm", ""),
    (r"(dưới|hướng dẫn của) (chụp )?(cắt lớp vi tính|clvt)", "ct_intervention"),
    (r"siêu âm tim.*(qua thực quản)", "echo_tee"),
    (r"siêu âm tim.*gắng sức|gắng sức.*siêu âm", "echo_stress"),
    (r"siêu âm tim|siêu âm doppler tim|siêu âm 2d tim", "echo"),
    (
        r"siêu âm can thiệp|dưới hướng dẫn (của )?siêu âm|dưới siêu âm|hướng dẫn của siêu âm|siêu âm dẫn đường|siêu âm.*(sinh thiết|chọc)",
        "us_intervention",
    ),
    (r"siêu âm.*doppler|doppler.*siêu âm|siêu âm doppler", "doppler"),
    (r"nội soi siêu âm|siêu âm nội soi", "endoscopy_biopsy_if"),
    (r"siêu âm", "ultrasound"),
    (r"doppler", "doppler"),
    (
        r"số hóa xóa nền|dsa|chụp.*động mạch.*(can thiệp|nút)|nút mạch|can thiệp mạch",
        "dsa",
    ),
    (r"cộng hưởng từ|mri", "mri_contrast_if"),
    (r"cắt lớp vi tính|clvt|ct scan", "ct_contrast_if"),
    (r"x-?quang.*(tuyến vú|vú)|nhũ ảnh", "mammography"),
    (
        r"x-?quang.*(cản quang|thực quản|dạ dày|khung đại tràng|ruột non|niệu đồ|niệu quản|bàng quang|niệu đạo|tử cung|đường mật|đường rò|lỗ rò|tuyến nước bọt|có bơm thuốc)",
        "xray_contrast",
    ),
    (r"x-?quang|xquang", "xray"),
    # Plain-film price variants of a "Chụp ..." name without the word X-quang
    # (e.g. "Chụp lỗ thị giác [≤ 24x30 cm, 1 tư thế]", "[số hóa 1 phim]").
    (r"^chụp (bàng quang|niệu đạo|tử cung|đường mật|đường rò|lỗ rò)", "xray_contrast"),
    (r"^chụp .*\[(≤ ?|> ?)?\d+ ?x ?\d+ ?cm|^chụp .*\[số hóa \d+ phim", "xray"),
    (r"nội soi|soi (đại|trực|bàng|thanh|phế|tai|mũi)", "endoscopy_if"),
    (r"holter", "holter"),
    (r"gắng sức.*điện tâm đồ|điện tâm đồ gắng sức", "stress_ecg"),
    (r"điện tim|điện tâm đồ", "ecg"),
    (r"điện não", "eeg"),
    (r"điện cơ", "emg"),
    (r"mật độ xương", "dexa"),
    (
        r"^đo |test |lưu huyết|chức năng hô hấp|thính lực|nhĩ lượng|âm ốc tai",
        "function",
    ),
)

_BIOPSY = re.compile(r"sinh thiết|chọc hút tế bào|lấy bệnh phẩm")
# Functional tests outside chapters 18/20/21 kept as functional exploration (the other
# "Đo ..." names there are laboratory or bedside measurements, out of scope).
_CLINICAL_FUNCTION = re.compile(
    r"chức năng hô hấp|áp lực hậu môn|thính lực|nhĩ lượng|âm ốc tai"
)
_INTERVENTION = re.compile(
    r"cầm máu|lấy dị vật|cắt |đặt |tán sỏi|thắt |nong |mở thông|tiêm |dẫn lưu|"
    r"can thiệp|tách dính|lấy sỏi|bơm rửa|kẹp|clip|nút "
)
_CONTRAST_NO = re.compile(r"không (tiêm|dùng|có) thuốc|không tiêm|không thuốc")
_CONTRAST_YES = re.compile(
    r"có (tiêm )?thuốc|có tiêm|tiêm thuốc|mạch máu|động mạch|tĩnh mạch|tưới máu|"
    r"đối quang|cản quang"
)

# (regex on the name, region key); first match wins.
REGIONS: tuple[tuple[str, str], ...] = (
    (r"tim|mạch vành|van ", "heart"),
    (r"sọ|não|tuyến yên|hố yên|nền sọ", "head"),
    (
        r"mắt|hốc mắt|đáy mắt|giác mạc|nhãn áp|khúc xạ|thị trường|sắc giác|độ lác|điều tiết",
        "eye",
    ),
    (
        r"tai|mũi|xoang|họng|thanh quản|vòm|blondeau|hirtz|schuller|stenvers|bàn đạp|thính lực|nhĩ lượng",
        "ent",
    ),
    (r"tuyến giáp|tuyến nước bọt|cổ(?! tay| chân| tử cung| bàn)|hạch", "neck"),
    (r"vú", "breast"),
    (r"phế quản|phổi|ngực|lồng ngực|màng phổi|trung thất|đỉnh phổi", "chest"),
    (r"thực quản|dạ dày|tá tràng|ruột non", "upper_gi"),
    (r"đại tràng|trực tràng|hậu môn|sigma", "lower_gi"),
    (r"gan|mật|tụy|lách|ổ bụng|bụng|ruột", "abdomen"),
    (r"thận|tiết niệu|niệu|bàng quang|tiền liệt|tinh hoàn|bìu|dương vật", "urinary"),
    (r"tử cung|buồng trứng|thai|phụ khoa|âm đạo|tiểu khung|sản", "obgyn"),
    (r"cột sống|thắt lưng|cùng cụt|đốt sống", "spine"),
    (r"mạch|động mạch|tĩnh mạch", "vessels"),
    (
        r"xương|khớp|chi |chi$|bàn|ngón|gót|đùi|cẳng|cánh tay|vai|háng|gối|khuỷu|"
        r"cổ tay|cổ chân|chậu|bánh chè|ức|sườn|đòn|mặt|hàm|răng",
        "musculoskeletal",
    ),
    (r"phần mềm|da", "soft_tissue"),
)

# region → ICD-10 ranges of indications (expert_estimate, reviewed by chapter blocks).
INDICATIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "heart": (
        ("I00", "I99", "bệnh tuần hoàn"),
        ("Q20", "Q28", "dị tật tim bẩm sinh"),
        ("R00", "R01", "bất thường nhịp, tiếng tim"),
        ("R07", "R07", "đau ngực"),
    ),
    "head": (
        ("G00", "G99", "bệnh thần kinh"),
        ("I60", "I69", "bệnh mạch não"),
        ("S00", "S09", "chấn thương đầu"),
        ("C69", "C72", "u não, mắt"),
        ("D32", "D33", "u lành não, màng não"),
        ("R51", "R51", "đau đầu"),
        ("R55", "R56", "ngất, co giật"),
        ("F00", "F09", "rối loạn tâm thần thực tổn"),
    ),
    "eye": (("H00", "H59", "bệnh mắt"), ("S05", "S05", "chấn thương mắt")),
    "ent": (
        ("H60", "H95", "bệnh tai"),
        ("J00", "J06", "nhiễm khuẩn hô hấp trên"),
        ("J30", "J39", "bệnh mũi xoang, họng, thanh quản"),
        ("C00", "C14", "u miệng, họng"),
        ("C30", "C32", "u mũi xoang, thanh quản"),
        ("R04", "R04", "chảy máu đường hô hấp"),
    ),
    "neck": (
        ("E00", "E07", "bệnh tuyến giáp"),
        ("C73", "C73", "u tuyến giáp"),
        ("K11", "K11", "bệnh tuyến nước bọt"),
        ("R59", "R59", "hạch to"),
        ("C77", "C77", "hạch di căn"),
    ),
    "breast": (
        ("N60", "N65", "bệnh vú"),
        ("C50", "C50", "u vú"),
        ("D24", "D24", "u lành vú"),
    ),
    "chest": (
        ("J00", "J99", "bệnh hô hấp"),
        ("A15", "A19", "lao"),
        ("C33", "C39", "u hô hấp"),
        ("S20", "S29", "chấn thương ngực"),
        ("R05", "R09", "triệu chứng hô hấp"),
        ("I26", "I28", "bệnh tim phổi"),
    ),
    "upper_gi": (
        ("K20", "K31", "bệnh thực quản, dạ dày, tá tràng"),
        ("C15", "C17", "u ống tiêu hóa trên"),
        ("K92", "K92", "xuất huyết tiêu hóa"),
        ("R10", "R13", "đau bụng, buồn nôn, nuốt khó"),
        ("I85", "I85", "giãn tĩnh mạch thực quản"),
    ),
    "lower_gi": (
        ("K50", "K64", "bệnh ruột, hậu môn"),
        ("C18", "C21", "u đại trực tràng"),
        ("K92", "K92", "xuất huyết tiêu hóa"),
        ("R19", "R19", "triệu chứng tiêu hóa khác"),
        ("D12", "D12", "polyp đại trực tràng"),
    ),
    "abdomen": (
        ("K00", "K95", "bệnh tiêu hóa"),
        ("C15", "C26", "u tiêu hóa"),
        ("R10", "R19", "triệu chứng bụng"),
        ("S30", "S39", "chấn thương bụng"),
        ("B15", "B19", "viêm gan virus"),
        # Abdominal imaging covers the kidneys, bladder and pelvis (siêu âm ổ bụng
        # tổng quát: gan mật, tụy, lách, thận, bàng quang, tiền liệt tuyến, tử cung -
        # phần phụ).
        ("N00", "N51", "bệnh thận, tiết niệu, sinh dục nam (tiền liệt tuyến)"),
        ("R30", "R39", "triệu chứng tiết niệu"),
        ("N70", "N98", "bệnh phụ khoa vùng tiểu khung"),
        ("D25", "D28", "u lành sinh dục nữ"),
    ),
    "urinary": (
        ("N00", "N51", "bệnh thận, tiết niệu, sinh dục nam"),
        ("C60", "C68", "u tiết niệu, sinh dục nam"),
        ("R30", "R39", "triệu chứng tiết niệu"),
        ("S37", "S37", "chấn thương tiết niệu"),
    ),
    "obgyn": (
        ("N70", "N98", "bệnh phụ khoa"),
        ("O00", "O99", "thai nghén, sinh đẻ"),
        ("Z32", "Z36", "khám thai"),
        ("C51", "C58", "u sinh dục nữ"),
        ("D25", "D28", "u lành sinh dục nữ"),
    ),
    "spine": (
        ("M40", "M54", "bệnh cột sống"),
        ("S12", "S14", "chấn thương cột sống cổ"),
        ("S22", "S24", "chấn thương cột sống ngực"),
        ("S32", "S34", "chấn thương cột sống thắt lưng"),
        ("G95", "G95", "bệnh tủy sống"),
        ("C41", "C41", "u xương"),
    ),
    "vessels": (
        ("I70", "I89", "bệnh mạch máu"),
        ("I26", "I26", "tắc mạch phổi"),
        ("S15", "S15", "chấn thương mạch"),
    ),
    "musculoskeletal": (
        ("M00", "M99", "bệnh cơ xương khớp"),
        ("S00", "T14", "chấn thương"),
        ("C40", "C41", "u xương"),
        ("Q65", "Q79", "dị tật cơ xương"),
    ),
    "soft_tissue": (
        ("L00", "L99", "bệnh da, mô dưới da"),
        ("M60", "M79", "bệnh mô mềm"),
        ("D17", "D23", "u lành mô mềm"),
        ("R22", "R22", "khối sưng khu trú"),
    ),
}
FUNCTION_INDICATIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "ecg": INDICATIONS["heart"]
    + (("R55", "R55", "ngất"), ("E87", "E87", "rối loạn điện giải")),
    "holter": INDICATIONS["heart"] + (("R55", "R55", "ngất"),),
    "stress_ecg": INDICATIONS["heart"],
    "eeg": (
        ("G40", "G41", "động kinh"),
        ("R56", "R56", "co giật"),
        ("G93", "G93", "bệnh não"),
        ("F00", "F99", "rối loạn tâm thần"),
        ("R40", "R41", "rối loạn ý thức"),
    ),
    "emg": (
        ("G50", "G73", "bệnh dây thần kinh, cơ"),
        ("M54", "M54", "đau lưng, bệnh rễ"),
        ("G80", "G83", "liệt"),
    ),
    "dexa": (
        ("M80", "M85", "loãng xương, rối loạn mật độ xương"),
        ("E20", "E35", "bệnh nội tiết"),
        ("N95", "N95", "rối loạn mãn kinh"),
    ),
}


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower().strip()


def _name_key(text: str) -> str:
    t = _norm(text)
    t = re.sub(r"\[.*?\]|\(.*?\)", " ", t)
    t = re.sub(r"x[\s-]?quang", "xquang", t)
    return re.sub(r"[^0-9a-zà-ỹđ]+", "", t)


def classify(name: str) -> str | None:
    """Return the modality key of a technique name, or None when out of scope."""
    low = _norm(name)
    for pattern, key in RULES:
        if re.search(pattern, low):
            if not key:
                return None
            if key == "ct_contrast_if":
                return (
                    "ct_contrast"
                    if _CONTRAST_YES.search(low) and not _CONTRAST_NO.search(low)
                    else "ct"
                )
            if key == "mri_contrast_if":
                return (
                    "mri_contrast"
                    if _CONTRAST_YES.search(low) and not _CONTRAST_NO.search(low)
                    else "mri"
                )
            if key in {"endoscopy_if", "endoscopy_biopsy_if"}:
                if _BIOPSY.search(low) and "không sinh thiết" not in low:
                    return "endoscopy_biopsy"
                if _INTERVENTION.search(low):
                    return "endoscopy_intervention"
                return "endoscopy"
            return key
    return None


def region_of(name: str) -> str | None:
    """Return the body region of a technique name (drives its ICD indications)."""
    low = _norm(name)
    for pattern, key in REGIONS:
        if re.search(pattern, low):
            return key
    return None


def _load_names() -> dict[str, tuple[str, str]]:
    """Return code → (name, origin) from M05 (first) and QĐ 4440 PL3 (ch. 18/20/21)."""
    names: dict[str, tuple[str, str]] = {}
    with (DATA / "dvkt_catalogue_M05_sample_facility_92114.csv").open(
        encoding="utf-8-sig", newline=""
    ) as fh:
        for row in csv.DictReader(fh):
            code = row["MA_DICH_VU"].strip()
            base = re.sub(r"(_GT|_TB)?(\.K\.\d{5})?$", "", code)
            if re.match(r"^\d{2}\.\d{3}[0-9a-z]\.\d{4}$", base):
                names.setdefault(base, (row["TEN_DICH_VU"].strip(), "m05_92114"))
    with (DATA / "icd9cm_qd4440_pl3_ma_tuong_duong_map.csv").open(
        encoding="utf-8-sig", newline=""
    ) as fh:
        for row in csv.DictReader(fh):
            code = row["ma_tuong_duong"].strip()
            if code[:2] in {"18", "20", "21"}:
                names.setdefault(code, (row["ten_ky_thuat"].strip(), "qd4440_pl3"))
    return names


def _scope_names() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for file, source in (
        ("phu_luc_xiv_ky_thuat_y.json", "tt32_2023_pl_xiv"),
        ("phu_luc_v_bac_sy_y_khoa.json", "tt32_2023_pl_v"),
    ):
        entries = json.loads((DATA / file).read_text(encoding="utf-8"))
        out[source] = {_name_key(e["ten_ky_thuat"]) for e in entries}
    return out


def build() -> tuple[list[list[str]], list[list[str]], list[list[str]]]:  # noqa: PLR0912, PLR0915
    """Return the guidance, indication and companion rows."""
    names = _load_names()
    scope = _scope_names()
    guidance: list[list[str]] = []
    indications: list[list[str]] = []
    companions: list[list[str]] = []
    for code in sorted(names):
        name, origin = names[code]
        key = classify(name)
        chapter = code[:2]
        if key is None:
            continue
        if chapter == "27" or (
            chapter not in {"18", "20", "21"}
            and key == "function"
            and not _CLINICAL_FUNCTION.search(_norm(name))
        ):
            continue
        mod = M[key]
        low = _norm(name)
        rows: list[tuple[str, str, int, str, str]] = []
        rows.append(("0", "ten_ky_thuat", 1, name, origin))
        rows.append(("0", "modality", 1, key, EXPERT))
        region = region_of(name)
        if region:
            rows.append(("0", "body_region", 1, region, NAME))
        rows.append(("1", "definition", 1, f"{name}: {mod.label}.", NAME))
        for i, text in enumerate(mod.direct, 1):
            src = EXPERT
            nk = _name_key(name)
            if "Cử nhân kỹ thuật y" in text and nk in scope["tt32_2023_pl_xiv"]:
                src = "tt32_2023_pl_xiv"
            rows.append(("5.1a", "staff_direct", i, text, src))
        if nk_in := (_name_key(name) in scope["tt32_2023_pl_v"]):
            rows.append(
                (
                    "5.1a",
                    "staff_direct",
                    len(mod.direct) + 1,
                    "Bác sĩ y khoa (1)",
                    "tt32_2023_pl_v",
                )
            )
        del nk_in
        for i, text in enumerate(mod.support, 1):
            rows.append(("5.1b", "staff_support", i, text, EXPERT))
        drugs = list(mod.drugs)
        if "gây mê" in low or "an thần" in low:
            drugs.append("Thuốc gây mê/an thần (theo tên kỹ thuật)")
        for i, text in enumerate(drugs, 1):
            src = NAME if text.endswith("(theo tên kỹ thuật)") else EXPERT
            rows.append(("5.2", "drugs", i, text, src))
        supplies = list(mod.supplies)
        film = re.search(r"(\d+)\s*phim", low)
        if film and "số hóa" not in low:
            supplies.append(f"Phim X-quang ({film.group(1)} phim)")
        for i, text in enumerate(supplies, 1):
            src = NAME if text.startswith("Phim X-quang (") else EXPERT
            rows.append(("5.3", "supplies", i, text, src))
        rows.append(("5.4", "equipment", 1, mod.equipment, EXPERT))
        if mod.machine_group and not (key == "holter" and "huyết áp" in low):
            rows.append(
                ("5.4", "machine_group", 1, mod.machine_group, mod.machine_source)
            )
        minutes = mod.minutes
        msrc = mod.minutes_source
        if key == "xray" and re.search(r"(\d+)\s*phim", low):
            n = int(re.search(r"(\d+)\s*phim", low).group(1))  # type: ignore[union-attr]
            if n > 1:
                minutes, msrc = 6 + 3 * (n - 1), EXPERT
        if key == "endoscopy" and re.search(r"đại tràng(?! sigma)|toàn bộ", low):
            minutes = 30
        if key == "endoscopy" and re.search(r"tai|mũi|họng|thanh quản", low):
            minutes = 10
        rows.append(("5.7", "reference_minutes", 1, str(minutes), msrc))
        for i, text in enumerate(mod.steps, 1):
            rows.append(("6", "key_steps", i, text, EXPERT))
        for i, text in enumerate(mod.complications, 1):
            rows.append(("7", "complications", i, text, EXPERT))
        for i, (frm, to, strength, note) in enumerate(mod.contraindications, 1):
            rows.append(("3", "contraindications", i, note, EXPERT))
            indications.append(
                [code, "contraindication", frm, to, strength, note, EXPERT]
            )
        groups = FUNCTION_INDICATIONS.get(key) or INDICATIONS.get(region or "", ())
        for frm, to, note in groups:
            indications.append([code, "indication", frm, to, "", note, EXPERT])
        for i, (_, _, note) in enumerate(groups, 1):
            rows.append(("2", "indications", i, note, EXPERT))
        comps = list(mod.companions)
        if not comps and _BIOPSY.search(low) and "không sinh thiết" not in low:
            comps.append(_CYTOLOGY if "tế bào" in low else _HISTOLOGY)
        for pattern, description, requirement in comps:
            companions.append([code, pattern, description, requirement, EXPERT])
        guidance.extend(
            [code, section, fld, str(seq), value, src]
            for section, fld, seq, value, src in rows
        )
    return guidance, indications, companions


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> int:
    """Write the three data files and print a summary."""
    guidance, indications, companions = build()
    _write(
        DATA / "technique_guidance.csv",
        ["ma_dich_vu", "section", "field", "seq", "value", "source"],
        guidance,
    )
    _write(
        DATA / "technique_indications.csv",
        ["ma_dich_vu", "kind", "icd_from", "icd_to", "strength", "note", "source"],
        indications,
    )
    _write(
        DATA / "technique_companions.csv",
        ["ma_dich_vu", "companion_pattern", "description", "requirement", "source"],
        companions,
    )
    techniques = {row[0] for row in guidance}
    print(f"{len(techniques)} techniques, {len(guidance)} guidance values")
    print(f"{len(indications)} indication rows, {len(companions)} companion rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
