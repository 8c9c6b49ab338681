"""Who may do what, and who may see which case: every scope, visibility and role rule, and the
one path by which a refusal reaches the audit log.

Two shapes, so that a refusal is never lost with a rolled-back unit of work:
- `require_*(signed, ...)` at the top of a use case: a refusal is audited here, in its own
  committed write, then raised;
- `check_*(actor or session, ...)` inside a unit of work (the `*_in` functions): the refusal is
  raised, and the unit of work (services.uow) audits it after rolling back the work.
Either way `record_refusal` writes it, once.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

from sqlalchemy import Select, and_, exists, or_, select, true
from sqlalchemy.orm import Session

from kodoku_desk.domain import handoff as handoff_rules
from kodoku_desk.domain.actor import Actor
from kodoku_desk.errors import AccessDenied, UserError
from kodoku_desk.models import Agency, Case, Handoff
from kodoku_desk.services import audit

if TYPE_CHECKING:
    from kodoku_desk.services.auth import Signed

# How many units of work are open in this context: a refusal inside one is recorded when the
# outermost one ends (an inner write could not take the write lock the outer one holds).
open_units: ContextVar[int] = ContextVar("kodoku_open_units", default=0)


# ------------------------------------------------------------------------- refusals


def denied(what: str, message: str | None = None, *, target_type: str = "",
           target_id: object = "", field: str | None = None) -> AccessDenied:
    """The refusal of `what` (a Japanese noun phrase: 「つなぎの送付」)."""
    return AccessDenied(message or f"{what}の権限がありません。管理者に問い合わせてください。",
                        what=what, target_type=target_type, target_id=target_id, field=field)


def record_refusal(signed: Signed, exc: AccessDenied) -> None:
    """Write the refusal to the audit log in its own committed write (once per refusal)."""
    if exc.audited or open_units.get() > 0:
        return
    detail = {"what": exc.what, "message": exc.message}
    with signed.store.write() as s:
        audit.record(s, signed.actor, "access_denied", exc.target_type or "access",
                     exc.target_id if exc.target_id != "" else exc.what, detail)
    exc.audited = True
    from kodoku_desk.domain.changes import Change
    from kodoku_desk.services import uow

    uow.report(Change.AUDIT)


def refuse(signed: Signed, exc: AccessDenied) -> None:
    """Audit `exc` and raise it."""
    record_refusal(signed, exc)
    raise exc


def check(allowed: bool, what: str, message: str | None = None, **target) -> None:
    """Inside a unit of work: raise the refusal (the unit of work audits it)."""
    if not allowed:
        raise denied(what, message, **target)


def require(signed: Signed, allowed: bool, what: str, message: str | None = None,
            **target) -> None:
    """At the start of a use case: audit and raise the refusal unless allowed."""
    if not allowed:
        refuse(signed, denied(what, message, **target))


def require_intake(signed: Signed, what: str) -> None:
    require(signed, signed.actor.is_intake, what)


def require_coordinator(signed: Signed, what: str) -> None:
    require(signed, signed.actor.is_coordinator, what)


def require_supervisor(signed: Signed, what: str) -> None:
    require(signed, signed.actor.is_supervisor, what, target_type="review")


def require_admin(signed: Signed, what: str) -> None:
    require(signed, signed.actor.is_admin, what)


# ------------------------------------------------------------------------- case scope


def granting_clause(agency_id: int | None):
    """domain.handoff.grants_access as SQL: hand-offs to the agency that still let it read what
    they disclosed (not returned or withdrawn, not ended by a consent withdrawal)."""
    return and_(Handoff.to_agency_id == agency_id,
                Handoff.state.not_in(handoff_rules.ACCESS_ENDING_STATES),
                Handoff.consent_ended_at.is_(None))


def scope_clause(actor: Actor):
    """受付 workers see cases of their own agency and cases handed to it while the hand-off
    grants access (services.sharing); coordinators, supervisors and admins see all."""
    if actor.sees_all_cases:
        return true()
    handed = exists().where(Handoff.case_id == Case.id, granting_clause(actor.agency_id))
    return or_(Case.owner_agency_id == actor.agency_id, handed)


def visible_query(actor: Actor) -> Select:
    return select(Case).where(Case.deleted.is_(False), scope_clause(actor))


def visible_cases(session: Session, actor: Actor) -> list[Case]:
    return list(session.scalars(visible_query(actor).order_by(Case.id)))


def can_see(session: Session, actor: Actor, case_id: int) -> bool:
    q = select(Case.id).where(Case.id == case_id, Case.deleted.is_(False), scope_clause(actor))
    return session.scalar(q) is not None


CASE_NOT_VISIBLE = "このケースを見る権限がありません（他機関のケースで、つなぎも受けていません）。"


def check_visible(session: Session, actor: Actor, case_id: int) -> Case:
    """The case, unless the actor may not see it (refusal raised; the unit of work audits it)."""
    case = session.get(Case, case_id)
    if case is None:
        raise UserError(f"ケース {case_id} は見つかりません。")
    if not can_see(session, actor, case_id):
        raise denied("ケースの閲覧", CASE_NOT_VISIBLE, target_type="case", target_id=case_id)
    return case


def visible_case_id(session: Session, actor: Actor, case_no: str) -> int:
    """A case named by its number (CLI, scripts): its id, if the actor may see it."""
    text = (case_no or "").strip()
    found = session.scalar(select(Case.id).where(Case.case_no == text, Case.deleted.is_(False)))
    if found is None:
        raise UserError(f"ケース番号「{text}」のケースは見つかりません。", field="case")
    check_visible(session, actor, found)
    return found


def get_case_for(signed: Signed, case_id: int) -> Case:
    """Load one case for viewing; the view is audited and refusals are logged."""
    from kodoku_desk.services import uow

    with uow.write(signed) as s:
        case = check_visible(s, signed.actor, case_id)
        audit.record(s, signed.actor, "view_case", "case", case_id)
        _ = case.person
        return case


def check_box_agency(session: Session, actor: Actor, agency_id: int | None) -> Agency:
    """Whose inbox/outbox the actor may open: their own agency's, or any agency's for those who
    see all cases."""
    agency_id = agency_id if agency_id is not None else actor.agency_id
    what = "受信箱・送信箱の閲覧"
    if agency_id is None:
        raise UserError("所属機関のない職員には受信箱・送信箱がありません。機関を選んでください。")
    if agency_id != actor.agency_id and not actor.sees_all_cases:
        raise denied(what, "他の機関の受信箱・送信箱は見られません。", target_type="agency",
                     target_id=agency_id)
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise UserError("その機関は登録されていません。")
    return agency
