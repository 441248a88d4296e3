"""Imaging or functional-test line without a machine code.

Why: QĐ 130/QĐ-BYT (kept by QĐ 4750/QĐ-BYT), XML3 field ``MA_MAY``, requires the
code of the machine that performed a paraclinical service, surgery or procedure
(only samples sent to another facility are exempt, which cannot happen for
imaging or functional tests). Without it the insurer cannot check that the
service was done on declared, lawfully acquired equipment
(TT 12/2026/TT-BTC Art. 10.1.e), so the line needs joint verification.

Violation: an XML3 line of group ``MA_NHOM`` in ``groups`` (2 diagnostic
imaging, 3 functional tests) with an empty ``MA_MAY``.

Compliant: the machine code is present. Laboratory lines (group 1) are not judged
here because a sample sent out legitimately has no machine.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="TB002",
    name="equipment.machine_code_missing",
    version=1,
    doc=__doc__,
    title="Thiếu mã máy cho dịch vụ chẩn đoán hình ảnh, thăm dò chức năng",
    title_en="Imaging or functional-test line without a machine code",
    message=(
        "Dịch vụ {ma_dich_vu} (nhóm {ma_nhom}) không ghi mã máy thực hiện (MA_MAY)"
    ),
    message_en=("Service {ma_dich_vu} (group {ma_nhom}) has no machine code (MA_MAY)"),
    family=Family.FACILITY_SCOPE,
    severity=Severity.REVIEW,
    basis=(
        cite("qd130_2023/xml3.ma_may"),
        cite("tt12_2026/10.1.e"),
    ),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML3",
    params={"groups": "2;3"},
    evidence=frozenset({Evidence.CLAIM_DATA}),
    sql="""
        select l.ma_lk, l.stt, l.ma_dich_vu, l.ma_nhom
        from xml3 as l
        where coalesce(trim(l.ma_may), '') = ''
          and coalesce(l.ma_vat_tu, '') = ''
          and list_contains(
              string_split((select groups from params), ';'),
              cast(l.ma_nhom as varchar)
          )
    """,
)
