"""Read-only look-ups the plan and meeting screens need for their pickers: visible open cases
with their current plan, and the organisation's blocks, agencies and staff by name."""

from __future__ import annotations

from dataclasses import dataclass

from kodoku_desk.queries import search
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
    """Open cases the actor may see, found by the case search (queries.search), with their
    current plan."""
    access.require(signed, signed.actor.is_coordinator, "支援プランの作成")
    with uow.read(signed) as s:
        found = search.open_cases(s, signed.actor, query, limit)
        rows = []
        for row in found:
            plan = plans.plan_for_case(s, row.id)
            rows.append(CaseChoice(row.id, row.case_no, row.person_name,
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
