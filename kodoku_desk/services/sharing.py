"""What a receiving agency may read, in one place (docs/DOMAIN.md §5–§6).

A hand-off discloses a snapshot: the chosen sections of the chosen sheet, frozen at 送付 (and at
each 追加提供). The receiving agency reads its snapshots, never the live sheet, and only while its
hand-off grants access: 返送 and 取下げ end access (the inbox keeps a stub: case number, dates,
its own answer); 完了 keeps what was received; a consent withdrawal ends the access of every open
hand-off sent under that consent which no other consent covers (services.consent.withdraw calls
`end_for_withdrawal`). The owning agency and those who see every case read the live record.

The case view, the printed sheet, onward hand-offs, the case search and the inbox all ask this
module; the SQL form of "grants access" is services.access.granting_clause.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kodoku_desk.domain import handoff as handoff_rules
from kodoku_desk.domain import snapshot as rules
from kodoku_desk.domain.actor import Actor
from kodoku_desk.domain.consent import BASIS_CONSENT
from kodoku_desk.domain.template import SheetTemplate, load_template
from kodoku_desk.errors import UserError
from kodoku_desk.models import (
    Agency,
    Case,
    Handoff,
    HandoffEvent,
    HandoffSnapshot,
    HouseholdMember,
    Sheet,
    Staff,
    now,
)
from kodoku_desk.services import access, audit

WITHDRAWN_NOTE = "本人が同意を撤回したため、提供した内容の閲覧を終了しました。"


# ------------------------------------------------------------------------- making snapshots


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def section_of(template: SheetTemplate) -> dict[str, str]:
    return {f.key: f.section for f in template.fields}


def sheet_content(session: Session, sheet: Sheet, sections: list[str]) -> dict[str, Any]:
    """The live sheet's chosen sections as snapshot content (see domain.snapshot): the whole
    sheet's content cut down to them by the one rule, domain.snapshot.restrict."""
    template = load_template(sheet.template_version)
    return rules.restrict(full_content(session, sheet), sections, section_of(template))


def _who(person: Any, contact: bool) -> dict[str, Any]:
    """The person as a snapshot carries them: the identity always, the address and phone with
    ご本人について (domain.snapshot.IDENTITY / CONTACT)."""
    who: dict[str, Any] = {"name": person.name, "kana": person.kana, "sex": person.sex,
                           "birth_date": _iso(person.birth_date)}
    if contact:
        who.update(address=person.address, phone=person.phone)
    return who


def full_content(session: Session, sheet: Sheet, names: dict[str, dict[int, str]] | None = None
                 ) -> dict[str, Any]:
    """Everything a snapshot of this sheet could carry (every section). `names` (agency and
    staff names by id) saves the look-ups when many sheets are snapshotted at once."""
    case = session.get_one(Case, sheet.case_id)  # sheets.case_id is a foreign key
    template = load_template(sheet.template_version)
    person = case.person
    if names is None:
        agency, worker = _name(session, Agency, sheet.agency_id), _staff_name(session, sheet.worker_id)
    else:
        agency = names["agency"].get(sheet.agency_id, "")
        worker = names["staff"].get(sheet.worker_id, "")
    content: dict[str, Any] = {
        "format": rules.FORMAT, "case_no": case.case_no,
        "sheet": {"id": sheet.id, "template_version": sheet.template_version,
                  "received_at": _iso(sheet.received_at), "agency": agency, "worker": worker},
        "sections": [s.key for s in template.sections],
        "person": _who(person, contact=True),
        "answers": dict(sheet.answers or {}),
        "worries": list(sheet.worries or []),
        "most_pressing": sheet.most_pressing,
        "household": _household(session, case.id),
        "consent": _consents(session, case.id),
        "reception": {"method": sheet.method, "discovery": case.discovery},
        "urgency": case.urgency,
    }
    return content


def _without_sheet(session: Session, case_id: int, sections: list[str]) -> dict[str, Any]:
    """A case without a sheet has only its person row: the identity, and with ご本人について
    the address and phone."""
    case = session.get_one(Case, case_id)  # the hand-off's case
    keys = ["basic"] if "basic" in sections else []
    who = _who(case.person, contact=bool(keys))
    return {"format": rules.FORMAT, "case_no": case.case_no, "sheet": None, "sections": keys,
            "person": who, "answers": {}, "worries": [], "most_pressing": "", "household": [],
            "consent": []}


def _name(session: Session, model, ident: int | None) -> str:
    row = session.get(model, ident) if ident is not None else None
    return row.name if row is not None else ""


def _staff_name(session: Session, ident: int | None) -> str:
    row = session.get(Staff, ident) if ident is not None else None
    return row.display_name if row is not None else ""


def _household(session: Session, case_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(HouseholdMember).where(HouseholdMember.case_id == case_id)
                           .order_by(HouseholdMember.id))
    return [{"relation": m.relation, "name": m.person.name, "kana": m.person.kana,
             "birth_date": _iso(m.person.birth_date), "flags": list(m.flags or [])} for m in rows]


def _consents(session: Session, case_id: int) -> list[dict[str, Any]]:
    from kodoku_desk.services.consent import consents_for_case, describe_scope

    return [{"given": c.given, "method": c.method, "given_on": _iso(c.given_on),
             "scope": describe_scope(c), "withdrawn_on": _iso(c.withdrawn_on)}
            for c in consents_for_case(session, case_id)]


def take_in(session: Session, actor: Actor, handoff: Handoff, sheet: Sheet | None,
            sections: list[str], at: datetime | None = None) -> HandoffSnapshot:
    """Freeze what this hand-off discloses now (送付 or 追加提供). A receiving agency passing a
    case on discloses from what it received, never from the live sheet."""
    received = granted_snapshots(session, actor, handoff.case_id)
    if sheet is None:  # a case without a sheet (made outside intake): who it is about, no more
        content = _without_sheet(session, handoff.case_id, sections)
    elif received is None:
        content = sheet_content(session, sheet, sections)
    else:
        merged = _merged_for_sheet(received, sheet.id, sheet.template_version)
        if merged is None:
            raise UserError("このシートは提供を受けていないため、ほかの機関へ提供できません。",
                            field="sheet")
        content = rules.restrict(merged, sections, section_of(load_template(sheet.template_version)))
    if sheet is None and received is not None:
        raise UserError("提供を受けたシートがないため、ほかの機関へ提供できません。", field="sheet")
    seq = 1 + max((s.seq for s in session.scalars(select(HandoffSnapshot).where(
        HandoffSnapshot.handoff_id == handoff.id))), default=0)
    snap = HandoffSnapshot(handoff_id=handoff.id, seq=seq, sheet_id=sheet.id if sheet else None,
                           sections=list(content["sections"]), content=content,
                           sha256=rules.digest(content), at=at or now(),
                           created_by=actor.staff_id)
    session.add(snap)
    session.flush()
    return snap


def snapshot_missing(session: Session, batch: int = 2000) -> int:
    """Give every hand-off without a snapshot its seq-1 snapshot from the live sheet, and name it
    in the hand-off's 提供記録 (for rows written by bulk paths: the demo generator). One whole-
    sheet content per sheet, cut per hand-off by domain.snapshot.restrict; rows inserted and
    disclosures linked per batch. Returns how many were made."""
    from sqlalchemy import exists, update

    from kodoku_desk.models import Disclosure, HistoryLink
    from kodoku_desk.models import Staff as StaffRow

    names = {"agency": {i: n for i, n in session.execute(select(Agency.id, Agency.name))},
             "staff": {i: n for i, n in session.execute(select(StaffRow.id,
                                                                StaffRow.display_name))}}
    made, last = 0, 0
    while True:
        handoffs = list(session.scalars(
            select(Handoff).where(Handoff.id > last, ~exists().where(
                HandoffSnapshot.handoff_id == Handoff.id)).order_by(Handoff.id).limit(batch)))
        if not handoffs:
            return made
        last = handoffs[-1].id
        full: dict[int, dict[str, Any]] = {}  # one whole-sheet content per sheet in the batch
        rows = []
        for h in handoffs:
            sheet = session.get(Sheet, h.sheet_id) if h.sheet_id else session.scalar(
                select(Sheet).where(Sheet.case_id == h.case_id)
                .order_by(Sheet.received_at.desc(), Sheet.id.desc()).limit(1))
            if sheet is None:
                continue
            if sheet.id not in full:
                full[sheet.id] = full_content(session, sheet, names)
            content = rules.restrict(full[sheet.id], list(h.share or []),
                                     section_of(load_template(sheet.template_version)))
            rows.append({"handoff_id": h.id, "seq": 1, "sheet_id": sheet.id,
                         "sections": content["sections"], "content": content,
                         "sha256": rules.digest(content), "at": h.sent_at,
                         "created_by": h.created_by, "migrated": False})
        if rows:
            # ORM rows, so the history chain's flush hook links each snapshot.
            session.add_all(HandoffSnapshot(**r) for r in rows)
            session.flush()
            ids = [r["handoff_id"] for r in rows]
            first = (select(HandoffSnapshot.id).where(
                HandoffSnapshot.handoff_id == Disclosure.handoff_id, HandoffSnapshot.seq == 1)
                .scalar_subquery())
            digest = (select(HandoffSnapshot.sha256).where(
                HandoffSnapshot.handoff_id == Disclosure.handoff_id, HandoffSnapshot.seq == 1)
                .scalar_subquery())
            linked = select(HistoryLink.row_id).where(HistoryLink.table_name == "disclosures")
            # Only 提供記録 not yet in the history chain (written by the same bulk path, linked
            # after this): a chained row is never changed.
            session.connection().execute(update(Disclosure).where(
                Disclosure.handoff_id.in_(ids), Disclosure.channel == "handoff",
                Disclosure.snapshot_id.is_(None), Disclosure.id.not_in(linked))
                .values(snapshot_id=first, content_hash=digest))
            made += len(rows)
        session.flush()
        session.expunge_all()


# ------------------------------------------------------------------------- reading them


def granted_snapshots(session: Session, actor: Actor, case_id: int) -> list[HandoffSnapshot] | None:
    """The snapshots the actor's agency may read for this case, oldest first; None when the
    actor reads the live record (the owning agency; coordinators, supervisors, admins)."""
    if actor.sees_all_cases:
        return None
    case = session.get(Case, case_id)
    if case is not None and case.owner_agency_id == actor.agency_id:
        return None
    return list(session.scalars(
        select(HandoffSnapshot).join(Handoff, Handoff.id == HandoffSnapshot.handoff_id)
        .where(Handoff.case_id == case_id, access.granting_clause(actor.agency_id))
        .order_by(HandoffSnapshot.at, HandoffSnapshot.id)))


def shared_sections(session: Session, actor: Actor, case_id: int) -> set[str] | None:
    """The sections the actor may read: None = everything; otherwise the union over the
    snapshots its agency still has access to."""
    snaps = granted_snapshots(session, actor, case_id)
    if snaps is None:
        return None
    return {key for snap in snaps for key in snap.sections}


def sees_section(session: Session, actor: Actor, case_id: int, section: str) -> bool:
    allowed = shared_sections(session, actor, case_id)
    return allowed is None or section in allowed


def _merged_for_sheet(snaps: list[HandoffSnapshot], sheet_id: int,
                      template_version: str) -> dict[str, Any] | None:
    """One content per sheet from all the receiver's snapshots of it: each section from the
    newest snapshot that carries it."""
    mine = [s for s in snaps if s.sheet_id == sheet_id]
    if not mine:
        return None
    owner = section_of(load_template(template_version))
    merged: dict[str, Any] = dict(mine[-1].content)
    merged["answers"] = {}
    sections: list[str] = []
    for snap in mine:  # oldest first: newer ones overwrite
        content = snap.content
        for key in content.get("sections", []):
            if key not in sections:
                sections.append(key)
        merged["answers"].update({k: v for k, v in content.get("answers", {}).items()
                                  if owner.get(k) in content.get("sections", [])})
        for part in ("worries", "most_pressing", "household", "consent", "reception", "urgency"):
            if content.get(part):
                merged[part] = content[part]
        merged["person"] = {**merged.get("person", {}), **content.get("person", {})}
    template = load_template(template_version)
    merged["sections"] = [s.key for s in template.sections if s.key in sections]
    return merged


@dataclass(frozen=True)
class VisibleSheet:
    sheet_id: int
    template_version: str
    answers: dict
    worries: list[str]
    most_pressing: str
    sections: list[str]  # visible section keys, template order
    hidden_sections: list[str]  # labels of sections not shared with the actor
    content: dict | None = None  # the merged snapshot content; None for the live sheet


def visible_sheet(session: Session, actor: Actor, sheet: Sheet) -> VisibleSheet:
    """The sheet as the actor may read it: the live sheet, or what its snapshots disclosed."""
    template = load_template(sheet.template_version)
    snaps = granted_snapshots(session, actor, sheet.case_id)
    if snaps is None:
        keys = [s.key for s in template.sections]
        return VisibleSheet(sheet.id, sheet.template_version, dict(sheet.answers or {}),
                            list(sheet.worries or []), sheet.most_pressing, keys, [])
    content = _merged_for_sheet(snaps, sheet.id, sheet.template_version)
    if content is None:
        raise access.denied("シートの閲覧", "このシートはあなたの機関に提供されていません。",
                            target_type="sheet", target_id=sheet.id)
    keys = list(content["sections"])
    hidden = [s.label for s in template.sections if s.key not in keys]
    return VisibleSheet(sheet.id, sheet.template_version, dict(content["answers"]),
                        list(content.get("worries", [])), content.get("most_pressing", ""),
                        keys, hidden, content)


def received_sheets(session: Session, actor: Actor, case_id: int) -> list[dict[str, Any]]:
    """For a receiving agency: one merged content per sheet it received, newest sheet first."""
    return sheets_of(granted_snapshots(session, actor, case_id) or [])


def sheets_of(snaps: list[HandoffSnapshot]) -> list[dict[str, Any]]:
    """One merged content per sheet of these snapshots (granted_snapshots'), newest sheet first."""
    seen: dict[int, str] = {}
    for snap in snaps:
        if snap.sheet_id is not None:
            seen[snap.sheet_id] = snap.content.get("sheet", {}).get("template_version", "v1")
    out = [_merged_for_sheet(snaps, sid, version) for sid, version in seen.items()]
    return sorted((c for c in out if c), key=lambda c: (c["sheet"].get("received_at") or "",
                                                       c["sheet"].get("id") or 0), reverse=True)


# ------------------------------------------------------------------------- ending access


def end_for_withdrawal(session: Session, actor: Actor, case_id: int,
                       at: datetime | None = None) -> list[int]:
    """After a consent of the case was withdrawn: every open hand-off sent under 本人同意 that no
    other consent still covers loses its access, with a 同意撤回 event the receiver sees in its
    inbox. Returns the hand-offs concerned."""
    from kodoku_desk.services.consent import covers

    at = at or now()
    ended = []
    for h in session.scalars(select(Handoff).where(
            Handoff.case_id == case_id, Handoff.basis == BASIS_CONSENT,
            Handoff.state.in_(handoff_rules.OPEN_STATES), Handoff.consent_ended_at.is_(None))):
        if covers(session, case_id, h.to_agency_id):
            continue
        h.consent_ended_at = at
        session.add(HandoffEvent(handoff_id=h.id, from_state=h.state, to_state=h.state,
                                 actor_id=actor.staff_id, agency_id=actor.agency_id, at=at,
                                 note=WITHDRAWN_NOTE, kind=handoff_rules.EVENT_CONSENT_WITHDRAWN))
        if handoff_rules.restarts_stage(h.state, h.state, by_receiver=False):
            h.stage_started_at = at
        ended.append(h.id)
    session.flush()
    if ended:
        audit.record(session, actor, "handoff_access_ended", "case", case_id,
                     {"handoffs": ended, "why": "consent_withdrawn"})
    return ended


__all__ = ["SnapshotSummary", "VisibleSheet", "end_for_withdrawal", "snapshot_summaries", "granted_snapshots", "received_sheets",
           "sees_section", "shared_sections", "sheet_content", "snapshot_missing", "take_in",
           "visible_sheet"]


@dataclass(frozen=True)
class SnapshotSummary:
    """Where a receiving agency's content came from: one snapshot of one of its hand-offs."""

    snapshot_id: int
    handoff_id: int
    seq: int  # 1 = at 送付, 2 … = 追加提供
    sheet_id: int | None
    sections: list[str]
    at: datetime
    sha256: str


def snapshot_summaries(session: Session, actor: Actor, case_id: int) -> list[SnapshotSummary] | None:
    """The snapshots the actor reads this case from (None: the live record)."""
    snaps = granted_snapshots(session, actor, case_id)
    if snaps is None:
        return None
    return [SnapshotSummary(s.id, s.handoff_id, s.seq, s.sheet_id, list(s.sections), s.at,
                            s.sha256) for s in snaps]
