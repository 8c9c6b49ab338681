"""The hand-off (つなぎ) rules, in one place (docs/DOMAIN.md §5): the states, which step may follow
which and who may take it, what each step needs written, the inbox buckets, and when a hand-off
is overdue. Pure: the services apply these to rows; the SQL forms live beside them in
services.handoffs and must say the same thing."""

from __future__ import annotations

from datetime import date

from kodoku_desk.domain.dates import add_business_days, business_days_between
from kodoku_desk.errors import UserError

SENT, ACKNOWLEDGED, ACCEPTED, DONE, RETURNED, WITHDRAWN = (
    "送付", "受理", "対応中", "完了", "返送", "取下げ",
)
STATES = (SENT, ACKNOWLEDGED, ACCEPTED, DONE, RETURNED, WITHDRAWN)
CLOSED_STATES = (DONE, RETURNED, WITHDRAWN)
OPEN_STATES = (SENT, ACKNOWLEDGED, ACCEPTED)

RECEIVER, SENDER = "receiver", "sender"

# (from state, to state) → who may take the step.
TRANSITIONS: dict[tuple[str, str], str] = {
    (SENT, ACKNOWLEDGED): RECEIVER,
    (SENT, RETURNED): RECEIVER,
    (SENT, WITHDRAWN): SENDER,
    (ACKNOWLEDGED, ACCEPTED): RECEIVER,
    (ACKNOWLEDGED, RETURNED): RECEIVER,
    (ACKNOWLEDGED, WITHDRAWN): SENDER,
    (ACCEPTED, DONE): RECEIVER,
    (ACCEPTED, RETURNED): RECEIVER,
}
# Actions by name (English for scripts, or the target state in Japanese).
ACTIONS = {
    "acknowledge": ACKNOWLEDGED, "accept": ACCEPTED, "complete": DONE,
    "return": RETURNED, "withdraw": WITHDRAWN,
    ACKNOWLEDGED: ACKNOWLEDGED, ACCEPTED: ACCEPTED, DONE: DONE, RETURNED: RETURNED,
    WITHDRAWN: WITHDRAWN,
}
ACTION_LABELS = {ACKNOWLEDGED: "受理する", ACCEPTED: "対応を始める", DONE: "完了にする",
                 RETURNED: "返送する", WITHDRAWN: "取り下げる"}
ACTION_CODES = {ACKNOWLEDGED: "acknowledge", ACCEPTED: "accept", DONE: "complete",
                RETURNED: "return", WITHDRAWN: "withdraw"}

# Inbox tabs: 受理 (acknowledged, not yet started) counts as 対応中 for the receiving agency.
INBOX_BUCKETS: dict[str, tuple[str, ...]] = {
    "未受理": (SENT,),
    "対応中": (ACKNOWLEDGED, ACCEPTED),
    "返送": (RETURNED,),
    "完了": (DONE,),
}
OUTBOX_BUCKETS: dict[str, tuple[str, ...]] = {**INBOX_BUCKETS, "取下げ": (WITHDRAWN,)}

# A hand-off is overdue while it waits in one of these states past its due day.
AWAITING_ANSWER = (SENT,)


def target_of(action: str) -> str:
    target = ACTIONS.get(action)
    if target is None:
        raise UserError(f"操作「{action}」はありません。選べるのは {'・'.join(ACTION_LABELS)} です。")
    return target


def who_may(state: str, target: str) -> str:
    """RECEIVER or SENDER for an allowed step; a sentence (UserError) for any other."""
    who = TRANSITIONS.get((state, target))
    if who is not None:
        return who
    if state in CLOSED_STATES:
        raise UserError(f"このつなぎはすでに「{state}」で終わっています。これ以上の操作はできません。")
    allowed = [dst for (src, dst) in TRANSITIONS if src == state]
    raise UserError(f"「{state}」のつなぎを「{target}」にはできません。"
                    f"できるのは {'・'.join(allowed)} です。")


def is_party(who: str, agency_id: int | None, from_agency_id: int, to_agency_id: int) -> bool:
    """Is the agency the side (receiver or sender) that may take a step?"""
    return agency_id is not None and agency_id == (to_agency_id if who == RECEIVER
                                                   else from_agency_id)


def refusal_message(who: str, target: str) -> str:
    if who == RECEIVER:
        return f"「{target}」にできるのは、つなぎを受けた機関の職員だけです。"
    return "取下げができるのは、つなぎを送った機関の職員だけです。"


def allowed_actions(state: str, actor_agency_id: int | None, from_agency_id: int,
                    to_agency_id: int) -> list[str]:
    """The target states this agency may move a hand-off in `state` to (for buttons)."""
    return [dst for (src, dst), who in TRANSITIONS.items()
            if src == state and is_party(who, actor_agency_id, from_agency_id, to_agency_id)]


def check_note(target: str, note: str, alternative: str) -> None:
    """What each step needs written: a return needs a reason AND an alternative (never just
    「うちじゃない」); completing needs the outcome; withdrawing needs a reason."""
    if target == RETURNED:
        if not note:
            raise UserError("返送するときは理由を書いてください。", field="note")
        if not alternative:
            raise UserError("返送するときは、代わりにつなぐとよい機関や方法を書いてください"
                            "（「うちじゃない」だけの返送はできません）。", field="alternative")
    if target == DONE and not note:
        raise UserError("完了にするときは対応の結果を書いてください。", field="note")
    if target == WITHDRAWN and not note:
        raise UserError("取り下げるときは理由を書いてください。", field="note")


def bucket_states(bucket: str | None, buckets: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    if bucket is None:
        return ()
    if bucket not in buckets:
        raise UserError(f"「{bucket}」という区分はありません。選べるのは {'・'.join(buckets)} です。")
    return buckets[bucket]


# --- deadlines ------------------------------------------------------------------------------------


def due_on(sent_on: date, business_days: int) -> date:
    """The day by which the receiver must acknowledge (the workspace setting, in business days)."""
    return add_business_days(sent_on, business_days)


def is_overdue(state: str, due: date, today: date) -> bool:
    return state in AWAITING_ANSWER and due < today


def overdue_days(state: str, due: date, today: date) -> int:
    """Business days past the due day while still awaiting an answer; 0 otherwise."""
    return business_days_between(due, today) if is_overdue(state, due, today) else 0


# --- what the receiver may read -------------------------------------------------------------------

# Events that change what the receiver may read without moving the state.
EVENT_ADDITIONAL_SHARE = "追加提供"
EVENT_CONSENT_WITHDRAWN = "同意撤回"
# 返送 and 取下げ end the receiver's access to the content; 完了 keeps what was received.
ACCESS_ENDING_STATES = (RETURNED, WITHDRAWN)


def grants_access(state: str, consent_ended: bool) -> bool:
    """Does a hand-off in `state` still let its receiver read its snapshots?"""
    return state not in ACCESS_ENDING_STATES and not consent_ended


def check_additional_share(state: str, consent_ended: bool) -> None:
    """追加提供 only on an open hand-off whose access has not ended."""
    if state not in OPEN_STATES:
        raise UserError(f"「{state}」のつなぎには追加提供できません。新しいつなぎとして送ってください。")
    if consent_ended:
        raise UserError("本人が同意を撤回したため、このつなぎには追加提供できません。"
                        "別の根拠で新しいつなぎとして送ってください。")
