"""Overdue at every stage (issue 11 part 5): a hand-off stuck in 受理 past its 対応開始期限, or in
対応中 without an event past its 更新期限, is overdue like one still 送付 past its 受理期限 — in the
inbox and outbox (their filter and the column saying which deadline), the dashboard, the
hand-off log, the statistics report and `handoff list --overdue`; an event clears 対応中's
staleness; the two later limits are settings that apply at once; migration 0011 fills the
stage's start from the events; the counts are index ranges.

The hand-offs are sent and answered through services.handoffs with past times (`at`), on the
8050 case of tests/intake_data.py (u01 of 北部地域包括支援センター sends to ふきのとう and
自立相談支援機関)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from intake_data import agency_id, as_staff_of, household_8050
from sqlalchemy import select, text
from workspace_templates import open_copy

from kodoku_desk.domain import handoff as rules
from kodoku_desk.domain.actor import Actor
from kodoku_desk.domain.dates import add_business_days, business_days_between
from kodoku_desk.errors import AccessDenied, UserError
from kodoku_desk.models import Handoff, Staff
from kodoku_desk.models.handoffs import ACCEPTED, ACKNOWLEDGED, SENT
from kodoku_desk.queries import boxes, dashboard, review_handoffs, stats
from kodoku_desk.queries.review_handoffs import HandoffFilter
from kodoku_desk.services import admin, handoffs, history_chain, intake, uow
from kodoku_desk.services.auth import Signed

FUKI = "健康推進課「ふきのとう」"
JIRITSU = "自立相談支援機関"
TODAY = date(2025, 6, 30)  # a Monday


@pytest.fixture
def sender(north_template, tmp_path):
    s = open_copy(north_template, tmp_path / "ws")  # u01, 北部地域包括支援センター
    yield s
    s.close()


@pytest.fixture
def saved(sender):
    return intake.save_intake(sender, household_8050(sender))


def as_login(signed: Signed, login: str) -> Signed:
    with signed.store.read() as s:
        staff = s.scalar(select(Staff).where(Staff.login == login))
        s.refresh(staff, ["agency"])
        return Signed(signed.store, Actor.of(staff))


def send(sender: Signed, saved, to: str, sent_at: datetime,
         steps: tuple[tuple[str, datetime], ...] = ()) -> int:
    """A hand-off sent at `sent_at`, then answered by the receiver at the given times."""
    with uow.write(sender) as s:
        h = handoffs.send_in(s, sender.actor, saved.case_id,
                             handoffs.SendInput(agency_id(sender, to), "相談のため",
                                                share=["basic"]),
                             sheet_id=saved.sheet_id, at=sent_at)
        handoff_id = h.id
    receiver = as_staff_of(sender, to)
    for action, at in steps:
        with uow.write(receiver) as s:
            handoffs.transition_in(s, receiver.actor, handoff_id, action, at=at)
    return handoff_id


@dataclass
class Stuck:
    in_acknowledged: int  # ふきのとう: acknowledged 3 June, never started
    in_progress: int  # 自立相談支援機関: started 7 May, nothing since
    fresh: int  # 自立相談支援機関: started today
    unacknowledged: int  # ふきのとう: sent 20 June, still 送付


@pytest.fixture
def stuck(sender, saved) -> Stuck:
    return Stuck(
        send(sender, saved, FUKI, datetime(2025, 6, 2, 10),
             (("acknowledge", datetime(2025, 6, 3, 9)),)),
        send(sender, saved, JIRITSU, datetime(2025, 5, 1, 10),
             (("acknowledge", datetime(2025, 5, 2, 9)), ("accept", datetime(2025, 5, 7, 15)))),
        send(sender, saved, JIRITSU, datetime(2025, 6, 27, 10),
             (("acknowledge", datetime(2025, 6, 27, 11)), ("accept", datetime(2025, 6, 30, 9)))),
        send(sender, saved, FUKI, datetime(2025, 6, 20, 10)),
    )


def expected(stuck: Stuck) -> dict[int, tuple[str, date, str]]:
    """(stage, deadline, label) of each overdue hand-off on TODAY with the default settings."""
    progress_since = date(2025, 5, 7)
    return {
        stuck.in_acknowledged: (ACKNOWLEDGED, add_business_days(date(2025, 6, 3), 5),
                                "対応開始期限超過"),
        stuck.in_progress: (ACCEPTED, add_business_days(progress_since, 20),
                            f"更新なし {business_days_between(progress_since, TODAY)}営業日"),
        stuck.unacknowledged: (SENT, add_business_days(date(2025, 6, 20), 3), "受理期限超過"),
    }


def test_inbox_and_outbox_show_which_deadline_was_missed(sender, saved, stuck):
    want = expected(stuck)
    fuki = as_staff_of(sender, FUKI)
    data = boxes.inbox_data(fuki, bucket=None, overdue_only=True, today=TODAY)
    assert {r.id: (r.state, r.deadline, r.overdue_label) for r in data.rows} == {
        k: v for k, v in want.items() if k in (stuck.in_acknowledged, stuck.unacknowledged)}
    assert data.overdue == 2 and data.overdue_by_stage == {SENT: 1, ACKNOWLEDGED: 1, ACCEPTED: 0}
    # The 対応中 tab holds 受理 and 対応中: the filter finds the stuck 受理 one there.
    (row,) = boxes.inbox_data(fuki, bucket="対応中", overdue_only=True, today=TODAY).rows
    assert row.id == stuck.in_acknowledged and row.overdue

    jiritsu = as_staff_of(sender, JIRITSU)
    data = boxes.inbox_data(jiritsu, bucket="対応中", today=TODAY)
    rows = {r.id: r for r in data.rows}
    assert rows[stuck.in_progress].overdue_label == want[stuck.in_progress][2]
    assert not rows[stuck.fresh].overdue and rows[stuck.fresh].overdue_label == ""
    assert rows[stuck.fresh].deadline == add_business_days(TODAY, 20)
    assert data.overdue_by_stage == {SENT: 0, ACKNOWLEDGED: 0, ACCEPTED: 1}

    out = boxes.outbox_data(sender, overdue_only=True, today=TODAY)
    assert {r.id: (r.state, r.deadline, r.overdue_label) for r in out.rows} == want
    assert out.overdue == 3
    everything = boxes.outbox_data(sender, today=TODAY)
    assert {r.id for r in everything.rows if r.overdue} == set(want)


def test_dashboard_lists_and_counts_every_stage(sender, saved, stuck):
    boss = as_login(sender, "admin")
    board = dashboard.dashboard(boss, today=TODAY)
    want = expected(stuck)
    assert board.overdue_by_stage == {SENT: 1, ACKNOWLEDGED: 1, ACCEPTED: 1}
    assert board.overdue_total == 3
    # The longest overdue first: by the deadline each missed.
    assert [i.handoff_id for i in board.overdue] == sorted(want, key=lambda k: want[k][1])
    for item in board.overdue:
        stage, deadline, label = want[item.handoff_id]
        assert (item.state, item.deadline, item.overdue_label) == (stage, deadline, label)
        assert item.overdue_days == business_days_between(deadline, TODAY)


def test_the_hand_off_log_filter_and_the_report_count_every_stage(sender, saved, stuck):
    boss = as_login(sender, "admin")
    want = expected(stuck)
    log = review_handoffs.handoff_log(boss, HandoffFilter(overdue=True), today=TODAY)
    assert {r.id: (r.state, r.overdue_label) for r in log.rows} == \
        {k: (v[0], v[2]) for k, v in want.items()}
    assert log.total == 3
    only = review_handoffs.handoff_log(boss, HandoffFilter(overdue=True, state=ACCEPTED),
                                       today=TODAY)
    assert [r.id for r in only.rows] == [stuck.in_progress]

    r = stats.report(boss, date(2025, 4, 1), TODAY, today=TODAY)
    assert r.overdue_now == {SENT: 1, ACKNOWLEDGED: 1, ACCEPTED: 1} and r.overdue_on == TODAY
    # Only what was sent in the period: the stuck 対応中 one was sent on 1 May.
    june = stats.report(boss, date(2025, 6, 1), TODAY, today=TODAY)
    assert june.overdue_now == {SENT: 1, ACKNOWLEDGED: 1, ACCEPTED: 0}
    # Per receiving (or sending) agency.
    fuki = stats.report(boss, date(2025, 4, 1), TODAY, agency=FUKI, today=TODAY)
    assert fuki.overdue_now == {SENT: 1, ACKNOWLEDGED: 1, ACCEPTED: 0}
    header, rows = stats.csv_rows(r)
    stage_rows = {row[1]: row[2] for row in rows if row[0].startswith("期限超過中")}
    assert stage_rows == {"受理期限": 1, "対応開始期限": 1, "更新期限": 1, "合計": 3}


def test_the_report_csv_and_pdf_carry_the_counts_per_stage(sender, saved, stuck, tmp_path):
    import shutil
    import subprocess

    boss = as_login(sender, "admin")
    path = tmp_path / "report.csv"
    stats.export_report(boss, date(2025, 4, 1), TODAY, "csv", path, today=TODAY)
    table = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    assert ["期限超過中（2025-06-30現在）", "対応開始期限", "1"] in table
    assert ["期限超過中（2025-06-30現在）", "更新期限", "1"] in table
    if shutil.which("pdftotext") is None:
        return
    pdf = tmp_path / "report.pdf"
    stats.export_report(boss, date(2025, 4, 1), TODAY, "pdf", pdf, today=TODAY)
    body = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = "".join(body.split())
    assert "期限超過中のつなぎ（令和7年6月30日現在）" in flat
    assert "受理期限1件" in flat and "対応開始期限1件" in flat and "更新期限1件" in flat
    assert "合計3件" in flat


def test_an_event_clears_the_staleness_of_work_in_progress(sender, saved, stuck):
    jiritsu = as_staff_of(sender, JIRITSU)

    def overdue_ids(today: date = TODAY) -> set[int]:
        with sender.store.read() as s:
            return {r.id for r in handoffs.inbox(s, jiritsu.actor.agency_id, overdue_only=True,
                                                 today=today)}

    assert overdue_ids() == {stuck.in_progress}
    # The receiver writes how the work goes: an event, the state unchanged.
    with uow.write(jiritsu) as s:
        handoffs.record_progress_in(s, jiritsu.actor, stuck.in_progress, "家計の見直しを継続中",
                                    at=datetime(2025, 6, 27, 14))
    assert overdue_ids() == set()
    with sender.store.read() as s:
        h = s.get(Handoff, stuck.in_progress)
        assert h.state == ACCEPTED and h.stage_started_at == datetime(2025, 6, 27, 14)
        assert handoffs.derived_state(s, h.id) == ACCEPTED
        (row,) = [r for r in handoffs.inbox(s, h.to_agency_id, today=TODAY) if r.id == h.id]
        assert row.deadline == add_business_days(date(2025, 6, 27), 20)
    # Stale again after 20 business days without another event (the fresh one, started the
    # next business day, has its deadline on that day: still in time).
    assert overdue_ids(add_business_days(date(2025, 6, 27), 20)) == set()
    assert overdue_ids(add_business_days(date(2025, 6, 27), 21)) == {stuck.in_progress}
    # Through the service as the GUI calls it (today's time): in time again.
    handoffs.record_progress(jiritsu, stuck.fresh, "面談日を調整中")
    with sender.store.read() as s:  # a progress note is history: linked into the chain
        assert history_chain.verify(s).ok

    # The sender's 追加提供 while 対応中 is an event too; before that, while 受理, it is not an
    # answer and the 対応開始期限 still counts from the acknowledgement.
    with uow.write(sender) as s:
        handoffs.add_share_in(s, sender.actor, stuck.in_acknowledged, ["worries"],
                              at=datetime(2025, 6, 29, 10))
        assert s.get(Handoff, stuck.in_acknowledged).stage_started_at == datetime(2025, 6, 3, 9)


def test_only_the_receiver_writes_progress_and_only_while_in_progress(sender, saved, stuck):
    with pytest.raises(AccessDenied, match="受けた機関"):
        handoffs.record_progress(sender, stuck.in_progress, "確認しました")
    with pytest.raises(UserError, match="対応中"):
        handoffs.record_progress(as_staff_of(sender, FUKI), stuck.in_acknowledged, "確認")
    with pytest.raises(UserError, match="経過の内容"):
        handoffs.record_progress(as_staff_of(sender, JIRITSU), stuck.in_progress, "  ")


def test_changed_limits_take_effect(sender, saved, stuck):
    admin_signed = as_login(sender, "admin")

    def stages() -> dict[int, str]:
        out = boxes.outbox_data(sender, overdue_only=True, today=TODAY)
        return {r.id: r.state for r in out.rows}

    assert set(stages()) == {stuck.in_acknowledged, stuck.in_progress, stuck.unacknowledged}
    # The two later limits apply at once, to hand-offs already in the stage.
    admin.set_setting(admin_signed, "start_business_days", 30)
    admin.set_setting(admin_signed, "update_business_days", 60)
    assert set(stages()) == {stuck.unacknowledged}
    admin.set_setting(admin_signed, "start_business_days", 1)
    admin.set_setting(admin_signed, "update_business_days", 1)
    assert set(stages()) == {stuck.in_acknowledged, stuck.in_progress, stuck.unacknowledged}
    # Today's fresh one (started this morning) is in time on its first day, late the day after.
    out = boxes.outbox_data(sender, overdue_only=True, today=add_business_days(TODAY, 2))
    assert stuck.fresh in {r.id for r in out.rows}
    # The 受理期限 is fixed when a hand-off is sent: a change applies to new hand-offs only.
    with sender.store.read() as s:
        due_before = s.get(Handoff, stuck.unacknowledged).due_on
    admin.set_setting(admin_signed, "overdue_business_days", 10)
    with sender.store.read() as s:
        assert s.get(Handoff, stuck.unacknowledged).due_on == due_before
    newer = send(sender, saved, FUKI, datetime(2025, 6, 30, 9))
    with sender.store.read() as s:
        assert s.get(Handoff, newer).due_on == add_business_days(TODAY, 10)
    assert admin.settings(admin_signed)["update_business_days"] == 1
    assert set(admin.SETTING_DEFAULTS) >= {stage.setting for stage in rules.STAGES.values()}


def test_handoff_list_overdue_on_the_command_line(sender, saved, monkeypatch, capsys):
    """The CLI asks about today: a hand-off stuck since weeks ago, relative to the real date."""
    from kodoku_desk.cli import main
    from kodoku_devtools.demo import DEMO_PASSWORD

    now = datetime.now().replace(microsecond=0)
    stuck_ack = send(sender, saved, FUKI, now - timedelta(days=40),
                     (("acknowledge", now - timedelta(days=39)),))
    fresh = send(sender, saved, FUKI, now - timedelta(hours=1),
                 (("acknowledge", now - timedelta(minutes=30)),))
    fuki_login = as_staff_of(sender, FUKI).actor.login
    folder = sender.folder
    sender.close()
    monkeypatch.setenv("KODOKU_PASSWORD", DEMO_PASSWORD)
    rc = main(["handoff", "list", "--workspace", str(folder), "--user", fuki_login, "--overdue",
               "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert [(r["id"], r["overdue_label"]) for r in out] == [(stuck_ack, "対応開始期限超過")]
    assert fresh not in {r["id"] for r in out}
    rc = main(["handoff", "list", "--workspace", str(folder), "--user", fuki_login])
    table = capsys.readouterr().out
    assert rc == 0 and "対応開始期限超過" in table and "いまの期限" in table


def test_migration_0011_fills_the_stage_start_from_the_events(sender, saved, stuck):
    from kodoku_desk.store import migrate

    with uow.write(as_staff_of(sender, JIRITSU)) as s:
        handoffs.record_progress_in(s, as_staff_of(sender, JIRITSU).actor, stuck.in_progress,
                                    "継続中", at=datetime(2025, 6, 2, 11))
    with uow.write(sender) as s:  # not an answer: the 受理 stage keeps its start
        handoffs.add_share_in(s, sender.actor, stuck.in_acknowledged, ["worries"],
                              at=datetime(2025, 6, 29, 10))
    with sender.store.read() as s:
        kept = {h.id: h.stage_started_at for h in s.scalars(select(Handoff))}
    assert kept[stuck.in_progress] == datetime(2025, 6, 2, 11)
    assert kept[stuck.in_acknowledged] == datetime(2025, 6, 3, 9)
    engine = sender.store.engine
    migrate.downgrade(engine, "0010_history_chain")
    with engine.connect() as conn:
        columns = {r[1] for r in conn.execute(text("PRAGMA table_info(handoffs)"))}
    assert "stage_started_at" not in columns
    migrate.upgrade(engine)
    with sender.store.read() as s:
        s.expire_all()
        assert {h.id: h.stage_started_at for h in s.scalars(select(Handoff))} == kept


def test_stage_counts_are_index_ranges(sender, saved, stuck):
    """The inbox counts and the dashboard's counts per stage read one index range each."""
    with sender.store.read() as s:
        limits = handoffs.stage_limits(s)

        def plan(q) -> str:
            compiled = q.compile(s.get_bind(), compile_kwargs={"literal_binds": True})
            return " ".join(str(r) for r in s.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))

        from sqlalchemy import func

        for state in (ACKNOWLEDGED, ACCEPTED):
            clause = handoffs.stage_overdue_clause(state, limits, TODAY)
            per_agency = select(func.count()).select_from(Handoff).where(
                clause, Handoff.to_agency_id == 3)
            assert "COVERING INDEX ix_handoffs_to_state_stage (to_agency_id=? AND state=? " \
                "AND stage_started_at<?)" in plan(per_agency)
            overall = select(func.count()).select_from(Handoff).where(clause)
            assert "COVERING INDEX ix_handoffs_stage_overdue (state=? AND stage_started_at<?)" \
                in plan(overall)
        sent = handoffs.stage_overdue_clause(SENT, limits, TODAY)
        assert "COVERING INDEX ix_handoffs_to_state_due (to_agency_id=? AND state=? AND due_on<?)" \
            in plan(select(func.count()).select_from(Handoff).where(sent, Handoff.to_agency_id == 3))
