"""Fixtures of the standard tests: small valid claims and files written from them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from giamdinh.standard.spec import TABLES
from giamdinh.standard.writer import envelope_bytes

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from giamdinh.standard.writer import ClaimRecords


def make_claim(ma_lk: str, *, lines: int = 2) -> ClaimRecords:
    """Return a small valid claim: XML1 plus ``lines`` XML3 lines and one XML4 line."""
    xml1 = dict.fromkeys(TABLES["XML1"].field_names, "")
    xml1.update(
        MA_LK=ma_lk,
        STT="1",
        HO_TEN="Nguyễn Văn <A> & Cộng sự",
        NGAY_SINH="199001010000",
        GT_THE_TU="20260101",
        NGAY_VAO="202603020800",
        NGAY_RA="202603021000",
        T_TONGCHI_BV="146600.00",
        MA_CSKCB="99001",
    )
    xml3 = []
    for stt in range(1, lines + 1):
        line = dict.fromkeys(TABLES["XML3"].field_names, "")
        line.update(
            MA_LK=ma_lk,
            STT=str(stt),
            MA_DICH_VU="18.0119.0028",
            TEN_DICH_VU="Chụp X-quang ngực thẳng",
            SO_LUONG="1",
            DON_GIA_BH="73300",
            THANH_TIEN_BH="73300.00",
            NGAY_YL="202603020815",
            NGAY_KQ="202603020845",
            MA_MAY="XQ.1.99001.SYNXQ0001",
        )
        xml3.append(line)
    xml4 = dict.fromkeys(TABLES["XML4"].field_names, "")
    xml4.update(MA_LK=ma_lk, STT="1", MA_DICH_VU="18.0119.0028", KET_LUAN="Bình thường")
    return {"XML1": [xml1], "XML3": xml3, "XML4": [xml4]}


@pytest.fixture
def claim_factory() -> Callable[..., ClaimRecords]:
    """Return ``make_claim``."""
    return make_claim


@pytest.fixture
def write_envelope_file(tmp_path: Path) -> Callable[..., Path]:
    """Return a function writing claims as an envelope file under ``tmp_path``."""

    def write(claims: list[ClaimRecords], name: str = "env.xml") -> Path:
        target = tmp_path / name
        target.write_bytes(
            envelope_bytes(claims, ma_cskcb="99001", ngay_lap="20260302")
        )
        return target

    return write
