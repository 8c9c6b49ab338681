"""The access log (閲覧・出力・印刷の履歴): the audit entries, filtered for a supervisor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import Session

from kodoku_desk.errors import UserError
from kodoku_desk.models import (
    AuditEntry,
    Case,
    Staff,
)
from kodoku_desk.queries.review_common import (
    DEFAULT_LIMIT,
    _log,
    action_label,
    check_period,
)
from kodoku_desk.services import access, uow
from kodoku_desk.services.auth import Signed
from kodoku_desk.store.dialect import day_start

# --------------------------------------------------------------------------- access log


# Presets for the access-log view: what an auditor usually asks about.
ACCESS_CATEGORIES: dict[str, tuple[str, ...]] = {
    "閲覧": ("view_case", "view_person", "view_timeline", "view_plan", "view_meeting",
             "view_attachment", "search_person"),
    "出力・印刷": ("export", "print"),
    "ログイン": ("login", "login_failed", "logout", "lock", "unlock", "unlock_failed"),
    "権限のない操作": ("access_denied",),
    "つなぎ": ("handoff_send", "handoff_acknowledge", "handoff_accept", "handoff_complete",
              "handoff_return", "handoff_withdraw"),
    "変更": ("create", "update", "delete", "deactivate", "import", "override_review",
             "intake_save", "consent_record", "consent_withdraw", "plan_status", "plan_approval"),
}


@dataclass(frozen=True)
class AccessFilter:
    date_from: date | None = None
    date_to: date | None = None
    actor: str | None = None  # staff login
    actions: tuple[str, ...] = ()
    target_type: str | None = None
    target_id: str | None = None
    case_no: str | None = None  # entries about this case (views, prints, exports …)
    upto_id: int | None = None  # entries up to this one (a paging view keeps its first page's)


@dataclass(frozen=True)
class AccessRow:
    id: int
    at: datetime
    actor: str
    actor_name: str
    action: str
    action_label: str
    target_type: str
    target_id: str
    detail: str


def query_access(session: Session, flt: AccessFilter, *, limit: int = DEFAULT_LIMIT,
                 offset: int = 0) -> tuple[list[AccessRow], int]:
    check_period(flt.date_from, flt.date_to)
    conds = []
    if flt.upto_id:
        conds.append(AuditEntry.id <= flt.upto_id)
    if flt.date_from:
        conds.append(AuditEntry.at >= day_start(flt.date_from))
    if flt.date_to:
        conds.append(AuditEntry.at < day_start(flt.date_to + timedelta(days=1)))
    if flt.actor and flt.actor.strip():
        conds.append(AuditEntry.actor == flt.actor.strip())
    if flt.actions:
        conds.append(AuditEntry.action.in_(flt.actions))
    if flt.target_type:
        conds.append(AuditEntry.target_type == flt.target_type)
    if flt.target_id:
        conds.append(AuditEntry.target_id == str(flt.target_id).strip())
    if flt.case_no and flt.case_no.strip():
        case_id = session.scalar(select(Case.id).where(Case.case_no == flt.case_no.strip()))
        if case_id is None:
            raise UserError(f"ケース番号「{flt.case_no.strip()}」は見つかりません。", field="case_no")
        conds += [AuditEntry.target_type == "case", AuditEntry.target_id == str(case_id)]
    base = select(AuditEntry).where(and_(true(), *conds))
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    names = dict(session.execute(select(Staff.login, Staff.display_name)).all())
    q = base.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    rows = [AccessRow(e.id, e.at, e.actor, names.get(e.actor, ""), e.action,
                      action_label(e.action), e.target_type, e.target_id, e.detail)
            for e in session.scalars(q)]
    return rows, int(total or 0)


def access_log(signed: Signed, flt: AccessFilter, *, limit: int = DEFAULT_LIMIT,
               offset: int = 0) -> tuple[list[AccessRow], int]:
    """A page of the access log, newest first. Viewing it is itself logged, so a view that pages
    on sets `flt.upto_id` to the newest entry of its first page: the offsets then stay put."""
    access.require_supervisor(signed, "閲覧・出力履歴の閲覧")
    check_period(flt.date_from, flt.date_to)
    with uow.read(signed) as s:
        rows, total = query_access(s, flt, limit=limit, offset=offset)
    _log(signed, "view_access_log", detail={"rows": len(rows), "actor": flt.actor or "",
                                             "offset": offset})
    return rows, total
