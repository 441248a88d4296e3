"""The demo: a synthetic province, generated, ingested, assessed and summarised.

``make demo`` runs :func:`run_demo` on a fresh folder: it generates a province
month with planted anomalies, ingests the claim files into a claim store (as the
insurer's reception does), assesses every claim against the province's reference
folders and the national data shipped with the package, computes the signals
that target inspections, loads the norms programme into the embedded operational
database, opens the joint-verification cases of the money held under review and
of the leads, and summarises what a manager wants to see first.

Every step writes real files under the demo folder, so each command of the
README can then be tried on them (``giamdinh signals --store demo/store``…).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from giamdinh.errors import ConfigError
from giamdinh.services.accounts import add_user
from giamdinh.services.assessment import assess_store, summarise_store
from giamdinh.services.ingest import ingest_paths
from giamdinh.services.norms import progress as norms_progress
from giamdinh.services.norms import run_demo as norms_demo
from giamdinh.services.policy import replay_store
from giamdinh.services.review import (
    open_from_findings,
    open_from_leads,
    review_position,
)
from giamdinh.services.signals import compute_leads, province_inputs, top_leads
from giamdinh.services.synth import run_synth

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from giamdinh.norms.progress import ProgressReport
    from giamdinh.services.assessment import AssessmentSummary, StoreRun
    from giamdinh.services.ingest import IngestSummary
    from giamdinh.services.policy import ReplayRun
    from giamdinh.services.review import OpenResult, ReviewPosition
    from giamdinh.services.signals import SignalsRun
    from giamdinh.signals.model import Lead
    from giamdinh.synth import SynthResult

#: A file that marks a folder as the demo's own, so a re-run may clear it.
MARKER = ".giamdinh-demo"
#: The lent-machine options the demo replays (seed 003).
DEMO_OPTIONS = ("A", "B", "C", "D")
#: What the demo writes inside its folder.
PARTS = ("province", "store", "giamdinh.db", "giamdinh.db.attachments")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoResult:
    """Everything the demo did, step by step."""

    folder: Path
    synth: SynthResult
    ingest: IngestSummary
    assessment: StoreRun
    summary: AssessmentSummary
    signals: SignalsRun
    leads: list[Lead]
    progress: ProgressReport
    opened: tuple[OpenResult, ...] = ()
    review: ReviewPosition | None = None
    replay: ReplayRun | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def _prepare(folder: Path) -> None:
    """Make ``folder`` ready: new, empty, or a previous demo's (then cleared)."""
    if folder.exists() and not folder.is_dir():
        msg = f"{folder} exists and is not a directory"
        raise ConfigError(msg)
    if folder.is_dir() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            msg = (
                f"{folder} is not empty and was not made by the demo; "
                "choose another --dir"
            )
            raise ConfigError(msg)
        for name in PARTS:
            path = folder / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text(
        "Thư mục do `giamdinh demo` tạo; chạy lại sẽ xóa và tạo lại.\n"
        "Made by `giamdinh demo`; a re-run clears and rebuilds it.\n",
        encoding="utf-8",
    )


def run_demo(
    folder: Path,
    *,
    claims: int = 3000,
    seed: int = 2026,
    anomaly_rate: float = 0.05,
    report: Callable[[str], None] | None = None,
    database_url: str | None = None,
) -> DemoResult:
    """Generate, ingest, assess and summarise a synthetic province in ``folder``.

    Args:
        folder: new, empty, or a previous demo's folder (cleared first).
        claims: claims (episodes) in the province month.
        seed: random seed of the generator (same seed, same files).
        anomaly_rate: share of claims with one planted anomaly.
        report: called with a line of progress before each step.
        database_url: the operational store (an empty one); by default a SQLite
            file in ``folder``.

    Returns:
        What each step did and the manager's summary.

    Raises:
        ConfigError: the folder is someone else's, or an option is wrong.
    """
    say = report or (lambda _line: None)
    _prepare(folder)
    seconds: dict[str, float] = {}
    province = folder / "province"
    store = folder / "store"
    database_url = database_url or f"sqlite:///{folder / 'giamdinh.db'}"

    def timed(name: str, line: str, step: Callable[[], _T]) -> _T:
        say(line)
        started = time.perf_counter()
        value = step()
        seconds[name] = time.perf_counter() - started
        return value

    synth = timed(
        "synth",
        f"1/7 Sinh tỉnh mẫu / generating a province ({claims} claims, seed {seed})",
        lambda: run_synth(
            claims=claims, seed=seed, out=province, anomaly_rate=anomaly_rate
        ),
    )
    ingested = timed(
        "ingest",
        "2/7 Tiếp nhận hồ sơ vào kho / ingesting the claim files",
        lambda: ingest_paths([province / "claims"], store_dir=store),
    )
    assessed = timed(
        "assess",
        "3/7 Giám định theo bộ quy tắc / assessing every claim",
        lambda: assess_store(store, reference_dir=province / "reference"),
    )
    summary = summarise_store(store, run=assessed.folder.name)
    inputs = province_inputs(province)
    signals = timed(
        "signals",
        "4/7 Tín hiệu định hướng thanh tra / computing the signals",
        lambda: compute_leads(
            store_dir=store,
            refs=inputs.refs,
            devices=inputs.devices,
            facilities=inputs.facilities,
        ),
    )
    timed(
        "norms",
        "5/7 Chương trình định mức KT-KT / loading the norms programme",
        lambda: norms_demo(database_url),
    )
    report_ = norms_progress(database_url)
    opened = timed(
        "review",
        "6/7 Mở hồ sơ giám định chung / opening joint-verification cases",
        lambda: _open_cases(store, database_url),
    )
    replayed = timed(
        "policy",
        "7/7 Phát lại phương án máy đặt, mượn A–D / replaying lent-machine options A–D",
        lambda: replay_store(store, DEMO_OPTIONS, reference_dir=province / "reference"),
    )
    return DemoResult(
        folder=folder,
        replay=replayed,
        synth=synth,
        ingest=ingested,
        assessment=assessed,
        summary=summary,
        signals=signals,
        leads=top_leads(signals.leads, top=5),
        progress=report_,
        opened=opened,
        review=review_position(store, database_url=database_url),
        seconds=seconds,
    )


#: The demo's people: the head of assessment opens the cases, two assessors work
#: them, and each facility has a member of its insurance office.
DEMO_SUPERVISOR = "truongphong"
DEMO_ASSESSORS = (("gdv.an", "Nguyễn Văn An"), ("gdv.binh", "Trần Thị Bình"))


def _open_cases(store: Path, database_url: str) -> tuple[OpenResult, OpenResult]:
    """Add the demo's users and open the cases of the findings and the leads."""
    import pyarrow.parquet as pq  # noqa: PLC0415

    from giamdinh.services.assessment import latest_run  # noqa: PLC0415

    add_user(
        DEMO_SUPERVISOR,
        name="Trưởng phòng giám định",
        role="supervisor",
        database_url=database_url,
    )
    for username, name in DEMO_ASSESSORS:
        add_user(username, name=name, role="assessor", database_url=database_url)
    claims = pq.read_table(latest_run(store) / "claims.parquet", columns=["ma_cskcb"])
    for code in sorted({c for c in claims.column("ma_cskcb").to_pylist() if c}):
        add_user(
            f"cs.{code}",
            name=f"Phòng BHYT cơ sở {code}",
            role="facility",
            facility=code,
            database_url=database_url,
        )
    return (
        open_from_findings(store, user=DEMO_SUPERVISOR, database_url=database_url),
        open_from_leads(store, user=DEMO_SUPERVISOR, database_url=database_url),
    )


#: The one password of every demo account (a demo only: never a deployment's).
DEMO_PASSWORD = "giamdinh-demo"  # noqa: S105 - printed by `giamdinh serve --demo`
DEMO_MINISTRY = "bo.yte"
DEMO_ADMIN = "quantri"


def is_demo_folder(folder: Path) -> bool:
    """Return whether ``folder`` holds a finished demo (store, database, province)."""
    return (folder / MARKER).is_file() and all(
        (folder / part).exists() for part in ("province", "store", "giamdinh.db")
    )


def demo_accounts(
    folder: Path, database_url: str | None = None
) -> list[tuple[str, str, str | None]]:
    """Give every demo account the demo password; add the Ministry and an admin.

    Returns:
        ``(username, role, MA_CSKCB)`` of every account, by user name.
    """
    from giamdinh.services.accounts import list_users, set_password  # noqa: PLC0415

    url = database_url or f"sqlite:///{folder / 'giamdinh.db'}"
    add_user(DEMO_MINISTRY, name="Cục Quản lý KCB", role="ministry", database_url=url)
    add_user(DEMO_ADMIN, name="Quản trị hệ thống", role="admin", database_url=url)
    accounts = list_users(url)
    for account in accounts:
        set_password(account.username, DEMO_PASSWORD, by="demo", database_url=url)
    return [(a.username, a.role.value, a.ma_cskcb) for a in accounts]


__all__ = [
    "DEMO_ADMIN",
    "DEMO_ASSESSORS",
    "DEMO_MINISTRY",
    "DEMO_PASSWORD",
    "DEMO_SUPERVISOR",
    "MARKER",
    "DemoResult",
    "demo_accounts",
    "is_demo_folder",
    "run_demo",
]
