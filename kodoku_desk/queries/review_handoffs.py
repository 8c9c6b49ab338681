"""The hand-off history for supervisors: every hand-off with its filters (agency, state,
overdue, returned, consent override, period, block, field), paged, and one case's timeline."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, func, select, true
from sqlalchemy.orm import Session

from kodoku_desk.domain import dates
from kodoku_desk.domain import handoff as handoff_rules
from kodoku_desk.errors import UserError
from kodoku_desk.models import (
    Case,
    Handoff,
    HandoffEvent,
)
from kodoku_desk.models.handoffs import HANDOFF_STATES, RETURNED
from kodoku_desk.models.org import FIELDS
from kodoku_desk.queries.review_common import (
    DEFAULT_LIMIT,
    _log,
    agencies_with_field,
    agency_names,
    block_names,
    check_period,
    name_of,
    staff_names,
)
from kodoku_desk.services import access, audit, handoffs, uow
from kodoku_desk.services.access import check_visible
from kodoku_desk.services.auth import Signed
from kodoku_desk.store.dialect import day_start

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
class HandoffLogRow:
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
    overdue_days: int  # business days past the stage's deadline while still in it; 0 if not
    return_reason: str
    return_alternative: str
    overdue_label: str = ""  # which deadline: 受理期限超過 / 対応開始期限超過 / 更新なし N営業日


@dataclass(frozen=True)
class HandoffLog:
    rows: list[HandoffLogRow]
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
    ix_handoffs_overdue and ix_handoffs_stage_overdue for overdue; the agency and date indexes
    otherwise). Case-level filters become `case_id IN (cases …)`, evaluated once."""
    conds = []
    if flt.from_agency_id:
        conds.append(Handoff.from_agency_id == flt.from_agency_id)
    if flt.to_agency_id:
        conds.append(Handoff.to_agency_id == flt.to_agency_id)
    if flt.state:
        conds.append(Handoff.state == flt.state)
    if flt.overdue:
        conds.append(handoffs.overdue_clause(handoffs.stage_limits(session), today))
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
                Handoff.closed_at, Handoff.basis, Handoff.consent_override, Handoff.stage_started_at)


def _to_rows(session: Session, fetched, today: date, agencies: dict[int, str],
             blocks: dict[int, str]) -> list[HandoffLogRow]:
    returns = _return_events(session, [r.id for r in fetched if r.state == RETURNED])
    limits = handoffs.stage_limits(session)
    rows = []
    for r in fetched:
        ret = returns.get(r.id)
        late = handoff_rules.overdue_status(r.state, r.due_on, r.stage_started_at, limits, today)
        rows.append(HandoffLogRow(
            id=r.id, case_id=r.case_id, case_no=r.case_no, block=blocks.get(r.block_id, ""),
            sent_at=r.sent_at, from_agency=agencies.get(r.from_agency_id, ""),
            to_agency=agencies.get(r.to_agency_id, ""), state=r.state, due_on=r.due_on,
            acknowledged_at=r.acknowledged_at, closed_at=r.closed_at, basis=r.basis,
            consent_override=r.consent_override,
            overdue_days=late.days_late if late else 0,
            return_reason=ret.note if ret else "", return_alternative=ret.alternative if ret else "",
            overdue_label=late.label if late else "",
        ))
    return rows


def _ordered(base: Select) -> Select:
    return base.order_by(Handoff.sent_at.desc(), Handoff.id.desc())


def count_handoffs(session: Session, flt: HandoffFilter, today: date | None = None) -> int:
    validate_filter(flt)
    return _total(session, flt, today or date.today())


def _total(session: Session, flt: HandoffFilter, today: date) -> int:
    """The count of the filter. Overdue is counted stage by stage (services.handoffs.
    overdue_counts: one covering index range each) rather than over their OR, which SQLite
    answers by reading every matching row."""
    if flt.overdue:
        conds = _conditions(session, replace(flt, overdue=False), today)
        return sum(handoffs.overdue_counts(session, today=today, where=conds).values())
    conds = _conditions(session, flt, today)
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
    total = _total(session, flt, today)
    page_ids = _ordered(select(Handoff.id).where(and_(true(), *conds))).limit(limit).offset(offset)
    fetched = session.execute(_ordered(
        select(*_LOG_COLUMNS, Case.case_no, Case.block_id).join(Case, Case.id == Handoff.case_id)
        .where(Handoff.id.in_(page_ids.correlate(None))))).all()
    agencies, blocks = agency_names(session), block_names(session)
    rows = _to_rows(session, fetched, today, agencies, blocks)
    return HandoffLog(rows, total, flt.describe(agencies, blocks))


def iter_handoffs(session: Session, flt: HandoffFilter, today: date | None = None,
                  chunk: int = 2000) -> Iterator[HandoffLogRow]:
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
        actor=staff.get(ev.actor_id, ""), acting_agency=name_of(agencies, ev.agency_id),
        note=ev.note, alternative=ev.alternative, basis=h.basis,
        consent_override=h.consent_override,
    ) for ev, h in session.execute(q)]


def case_timeline(signed: Signed, case_id: int) -> list[TimelineEvent]:
    """Every hand-off event of one case, oldest first. Anyone who may see the case may see its
    hand-off history (the case view and meeting packets reuse this); refusals are logged."""
    with uow.write(signed) as s:
        check_visible(s, signed.actor, case_id)
        audit.record(s, signed.actor, "view_timeline", "case", case_id)
    with uow.read(signed) as s:
        return query_timeline(s, case_id)
