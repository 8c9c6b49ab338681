"""The statistics report for a period (issue 4 §4): how is the system doing?

Counts are aggregated in SQL. The worries on the sheet are JSON lists: sheets with the same
list are counted together in SQL (read from the covering index ix_sheets_received_worries, not
from the sheets' rows) and each distinct list is split here, which stays portable SQL. The
monthly trend counts one index range per month; the medians walk Handoff.ack_days in index order
(review_dashboard). At 100,000 cases a one-year report takes about 1-2 s on the 2-core
reference machine."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Text, and_, case, cast, exists, extract, func, or_, select
from sqlalchemy.orm import Session

from kodoku_desk.domain import dates
from kodoku_desk.domain.handoff import STAGES
from kodoku_desk.errors import UserError
from kodoku_desk.models import Case, CaseField, Handoff, HandoffEvent, Person, Sheet
from kodoku_desk.models.handoffs import RETURNED
from kodoku_desk.queries.dashboard import (
    AgencyMedian,
    median_days_to_acknowledge,
    median_overall,
    month_keys,
)
from kodoku_desk.queries.review_common import (
    _log,
    agency_names,
    block_names,
    check_period,
    resolve_agency,
)
from kodoku_desk.services import access, handoffs, uow
from kodoku_desk.services.auth import Signed
from kodoku_desk.store.dialect import date_of, day_start

# (label, lowest age inclusive); the last band is open-ended.
AGE_BANDS = (("18歳未満", 0), ("18〜39歳", 18), ("40〜64歳", 40), ("65〜74歳", 65),
             ("75歳以上", 75))
AGE_UNKNOWN = "不明"
NO_DISCOVERY = "未記入"
NO_BLOCK = "ブロック未設定"
MAX_PERIOD_DAYS = 366 * 10


@dataclass
class MonthRow:
    month: str  # "2025-04"
    cases: int = 0
    intakes: int = 0
    sent: int = 0
    acknowledged: int = 0
    returned: int = 0


@dataclass
class StatsReport:
    date_from: date
    date_to: date
    agency: str  # "" = the whole workspace
    cases: int = 0  # 新規ケース (opened in the period)
    intakes: int = 0  # 受付 (sheets received in the period)
    by_field: list[tuple[str, int]] = field(default_factory=list)
    by_discovery: list[tuple[str, int]] = field(default_factory=list)
    by_block: list[tuple[str, int]] = field(default_factory=list)
    by_age: list[tuple[str, int]] = field(default_factory=list)
    by_worry: list[tuple[str, int]] = field(default_factory=list)
    multi_field_cases: int = 0
    sent: int = 0
    acknowledged: int = 0
    returned: int = 0
    overdue: int = 0  # sent in the period and not acknowledged by the 受理期限 (late, or not yet)
    # Sent in the period and past their stage's deadline on `overdue_on` (today): per stage
    # (domain.handoff.AWAITING_ANSWER), by the dashboard's and the inbox's rule.
    overdue_now: dict[str, int] = field(default_factory=dict)
    overdue_on: date | None = None
    median_ack_days: float | None = None
    median_by_agency: list[AgencyMedian] = field(default_factory=list)
    monthly: list[MonthRow] = field(default_factory=list)

    @property
    def multi_field_share(self) -> float:
        return self.multi_field_cases / self.cases if self.cases else 0.0

    def overdue_now_rows(self) -> list[tuple[str, int]]:
        """(the stage's deadline, count) for each stage, then the total (PDF, CSV, the page)."""
        rows = [(STAGES[state].deadline, n) for state, n in self.overdue_now.items()]
        return rows + [("合計", sum(self.overdue_now.values()))]

    @property
    def is_empty(self) -> bool:
        return not (self.cases or self.intakes or self.sent or self.acknowledged or self.returned)

    def period_text(self) -> str:
        return f"{dates.to_wareki(self.date_from)} 〜 {dates.to_wareki(self.date_to)}"


def _period(date_from: date, date_to: date):
    return day_start(date_from), day_start(date_to + timedelta(days=1))


def _cases_in(start, end, agency_id: int | None):
    conds = [Case.opened_at >= start, Case.opened_at < end, Case.deleted.is_(False)]
    if agency_id:
        conds.append(Case.owner_agency_id == agency_id)
    return and_(*conds)


def _sorted_counts(counter: dict, order: list[str] | None = None) -> list[tuple[str, int]]:
    if order:
        return [(k, counter.get(k, 0)) for k in order] + sorted(
            ((k, v) for k, v in counter.items() if k not in order), key=lambda kv: -kv[1])
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def _case_figures(s: Session, r: StatsReport, start, end, agency_id: int | None) -> Counter:
    """One pass over the period's cases (ix_cases_stats_cover, with their person) grouped by
    block, 発見経路, age band and month gives the total and four breakdowns; two index-only
    passes the fields and the cases with several fields.
    Returns new cases per month for the trend."""
    in_period = _cases_in(start, end, agency_id)
    discovery = func.coalesce(func.nullif(Case.discovery, ""), NO_DISCOVERY)
    band = _age_band(r.date_to)
    year, month = extract("year", Case.opened_at), extract("month", Case.opened_at)
    q = (select(Case.block_id, discovery, band, year, month, func.count())
         .select_from(Case).join(Person, Person.id == Case.person_id).where(in_period)
         .group_by(Case.block_id, discovery, band, year, month))
    blocks: Counter[int | None] = Counter()
    discoveries: Counter[str] = Counter()
    ages: Counter[str] = Counter()
    months: Counter[str] = Counter()
    for block_id, found_by, age_band, y, m, n in s.execute(q):
        blocks[block_id] += n
        discoveries[found_by] += n
        ages[age_band] += n
        months[f"{int(y):04d}-{int(m):02d}"] += n
    r.cases = sum(blocks.values())
    names = block_names(s)
    r.by_block = [(name, blocks.get(b_id, 0)) for b_id, name in sorted(names.items())]
    if blocks.get(None):
        r.by_block.append((NO_BLOCK, blocks[None]))
    r.by_discovery = _sorted_counts(dict(discoveries))
    r.by_age = [(label, ages.get(label, 0)) for label, _ in AGE_BANDS] + [
        (AGE_UNKNOWN, ages.get(AGE_UNKNOWN, 0))]
    of_period = select(CaseField).join(Case, Case.id == CaseField.case_id).where(in_period)
    r.by_field = _sorted_counts(dict(s.execute(
        of_period.with_only_columns(CaseField.field, func.count()).group_by(CaseField.field)
    ).all()))
    several = (of_period.with_only_columns(CaseField.case_id).group_by(CaseField.case_id)
               .having(func.count() >= 2).subquery())
    r.multi_field_cases = s.scalar(select(func.count()).select_from(several)) or 0
    return months


def _age_band(on: date):
    """Age on the last day of the period, banded in SQL by birth-date cut-offs."""
    whens = [(Person.birth_date <= _years_before(on, low), label)
             for label, low in reversed(AGE_BANDS) if low]
    return case((Person.birth_date.is_(None), AGE_UNKNOWN), *whens, else_=AGE_BANDS[0][0])


def _years_before(on: date, years: int) -> date:
    """The latest birth date of someone who is `years` old on `on` (29 Feb → 28 Feb)."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def _intake_figures(s: Session, r: StatsReport, start, end, agency_id: int | None) -> None:
    conds = [Sheet.received_at >= start, Sheet.received_at < end]
    if agency_id:
        conds.append(Sheet.agency_id == agency_id)
    # Sheets with the same list of worries are counted together in SQL (a few thousand lists
    # out of 50,000 sheets a year at city scale); each distinct list is decoded once here.
    listed = cast(Sheet.worries, Text)
    worries: Counter[str] = Counter()
    r.intakes = 0
    for text, n in s.execute(select(listed, func.count()).where(*conds).group_by(listed)):
        r.intakes += int(n)
        for worry in set(json.loads(text) if text else []):  # a worry counts once per sheet
            worries[worry] += int(n)
    r.by_worry = _sorted_counts(dict(worries))


def _handoff_scope(agency_id: int | None):
    if not agency_id:
        return []
    return [or_(Handoff.to_agency_id == agency_id, Handoff.from_agency_id == agency_id)]


def _handoff_figures(s: Session, r: StatsReport, start, end, agency_id: int | None,
                     today: date) -> None:
    scope = _handoff_scope(agency_id)
    sent = and_(Handoff.sent_at >= start, Handoff.sent_at < end, *scope)
    r.sent = s.scalar(select(func.count()).select_from(Handoff).where(sent)) or 0
    r.acknowledged = s.scalar(select(func.count()).select_from(Handoff).where(
        Handoff.acknowledged_at >= start, Handoff.acknowledged_at < end, *scope)) or 0
    returns = (select(func.count()).select_from(HandoffEvent)
               .where(HandoffEvent.to_state == RETURNED, HandoffEvent.at >= start,
                      HandoffEvent.at < end))
    if scope:  # the join only when an agency is chosen: otherwise ix_handoff_events_to_state_at
        returns = returns.join(Handoff, Handoff.id == HandoffEvent.handoff_id).where(*scope)
    r.returned = s.scalar(returns) or 0
    r.overdue = s.scalar(select(func.count()).select_from(Handoff).where(
        sent, _late(min(r.date_to, today)))) or 0
    r.overdue_now = handoffs.overdue_counts(s, today=today, where=[sent])
    r.overdue_on = today
    r.median_ack_days = median_overall(s, r.date_from, r.date_to + timedelta(days=1), agency_id)
    r.median_by_agency = median_days_to_acknowledge(s, r.date_from, r.date_to + timedelta(days=1),
                                                    agency_id)


def _late(as_of: date):
    """Not answered by the due date: the first answer (acknowledgement, or a return or
    withdrawal straight from 送付) came after it, or none has come and the due date is past."""
    answered = func.coalesce(Handoff.acknowledged_at, Handoff.closed_at)
    return or_(and_(answered.is_(None), Handoff.due_on < as_of),
               and_(answered.is_not(None), date_of(answered) > Handoff.due_on))


def _monthly(s: Session, r: StatsReport, start, end, agency_id: int | None,
             new_cases: Counter) -> None:
    months = month_keys(r.date_to, _months_between(r.date_from, r.date_to))
    rows = {m: MonthRow(m, cases=new_cases.get(m, 0)) for m in months}

    bounds = _month_ranges(months, start, end)

    def fold(column, where: list, attr: str) -> None:
        """One statement, one count per month as a range of `column`'s index (no date function
        per row). `where` must not repeat the period: SQLite would range over it instead."""
        counts = [select(func.count()).where(column >= lo, column < hi, *where).scalar_subquery()
                  for _, lo, hi in bounds]
        for (key, _, _), n in zip(bounds, s.execute(select(*counts)).one(), strict=True):
            setattr(rows[key], attr, getattr(rows[key], attr) + int(n or 0))

    scope = _handoff_scope(agency_id)
    fold(Sheet.received_at, [Sheet.agency_id == agency_id] if agency_id else [], "intakes")
    fold(Handoff.sent_at, scope, "sent")
    fold(Handoff.acknowledged_at, scope, "acknowledged")
    fold(HandoffEvent.at, [HandoffEvent.to_state == RETURNED] + (
        [exists().where(Handoff.id == HandoffEvent.handoff_id, *scope)] if scope else []),
        "returned")
    r.monthly = [rows[m] for m in months]


def _month_ranges(months: list[str], start, end) -> list[tuple[str, object, object]]:
    """(month key, from, to) for each month of the period, cut at the period's ends."""
    out = []
    for key in months:
        y, m = int(key[:4]), int(key[5:7])
        lo = day_start(date(y, m, 1))
        hi = day_start(date(y + (m == 12), m % 12 + 1, 1))
        out.append((key, max(lo, start), min(hi, end)))
    return out


def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month + 1


def check_report_period(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The period, both ends given, in order and at most ten years long."""
    if date_from is None or date_to is None:
        raise UserError("期間の始まりと終わりを入力してください。",
                        field="date_from" if date_from is None else "date_to")
    check_period(date_from, date_to)
    if (date_to - date_from).days > MAX_PERIOD_DAYS:
        raise UserError("期間は10年以内にしてください。", field="date_to")
    return date_from, date_to


def build_report(s: Session, date_from: date, date_to: date, agency_id: int | None = None,
                 today: date | None = None) -> StatsReport:
    check_report_period(date_from, date_to)
    today = today or date.today()
    r = StatsReport(date_from, date_to, agency_names(s).get(agency_id, "") if agency_id else "")
    start, end = _period(date_from, date_to)
    new_cases = _case_figures(s, r, start, end, agency_id)
    _intake_figures(s, r, start, end, agency_id)
    _handoff_figures(s, r, start, end, agency_id, today)
    _monthly(s, r, start, end, agency_id, new_cases)
    return r


def report(signed: Signed, date_from: date | None, date_to: date | None,
           agency: str | None = None, today: date | None = None,
           allow_empty: bool = False) -> StatsReport:
    """The report (supervisors and admins only). An empty period is a sentence, not a blank
    document, unless allow_empty (the GUI shows zeros with a note instead)."""
    access.require_supervisor(signed, "統計の閲覧")
    date_from, date_to = check_report_period(date_from, date_to)
    with uow.read(signed) as s:
        agency_id = resolve_agency(s, agency)
        r = build_report(s, date_from, date_to, agency_id, today)
    if r.is_empty and not allow_empty:
        raise UserError(f"{r.period_text()} の期間には受付もつなぎもありません。期間を確認してください。",
                        field="date_from")
    _log(signed, "view_statistics", detail={"from": date_from.isoformat(),
                                            "to": date_to.isoformat(), "agency": agency or ""})
    return r


def csv_rows(r: StatsReport) -> tuple[list[str], list[list]]:
    """The report as one long table (区分, 項目, 件数) — easy to pivot in Excel."""
    header = ["区分", "項目", "件数・値"]
    rows: list[list] = [
        ["期間", f"{r.date_from.isoformat()}〜{r.date_to.isoformat()}", r.period_text()],
        ["対象機関", r.agency or "全体", ""],
        ["概要", "新規ケース数", r.cases], ["概要", "受付件数", r.intakes],
        ["概要", "複数分野ケース数", r.multi_field_cases],
        ["概要", "複数分野ケースの割合（%）", round(r.multi_field_share * 100, 1)],
        ["つなぎ", "送付", r.sent], ["つなぎ", "受理", r.acknowledged],
        ["つなぎ", "返送", r.returned], ["つなぎ", "受理期限に遅れた", r.overdue],
        ["つなぎ", "受理までの日数（中央値）",
         "" if r.median_ack_days is None else r.median_ack_days],
    ]
    now = f"期限超過中（{r.overdue_on.isoformat() if r.overdue_on else ''}現在）"
    rows += [[now, label, n] for label, n in r.overdue_now_rows()]
    for section, pairs in (("分野別ケース", r.by_field), ("発見経路別ケース", r.by_discovery),
                           ("ブロック別ケース", r.by_block), ("年齢階層別ケース", r.by_age),
                           ("困りごと別受付", r.by_worry)):
        rows += [[section, k, v] for k, v in pairs]
    rows += [["機関別 受理までの日数（中央値）", m.agency, m.median_days] for m in r.median_by_agency]
    for m in r.monthly:
        rows += [[f"月別 {m.month}", label, getattr(m, attr)] for label, attr in MONTH_COLUMNS]
    return header, rows


MONTH_COLUMNS = (("新規ケース", "cases"), ("受付", "intakes"), ("つなぎ送付", "sent"),
                 ("受理", "acknowledged"), ("返送", "returned"))


def export_report(signed: Signed, date_from: date | None, date_to: date | None, fmt: str,
                  path: Path | str, agency: str | None = None,
                  today: date | None = None) -> StatsReport:
    """Build the report and write it as PDF (with charts) or CSV where the user chose."""
    from kodoku_desk.exports import csv_export, report_pdf
    from kodoku_desk.services import exporting

    if fmt not in ("pdf", "csv"):
        raise UserError("出力形式は pdf か csv を選んでください。", field="format")
    r = report(signed, date_from, date_to, agency, today)
    path = exporting.check_out_path(path, fmt)
    if fmt == "csv":
        data = csv_export.csv_bytes(*csv_rows(r))
    else:
        data = report_pdf.render_stats_pdf(r, signed.actor.display_name)
    exporting.export_bytes(signed, path, data, exporting.audited(
        signed, "export", "statistics", "", {"format": fmt, "file": path.name,
                                             "from": r.date_from.isoformat(),
                                             "to": r.date_to.isoformat()}))
    return r


__all__ = ["StatsReport", "MonthRow", "build_report", "export_report", "report"]
