"""The supervisor dashboard: is anyone falling between agencies?

Every figure is aggregated in SQL over indexed columns; Python only folds the few resulting rows
(one per agency, block or month) into display shape. At 100,000 cases the figures are counted as
index ranges (one per agency x month, per agency, per block) rather than grouped with a date
function per row, and medians are read as ORDER BY Handoff.ack_days ... OFFSET n/2 over an index
instead of a window over every acknowledged hand-off. What the figures cover is unchanged: the
charts and the median of days to acknowledge are over hand-offs sent in the last `months` (12)
calendar months up to today; the open, overdue, returned and override lists are over all time.
The indexes are in models/indexes_review.py (migrations 0003_review, 0007_review_speed,
0008_review_cover)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from kodoku_desk.domain import handoff as handoff_rules
from kodoku_desk.domain.dates import business_days_between, is_business_day
from kodoku_desk.models import (
    Agency,
    AgendaItem,
    Block,
    Case,
    Handoff,
    HandoffEvent,
    MeetingPart,
    MeetingSession,
    Plan,
    PlanEvent,
)
from kodoku_desk.models.handoffs import ACCEPTED, ACKNOWLEDGED, RETURNED, SENT
from kodoku_desk.queries.review_common import (
    _log,
    agency_names,
    block_names,
    is_reviewed,
    primary_field,
    staff_names,
)
from kodoku_desk.services import access, handoffs, uow
from kodoku_desk.services.auth import Signed
from kodoku_desk.store.dialect import day_start

LIST_LIMIT = 200
# Business days a 送付 hand-off has waited, as (label, lower bound inclusive).
WAIT_BANDS = (("0〜2日", 0), ("3〜5日", 3), ("6〜10日", 6), ("11日以上", 11))
PENDING_APPROVAL = "申請中"


@dataclass(frozen=True)
class OpenByAgency:
    agency_id: int
    agency: str
    waiting: int  # 送付, not yet acknowledged
    in_progress: int  # 受理 or 対応中
    by_wait: dict[str, int]  # WAIT_BANDS label → 送付 hand-offs that waited that long
    oldest_sent: datetime | None
    oldest_wait_days: int  # business days


@dataclass(frozen=True)
class HandoffItem:
    """One hand-off in a dashboard list; case_id lets the view open the case."""

    handoff_id: int
    case_id: int
    case_no: str
    from_agency: str
    to_agency: str
    sent_at: datetime
    due_on: date
    state: str
    overdue_days: int = 0  # business days past the stage's deadline
    basis: str = ""
    basis_reason: str = ""
    deadline: date | None = None  # the deadline it missed (overdue list)
    overdue_label: str = ""  # which: 受理期限超過 / 対応開始期限超過 / 更新なし N営業日


@dataclass(frozen=True)
class ReturnedItem:
    handoff_id: int
    case_id: int
    case_no: str
    from_agency: str
    returned_by: str  # the agency that returned it
    returned_at: datetime
    reason: str
    alternative: str
    next_agency: str  # where the case went next ("" = nowhere yet: someone should look)
    next_state: str
    next_handoff_id: int | None


@dataclass(frozen=True)
class PlanItem:
    plan_id: int
    case_id: int
    case_no: str
    status: str
    requested_by: str
    requested_at: datetime | None
    note: str  # the request's note: which version, and the requester's comment


@dataclass(frozen=True)
class MeetingItem:
    session_id: int
    title: str
    held_on: date
    start_time: str
    place: str
    kinds: list[str]
    cases: int


@dataclass(frozen=True)
class AgencyMedian:
    agency: str
    median_days: float
    acknowledged: int


@dataclass
class Dashboard:
    today: date
    months: list[str]  # "2025-04" … oldest first, the chart axis
    open_by_agency: list[OpenByAgency] = field(default_factory=list)
    overdue: list[HandoffItem] = field(default_factory=list)  # every stage, latest deadline last
    overdue_total: int = 0
    overdue_by_stage: dict[str, int] = field(default_factory=dict)  # stage (state) → count
    returned: list[ReturnedItem] = field(default_factory=list)
    overrides: list[HandoffItem] = field(default_factory=list)
    overrides_total: int = 0
    plans: list[PlanItem] = field(default_factory=list)
    meetings: list[MeetingItem] = field(default_factory=list)
    per_field_month: dict[str, list[int]] = field(default_factory=dict)  # field → per month
    median_ack: list[AgencyMedian] = field(default_factory=list)
    intakes_by_block: list[tuple[str, int]] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers


def business_days_back(today: date, n: int) -> date:
    """The earliest of the last `n` business days up to `today`: a hand-off sent before it has
    waited at least `n` business days (dates.business_days_between counts days after sending)."""
    d, counted = today, 0
    while counted < n:
        if is_business_day(d):
            counted += 1
            if counted == n:
                return d
        d -= timedelta(days=1)
    return today + timedelta(days=1)  # n == 0: everything sent up to today


def month_keys(today: date, months: int) -> list[str]:
    y, m = today.year, today.month
    keys = []
    for _ in range(months):
        keys.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return keys[::-1]


def month_start(key: str) -> date:
    return date(int(key[:4]), int(key[5:7]), 1)


def _case_nos(session: Session, case_ids: set[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    return dict(session.execute(select(Case.id, Case.case_no).where(Case.id.in_(case_ids))).all())


# --------------------------------------------------------------------------- figures


def open_by_agency(session: Session, today: date) -> list[OpenByAgency]:
    """Two index-only aggregates: 受理・対応中 counts, and the 送付 hand-offs with their waits."""
    names = agency_names(session)
    # Per agency one count over ix_handoffs_to_state_due ranges (a GROUP BY sorted 100,000 rows).
    working = (select(func.count()).where(Handoff.to_agency_id == Agency.id,
                                          Handoff.state.in_((ACKNOWLEDGED, ACCEPTED)))
               .correlate(Agency).scalar_subquery())
    in_progress = {a: n for a, n in session.execute(select(Agency.id, working)) if n}
    q = (select(Handoff.to_agency_id, func.count(), func.min(Handoff.sent_at))
         .where(Handoff.state == SENT).group_by(Handoff.to_agency_id))
    waiting = {row[0]: row[1:] for row in session.execute(q)}
    # Per band the 送付 hand-offs sent on or after its cut-off, as index ranges (state, agency,
    # sent_at ≥ cut-off): few, since most waiting ones are old. A CASE per row over every waiting
    # hand-off cost 1.5x plain SQLite on SQLCipher even with every page cached.
    cutoffs = [day_start(business_days_back(today, low)) for _, low in WAIT_BANDS]
    newer_cols = [select(func.count()).where(Handoff.state == SENT, Handoff.to_agency_id == Agency.id,
                                             Handoff.sent_at >= cut).correlate(Agency).scalar_subquery()
                  for cut in cutoffs]
    newer = {row[0]: [int(n or 0) for n in row[1:]]
             for row in session.execute(select(Agency.id, *newer_cols)) if row[0] in waiting}
    out = []
    for agency_id in set(in_progress) | set(waiting):
        count, oldest = waiting.get(agency_id, (0, None))
        # at_least[i] counts hand-offs that waited ≥ band i's lower bound; bands are differences.
        at_least = [int(count or 0) - n for n in newer.get(agency_id, [0] * len(WAIT_BANDS))]
        bands = {label: at_least[i] - (at_least[i + 1] if i + 1 < len(at_least) else 0)
                 for i, (label, _) in enumerate(WAIT_BANDS)}
        oldest_dt = _as_datetime(oldest)
        out.append(OpenByAgency(
            agency_id, names.get(agency_id, ""), int(count or 0), int(in_progress.get(agency_id, 0)),
            bands, oldest_dt, business_days_between(oldest_dt.date(), today) if oldest_dt else 0))
    return sorted(out, key=lambda r: (-r.waiting, -r.in_progress, r.agency))


def _as_datetime(value) -> datetime | None:
    """MIN() over a CASE loses the column type on SQLite and comes back as text."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def overdue_handoffs(session: Session, today: date, limit: int = LIST_LIMIT
                     ) -> tuple[list[HandoffItem], dict[str, int]]:
    """Hand-offs past their stage's deadline (domain.handoff.stage_deadline), the longest overdue
    first, and the count per stage. Within a stage the deadline grows with the stage's start, so
    the first `limit` of each stage in index order (due_on for 送付, stage_started_at for 受理 and
    対応中) hold the first `limit` of all; only those ids are read, then only the shown rows."""
    limits = handoffs.stage_limits(session)
    counts = handoffs.overdue_counts(session, today=today, limits=limits)
    order = {SENT: Handoff.due_on}
    candidates = []
    for state in handoff_rules.AWAITING_ANSWER:
        if not counts[state]:
            continue
        q = (select(Handoff.id, Handoff.state, Handoff.due_on, Handoff.stage_started_at)
             .where(handoffs.stage_overdue_clause(state, limits, today))
             .order_by(order.get(state, Handoff.stage_started_at), Handoff.id).limit(limit))
        candidates += [(handoff_rules.stage_deadline(st, due, started, limits), hid)
                       for hid, st, due, started in session.execute(q)]
    shown = [hid for _, hid in sorted(candidates)[:limit]]
    names = agency_names(session)
    rows = {r.id: r for r in session.execute(
        select(Handoff.id, Handoff.case_id, Case.case_no, Handoff.from_agency_id,
               Handoff.to_agency_id, Handoff.sent_at, Handoff.due_on, Handoff.state,
               Handoff.stage_started_at).join(Case, Case.id == Handoff.case_id)
        .where(Handoff.id.in_(shown)))} if shown else {}
    items = []
    for hid in shown:
        r = rows[hid]
        late = handoff_rules.overdue_status(r.state, r.due_on, r.stage_started_at, limits, today)
        if late is None:  # cannot happen: the clause and the rule say the same thing
            continue
        items.append(HandoffItem(r.id, r.case_id, r.case_no, names.get(r.from_agency_id, ""),
                                 names.get(r.to_agency_id, ""), r.sent_at, r.due_on, r.state,
                                 late.days_late, deadline=late.deadline, overdue_label=late.label))
    return items, counts


def returned_handoffs(session: Session, limit: int = LIST_LIMIT) -> list[ReturnedItem]:
    """Recent returns with their reason, and the case's next hand-off sent after the return."""
    names = agency_names(session)
    later = aliased(Handoff)
    next_id = (select(func.min(later.id))
               .where(later.case_id == Handoff.case_id, later.id != Handoff.id,
                      later.sent_at >= HandoffEvent.at)
               .correlate(Handoff, HandoffEvent).scalar_subquery())
    q = (select(HandoffEvent, Handoff, next_id)
         .join(Handoff, Handoff.id == HandoffEvent.handoff_id)
         .where(HandoffEvent.to_state == RETURNED)
         .order_by(HandoffEvent.at.desc(), HandoffEvent.id.desc()).limit(limit))
    fetched = session.execute(q).all()
    nxt_ids = {n for _, _, n in fetched if n}
    nxt = {h.id: h for h in session.scalars(select(Handoff).where(Handoff.id.in_(nxt_ids)))} \
        if nxt_ids else {}
    case_nos = _case_nos(session, {h.case_id for _, h, _ in fetched})
    items = []
    for ev, h, n in fetched:
        following = nxt.get(n)
        items.append(ReturnedItem(
            h.id, h.case_id, case_nos.get(h.case_id, ""), names.get(h.from_agency_id, ""),
            names.get(ev.agency_id or h.to_agency_id, ""), ev.at, ev.note, ev.alternative,
            names.get(following.to_agency_id, "") if following else "",
            following.state if following else "", following.id if following else None))
    return items


def overrides_awaiting(session: Session, limit: int = LIST_LIMIT) -> tuple[list[HandoffItem], int]:
    cond = and_(Handoff.consent_override.is_(True), ~is_reviewed())
    total = session.scalar(select(func.count()).select_from(Handoff).where(cond))
    names = agency_names(session)
    q = (select(Handoff, Case.case_no).join(Case, Case.id == Handoff.case_id)
         .where(cond).order_by(Handoff.sent_at, Handoff.id).limit(limit))
    items = [HandoffItem(h.id, h.case_id, case_no, names.get(h.from_agency_id, ""),
                         names.get(h.to_agency_id, ""), h.sent_at, h.due_on, h.state,
                         basis=h.basis, basis_reason=h.basis_reason)
             for h, case_no in session.execute(q)]
    return items, int(total or 0)


def plans_awaiting(session: Session, limit: int = LIST_LIMIT) -> list[PlanItem]:
    """Plans whose approval is 申請中, oldest request first, with the request itself."""
    from kodoku_desk.services.plans import EV_REQUEST

    latest = (select(func.max(PlanEvent.id)).where(PlanEvent.plan_id == Plan.id,
                                                   PlanEvent.kind == EV_REQUEST)
              .correlate(Plan).scalar_subquery())
    q = (select(Plan, Case.case_no, PlanEvent)
         .join(Case, Case.id == Plan.case_id)
         .outerjoin(PlanEvent, PlanEvent.id == latest)
         .where(Plan.approval == PENDING_APPROVAL).order_by(PlanEvent.at, Plan.id).limit(limit))
    staff = staff_names(session)
    return [PlanItem(p.id, p.case_id, case_no, p.status,
                     staff.get(ev.actor_id if ev else p.created_by, ""),
                     ev.at if ev else None, ev.comment if ev else "")
            for p, case_no, ev in session.execute(q)]


def upcoming_meetings(session: Session, today: date, limit: int = 20) -> list[MeetingItem]:
    sessions = list(session.scalars(
        select(MeetingSession).where(MeetingSession.held_on >= today)
        .order_by(MeetingSession.held_on, MeetingSession.start_time).limit(limit)))
    if not sessions:
        return []
    ids = [m.id for m in sessions]
    kinds: dict[int, list[str]] = defaultdict(list)
    for sid, kind in session.execute(select(MeetingPart.session_id, MeetingPart.kind)
                                     .where(MeetingPart.session_id.in_(ids))
                                     .order_by(MeetingPart.seq)):
        kinds[sid].append(kind)
    counts = dict(session.execute(
        select(MeetingPart.session_id, func.count(func.distinct(AgendaItem.case_id)))
        .join(AgendaItem, AgendaItem.part_id == MeetingPart.id)
        .where(MeetingPart.session_id.in_(ids)).group_by(MeetingPart.session_id)).all())
    return [MeetingItem(m.id, m.title, m.held_on, m.start_time, m.place, kinds[m.id],
                        int(counts.get(m.id, 0))) for m in sessions]


def per_field_per_month(session: Session, since: date, until: date
                        ) -> dict[str, dict[str, int]]:
    """Hand-offs sent, by the receiving agency's primary field and month. One statement counts
    each (agency, month) as a range of ix_handoffs_to_sent_ack (index only, no date function per
    row); the ~25 agencies fold into fields here."""
    fields = {a_id: primary_field(f or []) for a_id, f in session.execute(
        select(Agency.id, Agency.fields))}
    bounds = _month_bounds(since, until)
    counts = [select(func.count()).where(Handoff.to_agency_id == Agency.id,
                                         Handoff.sent_at >= day_start(lo),
                                         Handoff.sent_at < day_start(hi))
              .correlate(Agency).scalar_subquery() for lo, hi in bounds]
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for agency_id, *per_month in session.execute(select(Agency.id, *counts)):
        for (lo, _), n in zip(bounds, per_month, strict=True):
            if n:
                out[fields.get(agency_id, "その他")][f"{lo.year:04d}-{lo.month:02d}"] += int(n)
    return out


def _month_bounds(since: date, until: date) -> list[tuple[date, date]]:
    """[since, until) cut at the first of each month."""
    out, lo = [], since
    while lo < until:
        nxt = date(lo.year + (lo.month == 12), lo.month % 12 + 1, 1)
        out.append((lo, min(nxt, until)))
        lo = nxt
    return out


def _ack_conds(since: date | None, until: date | None, column=Handoff.ack_days,
               sent_unindexed: bool = False) -> list:
    """Acknowledged hand-offs sent in [since, until). Counts test acknowledged_at (the same rows:
    ack_days is set with it) so that they are read from ix_handoffs_to_sent_ack / _sent_cover.
    sent_unindexed: compare coalesce(sent_at, sent_at), the same value, which no index serves, so
    that the planner walks ack_days in index order instead of sorting the period's rows."""
    sent = func.coalesce(Handoff.sent_at, Handoff.sent_at) if sent_unindexed else Handoff.sent_at
    conds = [column.is_not(None)]
    if since:
        conds.append(sent >= day_start(since))
    if until:
        conds.append(sent < day_start(until))
    return conds


def _middle(session: Session, conds: list, n: int) -> float:
    """The median of Handoff.ack_days over `n` matching rows: ORDER BY ack_days with OFFSET,
    read in index order (the middle row, or the mean of the middle two)."""
    q = (select(Handoff.ack_days).where(and_(*conds)).order_by(Handoff.ack_days)
         .offset((n - 1) // 2).limit(2 - n % 2))
    values = [float(v) for v in session.scalars(q) if v is not None]  # conds: IS NOT NULL
    return sum(values) / len(values)


def median_days_to_acknowledge(session: Session, since: date | None = None,
                               until: date | None = None, agency_id: int | None = None
                               ) -> list[AgencyMedian]:
    """Median calendar days from sending to acknowledgement per receiving agency, for hand-offs
    sent in [since, until) (the dashboard passes the same 12 months as its charts). Per agency
    one count and one ORDER BY ack_days … OFFSET n/2 over ix_handoffs_to_ack_days: the middle
    row(s) are found in the index, nothing is sorted."""
    conds = _ack_conds(since, until)
    count = (select(func.count()).where(Handoff.to_agency_id == Agency.id,
                                        *_ack_conds(since, until, Handoff.acknowledged_at))
             .correlate(Agency).scalar_subquery())
    q = select(Agency.id, count)
    if agency_id:
        q = q.where(Agency.id == agency_id)
    names = agency_names(session)
    rows = []
    for a_id, n in session.execute(q).all():
        if n:
            median = _middle(session, [Handoff.to_agency_id == a_id, *conds], int(n))
            rows.append(AgencyMedian(names.get(a_id, ""), round(median, 1), int(n)))
    return sorted(rows, key=lambda r: (-r.median_days, r.agency))


def median_overall(session: Session, since: date | None, until: date | None,
                   agency_id: int | None = None) -> float | None:
    """Median days to acknowledge over all receiving agencies (or one), for hand-offs sent in
    [since, until): ix_handoffs_ack_days (or ix_handoffs_to_ack_days) walked up to the middle."""
    counted = _ack_conds(since, until, Handoff.acknowledged_at)
    if agency_id:
        conds = [Handoff.to_agency_id == agency_id, *_ack_conds(since, until)]
        counted.append(Handoff.to_agency_id == agency_id)
    else:
        conds = _ack_conds(since, until, sent_unindexed=True)
    n = session.scalar(select(func.count()).select_from(Handoff).where(and_(*counted))) or 0
    if not n:
        return None
    return round(_middle(session, conds, n), 1)


def intakes_by_block(session: Session, since: date, until: date) -> list[tuple[str, int]]:
    """Cases opened in [since, until) per block: one range of ix_cases_block_opened per block."""
    names = block_names(session)
    period = [Case.opened_at >= day_start(since), Case.opened_at < day_start(until),
              Case.deleted.is_(False)]
    opened = (select(func.count()).where(Case.block_id == Block.id, *period)
              .correlate(Block).scalar_subquery())
    counts = {b: int(n) for b, n in session.execute(select(Block.id, opened))}
    rows = [(name, counts.get(b_id, 0)) for b_id, name in sorted(names.items())]
    unset = session.scalar(select(func.count()).select_from(Case)
                           .where(Case.block_id.is_(None), *period)) or 0
    if unset:
        rows.append(("ブロック未設定", unset))
    return rows


# --------------------------------------------------------------------------- the whole view


def build_dashboard(session: Session, today: date | None = None, months: int = 12) -> Dashboard:
    today = today or date.today()
    keys = month_keys(today, months)
    since, until = month_start(keys[0]), today + timedelta(days=1)
    board = Dashboard(today=today, months=keys)
    board.open_by_agency = open_by_agency(session, today)
    board.overdue, board.overdue_by_stage = overdue_handoffs(session, today)
    board.overdue_total = sum(board.overdue_by_stage.values())
    board.returned = returned_handoffs(session)
    board.overrides, board.overrides_total = overrides_awaiting(session)
    board.plans = plans_awaiting(session)
    board.meetings = upcoming_meetings(session, today)
    per_field = per_field_per_month(session, since, until)
    board.per_field_month = {f: [per_field[f].get(k, 0) for k in keys]
                             for f in sorted(per_field, key=lambda f: -sum(per_field[f].values()))}
    board.median_ack = median_days_to_acknowledge(session, since, until)
    board.intakes_by_block = intakes_by_block(session, since, until)
    return board


def dashboard(signed: Signed, today: date | None = None, months: int = 12) -> Dashboard:
    """The supervisor's dashboard (supervisors and admins only; refusals are logged)."""
    access.require_supervisor(signed, "ダッシュボードの閲覧")
    with uow.read(signed) as s:
        board = build_dashboard(s, today, months)
    _log(signed, "view_dashboard", detail={"overdue": board.overdue_total,
                                           "overrides": board.overrides_total})
    return board
