"""Issue 4 GUI: the supervisor pages, offscreen, against a real workspace. Work goes through the
runner; results and errors appear on the page; exports go where the (stubbed) dialog says."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select, text

from kodoku_desk.domain.changes import Change
from kodoku_desk.models import AuditEntry, Disclosure, OverrideReview
from kodoku_desk.queries import stats
from kodoku_desk.ui.context import AppContext
from kodoku_desk.ui.ops import Runner
from kodoku_desk.ui.pages.review_access import AccessLogPage
from kodoku_desk.ui.pages.review_dashboard import DashboardPage
from kodoku_desk.ui.pages.review_disclosures import DisclosureLogPage
from kodoku_desk.ui.pages.review_handoffs import HandoffLogPage
from kodoku_desk.ui.pages.review_stats import StatisticsPage
from tests.gui_helpers import type_text, wait_runner
from tests.test_review import add_case, add_handoff, make_org, sign

pytestmark = pytest.mark.gui


@pytest.fixture
def world(signed):
    """Recent hand-offs (so the 12-month dashboard sees them): one overdue, one acknowledged,
    one returned, one consent override; a disclosure. The two acknowledged ones were never
    started: past their 対応開始期限, they are overdue too."""
    org = make_org(signed)
    today = date.today()
    long_ago = datetime.combine(today - timedelta(days=40), datetime.min.time()) + timedelta(hours=9)
    with signed.store.write() as s:
        cid = add_case(s, org, "G-001", long_ago, block="北部ブロック", fields=("高齢", "障がい"))
        overdue = add_handoff(s, org, cid, "北部地域包括支援センター", "障がい福祉課", long_ago)
        acknowledged = add_handoff(s, org, cid, "北部地域包括支援センター", "自立相談支援機関",
                                   long_ago, (("受理", long_ago + timedelta(days=2), "", ""),))
        returned = add_handoff(s, org, cid, "北部地域包括支援センター", "こども家庭センター",
                               long_ago, (("返送", long_ago + timedelta(days=1), "18歳以上のため",
                                           "自立相談支援機関"),))
        cid2 = add_case(s, org, "G-002", long_ago + timedelta(days=3), block="南部ブロック")
        override = add_handoff(s, org, cid2, "福祉総務課", "こども家庭センター",
                               long_ago + timedelta(days=3),
                               (("受理", long_ago + timedelta(days=4), "", ""),), override=True)
        s.add(Disclosure(at=long_ago, case_id=cid, actor_id=org.admin_id,
                         from_agency_id=org.agencies["北部地域包括支援センター"],
                         to_agency_id=org.agencies["障がい福祉課"], sections=["partA"],
                         basis="本人同意", channel="handoff", handoff_id=overdue.id))
    return dict(org=org, cid=cid, cid2=cid2, overdue=overdue, returned=returned,
                override=override, acknowledged=acknowledged)


@pytest.fixture
def ctx(qtbot, signed):
    context = AppContext(signed, Runner())
    opened: list[int] = []
    context.open_case = opened.append
    context.opened = opened
    yield context
    context.runner.wait_idle()


def _show(qtbot, page, ctx):
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    page.refresh()
    wait_runner(qtbot, ctx.runner)
    return page


def test_dashboard_shows_figures_opens_cases_and_reviews_overrides(qtbot, ctx, world, signed):
    page = _show(qtbot, DashboardPage(ctx), ctx)
    assert page.tiles["overdue"].text() == "3"
    assert page.overdue_stages.text() == "受理期限 1・対応開始期限 2・更新期限 0"
    assert page.tiles["overrides"].text() == "1"
    assert page.overdue_table.rowCount() == 3
    assert page.overdue_table.text(0, 0) == "G-001"  # the oldest deadline first
    assert page.overdue_table.text(0, 2) == "障がい福祉課"
    assert [page.overdue_table.text(i, 4) for i in range(3)] == \
        ["受理期限超過", "対応開始期限超過", "対応開始期限超過"]
    page.overdue_table.selectRow(0)
    page.open_case_from(page.overdue_table)
    assert ctx.opened == [world["cid"]]
    assert page.returned_table.text(0, 4) == "18歳以上のため"
    assert page.charts is None  # the charts tab is not on show: not even built yet
    page.tabs.setCurrentIndex(4)
    field_chart, median_chart, block_chart = page.charts
    qtbot.waitUntil(lambda: field_chart.drawn == 1 and block_chart.drawn == 1)  # when shown
    sets = field_chart.chart().series()[0].barSets()
    assert sets and all(s.count() == 12 for s in sets)  # one bar per month, per field
    assert sum(s.sum() for s in sets) == sum(sum(v) for v in page.board.per_field_month.values())
    assert block_chart.names.categories() == [b for b, _ in page.board.intakes_by_block]
    page.refresh()  # new figures go into the same charts
    wait_runner(qtbot, ctx.runner)
    assert page.charts[0] is field_chart and field_chart.drawn == 2
    page.tabs.setCurrentIndex(0)
    qtbot.mouseClick(page.tiles["plans"].parentWidget(), Qt.MouseButton.LeftButton)
    assert page.tabs.currentIndex() == 3  # a tile opens the list behind its number
    # Override review: no comment → a sentence; with a comment → logged, gone from the list.
    page.tabs.setCurrentIndex(2)
    page.override_table.selectRow(0)
    page.mark_override_reviewed()
    assert "コメント" in page.message.text()
    type_text(page.override_comment, "緊急性を確認した。妥当。")
    page.mark_override_reviewed()
    wait_runner(qtbot, ctx.runner)
    qtbot.waitUntil(lambda: page.tiles["overrides"].text() == "0", timeout=10000)
    assert page.override_table.rowCount() == 0
    with signed.store.read() as s:
        review_row = s.scalars(select(OverrideReview)).one()
        logged = s.scalars(select(AuditEntry).where(AuditEntry.action == "override_review")).one()
    assert review_row.handoff_id == world["override"].id
    assert review_row.comment == "緊急性を確認した。妥当。" and "妥当" in logged.detail
    page.grab().save(str(ctx.signed.folder.parent / "dashboard.png"))


def test_handoff_log_filters_timeline_and_exports(qtbot, ctx, world, tmp_path):
    page = _show(qtbot, HandoffLogPage(ctx), ctx)
    assert page.table.rowCount() == 4 and page.log.total == 4
    page.overdue.setChecked(True)
    page.search()
    wait_runner(qtbot, ctx.runner)
    shown = [page.table.text(i, 0) for i in range(page.table.rowCount())]
    assert sorted(shown) == sorted(str(world[k].id) for k in ("overdue", "acknowledged",
                                                              "override"))
    page.table.selectRow(shown.index(str(world["overdue"].id)))
    wait_runner(qtbot, ctx.runner)
    assert page.timeline.rowCount() == 5  # every event of the case, all its hand-offs
    # A bad date is a sentence at the field; nothing is queried.
    page.overdue.setChecked(False)
    type_text(page.date_from, "令和元年4月1日")
    page.search()
    assert "令和になる前" in page.message.text() and page.table.rowCount() == 3
    page.date_from.clear()
    page.search()
    wait_runner(qtbot, ctx.runner)
    target = tmp_path / "つなぎ履歴.csv"
    page.ask_save_path = lambda *_a: str(target)
    page.export_log("csv")
    wait_runner(qtbot, ctx.runner)
    assert "4 件を出力しました" in page.message.text()
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "返送理由".encode() in raw
    pdf = tmp_path / "つなぎ履歴.pdf"
    page.ask_save_path = lambda *_a: str(pdf)
    page.export_log("pdf")
    wait_runner(qtbot, ctx.runner)
    assert pdf.read_bytes().startswith(b"%PDF")
    page.ask_save_path = lambda *_a: str(tmp_path / "no-such-folder" / "x.csv")
    page.export_log("csv")
    wait_runner(qtbot, ctx.runner)
    assert "フォルダ" in page.message.text()


def test_access_log_page_verifies_the_chain_and_names_the_tampered_entry(qtbot, ctx, world,
                                                                       signed, tmp_path):
    page = _show(qtbot, AccessLogPage(ctx), ctx)
    assert page.table.rowCount() > 3
    page.verify()
    wait_runner(qtbot, ctx.runner)
    assert "改ざんはありません" in page.verify_result.text()
    target_id = int(page.table.text(page.table.rowCount() - 2, 0))
    with signed.store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'intruder' WHERE id = :i"), {"i": target_id})
    page.verify()
    wait_runner(qtbot, ctx.runner)
    assert f"#{target_id}" in page.verify_result.text()
    assert "問題あり" in page.verify_result.text()
    wait_runner(qtbot, ctx.runner)  # the list reloads to show the entry as stored now
    row = page.table.currentRow()
    assert int(page.table.text(row, 0)) == target_id
    assert page.table.text(row, 2) == "intruder"
    out = tmp_path / "audit.csv"
    page.ask_save_path = lambda *_a: str(out)
    page.export_csv()
    wait_runner(qtbot, ctx.runner)
    assert out.read_bytes().startswith("\ufeff記録ID,日時,ログインID".encode())


def test_disclosure_page_lists_and_exports(qtbot, ctx, world, tmp_path):
    page = _show(qtbot, DisclosureLogPage(ctx), ctx)
    assert page.table.rowCount() == 1 and page.table.text(0, 5) == "障がい福祉課"
    page.table.selectRow(0)
    page.open_case_from(page.table)
    assert ctx.opened == [world["cid"]]
    out = tmp_path / "提供記録.csv"
    page.ask_save_path = lambda *_a: str(out)
    page.export_csv()
    wait_runner(qtbot, ctx.runner)
    assert "1 件を出力しました" in page.message.text()
    assert out.read_bytes().startswith("\ufeff記録ID".encode())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_statistics_page_figures_match_the_report_and_export_pdf(qtbot, ctx, world, signed,
                                                                tmp_path):
    page = StatisticsPage(ctx)
    start, end = date.today() - timedelta(days=90), date.today()
    page.date_from.set_date(start)
    page.date_to.set_date(end)
    _show(qtbot, page, ctx)
    with signed.store.read() as s:
        expected = stats.build_report(s, start, end)
    figures = {page.headline.text(r, 0): page.headline.text(r, 1)
               for r in range(page.headline.rowCount())}
    assert figures["新規ケース数"] == f"{expected.cases:,} 件" == "2 件"
    assert figures["つなぎ 送付"] == f"{expected.sent:,} 件" == "4 件"
    assert figures["つなぎ 返送"] == "1 件"
    assert figures["複数分野にわたるケース"] == "1 件（50.0%）"
    out = tmp_path / "統計.pdf"
    page.ask_save_path = lambda *_a: str(out)
    page.export_report("pdf")
    wait_runner(qtbot, ctx.runner)
    body = "".join(subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                                  text=True).stdout.split())  # spacing varies; compare without
    assert "新規ケース数2件" in body and "つなぎ送付4件" in body
    # End before start: a sentence, no query.
    page.date_to.set_date(start - timedelta(days=1))
    page.compute()
    assert "より前" in page.message.text()


def test_non_supervisor_sees_a_refusal_that_is_logged(qtbot, world, signed):
    folder = signed.folder
    signed.close()
    worker = sign(folder, "worker")
    context = AppContext(worker, Runner())
    page = _show(qtbot, DashboardPage(context), context)
    assert "権限がありません" in page.message.text()
    assert page.tiles["overdue"].text() == "—"
    with worker.store.read() as s:
        denied = s.scalars(select(AuditEntry).where(AuditEntry.action == "access_denied")).all()
    assert [e.actor for e in denied] == ["worker"]
    context.runner.wait_idle()
    worker.close()


def test_handoff_log_pages_through_the_database_as_the_view_asks_for_more(qtbot, ctx, world,
                                                                         signed, monkeypatch):
    from kodoku_desk.ui.pages import review_common

    monkeypatch.setattr(review_common, "PAGE_ROWS", 1)  # 4 hand-offs, one per page
    page = HandoffLogPage(ctx)
    page.table.hide()  # a hidden view asks for nothing: the first page alone
    _show(qtbot, page, ctx)
    model = page.table.log_model
    assert page.table.rowCount() == 1 and model.total == 4 and page.log.total == 4
    assert "4 件" in page.message.text() and "新しい順に 1 件" in page.message.text()
    assert model.canFetchMore()
    model.fetchMore()  # what the view does at the end of its rows
    wait_runner(qtbot, ctx.runner)
    assert page.table.rowCount() == 2 and "新しい順に 2 件" in page.message.text()
    page.table.show()  # on show the view fills its height: it asks for the rest itself
    qtbot.waitUntil(lambda: page.table.rowCount() == 4, timeout=10000)
    wait_runner(qtbot, ctx.runner)
    ids = [page.table.text(r, 0) for r in range(4)]
    assert len(set(ids)) == 4 and not model.canFetchMore()  # every hand-off once
    assert "新しい順" not in page.message.text()
    with signed.store.read() as s:
        views = s.scalars(select(AuditEntry).where(AuditEntry.action == "view_handoff_log")).all()
    assert len(views) == 4  # one query per page, each logged


def test_statistics_are_computed_in_the_background_once_per_change(qtbot, ctx, world,
                                                                   monkeypatch):
    import threading

    calls: list[bool] = []
    real = stats.report

    def report(*args, **kwargs):
        calls.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(stats, "report", report)
    page = _show(qtbot, StatisticsPage(ctx), ctx)
    assert calls == [False]  # off the GUI thread
    assert page.headline.text(0, 0) == "新規ケース数" and page.report is not None
    # the charts are built just after the page is shown; the visible one is drawn
    qtbot.waitUntil(lambda: page.trend_chart is not None and page.trend_chart.drawn == 1)
    assert "分野" not in page.breakdown_charts  # the others are built when their tab opens
    page.chart_tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: page.breakdown_charts["分野"].drawn == 1)
    assert page.chart_tabs.currentWidget() is page.breakdown_charts["分野"]
    page.hide()
    page.show()
    page.refresh()  # shown again, nothing changed: the report is not computed again
    wait_runner(qtbot, ctx.runner)
    assert calls == [False]
    ctx.changes.changed.emit(Change.AUDIT)  # someone opened a case: nothing counted changed
    page.refresh()
    wait_runner(qtbot, ctx.runner)
    assert calls == [False]
    ctx.changes.changed.emit(Change.HANDOFF)
    page.refresh()
    wait_runner(qtbot, ctx.runner)
    assert calls == [False, False]
    page.run_button.click()  # the user asks: always computed
    wait_runner(qtbot, ctx.runner)
    assert len(calls) == 3


def test_month_labels_are_short_with_the_year_where_it_changes():
    from kodoku_desk.ui.pages.review_common import month_labels

    assert month_labels(["2025-11", "2025-12", "2026-01", "2026-02"]) == \
        ["11月<br>R7", "12月", "1月<br>R8", "2月"]
    assert month_labels(["2018-12", "2019-01", "2020-01"]) == ["12月<br>H30", "1月<br>H31", "1月<br>R2"]
