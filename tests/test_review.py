"""Issue 4: supervisor review — dashboard figures, overdue detection across holidays, returned
hand-offs, consent-override review, access refusal, hand-off log filters, logs and chain check.

Test data is built with the models in write() sessions; every expected figure is computed here
independently from the hand-offs and events the test created."""

from __future__ import annotations

import csv
import json
import os
import random
import statistics
import subprocess
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from kodoku_desk.domain import dates
from kodoku_desk.domain import handoff as handoff_rules
from kodoku_desk.errors import AccessDenied, UserError, WorkspaceError
from kodoku_desk.models import (
    Agency,
    AuditEntry,
    Block,
    Case,
    CaseField,
    Disclosure,
    Handoff,
    HandoffEvent,
    OverrideReview,
    Person,
    Plan,
    Sheet,
    Staff,
)
from kodoku_desk.models.handoffs import BASIS_CONSENT, BASIS_VITAL
from kodoku_desk.queries import dashboard as review_dashboard
from kodoku_desk.queries import (
    review_access,
    review_common,
    review_disclosures,
    review_handoffs,
    stats,
)
from kodoku_desk.queries.review_access import AccessFilter
from kodoku_desk.queries.review_disclosures import DisclosureFilter
from kodoku_desk.queries.review_handoffs import HandoffFilter
from kodoku_desk.services import admin, auth, review

PW = "review-password-1"
TODAY = date(2025, 6, 30)
DEFAULT_LIMITS = handoff_rules.Limits(3, 5, 20)  # services.admin.SETTING_DEFAULTS

AGENCIES = {  # name → (fields, block)
    "北部地域包括支援センター": (["高齢"], "北部ブロック"),
    "南部地域包括支援センター": (["高齢"], "南部ブロック"),
    "障がい福祉課": (["障がい", "行政"], None),
    "こども家庭センター": (["子ども", "行政"], None),
    "自立相談支援機関": (["生活困窮"], None),
}


@dataclass
class Org:
    blocks: dict[str, int] = field(default_factory=dict)
    agencies: dict[str, int] = field(default_factory=dict)
    admin_id: int = 0


@dataclass
class Made:
    """What a test created, to compute expected figures from."""

    id: int
    case_id: int
    from_agency: str
    to_agency: str
    sent_at: datetime
    due_on: date
    state: str
    acknowledged_at: datetime | None = None
    closed_at: datetime | None = None
    override: bool = False
    returned_at: datetime | None = None
    block: str | None = None
    stage_started: datetime | None = None  # when the current stage began (its last step)

    def overdue(self, today: date = TODAY) -> handoff_rules.Overdue | None:
        """By the pure rule, with the default settings."""
        return handoff_rules.overdue_status(self.state, self.due_on, self.stage_started,
                                            DEFAULT_LIMITS, today)


def make_org(signed) -> Org:
    org = Org()
    with signed.store.write() as s:
        for name in ("北部ブロック", "南部ブロック"):
            b = Block(name=name)
            s.add(b)
            s.flush()
            org.blocks[name] = b.id
        for name, (fields, block) in AGENCIES.items():
            a = Agency(name=name, fields=fields, block_id=org.blocks.get(block))
            s.add(a)
            s.flush()
            org.agencies[name] = a.id
        org.agencies["福祉総務課"] = signed.actor.agency_id
        org.admin_id = signed.actor.staff_id
    admin.create_staff(signed, "boss", "監督 一郎", "福祉総務課", ["supervisor"], PW)
    admin.create_staff(signed, "worker", "受付 花子", "北部地域包括支援センター", ["intake"], PW)
    return org


def add_case(s, org: Org, no: str, opened: datetime, *, block: str | None = None,
             fields: tuple[str, ...] = (), discovery: str = "", birth: date | None = None,
             worries: tuple[str, ...] = (), agency: str = "北部地域包括支援センター") -> int:
    person = Person(name=f"試験 {no}", kana="しけん", birth_date=birth)
    s.add(person)
    s.flush()
    case = Case(case_no=no, person_id=person.id, owner_agency_id=org.agencies[agency],
                block_id=org.blocks.get(block) if block else None, fields=list(fields),
                multi_agency=len(fields) >= 2, discovery=discovery, opened_at=opened)
    s.add(case)
    s.flush()
    for f in fields:
        s.add(CaseField(case_id=case.id, field=f))
    s.add(Sheet(case_id=case.id, template_version="1", received_at=opened,
                agency_id=org.agencies[agency], worker_id=org.admin_id, worries=list(worries)))
    s.flush()
    return case.id


def add_handoff(s, org: Org, case_id: int, frm: str, to: str, sent: datetime,
                steps: tuple = (), *, override: bool = False, block: str | None = None) -> Made:
    """steps: (state, at, note, alternative) after the initial 送付."""
    due = dates.add_business_days(sent.date(), 3)
    h = Handoff(case_id=case_id, from_agency_id=org.agencies[frm], to_agency_id=org.agencies[to],
                basis=BASIS_VITAL if override else BASIS_CONSENT,
                basis_reason="緊急のため" if override else "", consent_override=override,
                state="送付", sent_at=sent, due_on=due, created_by=org.admin_id)
    s.add(h)
    s.flush()
    s.add(HandoffEvent(handoff_id=h.id, from_state="", to_state="送付", actor_id=org.admin_id,
                       agency_id=org.agencies[frm], at=sent))
    made = Made(h.id, case_id, frm, to, sent, due, "送付", override=override, block=block,
                stage_started=sent)
    for state, at, note, alternative in steps:
        s.add(HandoffEvent(handoff_id=h.id, from_state=h.state, to_state=state,
                           actor_id=org.admin_id, agency_id=org.agencies[to], at=at, note=note,
                           alternative=alternative))
        h.state = made.state = state
        h.stage_started_at = made.stage_started = at  # each step starts a stage
        if state == "受理":
            h.acknowledged_at = made.acknowledged_at = at
        if state in ("完了", "返送", "取下げ"):
            h.closed_at = made.closed_at = at
        if state == "返送":
            made.returned_at = at
    s.flush()
    return made


def sign(folder: Path, login: str) -> auth.Signed:
    return auth.sign_in(folder, login, PW)


def denied_count(signed) -> int:
    with signed.store.read() as s:
        return len(s.scalars(select(AuditEntry).where(AuditEntry.action == "access_denied")).all())


# --------------------------------------------------------------------------- overdue


@pytest.mark.parametrize(("sent", "due", "checks"), [
    # Friday before Golden Week: 4/29 昭和の日, 5/3–5/6 holidays. Due after 3 business days.
    (date(2025, 4, 25), date(2025, 5, 1),
     [(date(2025, 5, 1), 0), (date(2025, 5, 2), 1), (date(2025, 5, 6), 1), (date(2025, 5, 7), 2)]),
    # Friday before the year-end closure (12/29–1/3) and a Sunday.
    (date(2025, 12, 26), date(2026, 1, 7),
     [(date(2026, 1, 5), 0), (date(2026, 1, 7), 0), (date(2026, 1, 8), 1), (date(2026, 1, 9), 2)]),
])
def test_overdue_detection_across_weekends_and_holidays(signed, sent, due, checks):
    org = make_org(signed)
    with signed.store.write() as s:
        cid = add_case(s, org, "OD-1", datetime.combine(sent, datetime.min.time()))
        made = add_handoff(s, org, cid, "福祉総務課", "障がい福祉課",
                           datetime.combine(sent, datetime.min.time()).replace(hour=10))
        answered = add_handoff(s, org, cid, "福祉総務課", "こども家庭センター",
                               datetime.combine(sent, datetime.min.time()).replace(hour=11),
                               (("受理", datetime.combine(due, datetime.min.time()).replace(hour=9),
                                 "", ""),))
    assert made.due_on == due
    for today, overdue_days in checks:
        board = review_dashboard.dashboard(signed, today=today)
        ids = {i.handoff_id: i for i in board.overdue}
        assert answered.id not in ids  # acknowledged in time: never overdue
        if overdue_days:
            assert board.overdue_total == 1 and ids[made.id].overdue_days == overdue_days, today
        else:
            assert board.overdue_total == 0, today
    # The log's overdue filter agrees with the dashboard.
    log = review_handoffs.handoff_log(signed, HandoffFilter(overdue=True), today=checks[-1][0])
    assert [r.id for r in log.rows] == [made.id] and log.rows[0].overdue_days == checks[-1][1]


def test_waiting_bands_count_business_days(signed):
    org = make_org(signed)
    today = date(2025, 5, 7)  # after Golden Week
    # Business days waited by 5/7: 1 (5/7), 3 (5/1, 5/2, 5/7), 5, and more than 11.
    sent_days = (date(2025, 5, 2), date(2025, 4, 30), date(2025, 4, 25), date(2025, 4, 10))
    with signed.store.write() as s:
        cid = add_case(s, org, "W-1", datetime(2025, 4, 1))
        for d in sent_days:
            add_handoff(s, org, cid, "福祉総務課", "自立相談支援機関",
                        datetime.combine(d, datetime.min.time()).replace(hour=9))
    expected = Counter()
    for d in sent_days:
        waited = dates.business_days_between(d, today)
        label = [lab for lab, low in review_dashboard.WAIT_BANDS if waited >= low][-1]
        expected[label] += 1
    board = review_dashboard.dashboard(signed, today=today)
    (row,) = board.open_by_agency
    assert row.agency == "自立相談支援機関" and row.waiting == 4
    assert {k: v for k, v in row.by_wait.items() if v} == dict(expected)
    assert row.oldest_wait_days == dates.business_days_between(date(2025, 4, 10), today)


# --------------------------------------------------------------------------- figures


def _random_world(signed, org: Org, seed: int = 4, n_cases: int = 60):
    rng = random.Random(seed)
    made: list[Made] = []
    opened: list[tuple[int, str | None, datetime]] = []
    to_choices = [a for a in AGENCIES]
    with signed.store.write() as s:
        for i in range(n_cases):
            block = rng.choice(["北部ブロック", "南部ブロック", None])
            when = datetime(2024, 5, 1) + timedelta(days=rng.randrange(0, 420),
                                                    hours=rng.randrange(8, 18))
            cid = add_case(s, org, f"R-{i:03d}", when, block=block)
            opened.append((cid, block, when))
            for _ in range(rng.randrange(0, 4)):
                sent = when + timedelta(days=rng.randrange(0, 30), hours=rng.randrange(0, 5))
                if sent.date() > TODAY:
                    continue
                steps = []
                r = rng.random()
                if r < 0.55:
                    ack = sent + timedelta(hours=rng.randrange(1, 24 * 9))
                    steps.append(("受理", ack, "", ""))
                    if rng.random() < 0.5:
                        steps.append(("対応中", ack + timedelta(hours=3), "", ""))
                elif r < 0.7:
                    steps.append(("返送", sent + timedelta(days=2), "対象外の相談", "自立相談支援機関"))
                made.append(add_handoff(s, org, cid, "福祉総務課", rng.choice(to_choices), sent,
                                        tuple(steps), override=rng.random() < 0.1, block=block))
    return made, opened


def test_dashboard_figures_equal_counts_from_the_events(signed):
    org = make_org(signed)
    made, opened = _random_world(signed, org)
    board = review_dashboard.dashboard(signed, today=TODAY)
    since = review_dashboard.month_start(board.months[0])
    until = datetime.combine(TODAY + timedelta(days=1), datetime.min.time())
    start = datetime.combine(since, datetime.min.time())

    # Open hand-offs by receiving agency.
    open_expected = defaultdict(lambda: [0, 0])
    for m in made:
        if m.state == "送付":
            open_expected[m.to_agency][0] += 1
        elif m.state in ("受理", "対応中"):
            open_expected[m.to_agency][1] += 1
    assert {r.agency: [r.waiting, r.in_progress] for r in board.open_by_agency} == \
        dict(open_expected)

    # Overdue list: every stage, by the pure rule (the SQL form must agree with it).
    overdue = {m.id: m.overdue() for m in made if m.overdue()}
    assert any(o.state == "送付" for o in overdue.values())
    assert any(o.state == "受理" for o in overdue.values())
    assert any(o.state == "対応中" for o in overdue.values())
    assert board.overdue_total == len(overdue)
    assert board.overdue_by_stage == {stage: sum(o.state == stage for o in overdue.values())
                                      for stage in handoff_rules.AWAITING_ANSWER}
    assert {i.handoff_id: (i.state, i.deadline, i.overdue_days, i.overdue_label)
            for i in board.overdue} == {hid: (o.state, o.deadline, o.days_late, o.label)
                                        for hid, o in overdue.items()}
    assert [i.deadline for i in board.overdue] == sorted(i.deadline for i in board.overdue)

    # Hand-offs per field per month (receiving agency's primary field).
    per = defaultdict(Counter)
    for m in made:
        if start <= m.sent_at < until:
            per[review_common.primary_field(AGENCIES[m.to_agency][0])][m.sent_at.strftime("%Y-%m")] += 1
    assert board.per_field_month == {f: [per[f].get(k, 0) for k in board.months] for f in per}

    # Median days to acknowledge per agency.
    durations = defaultdict(list)
    for m in made:
        if m.acknowledged_at and start <= m.sent_at < until:
            durations[m.to_agency].append((m.acknowledged_at - m.sent_at).total_seconds() / 86400)
    got = {r.agency: (r.median_days, r.acknowledged) for r in board.median_ack}
    assert got == {a: (round(statistics.median(v), 1), len(v)) for a, v in durations.items()}

    # Intakes per block.
    blocks = Counter(b or "ブロック未設定" for _, b, when in opened if start <= when < until)
    assert {k: v for k, v in board.intakes_by_block if v} == dict(blocks)

    # Overrides awaiting review.
    assert board.overrides_total == sum(m.override for m in made)


def test_returned_handoff_shows_reason_and_where_it_went_next(signed):
    org = make_org(signed)
    with signed.store.write() as s:
        cid = add_case(s, org, "RET-1", datetime(2025, 6, 1, 9))
        first = add_handoff(s, org, cid, "北部地域包括支援センター", "障がい福祉課",
                            datetime(2025, 6, 2, 10),
                            (("返送", datetime(2025, 6, 3, 15), "手帳がなく対象外。",
                              "自立相談支援機関"),))
        nxt = add_handoff(s, org, cid, "北部地域包括支援センター", "自立相談支援機関",
                          datetime(2025, 6, 4, 9), (("受理", datetime(2025, 6, 4, 13), "", ""),))
        cid2 = add_case(s, org, "RET-2", datetime(2025, 6, 1, 9))
        lonely = add_handoff(s, org, cid2, "福祉総務課", "こども家庭センター",
                             datetime(2025, 6, 5, 10),
                             (("返送", datetime(2025, 6, 6, 10), "年齢が対象外。", "若者相談"),))
        s.add(Plan(case_id=cid, status="案", approval="申請中", created_by=org.admin_id))
    board = review_dashboard.dashboard(signed, today=TODAY)
    items = {i.handoff_id: i for i in board.returned}
    assert items[first.id].reason == "手帳がなく対象外。"
    assert items[first.id].alternative == "自立相談支援機関"
    assert items[first.id].next_agency == "自立相談支援機関"
    assert items[first.id].next_handoff_id == nxt.id and items[first.id].next_state == "受理"
    assert items[lonely.id].next_agency == "" and items[lonely.id].next_handoff_id is None
    assert [p.case_no for p in board.plans] == ["RET-1"]
    log = review_handoffs.handoff_log(signed, HandoffFilter(returned=True), today=TODAY)
    assert {r.id: r.return_reason for r in log.rows} == {first.id: "手帳がなく対象外。",
                                                         lonely.id: "年齢が対象外。"}


# --------------------------------------------------------------------------- override review


def test_override_review_is_logged_and_leaves_the_list(signed):
    org = make_org(signed)
    with signed.store.write() as s:
        cid = add_case(s, org, "OV-1", datetime(2025, 6, 1, 9))
        over = add_handoff(s, org, cid, "福祉総務課", "こども家庭センター", datetime(2025, 6, 2, 9),
                           override=True)
        normal = add_handoff(s, org, cid, "福祉総務課", "障がい福祉課", datetime(2025, 6, 2, 9))
    folder = signed.folder
    signed.close()
    boss = sign(folder, "boss")
    board = review_dashboard.dashboard(boss, today=TODAY)
    assert [i.handoff_id for i in board.overrides] == [over.id]
    assert board.overrides[0].basis == BASIS_VITAL
    with pytest.raises(UserError, match="コメント"):
        review.review_override(boss, over.id, "   ")
    with pytest.raises(UserError, match="対象ではありません"):
        review.review_override(boss, normal.id, "確認")
    review.review_override(boss, over.id, "虐待の疑いがあり緊急性を確認した。妥当。")
    with pytest.raises(UserError, match="確認済み"):
        review.review_override(boss, over.id, "二度目")
    board = review_dashboard.dashboard(boss, today=TODAY)
    assert board.overrides == [] and board.overrides_total == 0
    with boss.store.read() as s:
        (row,) = s.scalars(select(OverrideReview)).all()
        assert row.handoff_id == over.id and row.reviewer_id == boss.actor.staff_id
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "override_review")).all()
    assert len(entries) == 1 and entries[0].actor == "boss"
    assert entries[0].target_id == str(over.id) and "妥当" in entries[0].detail
    boss.close()


# --------------------------------------------------------------------------- access


def test_non_supervisor_is_refused_and_the_refusal_logged(signed, tmp_path):
    make_org(signed)
    folder = signed.folder
    signed.close()
    worker = sign(folder, "worker")
    calls = [
        lambda: review_dashboard.dashboard(worker),
        lambda: review_handoffs.handoff_log(worker, HandoffFilter()),
        lambda: review_disclosures.disclosure_log(worker, DisclosureFilter()),
        lambda: review_access.access_log(worker, AccessFilter()),
        lambda: review.review_override(worker, 1, "見た"),
        lambda: review.verify_audit_chain(worker),
        lambda: stats.report(worker, date(2025, 4, 1), date(2026, 3, 31)),
        lambda: review.export_access_log(worker, AccessFilter(), tmp_path / "a.csv"),
        lambda: review.export_handoff_log(worker, HandoffFilter(), tmp_path / "h.csv", "csv"),
    ]
    for call in calls:
        with pytest.raises(AccessDenied, match="権限がありません"):
            call()
    assert denied_count(worker) == len(calls)
    with worker.store.read() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "access_denied")).all()
    assert {e.actor for e in entries} == {"worker"}
    assert "ダッシュボードの閲覧" in {e.target_id for e in entries}
    assert not list(tmp_path.glob("*.csv"))
    worker.close()


# --------------------------------------------------------------------------- hand-off log


def test_handoff_log_filters_match_the_events(signed):
    org = make_org(signed)
    made, _ = _random_world(signed, org, seed=11, n_cases=40)

    def ids(flt: HandoffFilter) -> set[int]:
        log = review_handoffs.handoff_log(signed, flt, today=TODAY, limit=10_000)
        assert log.total == len(log.rows)
        return {r.id for r in log.rows}

    a = org.agencies
    assert ids(HandoffFilter()) == {m.id for m in made}
    assert ids(HandoffFilter(to_agency_id=a["障がい福祉課"])) == \
        {m.id for m in made if m.to_agency == "障がい福祉課"}
    assert ids(HandoffFilter(from_agency_id=a["福祉総務課"], state="受理")) == \
        {m.id for m in made if m.state == "受理"}
    assert ids(HandoffFilter(overdue=True)) == {m.id for m in made if m.overdue()}
    assert ids(HandoffFilter(overdue=True, state="対応中")) == \
        {m.id for m in made if m.overdue() and m.state == "対応中"}
    assert ids(HandoffFilter(returned=True)) == {m.id for m in made if m.returned_at}
    assert ids(HandoffFilter(consent_override=True)) == {m.id for m in made if m.override}
    lo, hi = date(2024, 9, 1), date(2024, 12, 31)
    assert ids(HandoffFilter(date_from=lo, date_to=hi)) == \
        {m.id for m in made if lo <= m.sent_at.date() <= hi}
    assert ids(HandoffFilter(block_id=org.blocks["南部ブロック"])) == \
        {m.id for m in made if m.block == "南部ブロック"}
    assert ids(HandoffFilter(field="高齢")) == \
        {m.id for m in made if "高齢" in AGENCIES[m.to_agency][0]}
    some = made[0]
    with signed.store.read() as s:
        case_no = s.get(Case, some.case_id).case_no
    assert ids(HandoffFilter(case_no=case_no)) == {m.id for m in made if m.case_id == some.case_id}
    with pytest.raises(UserError, match="より前"):
        review_handoffs.handoff_log(signed, HandoffFilter(date_from=hi, date_to=lo))
    with signed.store.read() as s, pytest.raises(UserError, match="登録されていません"):
        review_common.resolve_agency(s, "存在しない機関")
    with pytest.raises(UserError, match="分野"):
        review_handoffs.handoff_log(signed, HandoffFilter(field="宇宙"))


def test_case_timeline_lists_every_event_in_order(signed):
    org = make_org(signed)
    with signed.store.write() as s:
        cid = add_case(s, org, "TL-1", datetime(2025, 6, 1, 9))
        add_handoff(s, org, cid, "福祉総務課", "障がい福祉課", datetime(2025, 6, 2, 9),
                    (("受理", datetime(2025, 6, 3, 9), "担当を決めました", ""),
                     ("対応中", datetime(2025, 6, 4, 9), "", "")))
        add_handoff(s, org, cid, "福祉総務課", "こども家庭センター", datetime(2025, 6, 2, 10),
                    (("返送", datetime(2025, 6, 2, 16), "対象外", "自立相談支援機関"),))
    events = review_handoffs.case_timeline(signed, cid)
    assert [(e.to_agency, e.to_state) for e in events] == [
        ("障がい福祉課", "送付"), ("こども家庭センター", "送付"), ("こども家庭センター", "返送"),
        ("障がい福祉課", "受理"), ("障がい福祉課", "対応中")]
    assert events[2].note == "対象外" and events[2].alternative == "自立相談支援機関"
    assert events[2].acting_agency == "こども家庭センター"


# --------------------------------------------------------------------------- logs and exports


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM for Excel"
    return list(csv.reader(raw.decode("utf-8-sig").splitlines()))


def test_disclosure_log_and_csv(signed, tmp_path):
    org = make_org(signed)
    with signed.store.write() as s:
        cid = add_case(s, org, "DS-1", datetime(2025, 6, 1, 9))
        h = add_handoff(s, org, cid, "福祉総務課", "障がい福祉課", datetime(2025, 6, 2, 9))
        s.add_all([
            Disclosure(at=datetime(2025, 6, 2, 9), case_id=cid, actor_id=org.admin_id,
                       from_agency_id=org.agencies["福祉総務課"],
                       to_agency_id=org.agencies["障がい福祉課"], sections=["basic", "hearing_health"],
                       basis=BASIS_CONSENT, channel="handoff", handoff_id=h.id),
            Disclosure(at=datetime(2025, 6, 20, 14), case_id=cid, actor_id=org.admin_id,
                       recipient="支援会議 委員", sections=["summary"], basis="支援会議",
                       channel="packet", copy_no=3),
            Disclosure(at=datetime(2025, 7, 2, 9), case_id=cid, actor_id=org.admin_id,
                       to_agency_id=org.agencies["こども家庭センター"], sections=["partA"],
                       basis=BASIS_VITAL, basis_reason="=命の危険", channel="handoff"),
        ])
    rows, total = review_disclosures.disclosure_log(signed, DisclosureFilter(date_from=date(2025, 6, 1),
                                                                 date_to=date(2025, 6, 30)))
    assert total == 2 and [r.channel for r in rows] == ["会議資料", "つなぎ"]
    assert review_disclosures.disclosure_log(signed, DisclosureFilter(case_no="DS-1"))[1] == 3
    assert review_disclosures.disclosure_log(signed, DisclosureFilter(case_no="DS-9"))[1] == 0
    rows, total = review_disclosures.disclosure_log(signed, DisclosureFilter(basis=BASIS_VITAL))
    assert total == 1 and rows[0].to_agency == "こども家庭センター"
    with pytest.raises(UserError, match="根拠"):
        review_disclosures.disclosure_log(signed, DisclosureFilter(basis="なんとなく"))
    out = tmp_path / "提供記録.csv"
    assert review.export_disclosures(signed, DisclosureFilter(), out) == 3
    table = _read_csv(out)
    assert table[0] == review.DISCLOSURE_CSV_HEADER
    assert table[0][:3] == ["記録ID", "提供日時", "ケース番号"]
    assert len(table) == 4 and table[1][2] == "DS-1"
    assert table[1][9] == "'=命の危険"  # a formula-like cell is neutralised for Excel
    assert table[2][7] == "summary"  # an unknown key stays readable as itself
    assert table[3][7] == "ご本人について・聞き取り：健康・障がい"  # template section titles


def test_access_log_filters_and_csv(signed, tmp_path):
    make_org(signed)
    folder = signed.folder
    signed.close()
    worker = sign(folder, "worker")
    with pytest.raises(AccessDenied):
        review_dashboard.dashboard(worker)
    worker.close()
    boss = sign(folder, "boss")
    rows, total = review_access.access_log(boss, AccessFilter(actor="worker"))
    assert {r.action for r in rows} == {"login", "access_denied", "logout"} and total == 3
    rows, _ = review_access.access_log(boss, AccessFilter(actions=review_access.ACCESS_CATEGORIES["権限のない操作"]))
    assert [(r.actor, r.action_label) for r in rows] == [("worker", "権限のない操作")]
    assert rows[0].actor_name == "受付 花子"
    out = tmp_path / "audit.csv"
    n = review.export_access_log(boss, AccessFilter(actor="worker"), out)
    table = _read_csv(out)
    assert table[0] == ["記録ID", "日時", "ログインID", "氏名", "操作", "操作（コード）", "対象の種類",
                        "対象ID", "詳細"]
    assert n == 3 and len(table) == 4 and {r[2] for r in table[1:]} == {"worker"}
    with boss.store.read() as s:
        exports = s.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert exports[-1].target_type == "audit_log" and exports[-1].actor == "boss"
    boss.close()


def test_export_to_unwritable_place_is_a_sentence_and_leaves_nothing(signed, tmp_path):
    make_org(signed)
    with pytest.raises(WorkspaceError, match="フォルダ"):
        review.export_access_log(signed, AccessFilter(), tmp_path / "missing" / "a.csv")
    not_a_folder = tmp_path / "報告.txt"
    not_a_folder.write_text("これはファイル")
    with pytest.raises(WorkspaceError, match="書き込めません"):
        review.export_handoff_log(signed, HandoffFilter(), not_a_folder / "h.pdf", "pdf")
    if os.geteuid() != 0:  # root ignores folder permissions
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            with pytest.raises(WorkspaceError, match="書き込めません"):
                review.export_handoff_log(signed, HandoffFilter(), locked / "h.pdf", "pdf")
        finally:
            locked.chmod(0o700)
        assert list(locked.iterdir()) == []
    assert {p.name for p in tmp_path.iterdir()} == {"報告.txt", "ws"}


def test_chain_verification_names_the_tampered_entry(signed):
    make_org(signed)
    assert review.verify_audit_chain(signed).ok
    with signed.store.read() as s:
        target = s.scalars(select(AuditEntry).where(AuditEntry.action == "create")
                           .order_by(AuditEntry.id)).all()[1]
    with signed.store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET detail = :d WHERE id = :i"),
                     {"d": '{"login": "someone-else"}', "i": target.id})
    report = review.verify_audit_chain(signed)
    assert not report.ok and report.broken_id == target.id
    assert f"#{target.id}" in report.message and "改ざん" in report.message
    with signed.store.read() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last.action == "verify_chain" and last.target_id == str(target.id)


def test_review_indexes_exist_after_migration(signed):
    with signed.store.read() as s:
        names = {r[0] for r in s.execute(text("SELECT name FROM sqlite_master WHERE type='index'"))}
    from kodoku_desk.models.indexes_review import REVIEW_INDEXES

    assert {n for n, _, _ in REVIEW_INDEXES} <= names
    with signed.store.read() as s:
        plan = " ".join(str(r) for r in s.execute(text(
            "EXPLAIN QUERY PLAN SELECT to_agency_id, count(*) FROM handoffs "
            "WHERE state IN ('送付','受理','対応中') GROUP BY to_agency_id")))
    assert "ix_handoffs_state_to_sent" in plan or "ix_handoffs_to_state" in plan



@pytest.mark.parametrize(("start", "end"), [
    (date(2019, 4, 26), date(2019, 5, 10)),  # 2019 enthronement: ten days off
    (date(2024, 12, 20), date(2025, 1, 10)),  # 年末年始 closure across the year boundary
    (date(2025, 4, 25), date(2025, 5, 7)),  # Golden Week
    (date(2023, 3, 1), date(2025, 6, 30)),  # several whole years
    (date(2025, 5, 7), date(2025, 5, 7)),
])
def test_fast_business_day_count_agrees_with_the_dates_module(start, end):
    naive = sum(1 for i in range(1, (end - start).days + 1)
                if dates.is_business_day(start + timedelta(days=i)))
    assert dates.business_days_between(start, end) == naive


def test_figures_from_hand_offs_sent_and_answered_through_the_handoff_service(signed):
    """The same figures when the data comes from services.handoffs (send with the consent gate,
    return with a reason and an alternative), not from rows written by this test."""
    from kodoku_desk.domain.actor import Actor
    from kodoku_desk.services import handoffs

    org = make_org(signed)
    admin.create_staff(signed, "shogai", "障がい 次郎", "障がい福祉課", ["intake"], PW)
    sent_at = datetime(2025, 6, 2, 10)
    with signed.store.write() as s:
        cid = add_case(s, org, "SV-1", datetime(2025, 6, 2, 9))
        worker = Actor.of(s.scalars(select(Staff).where(Staff.login == "worker")).one())
        receiver = Actor.of(s.scalars(select(Staff).where(Staff.login == "shogai")).one())
        first = handoffs.send_in(s, worker, cid, handoffs.SendInput(
            org.agencies["障がい福祉課"], "障がいの相談", share=["basic"], basis=BASIS_VITAL,
            basis_reason="自傷の危険があり緊急"), at=sent_at)
        handoffs.transition_in(s, receiver, first.id, "return", "手帳がなく対象外",
                               "自立相談支援機関", at=sent_at + timedelta(days=1))
        second = handoffs.send_in(s, worker, cid, handoffs.SendInput(
            org.agencies["自立相談支援機関"], "生活の相談", share=["basic"], basis=BASIS_VITAL,
            basis_reason="同上"), at=sent_at + timedelta(days=2))
    board = review_dashboard.dashboard(signed, today=date(2025, 6, 30))
    (ret,) = board.returned
    assert (ret.handoff_id, ret.reason, ret.alternative) == (first.id, "手帳がなく対象外",
                                                             "自立相談支援機関")
    assert ret.returned_by == "障がい福祉課" and ret.next_handoff_id == second.id
    assert {i.handoff_id for i in board.overrides} == {first.id, second.id}
    assert [i.handoff_id for i in board.overdue] == [second.id]
    rows, total = review_disclosures.disclosure_log(signed, DisclosureFilter(case_id=cid))
    assert total == 2 and {r.basis for r in rows} == {BASIS_VITAL}
    assert rows[0].sections == ["ご本人について"]
    events = review_handoffs.case_timeline(signed, cid)
    assert [e.to_state for e in events] == ["送付", "返送", "送付"]


def test_access_log_by_case_number_answers_who_saw_this_case(signed):
    from kodoku_desk.services.access import get_case_for

    org = make_org(signed)
    with signed.store.write() as s:
        seen = add_case(s, org, "AC-1", datetime(2025, 6, 1, 9))
        other = add_case(s, org, "AC-2", datetime(2025, 6, 1, 9))
    get_case_for(signed, seen)
    get_case_for(signed, seen)
    get_case_for(signed, other)
    rows, total = review_access.access_log(signed, AccessFilter(case_no="AC-1"))
    assert total == 2 and {(r.action_label, r.target_id) for r in rows} == {("ケース閲覧", str(seen))}
    with pytest.raises(UserError, match="AC-9"):
        review_access.access_log(signed, AccessFilter(case_no="AC-9"))


def test_handoff_log_exports_stream_csv_and_cap_pdf(signed, tmp_path, monkeypatch):
    org = make_org(signed)
    made, _ = _random_world(signed, org, seed=2, n_cases=30)
    out = tmp_path / "all.csv"
    assert review.export_handoff_log(signed, HandoffFilter(), out, "csv", today=TODAY) == len(made)
    table = _read_csv(out)
    assert table[0] == review.HANDOFF_CSV_HEADER and len(table) == len(made) + 1
    assert {int(r[0]) for r in table[1:]} == {m.id for m in made}
    monkeypatch.setattr(review, "PDF_LIMIT", 3)
    with pytest.raises(UserError, match="PDF は 3 件まで"):
        review.export_handoff_log(signed, HandoffFilter(), tmp_path / "big.pdf", "pdf")
    assert not (tmp_path / "big.pdf").exists()


def test_plans_awaiting_approval_show_the_request(signed):
    from kodoku_desk.services import plans

    org = make_org(signed)
    with signed.store.write() as s:
        cid = add_case(s, org, "PL-1", datetime(2025, 6, 1, 9))
        other = add_case(s, org, "PL-2", datetime(2025, 6, 1, 9))
    pending = plans.create_plan(signed, cid)
    plans.request_approval(signed, pending, "見守り体制を確認してください")
    plans.create_plan(signed, other)  # not requested: not on the list
    board = review_dashboard.dashboard(signed, today=TODAY)
    (item,) = board.plans
    assert (item.plan_id, item.case_no, item.requested_by) == (pending, "PL-1", "管理 太郎")
    assert "見守り体制を確認してください" in item.note and item.requested_at is not None
    plans.approve(signed, pending, "承認します")
    assert review_dashboard.dashboard(signed, today=TODAY).plans == []


def test_upcoming_meetings_list_parts_and_cases(signed):
    from kodoku_desk.models import AgendaItem, MeetingPart, MeetingSession

    org = make_org(signed)
    with signed.store.write() as s:
        cid = add_case(s, org, "MT-1", datetime(2025, 6, 1, 9))
        cid2 = add_case(s, org, "MT-2", datetime(2025, 6, 1, 9))
        past = MeetingSession(title="先月の会議", held_on=TODAY - timedelta(days=20),
                              created_by=org.admin_id)
        soon = MeetingSession(title="7月の合同会議", held_on=TODAY + timedelta(days=5),
                              start_time="13:30", place="市役所3階", created_by=org.admin_id)
        s.add_all([past, soon])
        s.flush()
        parts = [MeetingPart(session_id=soon.id, seq=1, kind="支援会議"),
                 MeetingPart(session_id=soon.id, seq=2, kind="重層的支援会議")]
        s.add_all(parts)
        s.flush()
        s.add_all([AgendaItem(part_id=parts[0].id, case_id=cid, added_by=org.admin_id),
                   AgendaItem(part_id=parts[1].id, case_id=cid, added_by=org.admin_id),
                   AgendaItem(part_id=parts[1].id, case_id=cid2, added_by=org.admin_id)])
    (item,) = review_dashboard.dashboard(signed, today=TODAY).meetings
    assert (item.title, item.kinds, item.cases) == ("7月の合同会議", ["支援会議", "重層的支援会議"], 2)


def test_pdf_prints_a_missing_glyph_as_geta_not_blank(signed, tmp_path):
    org = make_org(signed)
    with signed.store.write() as s:
        s.get(Agency, org.agencies["自立相談支援機関"]).name = "𠮷田相談室"
        cid = add_case(s, org, "GL-1", datetime(2025, 6, 1, 9))
        add_handoff(s, org, cid, "福祉総務課", "自立相談支援機関", datetime(2025, 6, 2, 9))
    out = tmp_path / "log.pdf"
    review.export_handoff_log(signed, HandoffFilter(), out, "pdf", today=TODAY)
    body = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "〓田相談室" in body


# --------------------------------------------------------------------------- speed (issue 5)


def test_ack_days_kept_in_step_through_the_handoff_service(signed):
    """Handoff.ack_days (days from sending to acknowledgement, for the medians) is written with
    acknowledged_at by services.handoffs, and stays unset for hand-offs never acknowledged."""
    from kodoku_desk.domain.actor import Actor
    from kodoku_desk.services import handoffs

    org = make_org(signed)
    admin.create_staff(signed, "shogai", "障がい 次郎", "障がい福祉課", ["intake"], PW)
    sent_at = datetime(2025, 6, 2, 10)
    with signed.store.write() as s:
        cid = add_case(s, org, "AD-1", datetime(2025, 6, 2, 9))
        worker = Actor.of(s.scalars(select(Staff).where(Staff.login == "worker")).one())
        receiver = Actor.of(s.scalars(select(Staff).where(Staff.login == "shogai")).one())

        def send(hours: int) -> int:
            return handoffs.send_in(s, worker, cid, handoffs.SendInput(
                org.agencies["障がい福祉課"], "障がいの相談", share=["basic"], basis=BASIS_VITAL,
                basis_reason="緊急"), at=sent_at + timedelta(hours=hours)).id

        acked, accepted_then_returned, returned, withdrawn = send(0), send(1), send(2), send(3)
        handoffs.transition_in(s, receiver, acked, "acknowledge",
                               at=sent_at + timedelta(days=2, hours=5, minutes=30))
        handoffs.transition_in(s, receiver, accepted_then_returned, "acknowledge",
                               at=sent_at + timedelta(hours=1, minutes=45))
        handoffs.transition_in(s, receiver, accepted_then_returned, "accept",
                               at=sent_at + timedelta(days=1))
        handoffs.transition_in(s, receiver, accepted_then_returned, "return", "対象外",
                               "自立相談支援機関", at=sent_at + timedelta(days=3))
        handoffs.transition_in(s, receiver, returned, "return", "対象外", "自立相談支援機関",
                               at=sent_at + timedelta(days=1))
        handoffs.transition_in(s, worker, withdrawn, "withdraw", "誤送付",
                               at=sent_at + timedelta(days=1))
    review.review_override(signed, acked, "緊急のため妥当")
    with signed.store.read() as s:
        got = {h.id: h.ack_days for h in s.scalars(select(Handoff).where(Handoff.case_id == cid))}
    assert got == {acked: (2 * 24 + 5.5) / 24, accepted_then_returned: 0.75 / 24,
                   returned: None, withdrawn: None}
    board = review_dashboard.dashboard(signed, today=date(2025, 6, 30))
    expected = round(statistics.median([(2 * 24 + 5.5) / 24, 0.75 / 24]), 1)
    assert [(m.agency, m.median_days, m.acknowledged) for m in board.median_ack] == \
        [("障がい福祉課", expected, 2)]


def test_ack_days_follow_orm_writes_and_the_migration_backfills_them(signed):
    from kodoku_desk.store import migrate

    org = make_org(signed)
    made, _ = _random_world(signed, org, seed=5, n_cases=30)
    expected = {m.id: (m.acknowledged_at - m.sent_at).total_seconds() / 86400
                if m.acknowledged_at else None for m in made}
    with signed.store.read() as s:
        assert dict(s.execute(select(Handoff.id, Handoff.ack_days)).all()) == expected
    engine = signed.store.engine
    migrate.downgrade(engine, "0006_search_index")  # drops the column …
    migrate.upgrade(engine)  # … and the upgrade fills it from acknowledged_at again
    with signed.store.read() as s:
        backfilled = dict(s.execute(select(Handoff.id, Handoff.ack_days)).all())
    assert backfilled.keys() == expected.keys()
    assert all((backfilled[k] is None) == (v is None) for k, v in expected.items())
    assert all(v is None or backfilled[k] == pytest.approx(v, abs=1e-9)
               for k, v in expected.items())


def test_median_is_the_middle_of_each_agency_odd_and_even(signed):
    """ORDER BY … OFFSET picks the middle row (odd count) or the mean of the middle two."""
    org = make_org(signed)
    sent = datetime(2025, 6, 2, 9)
    waits = {"障がい福祉課": [5.0, 1.0, 3.0], "自立相談支援機関": [4.0, 1.0, 2.5, 10.0],
             "こども家庭センター": [0.5]}
    with signed.store.write() as s:
        cid = add_case(s, org, "MD-1", sent)
        for to, days in waits.items():
            for d in days:
                add_handoff(s, org, cid, "福祉総務課", to, sent,
                            (("受理", sent + timedelta(days=d), "", ""),))
        add_handoff(s, org, cid, "福祉総務課", "障がい福祉課", sent)  # never acknowledged
    with signed.store.read() as s:
        got = review_dashboard.median_days_to_acknowledge(s, date(2025, 6, 1), date(2025, 7, 1))
        assert {m.agency: (m.median_days, m.acknowledged) for m in got} == {
            "障がい福祉課": (3.0, 3), "自立相談支援機関": (3.2, 4), "こども家庭センター": (0.5, 1)}
        everything = [d for days in waits.values() for d in days]
        assert review_dashboard.median_overall(s, date(2025, 6, 1), date(2025, 7, 1)) == \
            round(statistics.median(everything), 1)
        assert review_dashboard.median_overall(
            s, date(2025, 6, 1), date(2025, 7, 1), org.agencies["自立相談支援機関"]) == 3.2
        assert review_dashboard.median_overall(s, date(2025, 7, 1), date(2025, 8, 1)) is None


def test_handoff_log_page_is_the_newest_and_total_counts_all_without_deleted_cases(signed):
    org = make_org(signed)
    made, _ = _random_world(signed, org, seed=12, n_cases=50)
    deleted_case = made[0].case_id
    with signed.store.write() as s:
        s.get(Case, deleted_case).deleted = True
    kept = [m for m in made if m.case_id != deleted_case]
    newest = sorted(kept, key=lambda m: (m.sent_at, m.id), reverse=True)
    for flt, keep in ((HandoffFilter(), lambda m: True),
                      (HandoffFilter(overdue=True), lambda m: m.overdue() is not None),
                      (HandoffFilter(returned=True), lambda m: m.returned_at is not None),
                      (HandoffFilter(block_id=org.blocks["北部ブロック"]),
                       lambda m: m.block == "北部ブロック")):
        expected = [m.id for m in newest if keep(m)]
        assert len(expected) > 5
        log = review_handoffs.handoff_log(signed, flt, today=TODAY, limit=5)
        assert [r.id for r in log.rows] == expected[:5]
        assert log.total == len(expected)
        with signed.store.read() as s:
            assert review_handoffs.count_handoffs(s, flt, TODAY) == len(expected)


def test_review_speed_indexes_answer_from_the_index(signed):
    from kodoku_desk.models.indexes_review import REVIEW_COVER_INDEXES, REVIEW_SPEED_INDEXES

    with signed.store.read() as s:
        names = {r[0] for r in s.execute(text("SELECT name FROM sqlite_master WHERE type='index'"))}
        assert {n for n, _, _ in REVIEW_SPEED_INDEXES + REVIEW_COVER_INDEXES} <= names
        assert "ix_cases_deleted" not in names  # it made SQLite read every case for deleted IS 0

        def plan(sql: str) -> str:
            return " ".join(str(r) for r in s.execute(text("EXPLAIN QUERY PLAN " + sql)))

        assert "COVERING INDEX ix_handoffs_to_ack_days" in plan(
            "SELECT ack_days FROM handoffs WHERE to_agency_id = 3 AND ack_days IS NOT NULL "
            "AND sent_at >= '2025-01-01' AND sent_at < '2026-01-01' "
            "ORDER BY ack_days LIMIT 2 OFFSET 10")
        assert "COVERING INDEX ix_handoffs_log" in plan(
            "SELECT id FROM handoffs WHERE state = '受理' "
            "ORDER BY sent_at DESC, id DESC LIMIT 100")
        assert "COVERING INDEX ix_cases_stats_cover (opened_at>? AND opened_at<?)" in plan(
            "SELECT block_id, discovery, person_id FROM cases WHERE opened_at >= '2025-01-01' "
            "AND opened_at < '2026-01-01' AND deleted IS 0")
        assert "COVERING INDEX ix_sheets_received_worries" in plan(
            "SELECT worries FROM sheets WHERE received_at >= '2025-01-01' "
            "AND received_at < '2026-01-01'")
        assert "COVERING INDEX ix_handoffs_overdue" in plan(
            "SELECT id FROM handoffs WHERE state = '送付' AND due_on < '2025-06-30' "
            "AND from_agency_id = 2 ORDER BY sent_at DESC, id DESC LIMIT 100")


def test_logs_page_by_offset_without_gaps_or_repeats(signed):
    """The review views ask page by page: pages put together equal the whole log, and the access
    log (which grows as it is viewed) stays put below the first page's newest entry."""
    org = make_org(signed)
    _random_world(signed, org, seed=5, n_cases=25)
    whole = review_handoffs.handoff_log(signed, HandoffFilter(), today=TODAY, limit=10_000)
    pages = [review_handoffs.handoff_log(signed, HandoffFilter(), today=TODAY, limit=7, offset=o)
             for o in range(0, whole.total, 7)]
    assert [r.id for p in pages for r in p.rows] == [r.id for r in whole.rows]
    assert all(p.total == whole.total for p in pages)

    first, total = review_access.access_log(signed, AccessFilter(), limit=5)
    assert total > 10
    pinned = AccessFilter(upto_id=first[0].id)
    second, _ = review_access.access_log(signed, pinned, limit=5, offset=5)  # viewing logged new rows
    everything, _ = review_access.access_log(signed, pinned, limit=10_000)
    assert [r.id for r in first + second] == [r.id for r in everything[:10]]
    with signed.store.read() as s:
        details = [e.detail for e in s.scalars(select(AuditEntry).where(
            AuditEntry.action == "view_access_log").order_by(AuditEntry.id))]
    assert [json.loads(d)["offset"] for d in details[-3:]] == [0, 5, 0]
