"""The meeting screens' read models (docs/DOMAIN.md §7): the session list, one session with its
parts, members and agenda (each agenda case re-checked against its part's kind rule), the case
picker's candidates and the recorded decisions. The use cases that change meetings are in
services.meetings; the exports read these types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kodoku_desk.domain.dates import to_wareki
from kodoku_desk.domain.meeting import (
    KindRule,
    rule_for,
)
from kodoku_desk.models import (
    AgendaItem,
    Block,
    Case,
    MeetingDecision,
    MeetingPart,
    MeetingSession,
    PartMember,
    Staff,
)
from kodoku_desk.services import access, audit, plans, uow
from kodoku_desk.services.auth import Signed
from kodoku_desk.services.meetings import _part, _session, case_refusal, member_label


@dataclass(frozen=True)
class MemberRow:
    id: int
    label: str
    agency_id: int | None
    staff_id: int | None
    external_name: str
    external_affiliation: str


@dataclass(frozen=True)
class AgendaRow:
    item_id: int
    seq: int
    case_id: int
    case_no: str
    person_name: str
    problem: str  # "" when the case may still be discussed; else why not (re-checked now)
    plan_status: str


@dataclass
class PartView:
    id: int
    seq: int
    kind: str
    title: str
    rule: KindRule
    members: list[MemberRow] = field(default_factory=list)
    agenda: list[AgendaRow] = field(default_factory=list)


@dataclass
class SessionView:
    id: int
    title: str
    held_on: date
    start_time: str
    end_time: str
    place: str
    chair: str
    block: str
    parts: list[PartView] = field(default_factory=list)

    @property
    def case_count(self) -> int:
        return sum(len(p.agenda) for p in self.parts)


@dataclass(frozen=True)
class SessionRow:
    id: int
    held_on: date
    held_on_wareki: str
    title: str
    kinds: list[str]
    place: str
    cases: int
    members: int


@dataclass(frozen=True)
class DecisionRow:
    id: int
    part_id: int
    case_id: int
    case_no: str
    person_name: str
    decisions: str
    role_changes: list[dict]
    next_review_on: date | None
    plan_id: int | None
    plan_version: int | None
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class CandidateRow:
    case_id: int
    case_no: str
    person_name: str
    fields: list[str]
    multi_agency: bool
    plan_status: str
    on_agenda: bool
    refusal: str  # "" when the part's kind accepts the case, else why not


def candidate_cases(signed: Signed, part_id: int, query: str = "",
                    limit: int = 100) -> list[CandidateRow]:
    """Cases for the part's case picker, 多機関協働 cases first, each with the kind rule's answer.
    The query matches case number, name, ふりがな or phone like the case search (width, kana and
    spaces ignored)."""
    from kodoku_desk.queries.search import open_cases

    actor = signed.actor
    access.require(signed, actor.is_coordinator, "議題の追加")
    with uow.read(signed) as s:
        part = _part(s, part_id)
        found = sorted(open_cases(s, actor, query, limit), key=lambda r: not r.multi_agency)
        on_agenda = set(s.scalars(select(AgendaItem.case_id).where(AgendaItem.part_id == part_id)))
        rows = []
        for case in (s.get_one(Case, r.id) for r in found):  # just found in this session
            plan = plans.plan_for_case(s, case.id)
            rows.append(CandidateRow(case.id, case.case_no, case.person.name, list(case.fields),
                                     case.multi_agency, plan.status if plan else "",
                                     case.id in on_agenda,
                                     case_refusal(s, part.kind, case) or ""))
        return rows


def list_sessions(signed: Signed, since: date | None = None) -> list[SessionRow]:
    access.require(signed, signed.actor.is_coordinator, "会議の一覧")
    with uow.read(signed) as s:
        q = select(MeetingSession).order_by(MeetingSession.held_on, MeetingSession.id)
        if since is not None:
            q = q.where(MeetingSession.held_on >= since)
        rows = []
        for ms in s.scalars(q):
            parts = s.scalars(select(MeetingPart).where(MeetingPart.session_id == ms.id)
                              .order_by(MeetingPart.seq)).all()
            ids = [p.id for p in parts]
            cases = s.scalar(select(func.count(func.distinct(AgendaItem.case_id)))
                             .where(AgendaItem.part_id.in_(ids))) if ids else 0
            members = s.scalar(select(func.count()).select_from(PartMember)
                               .where(PartMember.part_id.in_(ids))) if ids else 0
            rows.append(SessionRow(ms.id, ms.held_on, to_wareki(ms.held_on), ms.title,
                                   [p.kind for p in parts], ms.place, cases or 0, members or 0))
        return rows


def get_session(signed: Signed, session_id: int) -> SessionView:
    """The session with parts, members and agenda; each agenda row re-checked against its
    part's kind rule now (consent withdrawn or case deleted since it was added)."""
    access.require(signed, signed.actor.is_coordinator, "会議の閲覧")
    with uow.write(signed) as s:
        view = session_view(s, session_id)
        audit.record(s, signed.actor, "view_meeting", "meeting", session_id)
        return view


def session_view(session: Session, session_id: int) -> SessionView:
    ms = _session(session, session_id)
    block = session.get_one(Block, ms.block_id).name if ms.block_id else ""  # a foreign key
    view = SessionView(ms.id, ms.title, ms.held_on, ms.start_time, ms.end_time, ms.place,
                       ms.chair, block)
    for part in session.scalars(select(MeetingPart).where(MeetingPart.session_id == ms.id)
                                .order_by(MeetingPart.seq, MeetingPart.id)):
        pv = PartView(part.id, part.seq, part.kind, part.title, rule_for(part.kind))
        for m in session.scalars(select(PartMember).where(PartMember.part_id == part.id)
                                 .order_by(PartMember.id)):
            pv.members.append(MemberRow(m.id, member_label(session, m), m.agency_id, m.staff_id,
                                        m.external_name, m.external_affiliation))
        for item in session.scalars(select(AgendaItem).where(AgendaItem.part_id == part.id)
                                    .order_by(AgendaItem.seq, AgendaItem.id)):
            case = session.get(Case, item.case_id)
            plan = plans.plan_for_case(session, item.case_id)
            pv.agenda.append(AgendaRow(
                item.id, item.seq, item.case_id, case.case_no if case else "",
                case.person.name if case else "",
                case_refusal(session, part.kind, case, case_id=item.case_id) or "",
                plan.status if plan else ""))
        view.parts.append(pv)
    return view


def _decision_row(session: Session, d: MeetingDecision) -> DecisionRow:
    from kodoku_desk.models import PlanVersion

    case = session.get_one(Case, d.case_id)  # meeting_decisions.case_id is a foreign key
    version = session.get(PlanVersion, d.plan_version_id) if d.plan_version_id else None
    staff = session.get(Staff, d.created_by)
    return DecisionRow(d.id, d.part_id, d.case_id, case.case_no, case.person.name, d.decisions,
                       list(d.role_changes), d.next_review_on,
                       version.plan_id if version else None, version.version if version else None,
                       staff.display_name if staff else "", d.created_at)


def decisions_for(signed: Signed, session_id: int) -> list[DecisionRow]:
    access.require(signed, signed.actor.is_coordinator, "決定事項の閲覧")
    with uow.read(signed) as s:
        return session_decisions(s, session_id)


def session_decisions(session: Session, session_id: int) -> list[DecisionRow]:
    q = (select(MeetingDecision).join(MeetingPart, MeetingPart.id == MeetingDecision.part_id)
         .where(MeetingPart.session_id == session_id)
         .order_by(MeetingPart.seq, MeetingDecision.id))
    return [_decision_row(session, d) for d in session.scalars(q)]
