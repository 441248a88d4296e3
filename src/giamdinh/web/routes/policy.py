"""Policy replay: the comparison runs of the store and the lent-machine register.

Pages for the people who decide payment policy (issue #17): the insurer (roles
``assessor``, ``supervisor``) and the Ministry (``ministry``); facility staff and
the admin get 403, in the service layer too (``giamdinh.services.policy``):

- ``/policy``: the store's comparison runs (``giamdinh policy replay``) and the
  chosen one (``?run=``, the newest by default): the options' totals against the
  rules in force, money paid by month, by facility and by rule, each option's
  texts, hash and rules rerun. Aggregates only: no claim is named;
- ``/policy/{run}/replay.xlsx``: the run's workbook, which names claims
  (``MA_LK``): the insurer only;
- ``/policy/machines``: the machines lent by reagent suppliers, their conversion
  and the money billed on them while lent.

A run's name is checked against ``replay-<digits>T<digits>Z`` before any file is
read: anything else is "not found".
"""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from starlette.exceptions import HTTPException

from giamdinh.review.workflow import Actor, Role
from giamdinh.services import policy
from giamdinh.web.charts import Series, bar_chart
from giamdinh.web.pages import language, render
from giamdinh.web.security import context_of, require

if TYPE_CHECKING:
    from collections.abc import Iterator

router = APIRouter()

Reader = Annotated[
    Actor, Depends(require(Role.ASSESSOR, Role.SUPERVISOR, Role.MINISTRY))
]
Insurer = Annotated[Actor, Depends(require(Role.ASSESSOR, Role.SUPERVISOR))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FACILITIES_SHOWN = 50
RULES_SHOWN = 20
#: The register's statuses in English (Vietnamese: ``MachineStatus.label``).
STATUS_EN = {
    "converted": "converted",
    "converting": "converting",
    "in_contract": "lent, within its contract",
    "after_contract_stock_left": "lent, contract ended, reagents left",
    "after_contract_used_up": "lent, contract ended, reagents used up",
    "after_contract_undeclared": "lent, contract ended, reagents not declared",
}


@contextmanager
def _found() -> Iterator[None]:
    """Turn the service's "no such run" into a 404."""
    try:
        yield
    except policy.RunNotFoundError as exc:
        raise HTTPException(404, detail=str(exc)) from exc


@router.get("/policy")
def policy_page(request: Request, actor: Reader, run: str | None = None) -> Response:
    """Show the comparison runs and the chosen one."""
    store = context_of(request).store_dir
    runs = policy.list_runs(actor, store)
    with _found():
        view = policy.read_run(actor, store, run or None)
    en = language(request) == "en"
    chart = None
    if view is not None and view.months:
        chart = bar_chart(
            list(view.months),
            [
                Series(
                    f"{o.totals.id}"
                    if o.totals.id != "current"
                    else ("current (in force)" if en else "current (hiện hành)"),
                    [
                        view.paid_by_month.get(o.totals.id, {}).get(m, Decimal(0))
                        for m in view.months
                    ],
                )
                for o in view.options
            ],
            title=(
                "Money paid by month, per option"
                if en
                else "Tiền thanh toán theo tháng, theo phương án"
            ),
            width=max(760, 140 * len(view.months) + 120),
            height=340,
            chart_id="paid",
        )
    return render(
        request,
        "policy/index.html",
        actor=actor,
        runs=runs,
        view=view,
        chart=chart,
        facilities=view.facilities[:FACILITIES_SHOWN] if view else (),
        rules=view.rules[:RULES_SHOWN] if view else (),
        may_download=actor.role in (Role.ASSESSOR, Role.SUPERVISOR),
        # the language switch comes back to the run chosen (a real run's name only)
        back_url=f"/policy?run={view.run.name}" if view and run else None,
    )


@router.get("/policy/machines")
def machines_page(
    request: Request, actor: Reader, overdue: str | None = None
) -> Response:
    """Show the lent-machine register on today's date."""
    ctx = context_of(request)
    today = ctx.today()
    entries, problems, deadline = policy.lent_machines(
        actor,
        ctx.reference_dirs,
        store_dir=ctx.store_dir,
        on=today,
        overdue_only=bool(overdue),
    )
    return render(
        request,
        "policy/machines.html",
        actor=actor,
        machines=entries,
        problems=problems,
        deadline=deadline,
        today=today,
        overdue_only=bool(overdue),
        back_url="/policy/machines?overdue=1" if overdue else None,
        status_en=STATUS_EN,
        steps=policy.STEP_LABELS,
        at_stake=sum((e.at_stake for e in entries), Decimal(0)),
    )


@router.get("/policy/{run}/replay.xlsx")
def replay_xlsx(request: Request, actor: Insurer, run: str) -> Response:
    """Download the run's workbook (it names claims: the insurer only)."""
    with _found():
        path = policy.run_workbook(actor, context_of(request).store_dir, run)
    return FileResponse(path, media_type=XLSX, filename=f"so-sanh-{run}.xlsx")


__all__ = ["router"]
