"""Case access scope: who may see which case. One rule, used by every list and view."""

from __future__ import annotations

from sqlalchemy import Select, exists, or_, select, true
from sqlalchemy.orm import Session

from kodoku_desk.domain.actor import Actor
from kodoku_desk.errors import AccessDenied, UserError
from kodoku_desk.models import Case, Handoff
from kodoku_desk.services import audit
from kodoku_desk.services.auth import Signed


def scope_clause(actor: Actor):
    """受付 workers see cases of their own agency and cases handed to it; others see all."""
    if actor.sees_all_cases:
        return true()
    handed = exists().where(Handoff.case_id == Case.id, Handoff.to_agency_id == actor.agency_id)
    return or_(Case.owner_agency_id == actor.agency_id, handed)


def visible_cases(session: Session, actor: Actor) -> list[Case]:
    return list(session.scalars(visible_query(actor).order_by(Case.id)))


def visible_query(actor: Actor) -> Select:
    return select(Case).where(Case.deleted.is_(False), scope_clause(actor))


def can_see(session: Session, actor: Actor, case_id: int) -> bool:
    q = select(Case.id).where(Case.id == case_id, Case.deleted.is_(False), scope_clause(actor))
    return session.scalar(q) is not None


def check_visible(session: Session, actor: Actor, case_id: int) -> None:
    """Raises AccessDenied (and logs the refusal) unless the actor may see the case."""
    if session.get(Case, case_id) is None:
        raise UserError(f"ケース {case_id} は見つかりません。")
    if not can_see(session, actor, case_id):
        audit.record(session, actor, "access_denied", "case", case_id)
        raise AccessDenied("このケースを見る権限がありません（他機関のケースで、つなぎも受けていません）。")


def get_case_for(signed: Signed, case_id: int) -> Case:
    """Load one case for viewing; the view is audited and refusals are logged."""
    with signed.store.write() as s:
        try:
            check_visible(s, signed.actor, case_id)
        except AccessDenied:
            s.commit()  # keep the logged refusal
            raise
        audit.record(s, signed.actor, "view_case", "case", case_id)
        case = s.get(Case, case_id)
        _ = case.person
        return case
