"""Consent rules (docs/DOMAIN.md §6), in one place: when a consent is in force, whether it covers
an agency, and which basis a disclosure rests on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from kodoku_desk.errors import UserError

METHODS = ("署名", "口頭")

# Legal bases for a disclosure.
BASIS_CONSENT = "本人同意"
BASIS_MEETING = "支援会議"  # 社会福祉法 第106条の6: only inside that meeting's packet
BASIS_LAW = "法令に基づく通告"
BASIS_VITAL = "生命・身体の保護"
BASES = (BASIS_CONSENT, BASIS_MEETING, BASIS_LAW, BASIS_VITAL)
BASIS_ANONYMISED = "匿名化"  # a redacted case in a packet: no personal information disclosed
HANDOFF_BASES = tuple(b for b in BASES if b != BASIS_MEETING)


@dataclass(frozen=True)
class Scope:
    """What one consent covers: agencies by id, fields (分野), and 重層的支援会議."""

    agencies: frozenset[int]
    fields: frozenset[str]
    meetings: bool = False

    @classmethod
    def of(cls, agencies: Iterable[int] = (), fields: Iterable[str] = (),
           meetings: bool = False) -> Scope:
        return cls(frozenset(agencies), frozenset(fields), meetings)


def in_force(given: bool, withdrawn_on: date | None) -> bool:
    """A consent counts while it was given and has not been withdrawn."""
    return given and withdrawn_on is None


def covers(scope: Scope, agency_id: int, agency_fields: Iterable[str]) -> bool:
    """Does the scope cover sharing with this agency: named itself, or by one of its fields?"""
    return agency_id in scope.agencies or bool(scope.fields & set(agency_fields))


def any_covers(scopes: Iterable[Scope], agency_id: int, agency_fields: Iterable[str]) -> bool:
    fields = set(agency_fields)
    return any(covers(s, agency_id, fields) for s in scopes)


@dataclass(frozen=True)
class Gate:
    basis: str
    reason: str
    override: bool  # sent outside consent: supervisors review it


def handoff_gate(basis: str, reason: str, covered: bool, agency_name: str) -> Gate:
    """The consent gate for a hand-off: consent must cover the agency, or another basis is chosen
    and a reason written (a consent override). 支援会議 is a basis only inside a meeting packet."""
    if basis == BASIS_MEETING:
        raise UserError("「支援会議」を根拠にした共有は、会議資料の中でだけ行えます。"
                        "つなぎには本人同意か別の根拠を選んでください。", field="basis")
    if basis not in BASES:
        raise UserError(f"根拠「{basis}」はありません。選べるのは {'・'.join(HANDOFF_BASES)} です。",
                        field="basis")
    if basis == BASIS_CONSENT:
        if not covered:
            raise UserError(f"「{agency_name}」は本人の同意の範囲に入っていません（または同意が撤回されています）。"
                            "同意の範囲外に送るには、別の根拠（法令に基づく通告・生命・身体の保護）と"
                            "その理由を書いてください。", field="basis")
        return Gate(basis, reason, False)
    if not reason:
        raise UserError(f"根拠「{basis}」で送るときは、その理由を書いてください。", field="basis_reason")
    return Gate(basis, reason, not covered)
