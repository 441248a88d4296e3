"""SQL shared by a rule on service lines (XML3) and its twin on drug lines (XML2).

Some checks are the same for both line tables and differ only in the table and
the code column; the two rules keep their own ids, messages and cases, and build
their SQL here so that the check itself is written once. This is not a rule
module (its name does not match ``MODULE_RE``).

NOTE: S608 (SQL built from strings) is off in this module: the only values put
into the SQL are the view, code expression and column name that the rule modules
pass, which are reviewed code, never data.
"""
# ruff: noqa: S608

from __future__ import annotations


def card_period_sql(view: str, code: str, code_name: str) -> str:
    """Lines ordered on a day no card period of the claim covers (BH001, BH002).

    A line is covered when its order day is inside a period of ``card_periods``,
    or, for a treatment episode (``MA_LOAI_KCB`` 02, 03, 04, 05, 06, 08, 09: every
    type but the visit 01 and the drug pick-up 07) admitted while a card was valid,
    at most ``grace_days`` days (a rule parameter) after that card ended (Decree
    188/2025/NĐ-CP Art. 50.4).

    Args:
        view: the line view (``xml3`` or ``xml2``).
        code: the SQL expression of the line's code (alias ``l``).
        code_name: the output column of the code.
    """
    return f"""
        with lines as (
            select
                l.ma_lk, l.stt, {code} as {code_name},
                cast(l.ngay_yl as date) as ngay_chi_dinh,
                strftime(cast(l.ngay_yl as date), '%Y%m%d') as ngay
            from {view} as l
            where l.ngay_yl is not null
        ),
        covered as (
            select distinct l.ma_lk, l.stt
            from lines as l
            join card_periods as c on c.ma_lk = l.ma_lk
            where (l.ngay >= c.tu and (c.den = '' or l.ngay <= c.den))
               or (
                   c.ma_loai_kcb in ('02', '03', '04', '05', '06', '08', '09')
                   and c.den <> ''
                   and c.ngay_vao >= c.tu and c.ngay_vao <= c.den
                   and l.ngay > c.den
                   and strftime(
                       l.ngay_chi_dinh - cast((select grace_days from params) as int),
                       '%Y%m%d'
                   ) <= c.den
               )
        ),
        uncovered as (
            select l.*
            from lines as l
            anti join covered as v on v.ma_lk = l.ma_lk and v.stt = l.stt
        )
        select
            l.ma_lk, l.stt, l.{code_name}, l.ngay_chi_dinh,
            array_to_string(list_sort(list(c.mo_ta)), '; ') as the_bhyt
        from uncovered as l
        join card_periods as c on c.ma_lk = l.ma_lk
        group by l.ma_lk, l.stt, l.{code_name}, l.ngay_chi_dinh
"""


def benefit_level_sql(view: str, code: str, code_name: str) -> str:
    """Lines whose ``MUC_HUONG`` is above the card and visit type allow (BH003/4).

    Reads the parameters ``base_salary`` and ``low_cost_percent`` (a claim below
    that share of the base salary is paid in full).

    Args:
        view: the line view (``xml3`` or ``xml2``).
        code: the SQL expression of the line's code (alias ``l``).
        code_name: the output column of the code.
    """
    return f"""
        with factors as (
            select * from (
                values
                    ('1.13', date '2025-01-01', date '2026-06-30', 'all', 0.0),
                    ('1.13', date '2026-07-01', date '9999-12-31', 'all', 0.5),
                    ('1.14', date '2025-01-01', date '2026-06-30', 'all', 0.0),
                    ('1.14', date '2026-07-01', date '9999-12-31', 'all', 0.5),
                    ('1.18', date '2025-01-01', date '2026-06-30', 'all', 0.0),
                    ('1.18', date '2026-07-01', date '9999-12-31', 'all', 0.5),
                    ('3.1', date '2025-01-01', date '9999-12-31', 'inpatient', 0.4),
                    ('3.1', date '2025-01-01', date '9999-12-31', 'outpatient', 0.0),
                    ('9', date '2025-01-01', date '9999-12-31', 'all', 0.0)
            ) as f(ma, tu, den, loai, he_so)
        ),
        lines as (
            select
                l.ma_lk, l.stt, {code} as {code_name},
                l.muc_huong, cast(l.ngay_yl as date) as ngay,
                trim(h.ma_doituong_kcb) as ma_doituong_kcb,
                case when h.ma_loai_kcb in ('03', '04', '09') then 'inpatient'
                     else 'outpatient' end as loai,
                substr(trim(split_part(h.ma_the_bhyt, ';', 1)), 3, 1) as muc,
                coalesce(trim(h.ngay_mien_cct), '') <> '' as mien_cct,
                coalesce(h.t_tongchi_bh, 0) * 100
                    < (select base_salary from params)
                      * (select low_cost_percent from params) as chi_phi_thap
            from {view} as l
            join xml1 as h on h.ma_lk = l.ma_lk
            where l.muc_huong is not null
              and coalesce(trim(h.ma_doituong_kcb), '') not in
                  ('8', '7.2', '7.3', '7.4', '10')
              and coalesce(trim(h.ma_the_bhyt), '') <> ''
        ),
        judged as (
            select
                l.ma_lk, l.stt, l.{code_name}, l.muc_huong, l.ma_doituong_kcb,
                case l.muc when '3' then 95 when '4' then 80 else 100 end
                    as muc_the,
                coalesce(f.he_so, 1.0) as he_so,
                case
                    when l.ma_doituong_kcb = '1.2' or l.mien_cct then 100.0
                    when l.chi_phi_thap then 100.0 * coalesce(f.he_so, 1.0)
                    else (case l.muc when '3' then 95 when '4' then 80 else 100 end)
                         * coalesce(f.he_so, 1.0)
                end as muc_huong_toi_da
            from lines as l
            left join factors as f
              on f.ma = l.ma_doituong_kcb
             and l.ngay between f.tu and f.den
             and (f.loai = 'all' or f.loai = l.loai)
            where l.muc in ('1', '2', '3', '4', '5')
        )
        select ma_lk, stt, {code_name}, muc_huong, muc_huong_toi_da, muc_the,
               ma_doituong_kcb, he_so
        from judged
        where muc_huong > muc_huong_toi_da + 0.5
"""


def _roles(*, roles: bool) -> str:
    """The ``vai_tro`` output column, for a line table whose people have roles."""
    if not roles:
        return ""
    return (
        "\n            "
        "array_to_string(list_sort(list_distinct(list(p.vai_tro))), ', ') as vai_tro,"
    )


def unlisted_practitioner_sql(
    tbl: str, code_name: str, people_name: str, *, roles: bool
) -> str:
    """People on a line with no staff-catalogue row on its day (NV001, NV004).

    A person of ``line_practitioners`` is looked up in ``ref_practitioners`` of
    the facility where they are declared (``noi_khai_bao``), valid on the day
    they are named; only facilities that sent a staff catalogue are checked.

    Args:
        tbl: the line table of ``line_practitioners`` (``XML3`` or ``XML2``).
        code_name: the output column of the line's code.
        people_name: the output column listing the people.
        roles: also list their roles (``vai_tro``).
    """
    return f"""
        with people as (
            select ma_lk, stt, code, ma_cskcb, vai_tro, ngay, macchn, noi_khai_bao
            from line_practitioners
            where tbl = '{tbl}'
        ),
        missing as (
            select p.*
            from people as p
            left join ref_practitioners as m
              on m.ma_cskcb = p.noi_khai_bao
             and m.macchn = p.macchn
             and p.ngay >= m.valid_from
             and (m.valid_to is null or p.ngay <= m.valid_to)
            where m.macchn is null
              and p.noi_khai_bao in (select c.ma_cskcb from ref_practitioners as c)
        )
        select
            p.ma_lk, p.stt, any_value(p.code) as {code_name},
            any_value(p.ma_cskcb) as ma_cskcb,
            array_to_string(
                list_sort(list_distinct(list(p.macchn))), '; '
            ) as {people_name},{_roles(roles=roles)}
            min(p.ngay) as ngay
        from missing as p
        group by p.ma_lk, p.stt
    """


def unlicensed_practitioner_sql(
    tbl: str, code_name: str, people_name: str, *, roles: bool
) -> str:
    """People on a line with no active practice licence that day (NV002, NV005).

    Args:
        tbl: the line table of ``line_practitioners`` (``XML3`` or ``XML2``).
        code_name: the output column of the line's code.
        people_name: the output column listing the people.
        roles: also list their roles (``vai_tro``).
    """
    return f"""
        with people as (
            select ma_lk, stt, code, vai_tro, ngay, macchn
            from line_practitioners
            where tbl = '{tbl}'
        )
        select
            p.ma_lk, p.stt, any_value(p.code) as {code_name},
            array_to_string(
                list_sort(list_distinct(list(p.macchn))), '; '
            ) as {people_name},{_roles(roles=roles)}
            min(p.ngay) as ngay,
            array_to_string(
                list_sort(
                    list_distinct(list(coalesce(j.tinh_trang_ngay, 'expired')))
                ),
                ', '
            ) as tinh_trang
        from people as p
        join licence_days as j on j.macchn = p.macchn and j.ngay = p.ngay
        where j.co_hieu_luc = 0
        group by p.ma_lk, p.stt
    """
