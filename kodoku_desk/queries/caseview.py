"""Everything the case view shows, loaded in one read-only pass with a handful of queries
(no per-hand-off queries): person, household, sheets, consent, hand-offs with a merged
timeline, routing decisions, attachments and a plan summary.

A receiving agency sees only what the hand-offs to it share (handoffs.shared_sections /
visible_sheet, the intake domain's rule); the view is audited as view_case and a refusal is
audited by services.access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kodoku_desk.domain.actor import Actor
from kodoku_desk.domain.dates import age_on, to_both
from kodoku_desk.domain.template import load_template
from kodoku_desk.models import (
    Agency,
    Block,
    Case,
    HouseholdMember,
    Person,
    Plan,
    RoutingDecision,
    Sheet,
    Staff,
)
from kodoku_desk.models.cases import CASE_STATUS_LABELS
from kodoku_desk.services import attachments as attachment_service
from kodoku_desk.services import audit, uow
from kodoku_desk.services import consent as consent_service
from kodoku_desk.services import handoffs as handoff_service
from kodoku_desk.services.access import check_visible
from kodoku_desk.services.auth import Signed


@dataclass(frozen=True)
class PersonView:
    id: int
    name: str
    kana: str
    birth_date: date | None
    age: int | None
    sex: str
    address: str  # "" when the basic section is not shared with the viewer
    phone: str


@dataclass(frozen=True)
class MemberView:
    relation: str
    name: str
    kana: str
    birth_date: date | None
    age: int | None
    flags: list[str]


@dataclass(frozen=True)
class AnswerView:
    key: str
    label: str
    value: str


@dataclass(frozen=True)
class SectionView:
    key: str
    label: str
    part: str  # A / B
    answers: list[AnswerView]


@dataclass(frozen=True)
class SheetView:
    id: int
    template_version: str
    received_at: datetime
    agency: str
    worker: str
    method: str
    worries: list[str]
    most_pressing: str
    sections: list[SectionView]
    hidden_sections: list[str]  # labels the viewer's agency was not given


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    handoff_id: int
    to_agency: str
    from_state: str
    to_state: str
    who: str
    agency: str
    note: str
    alternative: str


@dataclass(frozen=True)
class RoutingView:
    sheet_id: int
    agency: str
    field: str
    reason: str
    source: str
    status: str  # confirmed / removed
    removed_reason: str
    at: datetime


@dataclass(frozen=True)
class CaseView:
    id: int
    case_no: str
    status: str
    status_label: str
    urgency: str
    urgent_path: bool
    multi_agency: bool
    fields: list[str]
    owner_agency_id: int
    owner_agency: str
    block: str
    opened_at: datetime
    discovery: str
    person: PersonView
    household: list[MemberView]
    household_hidden: bool
    sheets: list[SheetView]
    consents: list[consent_service.ConsentRow]
    handoffs: list[handoff_service.HandoffRow]
    timeline: list[TimelineEntry]
    routing: list[RoutingView]
    attachments: list[attachment_service.AttachmentRow]
    plans: dict[str, int]  # status → count
    sees_everything: bool  # False for a receiving agency (only shared sections)
    is_owner: bool


def load_case_view(signed: Signed, case_id: int, today: date | None = None) -> CaseView:
    """Open a case: access check (refusal logged), view_case audit entry, one CaseView."""
    with uow.write(signed) as s:
        check_visible(s, signed.actor, case_id)
        view = build_view(s, signed.actor, case_id, today or date.today())
        audit.record(s, signed.actor, "view_case", "case", case_id)
        return view


# The benchmark and older callers know it by this name.
case_view = load_case_view


def build_view(s: Session, actor: Actor, case_id: int, today: date) -> CaseView:
    """The view inside the caller's session (access already checked)."""
    case = s.get_one(Case, case_id)  # check_visible found it in this session
    allowed = handoff_service.shared_sections(s, actor, case_id)
    sees_all = allowed is None
    names = _names(s, case)
    person = _person(case.person, today, sees_all or "basic" in (allowed or ()))
    show_household = sees_all or "household" in (allowed or ())
    handoff_rows = handoff_service.handoffs_for_case(s, case_id, today)
    if not sees_all:  # a receiving agency sees the hand-offs that concern it
        handoff_rows = [h for h in handoff_rows if actor.agency_id in (h.to_agency_id, h.from_agency_id)]
    return CaseView(
        case.id, case.case_no, case.status, CASE_STATUS_LABELS.get(case.status, case.status),
        case.urgency, case.urgent_path, case.multi_agency, list(case.fields or []),
        case.owner_agency_id, names["owner"], names["block"], case.opened_at, case.discovery,
        person, _household(s, case_id, today) if show_household else [], not show_household,
        _sheets(s, actor, case_id, allowed),
        consent_service.consents_for_case(s, case_id) if sees_all else [],
        handoff_rows, _timeline(s, handoff_rows),
        _routing(s, case_id) if sees_all else [],
        attachment_service.list_for_case(s, case_id) if sees_all else [],
        _plans(s, case_id), sees_all, case.owner_agency_id == actor.agency_id)


def _names(s: Session, case: Case) -> dict[str, str]:
    owner = s.scalar(select(Agency.name).where(Agency.id == case.owner_agency_id)) or ""
    block = ""
    if case.block_id is not None:
        block = s.scalar(select(Block.name).where(Block.id == case.block_id)) or ""
    return {"owner": owner, "block": block}


def _person(p: Person, today: date, full: bool) -> PersonView:
    return PersonView(p.id, p.name, p.kana, p.birth_date, age_on(p.birth_date, today), p.sex,
                      p.address if full else "", p.phone if full else "")


def _household(s: Session, case_id: int, today: date) -> list[MemberView]:
    q = (select(HouseholdMember, Person).join(Person, Person.id == HouseholdMember.person_id)
         .where(HouseholdMember.case_id == case_id).order_by(HouseholdMember.id))
    return [MemberView(m.relation, p.name, p.kana, p.birth_date, age_on(p.birth_date, today),
                       list(m.flags or [])) for m, p in s.execute(q)]


def _sheets(s: Session, actor: Actor, case_id: int, allowed: set[str] | None) -> list[SheetView]:
    q = (select(Sheet, Agency.name, Staff.display_name)
         .join(Agency, Agency.id == Sheet.agency_id).join(Staff, Staff.id == Sheet.worker_id)
         .where(Sheet.case_id == case_id).order_by(Sheet.received_at.desc(), Sheet.id.desc()))
    out = []
    for sheet, agency, worker in s.execute(q).all():
        template = load_template(sheet.template_version)
        answers = handoff_service.visible_sheet_answers(s, actor, sheet, allowed=allowed)
        sections = []
        for sec in template.sections:
            if allowed is not None and sec.key not in allowed:
                continue
            rows = [AnswerView(f.key, f.label, _answer_text(f.type, answers[f.key]))
                    for f in sec.fields if f.key in answers and format_value(answers[f.key])]
            sections.append(SectionView(sec.key, sec.label, sec.part, rows))
        hidden = [sec.label for sec in template.sections
                  if allowed is not None and sec.key not in allowed]
        show_worries = allowed is None or "worries" in allowed
        out.append(SheetView(sheet.id, sheet.template_version, sheet.received_at, agency, worker,
                             sheet.method, list(sheet.worries) if show_worries else [],
                             sheet.most_pressing if show_worries else "", sections, hidden))
    return out


def _answer_text(field_type: str, value: object) -> str:
    if field_type == "date" and isinstance(value, str):
        try:
            return to_both(date.fromisoformat(value))
        except ValueError:
            return value
    return format_value(value)


def format_value(value: object) -> str:
    """An answer as one readable string (lists joined with 「・」, household rows one a line)."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, dict):
        return "、".join(f"{k}: {format_value(v)}" for k, v in value.items() if format_value(v))
    if isinstance(value, (list, tuple)):
        if any(isinstance(v, dict) for v in value):
            return "\n".join(format_value(v) for v in value)
        return "・".join(str(v) for v in value)
    return str(value)


def _timeline(s: Session, rows: list[handoff_service.HandoffRow]) -> list[TimelineEntry]:
    to_agency = {h.id: h.to_agency for h in rows}
    return [TimelineEntry(e.at, e.handoff_id, to_agency.get(e.handoff_id, ""), e.from_state,
                          e.to_state, e.actor_name, e.agency_name, e.note, e.alternative)
            for e in handoff_service.events(s, list(to_agency))]


def _routing(s: Session, case_id: int) -> list[RoutingView]:
    q = (select(RoutingDecision, Agency.name)
         .join(Sheet, Sheet.id == RoutingDecision.sheet_id)
         .outerjoin(Agency, Agency.id == RoutingDecision.agency_id)
         .where(Sheet.case_id == case_id).order_by(RoutingDecision.id))
    return [RoutingView(r.sheet_id, agency or "", r.field, r.reason, r.source, r.status,
                        r.removed_reason, r.at) for r, agency in s.execute(q)]


def _plans(s: Session, case_id: int) -> dict[str, int]:
    rows = s.execute(select(Plan.status, func.count()).where(Plan.case_id == case_id)
                     .group_by(Plan.status)).all()
    return {status: n for status, n in rows}
