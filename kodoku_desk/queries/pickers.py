"""Read-only look-ups the plan and meeting screens need for their pickers: visible open cases
with their current plan, and the organisation's blocks, agencies and staff by name."""

from __future__ import annotations

from dataclasses import dataclass

from kodoku_desk.models import Case
from kodoku_desk.services import access, admin, plans, uow
from kodoku_desk.services.auth import Signed


@dataclass(frozen=True)
class CaseChoice:
    case_id: int
    case_no: str
    person_name: str
    plan_id: int | None
    plan_status: str


@dataclass(frozen=True)
class OrgChoices:
    blocks: list[str]
    agencies: list[tuple[int, str]]
    staff: list[tuple[int, str]]  # (id, 氏名（所属）)


def case_choices(signed: Signed, query: str = "", limit: int = 100) -> list[CaseChoice]:
    """Open cases the actor may see, matched like the case search, with their current plan."""
    from kodoku_desk.domain.text import phone_key, search_key
    from kodoku_desk.services.access import visible_query

    access.require(signed, signed.actor.is_coordinator, "支援プランの作成")
    with uow.read(signed) as s:
        q = visible_query(signed.actor).where(Case.status == "open")
        key = search_key(query)
        if key:
            digits = phone_key(query)
            like = Case.search_text.like(f"%{key}%")
            q = q.where(like | Case.search_text.like(f"%{digits}%")) if len(digits) >= 4 \
                else q.where(like)
        rows = []
        for case in s.scalars(q.order_by(Case.opened_at.desc()).limit(limit)):
            plan = plans.plan_for_case(s, case.id)
            rows.append(CaseChoice(case.id, case.case_no, case.person.name,
                                   plan.id if plan else None, plan.status if plan else ""))
        return rows


def org_choices(signed: Signed) -> OrgChoices:
    """Active blocks, agencies and staff for the meeting editor's pickers."""
    with uow.read(signed) as s:
        blocks = [b.name for b in admin.list_blocks(s) if b.active]
        agencies = [(a.id, a.name) for a in admin.list_agencies(s, include_inactive=False)]
        staff = [(r.id, f"{r.display_name}（{r.agency}）" if r.agency else r.display_name)
                 for r in admin.list_staff(s) if r.active]
        return OrgChoices(blocks, agencies, staff)
