"""What a receiving agency was given and when its access ended (docs/DOMAIN.md §5–§6), listed for
the case view and the inbox: the snapshots it still reads (with their dates, sections and
hashes), the kinds of the hand-off events that change what it reads without moving the state
(追加提供, 同意撤回), one hand-off's timeline for the inbox details, and why a case it was given
can no longer be opened. The rules themselves are services.sharing's and domain.handoff's."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kodoku_desk.domain import handoff as handoff_rules
from kodoku_desk.domain.actor import Actor
from kodoku_desk.domain.template import load_template
from kodoku_desk.errors import UserError
from kodoku_desk.models import Agency, Case, Handoff, HandoffEvent, HandoffSnapshot
from kodoku_desk.services import access, sharing, uow
from kodoku_desk.services import handoffs as handoff_service
from kodoku_desk.services.auth import Signed

SENT_KIND = "送付"  # the first snapshot of a hand-off; later ones are 追加提供


@dataclass(frozen=True)
class Provision:
    """One snapshot the viewer's agency reads: what it was given, when, by whom."""

    handoff_id: int
    seq: int
    kind: str  # 送付 or 追加提供
    sheet_id: int | None
    at: datetime
    from_agency: str
    sections: list[str]  # labels, in template order
    sha256: str
    migrated: bool  # made by the migration from the sheet as it stood then


def provisions(session: Session, actor: Actor, case_id: int) -> list[Provision]:
    """For a receiving agency: every snapshot of the case it may still read, oldest first.
    [] for those who read the live record (services.sharing.granted_snapshots is None)."""
    return provisions_of(session, sharing.granted_snapshots(session, actor, case_id) or [])


def provisions_of(session: Session, snaps: list[HandoffSnapshot]) -> list[Provision]:
    """provisions() for snapshots already read (the case view has them)."""
    if not snaps:
        return []
    ids = {s.handoff_id for s in snaps}
    senders = dict(session.execute(
        select(Handoff.id, Agency.name).join(Agency, Agency.id == Handoff.from_agency_id)
        .where(Handoff.id.in_(ids))).all())
    out = []
    for snap in snaps:
        version = (snap.content or {}).get("sheet", {}).get("template_version")
        labels = load_template(version).section_labels()
        out.append(Provision(snap.handoff_id, snap.seq,
                             SENT_KIND if snap.seq == 1 else handoff_rules.EVENT_ADDITIONAL_SHARE,
                             snap.sheet_id, snap.at, senders.get(snap.handoff_id, ""),
                             [labels[k] for k in labels if k in snap.sections], snap.sha256,
                             bool(snap.migrated)))
    return out


def event_kinds(session: Session, event_ids: Iterable[int]) -> dict[int, str]:
    """event id → its kind, for the events that are not a step of the state machine."""
    ids = list(event_ids)
    if not ids:
        return {}
    return dict(session.execute(select(HandoffEvent.id, HandoffEvent.kind).where(
        HandoffEvent.id.in_(ids), HandoffEvent.kind != "")).all())


@dataclass(frozen=True)
class EventView:
    """One event of a hand-off's timeline (the inbox and outbox details)."""

    at: datetime
    from_state: str
    to_state: str
    kind: str  # "" for a step; 追加提供 / 同意撤回 otherwise (from_state == to_state)
    who: str
    agency: str
    note: str
    alternative: str


def handoff_timeline(signed: Signed, handoff_id: int) -> list[EventView]:
    """One hand-off's events, oldest first, for either of its agencies (or those who see every
    case): what the inbox keeps even after the receiver's access to the content ended."""
    with uow.read(signed) as s:
        h = s.get(Handoff, handoff_id)
        if h is None:
            raise UserError(f"つなぎ（番号 {handoff_id}）は見つかりません。")
        side = h.to_agency_id if signed.actor.agency_id == h.to_agency_id else h.from_agency_id
        access.check_box_agency(s, signed.actor, side)
        rows = handoff_service.events(s, [handoff_id])
        kinds = event_kinds(s, [e.id for e in rows])
        return [EventView(e.at, e.from_state, e.to_state, kinds.get(e.id, ""), e.actor_name,
                          e.agency_name, e.note, e.alternative) for e in rows]


@dataclass(frozen=True)
class AccessEnd:
    """Why the viewer's agency can no longer open a case it was given."""

    handoff_id: int
    case_no: str
    state: str
    consent_withdrawn: bool  # a consent withdrawal ended it (otherwise 返送 or 取下げ)
    at: datetime | None  # when it ended


def access_end(signed: Signed, case_id: int, handoff_id: int | None = None) -> AccessEnd | None:
    """None when the actor may open the case (it owns it, sees every case, or another hand-off
    still grants access) or was never given it; otherwise its agency's hand-off of the case
    whose access ended (`handoff_id`, or the latest one). Reads only the agency's own
    hand-offs, as its inbox does; nothing is refused, so nothing is audited."""
    actor = signed.actor
    with uow.read(signed) as s:
        if actor.agency_id is None or access.can_see(s, actor, case_id):
            return None
        q = (select(Handoff, Case.case_no).join(Case, Case.id == Handoff.case_id)
             .where(Handoff.case_id == case_id, Handoff.to_agency_id == actor.agency_id,
                    or_(Handoff.state.in_(handoff_rules.ACCESS_ENDING_STATES),
                        Handoff.consent_ended_at.is_not(None))))
        if handoff_id is not None:
            q = q.where(Handoff.id == handoff_id)
        found = s.execute(q.order_by(Handoff.sent_at.desc(), Handoff.id.desc()).limit(1)).first()
        if found is None:
            return None
        h, case_no = found
        withdrawn = h.consent_ended_at is not None
        return AccessEnd(h.id, case_no, h.state, withdrawn,
                         h.consent_ended_at if withdrawn else h.closed_at)


__all__ = ["AccessEnd", "EventView", "Provision", "access_end", "event_kinds",
           "handoff_timeline", "provisions"]
