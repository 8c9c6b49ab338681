"""Issue 6 GUI: the plan screen offscreen against a real workspace — draft from a case, edit,
save twice (two new versions), compare versions, request approval, approve as a supervisor."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodoku_desk.services import plans
from kodoku_desk.ui.context import AppContext
from kodoku_desk.ui.ops import Runner
from kodoku_desk.ui.pages.plans import PlansPage
from tests.gui_helpers import type_text, wait_runner
from tests.meetings_data import YAMADA, make_case, setup_org
from tests.test_plans import as_user

pytestmark = pytest.mark.gui
SHOTS = Path("/tmp/shots-meetings")


def _page(qtbot, signed) -> PlansPage:
    page = PlansPage(AppContext(signed, Runner()))
    qtbot.addWidget(page)
    page.resize(1280, 860)
    page.show()
    return page


def _shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.grab().save(str(SHOTS / name))


def test_edit_save_twice_compare_request_and_approve(qtbot, signed):
    setup_org(signed)
    case_id = make_case(signed, YAMADA, 1)
    coord = as_user(signed, "coord")
    page = _page(qtbot, coord)
    page.create_for_case(case_id)
    wait_runner(qtbot, page.ctx.runner)
    qtbot.waitUntil(lambda: page.view is not None and page.list_model.rowCount() == 1)
    assert page.view.version == 1 and "山田" in page.header.text()
    assert page.editor.person_wish.toPlainText()  # drafted from the sheet's wishes
    _shot(page, "plans_content.png")

    type_text(page.editor.long_term_goal, "母の介護を続けながら就労する")
    page.editor.roles.add_row({"what": "家計相談", "agency": "自立相談支援機関", "person": "相談員",
                               "frequency": "月1回", "period": "6か月"})
    page.save()
    wait_runner(qtbot, page.ctx.runner)
    qtbot.waitUntil(lambda: page.view.version == 2)
    assert not page.save_error.isVisible()

    page.editor.short_term_goals.setPlainText("デイサービスの利用を始める")
    page.editor.monitoring_on.setText("令和7年9月1日")
    page.save()
    wait_runner(qtbot, page.ctx.runner)
    qtbot.waitUntil(lambda: page.view.version == 3)

    # saving unchanged content is refused at the button, not silently versioned
    page.save()
    wait_runner(qtbot, page.ctx.runner)
    qtbot.waitUntil(lambda: page.save_error.text() != "")
    assert "変更がない" in page.save_error.text() and page.view.version == 3

    page.tabs.setCurrentIndex(1)
    page.versions_view.selectRow(2)
    page.compare_selected()
    wait_runner(qtbot, page.ctx.runner)
    qtbot.waitUntil(lambda: page.diff_table.rowCount() > 0)
    labels = {page.diff_table.item(r, 0).text() for r in range(page.diff_table.rowCount())}
    assert labels == {"短期目標", "モニタリング・評価予定日"}
    row = [r for r in range(page.diff_table.rowCount())
           if page.diff_table.item(r, 0).text() == "短期目標"][0]
    assert page.diff_table.item(row, 2).text() == "デイサービスの利用を始める"
    assert page.diff_table.horizontalHeaderItem(1).text() == "第2版"
    _shot(page, "plans_history.png")

    page.tabs.setCurrentIndex(2)
    assert not page.approve_button.isEnabled()  # a coordinator cannot approve
    page.request_button.click()
    wait_runner(qtbot, page.ctx.runner)
    qtbot.waitUntil(lambda: page.view.approval == plans.APPROVAL_PENDING)
    assert not page.request_button.isEnabled()
    _shot(page, "plans_status.png")

    boss = _page(qtbot, as_user(signed, "super"))
    boss.refresh()
    wait_runner(qtbot, boss.ctx.runner)
    qtbot.waitUntil(lambda: boss.list_model.rowCount() == 1)
    boss.approval_filter.setCurrentText("申請中")
    assert boss.list_model.rowCount() == 1
    boss.open_plan(boss.list_model.row_at(0).id)
    wait_runner(qtbot, boss.ctx.runner)
    qtbot.waitUntil(lambda: boss.view is not None)
    assert boss.approve_button.isEnabled() and boss.return_button.isEnabled()
    boss.approve_button.click()
    wait_runner(qtbot, boss.ctx.runner)
    qtbot.waitUntil(lambda: boss.view.approval == plans.APPROVAL_OK)
    assert [e.kind for e in boss.view.events][-2:] == ["承認申請", "承認"]

    # now the plan may move on to 実施中 and be evaluated
    boss.tabs.setCurrentIndex(2)
    boss.next_status.setCurrentText("会議提出")
    boss.change_status()
    wait_runner(qtbot, boss.ctx.runner)
    qtbot.waitUntil(lambda: boss.view.status == "会議提出")
    boss.next_status.setCurrentText("合意")
    boss.change_status()
    wait_runner(qtbot, boss.ctx.runner)
    qtbot.waitUntil(lambda: boss.view.status == "合意")
    boss.next_status.setCurrentText("実施中")
    boss.change_status()
    wait_runner(qtbot, boss.ctx.runner)
    qtbot.waitUntil(lambda: boss.view.status == "実施中")
    boss.tabs.setCurrentIndex(3)
    assert boss.eval_progress.table.rowCount() == 2  # long-term goal and one short-term goal
    boss.eval_progress.table.item(0, 1).setText("週2日の就労を開始")
    boss.eval_direction.setPlainText("役割分担を継続する")
    boss.add_evaluation()
    wait_runner(qtbot, boss.ctx.runner)
    qtbot.waitUntil(lambda: boss.view.status == "評価" and boss.evals_model.rowCount() == 1)
    _shot(boss, "plans_evaluation.png")


def test_return_needs_a_comment_shown_at_the_buttons(qtbot, signed):
    setup_org(signed)
    case_id = make_case(signed, YAMADA, 1)
    plan_id = plans.create_plan(signed, case_id)
    plans.request_approval(signed, plan_id)
    page = _page(qtbot, as_user(signed, "super"))
    page.open_plan(plan_id)
    wait_runner(qtbot, page.ctx.runner)
    qtbot.waitUntil(lambda: page.view is not None)
    page.return_button.click()
    wait_runner(qtbot, page.ctx.runner)
    qtbot.waitUntil(lambda: page.status_error.text() != "")
    assert "理由" in page.status_error.text()
    type_text(page.comment, "役割分担の頻度を具体的に")
    page.return_button.click()
    wait_runner(qtbot, page.ctx.runner)
    qtbot.waitUntil(lambda: page.view.approval == plans.APPROVAL_RETURNED)
    assert "差し戻されています" in page.state_label.text()
