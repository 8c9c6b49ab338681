"""The meeting-kind rules (docs/DOMAIN.md §7), in one place: which cases each kind of meeting
may discuss, on what basis its packet discloses them, its secrecy notice and whether its packet
is redacted by default. The agenda, the packet export and the minutes all ask these.

- 重層的支援会議 (実施要綱): only cases whose consent covers meetings; basis 本人同意.
- 支援会議 (社会福祉法 第106条の6): any case; the packet carries the secrecy notice; basis 支援会議.
- 支援者支援会議 (block case studies): any case; packets are redacted by default. An unredacted
  packet needs the same consent as 重層的支援会議 [design].
- 地域協議会 [design, conservative]: treated like 重層的支援会議 (consent required), with a secrecy
  notice, because the app cannot tell which statutory frame a municipality uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from kodoku_desk.domain.consent import BASIS_CONSENT, BASIS_MEETING, in_force
from kodoku_desk.domain.dates import to_wareki
from kodoku_desk.errors import UserError

MEETING_KINDS = ("重層的支援会議", "支援会議", "支援者支援会議", "地域協議会")

SECRECY_SHIEN = (
    "本資料は社会福祉法第106条の6に基づく支援会議の資料です。支援会議の事務に従事する者又は従事して"
    "いた者は、正当な理由なく、支援会議の事務に関して知り得た秘密を漏らしてはなりません（守秘義務。"
    "違反には罰則があります）。複写・持ち出しを禁じ、会議終了後に回収します。"
)
SECRECY_GENERIC = (
    "本資料には個人情報が含まれます。会議の構成員には守秘義務があります。目的外の利用・複写・持ち出しを"
    "禁じ、会議終了後に回収します。"
)
SECRECY_REDACTED = (
    "本資料は事例検討のため、氏名・住所・電話番号・生年月日を符号に置き換えています。"
    "個人を特定しようとしないでください。会議終了後に回収します。"
)


@dataclass(frozen=True)
class KindRule:
    kind: str
    legal_frame: str
    requires_consent: bool  # agenda and export refuse cases without consent covering meetings
    basis: str  # the disclosure basis of an unredacted packet
    secrecy_notice: str
    redact_default: bool
    unredacted_needs_consent: bool

    def needs_consent(self, export_redacted: bool | None = None) -> bool:
        """On the agenda (export_redacted None) or in a packet redacted or not."""
        return self.requires_consent or (export_redacted is False and self.unredacted_needs_consent)


KIND_RULES: dict[str, KindRule] = {
    "重層的支援会議": KindRule("重層的支援会議", "重層的支援体制整備事業 実施要綱", True,
                        BASIS_CONSENT, "", False, True),
    "支援会議": KindRule("支援会議", "社会福祉法 第106条の6（非公開）", False, BASIS_MEETING,
                     SECRECY_SHIEN, False, False),
    "支援者支援会議": KindRule("支援者支援会議", "ブロック単位の事例検討", False, BASIS_CONSENT,
                        SECRECY_GENERIC, True, True),
    "地域協議会": KindRule("地域協議会", "地域協議会（構成員に守秘義務）", True, BASIS_CONSENT,
                      SECRECY_GENERIC, False, True),
}
assert set(KIND_RULES) == set(MEETING_KINDS)


def rule_for(kind: str) -> KindRule:
    try:
        return KIND_RULES[kind]
    except KeyError:
        raise UserError(f"会議の種類「{kind}」はありません。{'・'.join(MEETING_KINDS)}から選んでください。",
                        field="kind") from None




@dataclass(frozen=True)
class ConsentFacts:
    given: bool
    covers_meetings: bool
    withdrawn_on: date | None


def meeting_consent(consents: Sequence[ConsentFacts]) -> tuple[int | None, str]:
    """Which of the case's consents (newest first) lets it be shared at a meeting: its index,
    or None and why not, as a phrase."""
    if not consents:
        return None, "本人の同意が記録されていません"
    for i, c in enumerate(consents):
        if c.covers_meetings and in_force(c.given, c.withdrawn_on):
            return i, ""
    for c in consents:
        if c.covers_meetings and c.withdrawn_on is not None:
            return None, f"会議での共有への同意が{to_wareki(c.withdrawn_on)}に撤回されています"
    if any(c.given for c in consents):
        return None, "同意の範囲に会議での共有が含まれていません"
    return None, "本人が同意していません"


def refusal(rule: KindRule, case_label: str, why: str) -> str:
    """The sentence for a case this kind may not take (why: from meeting_consent)."""
    if not rule.requires_consent:
        return (f"{case_label}は匿名化しない{rule.kind}の資料に含められません: {why}。"
                "匿名化して出力してください。")
    return f"{case_label}は{rule.kind}で扱えません: {why}。"
