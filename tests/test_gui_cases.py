"""GUI: case list → search → open the case → timeline; the receiving agency's view; the inbox
counts and an acknowledge through the widget; a stale answer gets the conflict sentence."""

from __future__ import annotations

import cases_data
import pytest
from cases_data import FUKI
from gui_helpers import type_text, wait_runner
from PySide6.QtCore import Qt

from kodoku_desk.services import handoffs
from kodoku_desk.ui.context import AppContext
from kodoku_desk.ui.ops import Runner

# The shared fixtures (an organisation, two saved intakes).
world = cases_data.world


@pytest.fixture
def make_ctx(qtbot):
    made = []

    def make(signed) -> AppContext:
        runner = Runner()
        made.append(runner)
        return AppContext(signed, runner)

    yield make
    for runner in made:
        runner.wait_idle()


def _fuki_handoff_id(world) -> int:
    with world.north.store.read() as s:
        rows = handoffs.handoffs_for_case(s, world.case_8050.case_id)
    return next(r.id for r in rows if r.to_agency == FUKI)


def test_list_search_open_case_shows_timeline(qtbot, world, make_ctx):
    from kodoku_desk.ui.pages.cases import CaseListPage

    ctx = make_ctx(world.north)
    page = CaseListPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 760)
    page.show()
    page.refresh()
    wait_runner(qtbot, ctx.runner)
    assert [r.case_no for r in page.model.rows] == [world.case_8050.case_no]
    assert page.agency_box.count() > 1  # filter choices loaded

    type_text(page.query_edit, "ﾌｸﾔﾏ")
    qtbot.waitUntil(lambda: page.status_label.text().startswith("全 1 件"), timeout=5000)
    page.query_edit.clear()
    type_text(page.query_edit, "やまだはなこ")  # another agency's case: not found
    qtbot.waitUntil(lambda: "ありません" in page.status_label.text(), timeout=5000)
    page.clear_filters()
    wait_runner(qtbot, ctx.runner)

    index = page.model.index(0, 2)
    rect = page.table.visualRect(index)
    # A double click as Qt sees one: press/release, then the double-click event.
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    wait_runner(qtbot, ctx.runner)
    view = page.case_view
    assert page.stack.currentWidget() is page.view_panel
    assert "福山 トメ" in view.title.text()
    assert view.multi_badge.isVisibleTo(page) and not view.urgent_badge.isVisibleTo(page)
    assert len(view.timeline_model.rows) == 2
    assert view.timeline_model.index(0, 2).data() == "送付"
    assert "要介護2" in view.sheet_text.toPlainText()
    assert view.household_model.rowCount() == 1
    page.show_list()
    wait_runner(qtbot, ctx.runner)
    assert page.stack.currentWidget() is page.list_panel


def test_receiving_agency_view_hides_unshared_sections(qtbot, world, make_ctx):
    from kodoku_desk.ui.pages.cases import CaseListPage

    ctx = make_ctx(world.staff_of(FUKI))
    page = CaseListPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.open_case(world.case_8050.case_id)
    wait_runner(qtbot, ctx.runner)
    view = page.case_view
    assert view.notice.isVisibleTo(page) and "提供を受けた内容" in view.notice.text()
    text = view.sheet_text.toPlainText()
    assert "要介護2" not in text and "8050世帯" not in text and "提供されていない項目" in text
    assert view.consent_model.rowCount() == 0

    page.open_case(world.case_south.case_id)  # never handed to ふきのとう
    wait_runner(qtbot, ctx.runner)
    assert "権限がありません" in view.message.text()


def test_inbox_counts_and_acknowledge(qtbot, world, make_ctx):
    from kodoku_desk.ui.pages.handoffs import InboxPage, OutboxPage

    fuki = world.staff_of(FUKI)
    ctx = make_ctx(fuki)
    inbox = InboxPage(ctx)
    qtbot.addWidget(inbox)
    inbox.resize(1200, 700)
    inbox.show()
    inbox.refresh()
    wait_runner(qtbot, ctx.runner)
    assert inbox.tab_counts() == {"未受理": "未受理（1）", "対応中": "対応中（0）",
                                  "返送": "返送（0）", "完了": "完了（0）"}
    inbox.table.selectRow(0)
    assert inbox.ack_button.isEnabled() and not inbox.done_button.isEnabled()
    qtbot.mouseClick(inbox.ack_button, Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    assert inbox.tab_counts()["対応中"] == "対応中（1）"
    assert inbox.tab_counts()["未受理"] == "未受理（0）"
    with world.north.store.read() as s:
        row = handoffs.get_row(s, _fuki_handoff_id(world))
    assert row.state == "受理"

    # The sender's outbox shows the answer.
    octx = make_ctx(world.north)
    outbox = OutboxPage(octx)
    qtbot.addWidget(outbox)
    outbox.show()
    outbox.refresh()
    wait_runner(qtbot, octx.runner)
    states = {r.to_agency: r.state for r in outbox.model.rows}
    assert states[FUKI] == "受理"
    assert outbox.tab_counts()["すべて"] == "すべて（2）"


def test_stale_answer_gets_the_conflict_sentence(qtbot, world, make_ctx):
    from kodoku_desk.ui.pages.handoffs import InboxPage

    fuki = world.staff_of(FUKI)
    ctx = make_ctx(fuki)
    inbox = InboxPage(ctx)
    qtbot.addWidget(inbox)
    inbox.show()
    inbox.refresh()
    wait_runner(qtbot, ctx.runner)
    inbox.table.selectRow(0)
    handoffs.transition(fuki, _fuki_handoff_id(world), "acknowledge")  # the other window
    qtbot.mouseClick(inbox.ack_button, Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    assert "別の画面で先に更新" in inbox.message.text()
    assert inbox.tab_counts()["対応中"] == "対応中（1）"
    with world.north.store.read() as s:
        events = handoffs.events(s, [_fuki_handoff_id(world)])
    assert [e.to_state for e in events] == ["送付", "受理"]  # no lost or doubled event
