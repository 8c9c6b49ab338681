"""Supervisor review (issue 4): the hand-off history, consent-override reviews, the disclosure
log (提供記録), the access log (閲覧・出力・印刷の履歴) and audit-chain verification.

Only supervisors and admins reach these; a refusal is itself logged in its own unit of work.
Dashboard figures live in services.review_dashboard, the period report in services.stats."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Select, and_, exists, func, select, true
from sqlalchemy.orm import Session

from kodoku_desk.domain import dates
from kodoku_desk.domain import handoff as handoff_rules
from kodoku_desk.errors import UserError
from kodoku_desk.models import (
    Agency,
    AuditEntry,
    Block,
    Case,
    Disclosure,
    Handoff,
    HandoffEvent,
    OverrideReview,
    Staff,
)
from kodoku_desk.models.handoffs import BASES, HANDOFF_STATES, RETURNED
from kodoku_desk.models.org import FIELDS
from kodoku_desk.services import access, audit, exporting, handoffs, uow
from kodoku_desk.services.access import check_visible
from kodoku_desk.services.auth import Signed
from kodoku_desk.store.dialect import day_start

DEFAULT_LIMIT = 1000
EXPORT_LIMIT = 1_000_000
PDF_LIMIT = 5000  # a printed log longer than ~150 pages helps nobody; CSV takes any size

REVIEW_ACTION_LABELS = {
    "view_dashboard": "ダッシュボード閲覧",
    "view_handoff_log": "つなぎ履歴閲覧",
    "view_timeline": "つなぎ経過閲覧",
    "view_disclosures": "提供記録閲覧",
    "view_access_log": "閲覧・出力履歴の閲覧",
    "view_statistics": "統計閲覧",
    "override_review": "同意外提供の確認",
    "verify_chain": "監査ログ検証",
    "check": "整合性検査",
    # Actions other domains record (labels for the access-log view and its CSV).
    "handoff_send": "つなぎ送付", "handoff_acknowledge": "つなぎ受理",
    "handoff_accept": "つなぎ対応開始", "handoff_complete": "つなぎ完了",
    "handoff_return": "つなぎ返送", "handoff_withdraw": "つなぎ取下げ",
    "view_plan": "支援プラン閲覧", "view_meeting": "会議閲覧", "view_attachment": "添付閲覧",
    "search_person": "本人検索", "plan_status": "プラン状態変更", "plan_approval": "プラン承認",
    "intake_save": "受付保存", "duplicate_warning": "重複の警告", "consent_withdraw": "同意撤回",
    "consent_record": "同意記録", "attachment_add": "添付追加", "agenda_refused": "議題の却下",
    "delete": "削除",
}


TARGET_LABELS = {
    "case": "ケース", "person": "本人", "staff": "職員", "agency": "機関", "block": "ブロック",
    "setting": "設定", "workspace": "ワークスペース", "backup": "バックアップ", "handoff": "つなぎ",
    "sheet": "シート", "plan": "支援プラン", "meeting": "会議", "review": "確認・監査画面",
    "audit_log": "監査ログ", "disclosures": "提供記録", "handoff_log": "つなぎ履歴",
    "statistics": "統計", "demo": "デモ",
}


def action_label(action: str) -> str:
    return REVIEW_ACTION_LABELS.get(action) or audit.ACTION_LABELS.get(action, action)


def target_label(target_type: str) -> str:
    return TARGET_LABELS.get(target_type, target_type)


# --------------------------------------------------------------------------- access


def _log(signed: Signed, action: str, target_type: str = "review", target_id: object = "",
         detail: dict | str = "") -> None:
    with uow.write(signed) as s:
        audit.record(s, signed.actor, action, target_type, target_id, detail)


# --------------------------------------------------------------------------- look-ups


def agency_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Agency.id, Agency.name)).all())


def block_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Block.id, Block.name)).all())


def staff_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Staff.id, Staff.display_name)).all())


def resolve_agency(session: Session, name: str | None, *, field: str = "agency") -> int | None:
    """An agency name typed by a user → its id (services.admin.agency_by_name's rule)."""
    from kodoku_desk.services.admin import agency_id_by_name

    return agency_id_by_name(session, name, field=field)


def resolve_block(session: Session, name: str | None) -> int | None:
    if not name or not name.strip():
        return None
    found = session.scalar(select(Block.id).where(Block.name == name.strip()))
    if found is None:
        raise UserError(f"ブロック「{name.strip()}」は登録されていません。", field="block")
    return found


def primary_field(fields: list[str]) -> str:
    """The field an agency counts under in charts: its first field other than 行政."""
    for f in fields:
        if f != "行政":
            return f
    return fields[0] if fields else "その他"


def agencies_with_field(session: Session, field: str) -> list[int]:
    return [a_id for a_id, fields in session.execute(select(Agency.id, Agency.fields))
            if field in (fields or [])]


def check_period(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_to < date_from:
        raise UserError(
            f"期間の終わり（{dates.to_wareki(date_to)}）が始まり（{dates.to_wareki(date_from)}）"
            "より前になっています。", field="date_to")


# --------------------------------------------------------------------------- hand-off log


@dataclass(frozen=True)
class HandoffFilter:
    from_agency_id: int | None = None
    to_agency_id: int | None = None
    state: str | None = None
    overdue: bool = False
    returned: bool = False
    consent_override: bool = False
    date_from: date | None = None  # sent on or after
    date_to: date | None = None  # sent on or before
    block_id: int | None = None
    field: str | None = None  # a field of the receiving agency
    case_id: int | None = None
    case_no: str | None = None

    def describe(self, agencies: dict[int, str], blocks: dict[int, str]) -> list[str]:
        """The filter in words, for export headers and the audit detail."""
        parts = []
        if self.date_from or self.date_to:
            parts.append(f"送付日 {dates.to_wareki(self.date_from) or '…'} 〜 "
                         f"{dates.to_wareki(self.date_to) or '…'}")
        if self.from_agency_id:
            parts.append(f"送付元 {agencies.get(self.from_agency_id, '?')}")
        if self.to_agency_id:
            parts.append(f"送付先 {agencies.get(self.to_agency_id, '?')}")
        if self.state:
            parts.append(f"状態 {self.state}")
        if self.block_id:
            parts.append(f"ブロック {blocks.get(self.block_id, '?')}")
        if self.field:
            parts.append(f"分野 {self.field}")
        for flag, label in ((self.overdue, "期限超過のみ"), (self.returned, "返送ありのみ"),
                            (self.consent_override, "同意外提供のみ")):
            if flag:
                parts.append(label)
        if self.case_id:
            parts.append(f"ケースID {self.case_id}")
        if self.case_no:
            parts.append(f"ケース番号 {self.case_no}")
        return parts


@dataclass(frozen=True)
class HandoffRow:
    id: int
    case_id: int
    case_no: str
    block: str
    sent_at: datetime
    from_agency: str
    to_agency: str
    state: str
    due_on: date
    acknowledged_at: datetime | None
    closed_at: datetime | None
    basis: str
    consent_override: bool
    overdue_days: int  # business days past the due date while still unacknowledged; 0 if not
    return_reason: str
    return_alternative: str


@dataclass(frozen=True)
class HandoffLog:
    rows: list[HandoffRow]
    total: int  # rows matching the filter (rows may be cut at the limit)
    filter_text: list[str]


def validate_filter(flt: HandoffFilter) -> None:
    check_period(flt.date_from, flt.date_to)
    if flt.state and flt.state not in HANDOFF_STATES:
        raise UserError(f"状態「{flt.state}」はありません。選べるのは {'・'.join(HANDOFF_STATES)} です。",
                        field="state")
    if flt.field and flt.field not in FIELDS:
        raise UserError(f"分野「{flt.field}」はありません。選べるのは {'・'.join(FIELDS)} です。",
                        field="field")


def _conditions(session: Session, flt: HandoffFilter, today: date) -> list:
    """The filter as conditions on the hand-off row alone, so that a count or a page of ids is
    answered from one covering index (models/indexes_review.py: ix_handoffs_log for a state,
    ix_handoffs_overdue for overdue; the agency and date indexes otherwise). Case-level filters
    become `case_id IN (cases …)`, evaluated once."""
    conds = []
    if flt.from_agency_id:
        conds.append(Handoff.from_agency_id == flt.from_agency_id)
    if flt.to_agency_id:
        conds.append(Handoff.to_agency_id == flt.to_agency_id)
    if flt.state:
        conds.append(Handoff.state == flt.state)
    if flt.overdue:
        conds.append(handoffs.overdue_clause(today))
    if flt.returned:
        # 返送 is a final state (handoffs.TRANSITIONS has no step out of it), so a hand-off has a
        # return event exactly when its cached state is 返送 (tests/test_review.py checks both).
        conds.append(Handoff.state == RETURNED)
    if flt.consent_override:
        conds.append(Handoff.consent_override.is_(True))
    if flt.date_from:
        conds.append(Handoff.sent_at >= day_start(flt.date_from))
    if flt.date_to:
        conds.append(Handoff.sent_at < day_start(flt.date_to + timedelta(days=1)))
    if flt.block_id:
        conds.append(Handoff.case_id.in_(select(Case.id).where(Case.block_id == flt.block_id)))
    if flt.field:
        conds.append(Handoff.to_agency_id.in_(agencies_with_field(session, flt.field) or [-1]))
    if flt.case_id:
        conds.append(Handoff.case_id == flt.case_id)
    if flt.case_no and flt.case_no.strip():
        conds.append(Handoff.case_id.in_(select(Case.id).where(Case.case_no == flt.case_no.strip())))
    if _any_deleted(session):
        # Deleted cases' hand-offs stay out of the log; the test is skipped when there are none
        # (the usual case), so the count needs no look-up per row. (Asking whether there are
        # any reads a narrow index holding `deleted`, ix_cases_opened_cover or _block_opened.)
        conds.append(Handoff.case_id.not_in(select(Case.id).where(Case.deleted.is_(True))))
    return conds


def _any_deleted(session: Session) -> bool:
    return session.scalar(select(Case.id).where(Case.deleted.is_(True)).limit(1)) is not None


def _filtered(session: Session, flt: HandoffFilter, today: date) -> Select:
    """Every matching hand-off with its case number and block (for exports of any size)."""
    # Columns, not entities: a full export streams without filling the session's identity map.
    return (select(*_LOG_COLUMNS, Case.case_no, Case.block_id)
            .join(Case, Case.id == Handoff.case_id)
            .where(and_(true(), *_conditions(session, flt, today))))


def _return_events(session: Session, ids: list[int]) -> dict[int, HandoffEvent]:
    """The latest return event of each given hand-off. The events are looked up by hand-off id
    alone (ix_handoff_events_handoff_id, a few per hand-off) and the return picked here: with a
    state or an order in the SQL the planner walks every return event in the workspace."""
    found: dict[int, HandoffEvent] = {}
    for chunk in _chunks(ids, 500):
        events = session.scalars(select(HandoffEvent).where(HandoffEvent.handoff_id.in_(chunk)))
        for ev in sorted(events, key=lambda e: (e.at, e.id)):
            if ev.to_state == RETURNED:
                found[ev.handoff_id] = ev
    return found


def _chunks(items: list[int], size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


_LOG_COLUMNS = (Handoff.id, Handoff.case_id, Handoff.sent_at, Handoff.from_agency_id,
                Handoff.to_agency_id, Handoff.state, Handoff.due_on, Handoff.acknowledged_at,
                Handoff.closed_at, Handoff.basis, Handoff.consent_override)


def _to_rows(session: Session, fetched, today: date, agencies: dict[int, str],
             blocks: dict[int, str]) -> list[HandoffRow]:
    returns = _return_events(session, [r.id for r in fetched if r.state == RETURNED])
    rows = []
    for r in fetched:
        ret = returns.get(r.id)
        rows.append(HandoffRow(
            id=r.id, case_id=r.case_id, case_no=r.case_no, block=blocks.get(r.block_id, ""),
            sent_at=r.sent_at, from_agency=agencies.get(r.from_agency_id, ""),
            to_agency=agencies.get(r.to_agency_id, ""), state=r.state, due_on=r.due_on,
            acknowledged_at=r.acknowledged_at, closed_at=r.closed_at, basis=r.basis,
            consent_override=r.consent_override,
            overdue_days=handoff_rules.overdue_days(r.state, r.due_on, today),
            return_reason=ret.note if ret else "", return_alternative=ret.alternative if ret else "",
        ))
    return rows


def _ordered(base: Select) -> Select:
    return base.order_by(Handoff.sent_at.desc(), Handoff.id.desc())


def count_handoffs(session: Session, flt: HandoffFilter, today: date | None = None) -> int:
    validate_filter(flt)
    conds = _conditions(session, flt, today or date.today())
    return int(session.scalar(select(func.count()).select_from(Handoff)
                              .where(and_(true(), *conds))) or 0)


def query_handoffs(session: Session, flt: HandoffFilter, *, limit: int = DEFAULT_LIMIT,
                   offset: int = 0, today: date | None = None) -> HandoffLog:
    """The log itself, newest first, cut at `limit` (no access check: callers check first).
    The page's ids are found first from the index alone (at most `limit` of them sorted), and
    only those rows are read with their case: a filter matching 70,000 hand-offs reads 1,000."""
    today = today or date.today()
    validate_filter(flt)
    conds = _conditions(session, flt, today)
    total = int(session.scalar(select(func.count()).select_from(Handoff)
                               .where(and_(true(), *conds))) or 0)
    page_ids = _ordered(select(Handoff.id).where(and_(true(), *conds))).limit(limit).offset(offset)
    fetched = session.execute(_ordered(
        select(*_LOG_COLUMNS, Case.case_no, Case.block_id).join(Case, Case.id == Handoff.case_id)
        .where(Handoff.id.in_(page_ids.correlate(None))))).all()
    agencies, blocks = agency_names(session), block_names(session)
    rows = _to_rows(session, fetched, today, agencies, blocks)
    return HandoffLog(rows, total, flt.describe(agencies, blocks))


def iter_handoffs(session: Session, flt: HandoffFilter, today: date | None = None,
                  chunk: int = 2000) -> Iterator[HandoffRow]:
    """Every matching hand-off, newest first, fetched in chunks (for exports of any size)."""
    validate_filter(flt)
    today = today or date.today()
    agencies, blocks = agency_names(session), block_names(session)
    result = session.execute(_ordered(_filtered(session, flt, today))
                             .execution_options(yield_per=chunk))
    for part in result.partitions():
        yield from _to_rows(session, part, today, agencies, blocks)


def handoff_log(signed: Signed, flt: HandoffFilter, *, limit: int = DEFAULT_LIMIT,
                offset: int = 0, today: date | None = None) -> HandoffLog:
    """A page of the log: `limit` rows after the first `offset` (the view asks page by page)."""
    access.require_supervisor(signed, "つなぎ履歴の閲覧")
    validate_filter(flt)
    with uow.read(signed) as s:
        log = query_handoffs(s, flt, limit=limit, offset=offset, today=today)
    _log(signed, "view_handoff_log", detail={"filter": log.filter_text, "rows": len(log.rows),
                                              "offset": offset})
    return log


# --------------------------------------------------------------------------- per-case timeline


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    handoff_id: int
    from_agency: str  # the hand-off's sender
    to_agency: str  # the hand-off's receiver
    from_state: str
    to_state: str
    actor: str
    acting_agency: str
    note: str
    alternative: str
    basis: str
    consent_override: bool


def query_timeline(session: Session, case_id: int) -> list[TimelineEvent]:
    agencies, staff = agency_names(session), staff_names(session)
    q = (select(HandoffEvent, Handoff).join(Handoff, Handoff.id == HandoffEvent.handoff_id)
         .where(Handoff.case_id == case_id).order_by(HandoffEvent.at, HandoffEvent.id))
    return [TimelineEvent(
        at=ev.at, handoff_id=h.id, from_agency=agencies.get(h.from_agency_id, ""),
        to_agency=agencies.get(h.to_agency_id, ""), from_state=ev.from_state, to_state=ev.to_state,
        actor=staff.get(ev.actor_id, ""), acting_agency=agencies.get(ev.agency_id, ""),
        note=ev.note, alternative=ev.alternative, basis=h.basis,
        consent_override=h.consent_override,
    ) for ev, h in session.execute(q)]


def case_timeline(signed: Signed, case_id: int) -> list[TimelineEvent]:
    """Every hand-off event of one case, oldest first. Anyone who may see the case may see its
    hand-off history (the case view and meeting packets reuse this); refusals are logged."""
    with uow.write(signed) as s:
        try:
            check_visible(s, signed.actor, case_id)
        except UserError:
            s.commit()  # keep the logged refusal
            raise
        audit.record(s, signed.actor, "view_timeline", "case", case_id)
    with uow.read(signed) as s:
        return query_timeline(s, case_id)


# --------------------------------------------------------------------------- override review


def review_override(signed: Signed, handoff_id: int, comment: str) -> int:
    """A supervisor marks a consent override reviewed, with a comment. Logged; returns the id."""
    access.require_supervisor(signed, "同意外提供の確認")
    comment = (comment or "").strip()
    if not comment:
        raise UserError("確認のコメントを入力してください（判断の理由など）。", field="comment")
    with uow.write(signed) as s:
        handoff = s.get(Handoff, handoff_id)
        if handoff is None:
            raise UserError(f"つなぎ #{handoff_id} は見つかりません。")
        if not handoff.consent_override:
            raise UserError(f"つなぎ #{handoff_id} は本人同意の範囲内の提供で、確認の対象ではありません。")
        if s.scalar(select(OverrideReview.id).where(OverrideReview.handoff_id == handoff_id)):
            raise UserError(f"つなぎ #{handoff_id} はすでに確認済みです。")
        review = OverrideReview(handoff_id=handoff_id, reviewer_id=signed.actor.staff_id,
                                comment=comment)
        s.add(review)
        s.flush()
        audit.record(s, signed.actor, "override_review", "handoff", handoff_id,
                     {"case_id": handoff.case_id, "basis": handoff.basis, "comment": comment})
        return review.id


def override_reviews(session: Session, handoff_id: int) -> list[OverrideReview]:
    return list(session.scalars(select(OverrideReview).where(OverrideReview.handoff_id == handoff_id)))


def is_reviewed():
    return exists().where(OverrideReview.handoff_id == Handoff.id)


# --------------------------------------------------------------------------- disclosure log


@dataclass(frozen=True)
class DisclosureFilter:
    date_from: date | None = None
    date_to: date | None = None
    to_agency_id: int | None = None
    basis: str | None = None
    channel: str | None = None
    case_id: int | None = None
    case_no: str | None = None


@dataclass(frozen=True)
class DisclosureRow:
    id: int
    at: datetime
    case_id: int
    case_no: str
    actor: str
    from_agency: str
    to_agency: str
    recipient: str
    sections: list[str]
    basis: str
    basis_reason: str
    channel: str
    handoff_id: int | None
    copy_no: int | None


CHANNEL_LABELS = {"handoff": "つなぎ", "packet": "会議資料", "print": "印刷", "export": "出力"}


@functools.lru_cache(maxsize=1)
def _section_labels() -> dict[str, str]:
    """Sheet section keys → their Japanese titles (current template), for readable logs."""
    from kodoku_desk.domain import template

    try:
        return dict(template.load_template().section_labels())
    except (UserError, OSError, ValueError, KeyError):
        return {}  # the log still shows the keys


def section_label(key: str) -> str:
    return _section_labels().get(key, key)


def query_disclosures(session: Session, flt: DisclosureFilter, *, limit: int = DEFAULT_LIMIT,
                      offset: int = 0) -> tuple[list[DisclosureRow], int]:
    check_period(flt.date_from, flt.date_to)
    if flt.basis and flt.basis not in BASES:
        raise UserError(f"根拠「{flt.basis}」はありません。選べるのは {'・'.join(BASES)} です。",
                        field="basis")
    conds = []
    if flt.date_from:
        conds.append(Disclosure.at >= day_start(flt.date_from))
    if flt.date_to:
        conds.append(Disclosure.at < day_start(flt.date_to + timedelta(days=1)))
    if flt.to_agency_id:
        conds.append(Disclosure.to_agency_id == flt.to_agency_id)
    if flt.basis:
        conds.append(Disclosure.basis == flt.basis)
    if flt.channel:
        conds.append(Disclosure.channel == flt.channel)
    if flt.case_id:
        conds.append(Disclosure.case_id == flt.case_id)
    if flt.case_no and flt.case_no.strip():
        conds.append(Case.case_no == flt.case_no.strip())
    base = (select(Disclosure, Case.case_no).join(Case, Case.id == Disclosure.case_id)
            .where(and_(true(), *conds)))
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    agencies, staff = agency_names(session), staff_names(session)
    q = base.order_by(Disclosure.at.desc(), Disclosure.id.desc()).limit(limit).offset(offset)
    rows = [DisclosureRow(
        id=d.id, at=d.at, case_id=d.case_id, case_no=case_no, actor=staff.get(d.actor_id, ""),
        from_agency=agencies.get(d.from_agency_id, ""), to_agency=agencies.get(d.to_agency_id, ""),
        recipient=d.recipient, sections=[section_label(k) for k in d.sections or []],
        basis=d.basis,
        basis_reason=d.basis_reason, channel=CHANNEL_LABELS.get(d.channel, d.channel),
        handoff_id=d.handoff_id, copy_no=d.copy_no,
    ) for d, case_no in session.execute(q)]
    return rows, int(total or 0)


def disclosure_log(signed: Signed, flt: DisclosureFilter, *, limit: int = DEFAULT_LIMIT,
                   offset: int = 0) -> tuple[list[DisclosureRow], int]:
    access.require_supervisor(signed, "提供記録の閲覧")
    check_period(flt.date_from, flt.date_to)
    with uow.read(signed) as s:
        rows, total = query_disclosures(s, flt, limit=limit, offset=offset)
    _log(signed, "view_disclosures", detail={"rows": len(rows), "offset": offset})
    return rows, total


# --------------------------------------------------------------------------- access log


# Presets for the access-log view: what an auditor usually asks about.
ACCESS_CATEGORIES: dict[str, tuple[str, ...]] = {
    "閲覧": ("view_case", "view_person", "view_timeline", "view_plan", "view_meeting",
             "view_attachment", "search_person"),
    "出力・印刷": ("export", "print"),
    "ログイン": ("login", "login_failed", "logout", "lock", "unlock", "unlock_failed"),
    "権限のない操作": ("access_denied",),
    "つなぎ": ("handoff_send", "handoff_acknowledge", "handoff_accept", "handoff_complete",
              "handoff_return", "handoff_withdraw"),
    "変更": ("create", "update", "delete", "deactivate", "import", "override_review",
             "intake_save", "consent_record", "consent_withdraw", "plan_status", "plan_approval"),
}


@dataclass(frozen=True)
class AccessFilter:
    date_from: date | None = None
    date_to: date | None = None
    actor: str | None = None  # staff login
    actions: tuple[str, ...] = ()
    target_type: str | None = None
    target_id: str | None = None
    case_no: str | None = None  # entries about this case (views, prints, exports …)
    upto_id: int | None = None  # entries up to this one (a paging view keeps its first page's)


@dataclass(frozen=True)
class AccessRow:
    id: int
    at: datetime
    actor: str
    actor_name: str
    action: str
    action_label: str
    target_type: str
    target_id: str
    detail: str


def query_access(session: Session, flt: AccessFilter, *, limit: int = DEFAULT_LIMIT,
                 offset: int = 0) -> tuple[list[AccessRow], int]:
    check_period(flt.date_from, flt.date_to)
    conds = []
    if flt.upto_id:
        conds.append(AuditEntry.id <= flt.upto_id)
    if flt.date_from:
        conds.append(AuditEntry.at >= day_start(flt.date_from))
    if flt.date_to:
        conds.append(AuditEntry.at < day_start(flt.date_to + timedelta(days=1)))
    if flt.actor and flt.actor.strip():
        conds.append(AuditEntry.actor == flt.actor.strip())
    if flt.actions:
        conds.append(AuditEntry.action.in_(flt.actions))
    if flt.target_type:
        conds.append(AuditEntry.target_type == flt.target_type)
    if flt.target_id:
        conds.append(AuditEntry.target_id == str(flt.target_id).strip())
    if flt.case_no and flt.case_no.strip():
        case_id = session.scalar(select(Case.id).where(Case.case_no == flt.case_no.strip()))
        if case_id is None:
            raise UserError(f"ケース番号「{flt.case_no.strip()}」は見つかりません。", field="case_no")
        conds += [AuditEntry.target_type == "case", AuditEntry.target_id == str(case_id)]
    base = select(AuditEntry).where(and_(true(), *conds))
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    names = dict(session.execute(select(Staff.login, Staff.display_name)).all())
    q = base.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    rows = [AccessRow(e.id, e.at, e.actor, names.get(e.actor, ""), e.action,
                      action_label(e.action), e.target_type, e.target_id, e.detail)
            for e in session.scalars(q)]
    return rows, int(total or 0)


def access_log(signed: Signed, flt: AccessFilter, *, limit: int = DEFAULT_LIMIT,
               offset: int = 0) -> tuple[list[AccessRow], int]:
    """A page of the access log, newest first. Viewing it is itself logged, so a view that pages
    on sets `flt.upto_id` to the newest entry of its first page: the offsets then stay put."""
    access.require_supervisor(signed, "閲覧・出力履歴の閲覧")
    check_period(flt.date_from, flt.date_to)
    with uow.read(signed) as s:
        rows, total = query_access(s, flt, limit=limit, offset=offset)
    _log(signed, "view_access_log", detail={"rows": len(rows), "actor": flt.actor or "",
                                             "offset": offset})
    return rows, total


def verify_audit_chain(signed: Signed) -> audit.ChainReport:
    """Walk the whole chain; the report names the first broken entry. The check is logged
    after the walk, so it never hides the entry it found."""
    access.require_supervisor(signed, "監査ログの検証")
    with uow.read(signed) as s:
        report = audit.verify_chain(s)
    _log(signed, "verify_chain", "audit_log", report.broken_id or "",
         {"ok": report.ok, "checked": report.checked})
    return report


# --------------------------------------------------------------------------- exports


HANDOFF_CSV_HEADER = ["つなぎID", "ケース番号", "ブロック", "送付日時", "送付元", "送付先", "状態",
                      "受理期限", "受理日時", "終了日時", "提供の根拠", "同意外提供", "期限超過（営業日）",
                      "返送理由", "返送時の提案先"]


def _dt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def handoff_csv_row(r: HandoffRow) -> list:
    return [r.id, r.case_no, r.block, _dt(r.sent_at), r.from_agency, r.to_agency, r.state,
            r.due_on.isoformat(), _dt(r.acknowledged_at), _dt(r.closed_at), r.basis,
            "あり" if r.consent_override else "", r.overdue_days or "", r.return_reason,
            r.return_alternative]


def export_handoff_log(signed: Signed, flt: HandoffFilter, path: Path | str, fmt: str,
                       today: date | None = None) -> int:
    """Write the filtered log as CSV (any size, streamed) or PDF (up to PDF_LIMIT rows) where
    the user chose; returns the row count."""
    from kodoku_desk.exports import csv_export, report_pdf

    access.require_supervisor(signed, "つなぎ履歴の出力")
    if fmt not in ("csv", "pdf"):
        raise UserError("出力形式は csv か pdf を選んでください。", field="format")
    validate_filter(flt)
    path = exporting.check_out_path(path, fmt)
    today = today or date.today()
    found: dict = {}

    def write(fh) -> None:
        with uow.read(signed) as s:
            found["total"] = total = count_handoffs(s, flt, today)
            if fmt == "pdf" and total > PDF_LIMIT:
                raise UserError(f"条件に合うつなぎが {total:,} 件あります。PDF は {PDF_LIMIT:,} 件までです。"
                                "条件を絞るか、CSV で出力してください。", field="format")
            if fmt == "csv":
                csv_export.write_rows(fh, HANDOFF_CSV_HEADER,
                                      (handoff_csv_row(r) for r in iter_handoffs(s, flt, today)))
                found["filter"] = flt.describe(agency_names(s), block_names(s))
            else:
                log = query_handoffs(s, flt, limit=PDF_LIMIT, today=today)
                fh.write(report_pdf.render_handoff_log_pdf(log, today, signed.actor.display_name))
                found["filter"] = log.filter_text

    def record(s: Session) -> None:
        audit.record(s, signed.actor, "export", "handoff_log", "",
                     {"format": fmt, "rows": found["total"], "file": path.name,
                      "filter": found["filter"]})

    exporting.export_file(signed, path, write, record)
    return found["total"]


DISCLOSURE_CSV_HEADER = ["記録ID", "提供日時", "ケース番号", "提供した職員", "提供元機関", "提供先機関",
                         "受領者", "提供した項目", "提供の根拠", "根拠の理由", "経路", "つなぎID", "部数番号"]


def export_disclosures(signed: Signed, flt: DisclosureFilter, path: Path | str,
                       to_agency: str | None = None) -> int:
    """The disclosure log as CSV; `to_agency` names the recipient agency (as typed)."""
    from dataclasses import replace

    from kodoku_desk.exports import csv_export

    access.require_supervisor(signed, "提供記録の出力")
    path = exporting.check_out_path(path, "csv")
    with uow.read(signed) as s:
        if to_agency:
            flt = replace(flt, to_agency_id=resolve_agency(s, to_agency))
        rows, _ = query_disclosures(s, flt, limit=EXPORT_LIMIT)
    data = csv_export.csv_bytes(DISCLOSURE_CSV_HEADER, [
        [r.id, _dt(r.at), r.case_no, r.actor, r.from_agency, r.to_agency, r.recipient,
         "・".join(r.sections), r.basis, r.basis_reason, r.channel, r.handoff_id or "",
         r.copy_no or ""] for r in rows])
    exporting.export_bytes(signed, path, data, exporting.audited(
        signed, "export", "disclosures", "", {"rows": len(rows), "file": path.name}))
    return len(rows)


ACCESS_CSV_HEADER = ["記録ID", "日時", "ログインID", "氏名", "操作", "操作（コード）", "対象の種類",
                     "対象ID", "詳細"]


def export_access_log(signed: Signed, flt: AccessFilter, path: Path | str) -> int:
    from kodoku_desk.exports import csv_export

    access.require_supervisor(signed, "閲覧・出力履歴の出力")
    path = exporting.check_out_path(path, "csv")
    with uow.read(signed) as s:
        rows, _ = query_access(s, flt, limit=EXPORT_LIMIT)
    data = csv_export.csv_bytes(ACCESS_CSV_HEADER, [
        [r.id, _dt(r.at), r.actor, r.actor_name, r.action_label, r.action,
         target_label(r.target_type), r.target_id, r.detail] for r in rows])
    exporting.export_bytes(signed, path, data, exporting.audited(
        signed, "export", "audit_log", "", {"rows": len(rows), "file": path.name}))
    return len(rows)


__all__ = [
    "AccessFilter", "AccessRow", "DisclosureFilter", "DisclosureRow", "HandoffFilter",
    "HandoffLog", "HandoffRow", "TimelineEvent", "access_log", "case_timeline", "disclosure_log",
    "export_access_log", "export_disclosures", "export_handoff_log", "handoff_log",
    "review_override", "verify_audit_chain",
]


# --------------------------------------------------------------------------- filter choices


@dataclass(frozen=True)
class FilterChoices:
    """What the review screens offer in their drop-downs."""

    agencies: list[tuple[int, str]]
    blocks: list[tuple[int, str]]
    staff: list[tuple[str, str]]  # (login, display name)
    fields: tuple[str, ...] = FIELDS
    states: tuple[str, ...] = HANDOFF_STATES
    bases: tuple[str, ...] = BASES
    channels: tuple[tuple[str, str], ...] = tuple(CHANNEL_LABELS.items())


def filter_choices(signed: Signed) -> FilterChoices:
    access.require_supervisor(signed, "確認・監査の画面")
    with uow.read(signed) as s:
        return FilterChoices(
            agencies=sorted(agency_names(s).items(), key=lambda kv: kv[0]),
            blocks=sorted(block_names(s).items()),
            staff=list(s.execute(select(Staff.login, Staff.display_name).order_by(Staff.id)).all()),
        )
