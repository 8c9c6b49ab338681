"""GUI, offscreen (issue 11 part 5): the inbox says which deadline a hand-off missed at every
stage, its filter finds them, 経過を記録 clears 対応中's staleness; the dashboard lists and
counts them per stage. Screenshots of both are saved beside the test's workspace."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from intake_data import as_staff_of, household_8050
from PySide6.QtCore import Qt
from test_overdue_stages import as_login, send
from workspace_templates import open_copy

from kodoku_desk.domain.dates import business_days_between
from kodoku_desk.models import Handoff
from kodoku_desk.services import intake
from kodoku_desk.ui.context import AppContext
from kodoku_desk.ui.ops import Runner
from tests.gui_helpers import wait_runner

pytestmark = pytest.mark.gui

FUKI = "健康推進課「ふきのとう」"
JIRITSU = "自立相談支援機関"


@pytest.fixture
def world(north_template, tmp_path):
    """Relative to the real date (the pages ask about today): at 自立相談支援機関 one hand-off
    stuck in 対応中 for about two months, one stuck in 受理, one just acknowledged, one never
    acknowledged; the 8050 intake's own two hand-offs were sent just now."""
    sender = open_copy(north_template, tmp_path / "ws")
    saved = intake.save_intake(sender, household_8050(sender))
    now = datetime.now().replace(microsecond=0)
    ago = lambda days: now - timedelta(days=days)  # noqa: E731
    made = {
        "in_progress": send(sender, saved, JIRITSU, ago(62),
                            (("acknowledge", ago(61)), ("accept", ago(60)))),
        "in_acknowledged": send(sender, saved, JIRITSU, ago(30), (("acknowledge", ago(29)),)),
        "fresh": send(sender, saved, JIRITSU, ago(1), (("acknowledge", now),)),
        "unacknowledged": send(sender, saved, JIRITSU, ago(20)),
        "fuki": send(sender, saved, FUKI, ago(15), (("acknowledge", ago(14)),)),
    }
    yield sender, made, now
    sender.close()


def _context(signed) -> AppContext:
    return AppContext(signed, Runner())


def _show(qtbot, page, ctx, size=(1280, 720)):
    qtbot.addWidget(page)
    page.resize(*size)
    page.show()
    page.refresh()
    wait_runner(qtbot, ctx.runner)
    return page


def test_inbox_shows_the_missed_deadline_of_every_stage(qtbot, world, tmp_path):
    from kodoku_desk.ui.pages.handoffs import InboxPage

    sender, made, now = world
    ctx = _context(as_staff_of(sender, JIRITSU))
    page = _show(qtbot, InboxPage(ctx), ctx)
    headers = [page.model.headerData(i, Qt.Orientation.Horizontal)
               for i in range(page.model.columnCount())]
    assert headers[0] == "期限超過" and "期限" in headers
    # 未受理: the one sent 20 days ago is past its 受理期限; the 8050 one, sent now, is not.
    labels = {r.id: page.model.index(i, 0).data() for i, r in enumerate(page.model.rows)}
    assert labels[made["unacknowledged"]] == "受理期限超過"
    assert sorted(labels.values()) == ["", "受理期限超過"]
    assert "期限超過 3件" in page.summary.text()
    assert "受理期限 1・対応開始期限 1・更新期限 1" in page.summary.text()

    page.select_bucket("対応中")
    wait_runner(qtbot, ctx.runner)
    rows = {r.id: i for i, r in enumerate(page.model.rows)}
    assert set(rows) == {made["in_progress"], made["in_acknowledged"], made["fresh"]}
    with sender.store.read() as s:
        started = s.get(Handoff, made["in_progress"]).stage_started_at
    idle = business_days_between(started.date(), now.date())
    assert page.model.index(rows[made["in_progress"]], 0).data() == f"更新なし {idle}営業日"
    assert page.model.index(rows[made["in_acknowledged"]], 0).data() == "対応開始期限超過"
    assert page.model.index(rows[made["fresh"]], 0).data() == ""
    page.table.selectRow(rows[made["in_acknowledged"]])
    assert "対応開始期限超過" in page.details.toPlainText()
    assert "対応開始期限" in page.details.toPlainText()
    assert not page.progress_button.isEnabled()  # 経過 only while 対応中
    page.table.selectRow(rows[made["in_progress"]])
    assert page.progress_button.isEnabled()
    qtbot.wait(50)
    page.grab().save(str(tmp_path / "inbox_overdue_stages.png"))

    # The filter keeps the two stuck ones of this tab.
    page.overdue_only.setChecked(True)
    wait_runner(qtbot, ctx.runner)
    assert {r.id for r in page.model.rows} == {made["in_progress"], made["in_acknowledged"]}
    page.overdue_only.setChecked(False)
    wait_runner(qtbot, ctx.runner)

    # 経過を記録 (the dialog's text, given straight): an event, so no longer stale.
    page.select_handoff(made["in_progress"])
    page.record_progress("家計の見直しを継続中。次回面談は来週。")
    wait_runner(qtbot, ctx.runner)
    rows = {r.id: r for r in page.model.rows}
    assert not rows[made["in_progress"]].overdue
    assert rows[made["in_progress"]].last_note == "家計の見直しを継続中。次回面談は来週。"
    assert "期限超過 2件（受理期限 1・対応開始期限 1）" in page.summary.text()
    ctx.runner.wait_idle()


def test_outbox_filter_covers_every_stage(qtbot, world):
    from kodoku_desk.ui.pages.handoffs import OutboxPage

    sender, made, _ = world
    ctx = _context(sender)
    page = _show(qtbot, OutboxPage(ctx), ctx)
    page.overdue_only.setChecked(True)
    wait_runner(qtbot, ctx.runner)
    stuck = {made[k] for k in ("in_progress", "in_acknowledged", "unacknowledged", "fuki")}
    assert {r.id for r in page.model.rows} == stuck
    assert "期限超過 4件" in page.summary.text()
    ctx.runner.wait_idle()


def test_dashboard_lists_every_stage(qtbot, world, tmp_path):
    from kodoku_desk.ui.pages.review_dashboard import DashboardPage

    sender, made, now = world
    ctx = _context(as_login(sender, "admin"))
    page = _show(qtbot, DashboardPage(ctx), ctx, size=(1280, 760))
    assert page.tiles["overdue"].text() == "4"
    assert page.overdue_stages.text() == "受理期限 1・対応開始期限 2・更新期限 1"
    with sender.store.read() as s:
        started = s.get(Handoff, made["in_progress"]).stage_started_at
    idle = business_days_between(started.date(), now.date())
    # The oldest deadline first: 20 business days after the last event two months ago, then
    # 5 after the acknowledgement 29 days ago, 3 after sending 20 days ago, 5 after 14 days ago.
    assert [(page.overdue_table.text(i, 3), page.overdue_table.text(i, 4)) for i in range(4)] == [
        ("対応中", f"更新なし {idle}営業日"), ("受理", "対応開始期限超過"), ("送付", "受理期限超過"),
        ("受理", "対応開始期限超過")]
    assert page.overdue_table.text(3, 2) == FUKI
    qtbot.wait(50)  # let the event loop lay out the new texts, as the app's loop would
    page.grab().save(str(tmp_path / "dashboard_overdue_stages.png"))
    ctx.runner.wait_idle()


def test_the_settings_page_edits_the_stage_limits(qtbot, world, tmp_path):
    from kodoku_desk.services import admin
    from kodoku_desk.services.handoffs import stage_limits
    from kodoku_desk.ui.pages.admin import SettingsPage

    sender, made, _ = world
    boss = as_login(sender, "admin")
    ctx = _context(boss)
    page = _show(qtbot, SettingsPage(ctx), ctx, size=(900, 520))
    assert set(page.spins) == set(admin.SETTING_DEFAULTS)
    assert page.spins["start_business_days"].value() == 5
    assert page.spins["update_business_days"].value() == 20
    page.spins["update_business_days"].setValue(90)
    page.save()
    wait_runner(qtbot, ctx.runner)
    assert page.message.text() == "保存しました。"
    with sender.store.read() as s:
        assert stage_limits(s).update == 90
    # At once: the two-month-old 対応中 hand-off is no longer past its 更新期限.
    from kodoku_desk.queries.boxes import inbox_data

    data = inbox_data(as_staff_of(sender, JIRITSU), bucket="対応中", overdue_only=True)
    assert {r.id for r in data.rows} == {made["in_acknowledged"]}
    qtbot.wait(50)
    page.grab().save(str(tmp_path / "settings_stage_limits.png"))
    ctx.runner.wait_idle()
