"""The support plan's lifecycle (docs/DOMAIN.md §8), in one place: which status may follow which,
which need a supervisor's approval, which can be edited or evaluated."""

from __future__ import annotations

from kodoku_desk.errors import UserError

STATUSES = ("案", "会議提出", "合意", "実施中", "評価", "終結", "中断", "見守り継続")
DRAFT, SUBMITTED, AGREED, RUNNING, EVALUATING, CLOSED, SUSPENDED, WATCHING = STATUSES

# 評価 may lead back to 実施中 (next cycle) or to a new agreement at a meeting (会議提出);
# 見守り継続 is a legitimate long-term outcome that can be re-evaluated.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    DRAFT: (SUBMITTED, SUSPENDED),
    SUBMITTED: (AGREED, DRAFT, SUSPENDED),
    AGREED: (RUNNING, DRAFT, SUSPENDED),
    RUNNING: (EVALUATING, SUSPENDED),
    EVALUATING: (RUNNING, SUBMITTED, CLOSED, SUSPENDED, WATCHING),
    WATCHING: (EVALUATING, CLOSED),
    SUSPENDED: (DRAFT,),
    CLOSED: (),
}
assert set(TRANSITIONS) == set(STATUSES)
NEEDS_APPROVAL = (RUNNING,)  # entering these needs a supervisor's approval of the current version
EDITABLE = (DRAFT, SUBMITTED, AGREED, EVALUATING, WATCHING, RUNNING)
EVALUABLE = (RUNNING, EVALUATING, WATCHING)
ENDED = (CLOSED, SUSPENDED)  # a case may start another plan once its plan is in one of these

APPROVAL_NONE, APPROVAL_PENDING, APPROVAL_OK, APPROVAL_RETURNED = "", "申請中", "承認", "差戻し"
APPROVAL_LABEL_NONE = "未申請"
EV_CREATE, EV_STATUS, EV_REQUEST, EV_APPROVE, EV_RETURN, EV_WITHDRAWN, EV_EVALUATION = (
    "作成", "状態変更", "承認申請", "承認", "差戻し", "承認取消（編集）", "評価記録",
)


def check_transition(status: str, approval: str, to_status: str) -> None:
    """Raises a Japanese sentence unless a plan in `status` may move to `to_status`."""
    if to_status not in TRANSITIONS:
        raise UserError(f"「{to_status}」は支援プランの状態ではありません。")
    allowed = TRANSITIONS[status]
    if to_status not in allowed:
        if not allowed:
            raise UserError(f"支援プランは「{status}」のため、これ以上状態を変更できません。")
        options = "「" + "」「".join(allowed) + "」"
        raise UserError(f"支援プランの状態を「{status}」から「{to_status}」に変更することはできません。"
                        f"「{status}」からは{options}に変更できます。")
    if to_status in NEEDS_APPROVAL and approval != APPROVAL_OK:
        raise UserError(f"監督者の承認がないため「{to_status}」にできません。"
                        "先に承認を申請し、監督者の承認を受けてください。")


def check_evaluable(status: str) -> None:
    if status not in EVALUABLE:
        raise UserError(f"「{status}」の支援プランは評価できません（{'・'.join(EVALUABLE)}のみ）。")


def can_request_approval(status: str, approval: str) -> bool:
    return status not in ENDED and approval not in (APPROVAL_PENDING, APPROVAL_OK)


def steps_to(start: str, goal: str) -> list[str]:
    """The shortest chain of allowed steps from `start` to `goal` (excluding start), never
    through 中断/終結; [] when there is none."""
    frontier, seen = [[start]], {start}
    while frontier:
        path = frontier.pop(0)
        if path[-1] == goal:
            return path[1:]
        for nxt in TRANSITIONS[path[-1]]:
            if nxt not in seen and nxt not in ENDED:
                seen.add(nxt)
                frontier.append([*path, nxt])
    return []
