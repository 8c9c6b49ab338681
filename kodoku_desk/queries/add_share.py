"""What the 追加提供 dialog offers for one open hand-off (docs/DOMAIN.md §5–§6): the case's sheets
the sending agency may disclose from (newest first), each with its template sections and which
of them this hand-off has already disclosed, the hand-off's basis, and whether a consent in
force covers the receiving agency (the hint; services.handoffs.add_share checks it all again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from kodoku_desk.domain import handoff as handoff_rules
from kodoku_desk.domain.consent import HANDOFF_BASES
from kodoku_desk.domain.template import load_template
from kodoku_desk.errors import UserError
from kodoku_desk.models import Agency, Handoff, HandoffSnapshot, Sheet, Staff
from kodoku_desk.services import access, sharing, uow
from kodoku_desk.services import consent as consent_service
from kodoku_desk.services.auth import Signed


@dataclass(frozen=True)
class SectionChoice:
    key: str
    label: str
    part: str  # A / B
    shared_at: datetime | None  # last disclosed from this sheet by this hand-off
    shared_from_other: bool  # disclosed by this hand-off from another sheet of the case
    may_share: bool  # False: the sending agency itself was not given this section


@dataclass(frozen=True)
class SheetChoice:
    id: int
    received_at: datetime | None
    agency: str
    worker: str
    template_version: str
    sections: list[SectionChoice]


@dataclass(frozen=True)
class AddShareForm:
    handoff_id: int
    case_id: int
    case_no: str
    to_agency_id: int
    to_agency: str
    state: str
    sent_at: datetime
    basis: str
    basis_reason: str
    covered: bool  # a consent in force covers the receiving agency (services.consent.covers)
    bases: tuple[str, ...]
    sheets: list[SheetChoice]  # newest first


def add_share_form(signed: Signed, handoff_id: int) -> AddShareForm:
    """The dialog's choices. Refuses as add_share would: only the sending agency, only an open
    hand-off whose access has not ended."""
    actor = signed.actor
    with uow.read(signed) as s:
        h = s.get(Handoff, handoff_id)
        if h is None:
            raise UserError(f"つなぎ（番号 {handoff_id}）は見つかりません。")
        case = access.check_visible(s, actor, h.case_id)
        access.check(actor.agency_id == h.from_agency_id, "追加提供",
                     "追加提供ができるのは、つなぎを送った機関の職員だけです。",
                     target_type="handoff", target_id=h.id)
        handoff_rules.check_additional_share(h.state, h.consent_ended_at is not None)
        shared: dict[int | None, dict[str, datetime]] = {}
        for snap in s.scalars(select(HandoffSnapshot).where(HandoffSnapshot.handoff_id == h.id)
                              .order_by(HandoffSnapshot.at, HandoffSnapshot.id)):
            for key in snap.sections:
                shared.setdefault(snap.sheet_id, {})[key] = snap.at
        every = {k for keys in shared.values() for k in keys}
        sheets = []
        for sheet_id, received_at, agency, worker, version, allowed in _sheets(s, signed, h):
            here = shared.get(sheet_id, {})
            template = load_template(version)
            sheets.append(SheetChoice(sheet_id, received_at, agency, worker, template.version, [
                SectionChoice(sec.key, sec.label, sec.part, here.get(sec.key),
                              sec.key in every and sec.key not in here,
                              allowed is None or sec.key in allowed)
                for sec in template.sections]))
        to = s.get(Agency, h.to_agency_id)
        if to is None:
            raise UserError(f"つなぎ先の機関（番号 {h.to_agency_id}）は登録されていません。")
        return AddShareForm(h.id, h.case_id, case.case_no, to.id, to.name, h.state, h.sent_at,
                            h.basis, h.basis_reason, consent_service.covers(s, h.case_id, to),
                            HANDOFF_BASES, sheets)


def _sheets(s, signed: Signed, h: Handoff):
    """(id, received_at, agency, worker, template version, sections it may disclose or None for
    all): the live sheets for the owning agency, what it received for a receiving one."""
    if sharing.granted_snapshots(s, signed.actor, h.case_id) is None:
        q = (select(Sheet.id, Sheet.received_at, Agency.name, Staff.display_name,
                    Sheet.template_version)
             .join(Agency, Agency.id == Sheet.agency_id).join(Staff, Staff.id == Sheet.worker_id)
             .where(Sheet.case_id == h.case_id)
             .order_by(Sheet.received_at.desc(), Sheet.id.desc()))
        return [(*row, None) for row in s.execute(q).all()]
    out = []
    for content in sharing.received_sheets(s, signed.actor, h.case_id):  # newest first
        sheet = content["sheet"]
        received = sheet.get("received_at")
        out.append((sheet["id"], datetime.fromisoformat(received) if received else None,
                    sheet.get("agency", ""), sheet.get("worker", ""),
                    sheet.get("template_version"), set(content["sections"])))
    return out


__all__ = ["AddShareForm", "SectionChoice", "SheetChoice", "add_share_form"]
