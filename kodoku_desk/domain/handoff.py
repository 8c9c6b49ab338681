"""The hand-off (つなぎ) rules, in one place (docs/DOMAIN.md §5): the states, which step may follow
which and who may take it, what each step needs written, the inbox buckets, and when a hand-off
is overdue at each stage. Pure: the services apply these to rows; the SQL forms live beside them
in services.handoffs and must say the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kodoku_desk.domain.dates import add_business_days, business_days_between, is_business_day
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
# Every open state is a stage with a deadline, counted in business days from the stage's start:
#   送付   → 受理 by the 受理期限: the due day fixed at sending (Handoff.due_on; a later change of
#            the setting does not move it);
#   受理   → 対応中 by the 対応開始期限: N business days after the acknowledgement;
#   対応中 → an update (any event: an answer, a progress note, 追加提供 …) by the 更新期限: N
#            business days after the hand-off's latest event.
# The start is cached on the hand-off row (Handoff.stage_started_at, kept by the services with
# `restarts_stage`); the two later limits are read from the settings when asked, so a changed
# setting applies at once.


@dataclass(frozen=True)
class Stage:
    state: str
    setting: str  # the workspace setting holding its limit in business days (services.admin)
    deadline: str  # what its deadline is called (also the heading of its count)
    missed: str  # what a hand-off past it is called (the inbox's column)


STAGES: dict[str, Stage] = {
    SENT: Stage(SENT, "overdue_business_days", "受理期限", "受理期限超過"),
    ACKNOWLEDGED: Stage(ACKNOWLEDGED, "start_business_days", "対応開始期限", "対応開始期限超過"),
    ACCEPTED: Stage(ACCEPTED, "update_business_days", "更新期限", "更新なし"),
}
# A hand-off is overdue while it waits in one of these states past its stage's deadline.
AWAITING_ANSWER = tuple(STAGES)


@dataclass(frozen=True)
class Limits:
    """Business days each stage may take: the workspace settings named by STAGES (their
    defaults are services.admin.SETTING_DEFAULTS)."""

    acknowledge: int  # 受理期限: for new hand-offs only (their due day is fixed at sending)
    start: int  # 対応開始期限
    update: int  # 対応中の更新期限

    def days(self, state: str) -> int:
        return {SENT: self.acknowledge, ACKNOWLEDGED: self.start, ACCEPTED: self.update}[state]


@dataclass(frozen=True)
class Overdue:
    """A hand-off past its stage's deadline."""

    state: str  # the stage it is stuck in
    deadline: date
    days_late: int  # business days after the deadline, up to today
    label: str  # 受理期限超過 / 対応開始期限超過 / 更新なし 25営業日


def due_on(sent_on: date, business_days: int) -> date:
    """The day by which the receiver must acknowledge (the workspace setting, in business days)."""
    return add_business_days(sent_on, business_days)


def restarts_stage(from_state: str, to_state: str, by_receiver: bool = True) -> bool:
    """Does an event start its hand-off's stage clock again? A step into another state starts
    that state's stage; while 対応中, an event of the receiving agency (its 経過) is an update —
    the sender's 追加提供 or a consent withdrawal says nothing of the receiver's work."""
    return from_state != to_state or (to_state == ACCEPTED and by_receiver)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def stage_deadline(state: str, due: date, stage_started: date | datetime | None,
                   limits: Limits) -> date | None:
    """The day by which a hand-off must leave its stage (対応中: be updated); None when closed.
    `due` is the 受理期限 fixed at sending; `stage_started` the stage's start."""
    if state == SENT:
        return due
    if state in STAGES and stage_started is not None:
        return add_business_days(_day(stage_started), limits.days(state))
    return None


def is_overdue(state: str, deadline: date | None, today: date) -> bool:
    """In an open stage, and today is after the stage's deadline (the deadline itself is in time)."""
    return state in AWAITING_ANSWER and deadline is not None and deadline < today


def overdue_days(state: str, deadline: date | None, today: date) -> int:
    """Business days past the stage's deadline while still in the stage; 0 otherwise."""
    if deadline is None or not is_overdue(state, deadline, today):
        return 0
    return business_days_between(deadline, today)


def overdue_status(state: str, due: date, stage_started: date | datetime | None, limits: Limits,
                   today: date) -> Overdue | None:
    """Which deadline a hand-off has missed, and by how much; None when it is in time or closed."""
    deadline = stage_deadline(state, due, stage_started, limits)
    if deadline is None or not is_overdue(state, deadline, today):
        return None
    label = STAGES[state].missed
    if state == ACCEPTED and stage_started is not None:
        label += f" {business_days_between(_day(stage_started), today)}営業日"
    return Overdue(state, deadline, business_days_between(deadline, today), label)


def overdue_before(today: date, days: int) -> date:
    """The cut-off of the SQL form: a stage of `days` business days that started on a day before
    this one is past its deadline today; one that started on it or later is not. (It is the
    `days`-th business day counted back from yesterday: a start before it has at least `days`
    business days after it that are already over.)"""
    if days <= 0:
        return today
    d, counted = today - timedelta(days=1), 0
    while True:
        if is_business_day(d):
            counted += 1
            if counted == days:
                return d
        d -= timedelta(days=1)


# --- progress notes -------------------------------------------------------------------------------

# An event by the receiving agency while 対応中 that records how the work goes (経過) without
# moving the state: it is the update the 更新期限 asks for.
EVENT_PROGRESS = "経過"


def check_progress(state: str, note: str) -> None:
    if state != ACCEPTED:
        raise UserError(f"経過を記録できるのは「{ACCEPTED}」のつなぎだけです（いまの状態: {state}）。")
    if not note:
        raise UserError("経過の内容を書いてください。", field="note")


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
