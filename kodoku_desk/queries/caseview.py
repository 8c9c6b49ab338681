"""Everything the case view shows, loaded in one read-only pass with a handful of queries
(no per-hand-off queries): person, household, sheets, consent, hand-offs with a merged
timeline, routing decisions, attachments and a plan summary.

A receiving agency sees only what its hand-offs disclosed: their snapshots, while the hand-off
grants access (services.sharing). The view is audited as view_case; a refusal is audited by
services.access."""

from __future__ import annotations

from dataclasses import dataclass, field
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
from kodoku_desk.queries import received as received_q
from kodoku_desk.services import access, audit, sharing, uow
from kodoku_desk.services import attachments as attachment_service
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
    kind: str = ""  # 追加提供 / 同意撤回 (from_state == to_state); "" for a step


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
    provided: list = field(default_factory=list)  # queries.received.Provision, for a receiver


def load_case_view(signed: Signed, case_id: int, today: date | None = None) -> CaseView:
    """Open a case: access check (refusal logged), view_case audit entry, one CaseView."""
    with uow.write(signed) as s:
        check_visible(s, signed.actor, case_id)
        view = build_view(s, signed.actor, case_id, today or date.today())
        audit.record(s, signed.actor, "view_case", "case", case_id)
        return view


def case_report(signed: Signed, case_no: str, today: date | None = None
                ) -> tuple[CaseView, list[sharing.SnapshotSummary] | None]:
    """A case named by its number exactly as the actor may see it, with the snapshots its
    content comes from (None: the live record). Audited as view_case."""
    with uow.write(signed) as s:
        case_id = access.visible_case_id(s, signed.actor, case_no)
        view = build_view(s, signed.actor, case_id, today or date.today())
        sources = sharing.snapshot_summaries(s, signed.actor, case_id)
        audit.record(s, signed.actor, "view_case", "case", case_id, {"via": "case show"})
        return view, sources


# The benchmark and older callers know it by this name.
case_view = load_case_view


def build_view(s: Session, actor: Actor, case_id: int, today: date) -> CaseView:
    """The view inside the caller's session (access already checked). The owning agency and
    those who see every case read the live record; a receiving agency reads only what its
    hand-offs disclosed (their snapshots: services.sharing)."""
    case = s.get_one(Case, case_id)  # check_visible found it in this session
    snaps = sharing.granted_snapshots(s, actor, case_id)
    received = sharing.sheets_of(snaps) if snaps is not None else None
    sees_all = received is None
    names = _names(s, case)
    handoff_rows = handoff_service.handoffs_for_case(s, case_id, today)
    if not sees_all:  # a receiving agency sees the hand-offs that concern it
        handoff_rows = [h for h in handoff_rows if actor.agency_id in (h.to_agency_id, h.from_agency_id)]
    if received is None:
        person = _person(case.person, today, True)
        household = _household(s, case_id, today)
        sheets = _sheets(s, actor, case_id, None)
        show_household = True
    else:
        person = _received_person(case.person.id, [x.content for x in reversed(snaps or [])],
                                  today)
        show_household = any("household" in c["sections"] for c in received)
        household = _received_household(received, today) if show_household else []
        sheets = [_received_sheet(c) for c in received]
    urgency, discovery = case.urgency, case.discovery
    if received is not None:  # only what the snapshots carried (緊急度, 受付 sections)
        urgency = next((c["urgency"] for c in received if c.get("urgency")), "")
        discovery = next((c["reception"].get("discovery", "") for c in received
                          if c.get("reception")), "")
    return CaseView(
        case.id, case.case_no, case.status, CASE_STATUS_LABELS.get(case.status, case.status),
        urgency, case.urgent_path, case.multi_agency, list(case.fields or []),
        case.owner_agency_id, names["owner"], names["block"], case.opened_at, discovery,
        person, household, not show_household, sheets,
        consent_service.consents_for_case(s, case_id) if sees_all else [],
        handoff_rows, _timeline(s, handoff_rows),
        _routing(s, case_id) if sees_all else [],
        attachment_service.list_for_case(s, case_id) if sees_all else [],
        _plans(s, case_id), sees_all, case.owner_agency_id == actor.agency_id,
        received_q.provisions_of(s, snaps) if snaps else [])


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _received_person(person_id: int, received: list[dict], today: date) -> PersonView:
    """Who the case is about, as the newest snapshot disclosed it (received: newest first)."""
    who: dict = {}
    for content in reversed(received):  # oldest first, so newer snapshots win
        who.update(content.get("person", {}))
    birth = _date(who.get("birth_date"))
    return PersonView(person_id, who.get("name", ""), who.get("kana", ""), birth,
                      age_on(birth, today), who.get("sex", ""), who.get("address", ""),
                      who.get("phone", ""))


def _received_household(received: list[dict], today: date) -> list[MemberView]:
    rows: list[dict] = next((c["household"] for c in received if c.get("household")), [])
    out = []
    for m in rows:
        birth = _date(m.get("birth_date"))
        out.append(MemberView(m.get("relation", ""), m.get("name", ""), m.get("kana", ""), birth,
                              age_on(birth, today), list(m.get("flags", []))))
    return out


def _received_sheet(content: dict) -> SheetView:
    sheet = content["sheet"]
    template = load_template(sheet.get("template_version"))
    keys = list(content["sections"])
    answers = content.get("answers", {})
    sections = []
    for sec in template.sections:
        if sec.key not in keys:
            continue
        rows = [AnswerView(f.key, f.label, _answer_text(f.type, answers[f.key]))
                for f in sec.fields if f.key in answers and format_value(answers[f.key])]
        sections.append(SectionView(sec.key, sec.label, sec.part, rows))
    hidden = [sec.label for sec in template.sections if sec.key not in keys]
    received_at = datetime.fromisoformat(sheet["received_at"]) if sheet.get("received_at") \
        else datetime.min
    return SheetView(sheet.get("id"), sheet.get("template_version", ""), received_at,
                     sheet.get("agency", ""), sheet.get("worker", ""),
                     content.get("reception", {}).get("method", ""),
                     list(content.get("worries", [])), content.get("most_pressing", ""),
                     sections, hidden)


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
    """The live sheets (for those who read the live record: allowed is None)."""
    q = (select(Sheet, Agency.name, Staff.display_name)
         .join(Agency, Agency.id == Sheet.agency_id).join(Staff, Staff.id == Sheet.worker_id)
         .where(Sheet.case_id == case_id).order_by(Sheet.received_at.desc(), Sheet.id.desc()))
    out = []
    for sheet, agency, worker in s.execute(q).all():
        template = load_template(sheet.template_version)
        answers = dict(sheet.answers or {})
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
    events = handoff_service.events(s, list(to_agency))
    kinds = received_q.event_kinds(s, [e.id for e in events])
    return [TimelineEntry(e.at, e.handoff_id, to_agency.get(e.handoff_id, ""), e.from_state,
                          e.to_state, e.actor_name, e.agency_name, e.note, e.alternative,
                          kinds.get(e.id, ""))
            for e in events]


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
