"""Consent to share (docs/DOMAIN.md §6): its scope (agencies or fields), date, method and signed page;
withdrawal is appended, never an edit, and stops any further sharing under 本人同意."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kodoku_desk.domain import consent as rules
from kodoku_desk.domain.actor import Actor
from kodoku_desk.domain.consent import METHODS
from kodoku_desk.domain.template import check_text
from kodoku_desk.errors import UserError
from kodoku_desk.models import Agency, Case, Consent, ConsentWithdrawal
from kodoku_desk.models.org import FIELDS
from kodoku_desk.services import access, audit, sharing, uow
from kodoku_desk.services.auth import Signed


@dataclass
class ConsentInput:
    given: bool = True
    scope_agencies: list[int] = field(default_factory=list)
    scope_fields: list[str] = field(default_factory=list)
    covers_meetings: bool = False
    method: str = "口頭"
    given_on: date | None = None
    attachment_id: int | None = None


@dataclass(frozen=True)
class ConsentRow:
    id: int
    given: bool
    scope_agencies: list[int]
    scope_agency_names: list[str]
    scope_fields: list[str]
    covers_meetings: bool
    method: str
    given_on: date | None
    attachment_id: int | None
    recorded_at: object
    withdrawn_on: date | None
    withdrawal_reason: str

    @property
    def active(self) -> bool:
        return rules.in_force(self.given, self.withdrawn_on)


def check_input(session: Session, data: ConsentInput) -> None:
    """Raises UserError (field named) unless the consent input is complete and consistent."""
    if data.method not in METHODS:
        raise UserError("同意の方法は「署名」か「口頭」を選んでください。", field="consent.method")
    if data.given_on is None:
        raise UserError("同意した日を入力してください。", field="consent.date")
    if data.given_on > date.today():
        raise UserError("同意した日が未来の日付になっています。", field="consent.date")
    unknown = [f for f in data.scope_fields if f not in FIELDS]
    if unknown:
        raise UserError(f"同意の範囲の分野「{'、'.join(unknown)}」はありません。"
                        f"選べるのは {'・'.join(FIELDS)} です。", field="consent.scope")
    for agency_id in data.scope_agencies:
        if session.get(Agency, agency_id) is None:
            raise UserError(f"同意の範囲の機関（番号 {agency_id}）は登録されていません。",
                            field="consent.scope")
    if data.given and not (data.scope_agencies or data.scope_fields or data.covers_meetings):
        raise UserError("同意の範囲（共有してよい機関または分野）を一つ以上選んでください。",
                        field="consent.scope")


def record_in(session: Session, actor: Actor, case_id: int, data: ConsentInput) -> Consent:
    """Record a consent inside the caller's unit of work (used by save_intake too)."""
    check_input(session, data)
    consent = Consent(case_id=case_id, given=data.given,
                      scope_agencies=sorted(set(data.scope_agencies)),
                      scope_fields=[f for f in FIELDS if f in data.scope_fields],
                      covers_meetings=data.covers_meetings, method=data.method,
                      given_on=data.given_on, attachment_id=data.attachment_id,
                      recorded_by=actor.staff_id)
    session.add(consent)
    session.flush()
    audit.record(session, actor, "consent_record", "case", case_id,
                 {"consent_id": consent.id, "given": data.given,
                  "agencies": consent.scope_agencies, "fields": consent.scope_fields,
                  "meetings": data.covers_meetings, "method": data.method})
    return consent


def record(signed: Signed, case_id: int, data: ConsentInput) -> int:
    access.require(signed, signed.actor.is_intake, "同意の記録")
    with uow.write(signed) as s:
        _case_for_change(s, signed.actor, case_id)
        return record_in(s, signed.actor, case_id, data).id


def withdraw(signed: Signed, consent_id: int, withdrawn_on: date | None = None,
             reason: str = "") -> int:
    """Append a withdrawal. No new disclosure under this consent is possible afterwards, and
    every open hand-off sent under it that no other consent covers loses its access (with a
    同意撤回 event in the receiver's inbox: services.sharing.end_for_withdrawal)."""
    access.require(signed, signed.actor.is_intake, "同意の撤回の記録")
    reason = check_text(reason, "撤回の理由", "reason")
    with uow.write(signed) as s:
        return withdraw_in(s, signed.actor, consent_id, withdrawn_on or date.today(), reason)


def withdraw_in_force(signed: Signed, case_id: int, withdrawn_on: date | None = None,
                      reason: str = "") -> list[int]:
    """Withdraw every consent of the case that is in force, as one unit (the person withdraws
    their consent as a whole). A case with none in force is a sentence."""
    access.require(signed, signed.actor.is_intake, "同意の撤回の記録")
    reason = check_text(reason, "撤回の理由", "reason")
    with uow.write(signed) as s:
        _case_for_change(s, signed.actor, case_id)
        ids = [c.id for c in active_consents(s, case_id)]
        if not ids:
            raise UserError("このケースには有効な同意がありません（撤回済みか、記録されていません）。")
        return [withdraw_in(s, signed.actor, i, withdrawn_on or date.today(), reason)
                for i in ids]


def withdraw_for_case_no(signed: Signed, case_no: str, withdrawn_on: date | None = None,
                         reason: str = "") -> list[int]:
    """withdraw_in_force for a case named by its number (scripts, the CLI)."""
    with uow.read(signed) as s:
        case_id = access.visible_case_id(s, signed.actor, case_no)
    return withdraw_in_force(signed, case_id, withdrawn_on, reason)


def withdraw_in(session: Session, actor: Actor, consent_id: int, withdrawn_on: date,
                reason: str) -> int:
    consent = session.get(Consent, consent_id)
    if consent is None:
        raise UserError(f"同意（番号 {consent_id}）は見つかりません。")
    _case_for_change(session, actor, consent.case_id)
    if session.scalar(select(ConsentWithdrawal).where(ConsentWithdrawal.consent_id == consent_id)):
        raise UserError("この同意はすでに撤回が記録されています。")
    if consent.given_on and withdrawn_on < consent.given_on:
        raise UserError("撤回日が同意した日より前になっています。", field="withdrawn_on")
    if withdrawn_on > date.today():
        raise UserError("撤回日が未来の日付になっています。", field="withdrawn_on")
    row = ConsentWithdrawal(consent_id=consent_id, withdrawn_on=withdrawn_on, reason=reason,
                            recorded_by=actor.staff_id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "consent_withdraw", "case", consent.case_id,
                 {"consent_id": consent_id, "withdrawn_on": withdrawn_on})
    # No further sharing under this consent; open hand-offs sent under it lose access.
    sharing.end_for_withdrawal(session, actor, consent.case_id)
    return row.id


def _case_for_change(session: Session, actor: Actor, case_id: int) -> Case:
    from kodoku_desk.services.access import check_visible

    return check_visible(session, actor, case_id)


def active_consents(session: Session, case_id: int) -> list[Consent]:
    """Given and not withdrawn, newest first."""
    withdrawn = select(ConsentWithdrawal.consent_id)
    return list(session.scalars(
        select(Consent).where(Consent.case_id == case_id, Consent.given.is_(True),
                              Consent.id.not_in(withdrawn))
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())))


def covers(session: Session, case_id: int, agency: Agency | int) -> bool:
    """Does an active consent of the case cover sharing with this agency (by the agency itself
    or by one of its fields)?"""
    if isinstance(agency, int):
        found = session.get(Agency, agency)
        if found is None:
            return False
        agency = found
    scopes = [rules.Scope.of(c.scope_agencies, c.scope_fields, c.covers_meetings)
              for c in active_consents(session, case_id)]
    return rules.any_covers(scopes, agency.id, agency.fields)


def consents_for_case(session: Session, case_id: int) -> list[ConsentRow]:
    """Every consent of the case with its withdrawal (for the case view), newest first."""
    consents = list(session.scalars(select(Consent).where(Consent.case_id == case_id)
                                    .order_by(Consent.recorded_at.desc(), Consent.id.desc())))
    withdrawals = {w.consent_id: w for w in session.scalars(
        select(ConsentWithdrawal).where(ConsentWithdrawal.consent_id.in_([c.id for c in consents])))}
    ids = {a for c in consents for a in c.scope_agencies}
    names = dict(session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(ids))).all())
    rows = []
    for c in consents:
        w = withdrawals.get(c.id)
        rows.append(ConsentRow(c.id, c.given, list(c.scope_agencies),
                               [names.get(a, f"機関{a}") for a in c.scope_agencies],
                               list(c.scope_fields), c.covers_meetings, c.method, c.given_on,
                               c.attachment_id, c.recorded_at,
                               w.withdrawn_on if w else None, w.reason if w else ""))
    return rows


def describe_scope(row: ConsentRow) -> str:
    parts = row.scope_agency_names + [f"{f}分野" for f in row.scope_fields]
    if row.covers_meetings:
        parts.append("重層的支援会議")
    return "・".join(parts) or "（範囲なし）"


__all__ = ["METHODS", "ConsentInput", "ConsentRow", "active_consents", "consents_for_case",
           "covers", "describe_scope", "record", "record_in", "withdraw", "withdraw_for_case_no",
           "withdraw_in_force"]
