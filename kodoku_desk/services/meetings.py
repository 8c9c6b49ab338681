"""Meetings (docs/DOMAIN.md §7): sessions with parts of different kinds, members, agendas of cases,
decisions after the meeting. Which cases each kind may take is domain.meeting's rule;
`case_refusal` applies it to a case (with its consents) for the agenda, the packet and the
minutes alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kodoku_desk.domain import meeting as rules
from kodoku_desk.domain.actor import Actor
from kodoku_desk.domain.dates import parse_date, to_wareki
from kodoku_desk.domain.meeting import (
    KIND_RULES,
    KindRule,
    rule_for,
)
from kodoku_desk.domain.template import check_text
from kodoku_desk.errors import UserError
from kodoku_desk.models import (
    Agency,
    AgendaItem,
    Block,
    Case,
    Consent,
    ConsentWithdrawal,
    MeetingDecision,
    MeetingPart,
    MeetingSession,
    PartMember,
    Staff,
)
from kodoku_desk.services import access, audit, plans, uow
from kodoku_desk.services.auth import Signed

if TYPE_CHECKING:
    from kodoku_desk.queries.meeting_views import DecisionRow

# ----------------------------------------------------------------------------- the kind rule


def meeting_consent(session: Session, case_id: int) -> tuple[Consent | None, str]:
    """The consent that lets this case be shared at a meeting, or None and why not."""
    consents = session.scalars(select(Consent).where(Consent.case_id == case_id)
                               .order_by(Consent.recorded_at.desc(), Consent.id.desc())).all()
    withdrawn = {w.consent_id: w.withdrawn_on for w in session.scalars(select(ConsentWithdrawal)
                 .where(ConsentWithdrawal.consent_id.in_([c.id for c in consents])))}
    facts = [rules.ConsentFacts(c.given, c.covers_meetings, withdrawn.get(c.id)) for c in consents]
    index, why = rules.meeting_consent(facts)
    return (consents[index] if index is not None else None), why


def case_label(case: Case) -> str:
    return f"ケース {case.case_no}（{case.person.name}）"


def case_refusal(session: Session, kind: str, case: Case | None, *,
                 export_redacted: bool | None = None, case_id: int | None = None) -> str | None:
    """THE meeting-kind rule for one case: None if the case may be on this kind's agenda, or —
    at export, where `export_redacted` says whether the packet is redacted — in its packet.
    Otherwise a sentence naming the case and why."""
    rule = rule_for(kind)
    if case is None:
        return f"ケース {case_id} は見つかりません（削除された可能性があります）。議題から外してください。"
    if case.deleted:
        return f"{case_label(case)}は削除されています。議題から外してください。"
    if not rule.needs_consent(export_redacted):
        return None
    consent, why = meeting_consent(session, case.id)
    return rules.refusal(rule, case_label(case), why) if consent is None else None


def check_case_for_part(session: Session, part: MeetingPart, case: Case | None,
                        case_id: int | None = None) -> None:
    why = case_refusal(session, part.kind, case, case_id=case_id)
    if why:
        raise UserError(why, field="case")


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class MemberSpec:
    agency_id: int | None = None
    staff_id: int | None = None
    external_name: str = ""
    external_affiliation: str = ""




# ----------------------------------------------------------------------------- sessions


def _clean_time(value: str, label: str) -> str:
    value = (value or "").strip().replace("：", ":")
    if not value:
        return ""
    try:
        hh, mm = (int(x) for x in value.split(":"))
        if not (0 <= hh < 24 and 0 <= mm < 60):
            raise ValueError
    except ValueError:
        raise UserError(f"{label}「{value}」は時刻として読めません。「13:30」のように入力してください。",
                        field=label) from None
    return f"{hh:02d}:{mm:02d}"


def _session_values(session: Session, title: str, held_on, start_time: str, end_time: str,
                    place: str, chair: str, block: str | int | None) -> dict:
    title = check_text(title, "会議名", "title", single_line=True)
    if not title:
        raise UserError("会議名を入力してください。", field="title")
    day = held_on if isinstance(held_on, date) else parse_date(str(held_on or ""), field="held_on")
    if day is None:
        raise UserError("開催日を入力してください。", field="held_on")
    start, end = _clean_time(start_time, "開始時刻"), _clean_time(end_time, "終了時刻")
    if start and end and end <= start:
        raise UserError("終了時刻は開始時刻より後にしてください。", field="end_time")
    return {"title": title, "held_on": day, "start_time": start, "end_time": end,
            "place": check_text(place, "場所", "place", single_line=True),
            "chair": check_text(chair, "司会", "chair", single_line=True),
            "block_id": _block_id(session, block)}


def _block_id(session: Session, block: str | int | None) -> int | None:
    if block in (None, ""):
        return None
    if isinstance(block, int):
        found = session.get(Block, block)
    else:
        found = session.scalar(select(Block).where(Block.name == block.strip()))
    if found is None:
        raise UserError(f"ブロック「{block}」は登録されていません。", field="block")
    return found.id


def create_session(signed: Signed, title: str, held_on: date | str, *, start_time: str = "",
                   end_time: str = "", place: str = "", chair: str = "",
                   block: str | int | None = None,
                   parts: Sequence[tuple[str, str]] = ()) -> int:
    """A new meeting session; `parts` = [(kind, title)] (at least one)."""
    actor = signed.actor
    access.require(signed, actor.is_coordinator, "会議の登録")
    if not parts:
        raise UserError("会議の部（種類）を1つ以上指定してください。", field="parts")
    for kind, _ in parts:
        rule_for(kind)
    part_titles = [check_text(t, "部の名前", "parts", single_line=True) for _, t in parts]
    with uow.write(signed) as s:
        values = _session_values(s, title, held_on, start_time, end_time, place, chair, block)
        ms = MeetingSession(created_by=actor.staff_id, **values)
        s.add(ms)
        s.flush()
        for i, ((kind, _), part_title) in enumerate(zip(parts, part_titles, strict=True), 1):
            s.add(MeetingPart(session_id=ms.id, seq=i, kind=kind, title=part_title))
        audit.record(s, actor, "create", "meeting", ms.id,
                     {"title": values["title"], "kinds": [k for k, _ in parts]})
        return ms.id


def update_session(signed: Signed, session_id: int, title: str, held_on: date | str, *,
                   start_time: str = "", end_time: str = "", place: str = "", chair: str = "",
                   block: str | int | None = None) -> None:
    actor = signed.actor
    access.require(signed, actor.is_coordinator, "会議の変更")
    with uow.write(signed) as s:
        ms = _session(s, session_id)
        values = _session_values(s, title, held_on, start_time, end_time, place, chair, block)
        for k, v in values.items():
            setattr(ms, k, v)
        audit.record(s, actor, "update", "meeting", ms.id, {"title": values["title"]})


def _session(session: Session, session_id: int) -> MeetingSession:
    ms = session.get(MeetingSession, session_id)
    if ms is None:
        raise UserError(f"会議 {session_id} は見つかりません。")
    return ms


def _part(session: Session, part_id: int) -> MeetingPart:
    part = session.get(MeetingPart, part_id)
    if part is None:
        raise UserError(f"会議の部 {part_id} は見つかりません。")
    return part


def add_part(signed: Signed, session_id: int, kind: str, title: str = "") -> int:
    actor = signed.actor
    access.require(signed, actor.is_coordinator, "会議の変更")
    rule_for(kind)
    title = check_text(title, "部の名前", "title", single_line=True)
    with uow.write(signed) as s:
        _session(s, session_id)
        seq = (s.scalar(select(func.max(MeetingPart.seq))
                        .where(MeetingPart.session_id == session_id)) or 0) + 1
        part = MeetingPart(session_id=session_id, seq=seq, kind=kind, title=title)
        s.add(part)
        s.flush()
        audit.record(s, actor, "create", "meeting_part", part.id, {"session": session_id, "kind": kind})
        return part.id


def remove_part(signed: Signed, part_id: int) -> None:
    actor = signed.actor
    access.require(signed, actor.is_coordinator, "会議の変更")
    with uow.write(signed) as s:
        part = _part(s, part_id)
        if s.scalar(select(func.count()).select_from(MeetingDecision)
                    .where(MeetingDecision.part_id == part_id)):
            raise UserError("決定事項を記録した部は削除できません。")
        if s.execute(select(func.count()).select_from(MeetingPart)
                     .where(MeetingPart.session_id == part.session_id)).scalar_one() <= 1:
            raise UserError("会議には部が1つ以上必要です。")
        for item in s.scalars(select(AgendaItem).where(AgendaItem.part_id == part_id)):
            s.delete(item)
        for member in s.scalars(select(PartMember).where(PartMember.part_id == part_id)):
            s.delete(member)
        s.delete(part)
        audit.record(s, actor, "delete", "meeting_part", part_id, {"kind": part.kind})


def set_members(signed: Signed, part_id: int, members: Sequence[MemberSpec]) -> None:
    """Replaces the part's members (agencies, staff, external members by name)."""
    actor = signed.actor
    access.require(signed, actor.is_coordinator, "会議の構成員の変更")
    with uow.write(signed) as s:
        _part(s, part_id)
        rows = [_member_row(s, part_id, i, m) for i, m in enumerate(members, 1)]
        for old in s.scalars(select(PartMember).where(PartMember.part_id == part_id)):
            s.delete(old)
        s.flush()
        s.add_all(rows)
        audit.record(s, actor, "update", "meeting_members", part_id, {"count": len(rows)})


def _member_row(session: Session, part_id: int, i: int, m: MemberSpec) -> PartMember:
    name = check_text(m.external_name, f"構成員の{i}人目の氏名", "members", single_line=True)
    affiliation = check_text(m.external_affiliation, f"構成員の{i}人目の所属", "members",
                             single_line=True)
    if m.agency_id is None and m.staff_id is None and not name:
        raise UserError(f"構成員の{i}人目: 機関・職員・外部構成員の氏名のいずれかを指定してください。",
                        field="members")
    if m.agency_id is not None and session.get(Agency, m.agency_id) is None:
        raise UserError(f"構成員の{i}人目: 機関 {m.agency_id} は登録されていません。", field="members")
    if m.staff_id is not None and session.get(Staff, m.staff_id) is None:
        raise UserError(f"構成員の{i}人目: 職員 {m.staff_id} は登録されていません。", field="members")
    return PartMember(part_id=part_id, agency_id=m.agency_id, staff_id=m.staff_id,
                      external_name=name, external_affiliation=affiliation)


def member_label(session: Session, m: PartMember) -> str:
    """How a member is named on a cover: 氏名（所属）."""
    if m.staff_id is not None:
        staff = session.get_one(Staff, m.staff_id)  # part_members.staff_id is a foreign key
        return f"{staff.display_name}（{staff.agency.name}）" if staff.agency else staff.display_name
    if m.external_name:
        return f"{m.external_name}（{m.external_affiliation}）" if m.external_affiliation \
            else m.external_name
    if m.agency_id is not None:
        return session.get_one(Agency, m.agency_id).name  # a foreign key too
    return ""  # not stored: _member_row refuses a member with no agency, staff or name


# ----------------------------------------------------------------------------- agenda


def add_case(signed: Signed, part_id: int, case_id: int) -> int:
    """Puts a case on the part's agenda, if the part's kind allows it (the refusal names the
    case and why)."""
    actor = signed.actor
    access.require(signed, actor.is_coordinator, "議題の追加")
    with uow.write(signed) as s:
        part = _part(s, part_id)
        case = access.check_visible(s, actor, case_id)
        try:
            check_case_for_part(s, part, case, case_id)
        except UserError as err:
            audit.record(s, actor, "agenda_refused", "meeting_part", part_id,
                         {"case_id": case_id, "reason": err.message})
            s.commit()  # keep the audited refusal
            raise
        if s.scalar(select(AgendaItem.id).where(AgendaItem.part_id == part_id,
                                                AgendaItem.case_id == case_id)):
            raise UserError(f"{case_label(case)}はすでにこの部の議題にあります。", field="case")
        seq = (s.scalar(select(func.max(AgendaItem.seq)).where(AgendaItem.part_id == part_id))
               or 0) + 1
        item = AgendaItem(part_id=part_id, case_id=case_id, seq=seq, added_by=actor.staff_id)
        s.add(item)
        s.flush()
        audit.record(s, actor, "create", "agenda_item", item.id,
                     {"part_id": part_id, "case_id": case_id, "kind": part.kind})
        return item.id


def remove_case(signed: Signed, part_id: int, case_id: int) -> None:
    actor = signed.actor
    access.require(signed, actor.is_coordinator, "議題の削除")
    with uow.write(signed) as s:
        item = s.scalar(select(AgendaItem).where(AgendaItem.part_id == part_id,
                                                 AgendaItem.case_id == case_id))
        if item is None:
            raise UserError(f"ケース {case_id} はこの部の議題にありません。")
        s.delete(item)
        audit.record(s, actor, "delete", "agenda_item", item.id,
                     {"part_id": part_id, "case_id": case_id})


def can_add(signed: Signed, kind: str, case_ids: Sequence[int]) -> dict[int, str]:
    """For a case picker: case id → "" if it may go on a `kind` agenda, else the reason."""
    access.require(signed, signed.actor.is_coordinator, "議題の追加")
    with uow.read(signed) as s:
        return {cid: case_refusal(s, kind, s.get(Case, cid), case_id=cid) or ""
                for cid in case_ids}




# ----------------------------------------------------------------------------- reading




# ----------------------------------------------------------------------------- decisions


def _role_changes(before: list[dict], after: list[dict]) -> list[dict]:
    """追加 / 削除 / 変更 of 役割分担 rows, matched by agency then by content."""
    changes = []
    old_by_agency = {r.get("agency", ""): r for r in before}
    new_by_agency = {r.get("agency", ""): r for r in after}
    for agency, row in new_by_agency.items():
        if agency not in old_by_agency:
            changes.append({"change": "追加", **row})
        elif old_by_agency[agency] != row:
            changes.append({"change": "変更", **row})
    for agency, row in old_by_agency.items():
        if agency not in new_by_agency:
            changes.append({"change": "削除", **row})
    return changes


def record_decision(signed: Signed, part_id: int, case_id: int, decisions: str,
                    roles: list[dict] | None = None,
                    next_review_on: date | str | None = None) -> DecisionRow:
    """After the meeting: the decisions for one case, the new 役割分担 (None = unchanged) and
    the next review date. The case's plan gets a new version with status 合意."""
    from kodoku_desk.queries.meeting_views import _decision_row

    actor = signed.actor
    access.require(signed, actor.is_coordinator, "決定事項の記録")
    decisions = check_text(decisions, "決定事項", "decisions")
    if not decisions:
        raise UserError("決定事項を入力してください。", field="decisions")
    review = next_review_on if isinstance(next_review_on, date) or next_review_on is None \
        else parse_date(next_review_on, field="next_review_on")
    with uow.write(signed) as s:
        part = _part(s, part_id)
        ms = _session(s, part.session_id)
        if not s.scalar(select(AgendaItem.id).where(AgendaItem.part_id == part_id,
                                                    AgendaItem.case_id == case_id)):
            raise UserError(f"ケース {case_id} はこの部の議題にありません。", field="case")
        access.check_visible(s, actor, case_id)
        case = s.get(Case, case_id)
        why = case_refusal(s, part.kind, case, case_id=case_id)
        if why:
            raise UserError(why, field="case")
        note = f"{to_wareki(ms.held_on)} {part.kind}の決定: {decisions}"
        current = plans.ensure_plan(s, actor, case_id)
        before_roles = list(plans.latest_version(s, current.id).data.get("roles") or [])
        changes: dict = {}
        if roles is not None:
            changes["roles"] = plans.clean_data({"roles": roles})["roles"]
        if review is not None:
            changes["monitoring_on"] = review.isoformat()
        version = plans.agree_from_meeting(s, actor, case_id, changes, note)
        row = MeetingDecision(
            part_id=part_id, case_id=case_id, decisions=decisions,
            role_changes=_role_changes(before_roles, changes["roles"]) if "roles" in changes else [],
            next_review_on=review, plan_version_id=version.id, created_by=actor.staff_id)
        s.add(row)
        s.flush()
        audit.record(s, actor, "create", "meeting_decision", row.id,
                     {"part_id": part_id, "case_id": case_id, "plan_version": version.version})
        return _decision_row(s, row)




def actor_label(actor: Actor) -> str:
    return f"{actor.display_name}（{actor.agency_name}）" if actor.agency_name else actor.display_name


__all__ = [
    "KIND_RULES", "KindRule", "MemberSpec", "add_case", "add_part", "can_add", "case_refusal",
    "create_session", "meeting_consent", "record_decision", "remove_case", "remove_part",
    "rule_for", "set_members", "update_session",
]
