"""Performer's or result reader's declared scope may not cover the technique.

Why: a practitioner may only perform the techniques within the scope of practice
of their licence; TT 12/2026/TT-BTC Art. 10.1.g has the insurer check the scope
of practice of the practitioner of every line. The staff catalogue declares it as
``PHAMVI_CM`` (main scope) and ``PHAMVI_CMBS`` (added scopes), coded with the
specialty codes of "Bảng 7" that coincide with the chapters of the technique list
(18 imaging, 22–24 laboratory…), plus the single techniques of ``DVKT_KHAC``.

The law does not scope practice by chapter, though: TT 32/2023/TT-BYT
(31/12/2023) lists the techniques of each professional title, and the lists cut
across chapters. Its appendix V (bác sỹ y khoa, shipped as
``ref_scope_of_practice``) has, for instance, "Siêu âm ổ bụng" (02.0314) and
"Điện tim thường" (02.0085) next to chapter-03 and chapter-17 techniques; and a
certificate issued before the 2023 Law keeps the scope written on it. A chapter
outside the declared specialty codes is therefore a lead for joint verification
(the licence and its scope are in the facility's records), never a refusal.

Violation: an XML3 technical-service line (``MA_DICH_VU`` of the form
``XX.YYYY.ZZZZ``) whose performer (each person of ``NGUOI_THUC_HIEN``, on the
execution date) or result reader (``MA_BS_DOC_KQ`` of its XML4 result, on the
result date), special forms read as in NV001, has M02 rows valid that day, none
of which lists the chapter ``XX`` in ``PHAMVI_CM``/``PHAMVI_CMBS``, the general
scope ``general_scope`` (29, đa khoa) or the technique in ``DVKT_KHAC``.

Compliant: their declared scope covers the chapter. The ordering doctor is not
judged (ordering a test is within any clinician's scope); a person absent from M02
is NV001's business; exams, beds and supplies are not judged.
"""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Grain, Period, Severity
from giamdinh.rules.citations import cite
from giamdinh.rules.model import Evidence, Family, Rule

RULE = Rule(
    id="NV003",
    name="practitioner.scope_not_covering_technique",
    version=1,
    doc=__doc__,
    title=(
        "Phạm vi hành nghề của người thực hiện, người đọc kết quả không bao gồm "
        "kỹ thuật"
    ),
    title_en="Performer's or reader's scope of practice does not cover the technique",
    message=(
        "Dịch vụ {ma_dich_vu} (chương {chuong}): {nguoi_hanh_nghe} ({vai_tro}) khai "
        "phạm vi chuyên môn {pham_vi}, không có chương này; cần giám định chung "
        "phạm vi hành nghề trên giấy phép"
    ),
    message_en=(
        "Service {ma_dich_vu} (chapter {chuong}): {nguoi_hanh_nghe} ({vai_tro}) "
        "declares scope {pham_vi}, without that chapter; the scope on the licence "
        "needs joint verification"
    ),
    family=Family.PRACTITIONER,
    severity=Severity.REVIEW,
    basis=(
        cite("tt12_2026/10.1.g"),
        cite("tt32_2023/scope"),
    ),
    effective=Period(start=date(2026, 2, 10)),
    grain=Grain.LINE,
    table="XML3",
    params={"general_scope": "29"},
    evidence=frozenset({Evidence.CLAIM_DATA, Evidence.CATALOGUE}),
    sql=r"""
        with performers as (
            select
                ma_lk, stt, code as ma_dich_vu, ma_cskcb, vai_tro, ngay,
                left(code, 2) as chuong, macchn, noi_khai_bao
            from line_practitioners
            where tbl = 'XML3'
              and vai_tro in ('NGUOI_THUC_HIEN', 'MA_BS_DOC_KQ')
              and regexp_matches(code, '^\d{2}\.\d{4}\.\d{4}')
        ),
        keys as (
            select distinct noi_khai_bao, macchn, ngay, chuong,
                   left(ma_dich_vu, 12) as ma12
            from performers
            where macchn <> ''
        ),
        judged as (
            select
                k.noi_khai_bao, k.macchn, k.ngay, k.chuong, k.ma12,
                array_to_string(
                    list_sort(
                        list_distinct(list(concat_ws(';', m.phamvi_cm, m.phamvi_cmbs)))
                    ),
                    ' | '
                ) as pham_vi,
                max(
                    case
                        when list_contains(
                            string_split(
                                concat_ws(';', m.phamvi_cm, m.phamvi_cmbs), ';'
                            ),
                            k.chuong
                        ) then 1
                        when list_contains(
                            string_split(
                                concat_ws(';', m.phamvi_cm, m.phamvi_cmbs), ';'
                            ),
                            (select general_scope from params)
                        ) then 1
                        when list_contains(
                            string_split(coalesce(m.dvkt_khac, ''), ';'), k.ma12
                        ) then 1
                        else 0
                    end
                ) as covered
            from keys as k
            join ref_practitioners as m
              on m.ma_cskcb = k.noi_khai_bao
             and m.macchn = k.macchn
             and k.ngay >= m.valid_from
             and (m.valid_to is null or k.ngay <= m.valid_to)
            group by k.noi_khai_bao, k.macchn, k.ngay, k.chuong, k.ma12
        )
        select
            p.ma_lk, p.stt, any_value(p.ma_dich_vu) as ma_dich_vu,
            any_value(p.chuong) as chuong,
            array_to_string(
                list_sort(list_distinct(list(p.macchn))), '; '
            ) as nguoi_hanh_nghe,
            array_to_string(
                list_sort(list_distinct(list(p.vai_tro))), ', '
            ) as vai_tro,
            array_to_string(list_sort(list_distinct(list(j.pham_vi))), ' | ')
                as pham_vi
        from performers as p
        join judged as j
          on j.noi_khai_bao = p.noi_khai_bao
         and j.macchn = p.macchn
         and j.ngay = p.ngay
         and j.chuong = p.chuong
         and j.ma12 = left(p.ma_dich_vu, 12)
        where j.covered = 0
        group by p.ma_lk, p.stt
    """,
)
