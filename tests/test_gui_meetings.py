"""Issue 6 GUI: the meeting screen offscreen against a real workspace — a session with two parts
built through the widgets, the consent refusal shown at the case picker, a packet PDF exported
through the dialog's background operation, a decision and the minutes."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from docx import Document
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QPushButton

from kodoku_desk.queries import meeting_views
from kodoku_desk.services import meetings, plans
from kodoku_desk.ui.context import AppContext
from kodoku_desk.ui.ops import Runner
from kodoku_desk.ui.pages.meetings import MeetingsPage, decisions, packets
from kodoku_desk.ui.pages.meetings.packets import PacketDialog
from kodoku_desk.ui.pages.meetings.parts import PartPanel
from kodoku_desk.ui.pages.meetings.redaction import RedactionPreviewDialog
from kodoku_desk.ui.pages.meetings.sessions import upcoming_first
from tests.gui_helpers import type_text, wait_runner
from tests.meetings_data import FUKUYAMA, SUZUKI, YAMADA, make_case, setup_org

pytestmark = pytest.mark.gui
SHOTS = Path("/tmp/shots-meetings")


def _shot(widget, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    widget.grab().save(str(SHOTS / name))


def _settle(qtbot, page) -> None:
    wait_runner(qtbot, page.ctx.runner)
    qtbot.wait(20)
    wait_runner(qtbot, page.ctx.runner)


@pytest.fixture
def page(qtbot, signed):
    setup_org(signed)
    page = MeetingsPage(AppContext(signed, Runner()))
    page.cases = {"yamada": make_case(signed, YAMADA, 1), "suzuki": make_case(signed, SUZUKI, 2)}
    qtbot.addWidget(page)
    page.resize(1280, 900)
    page.show()
    page.refresh()
    _settle(qtbot, page)
    yield page
    page.ctx.runner.wait_idle()


def _part(page, index: int) -> PartPanel:
    page.editor.parts_tabs.setCurrentIndex(index)
    return page.editor.parts_tabs.widget(index)


def test_session_two_parts_refusal_packet_pdf_decision_minutes(qtbot, page, tmp_path, monkeypatch):
    type_text(page.editor.title_edit, "7月 合同会議")
    type_text(page.editor.date_field.edit, "令和7年7月8日")
    page.editor.start_time.setText("13:30")
    page.editor.end_time.setText("15:00")
    type_text(page.editor.place, "福山市役所 会議室B")
    page.editor.kind_pick.setCurrentText("重層的支援会議")
    page.editor.add_part()
    page.editor.kind_pick.setCurrentText("支援会議")
    page.editor.add_part()
    assert page.editor.parts_tabs.count() == 2
    _shot(page, "meetings_new.png")
    page.editor.save_session()
    _settle(qtbot, page)
    qtbot.waitUntil(lambda: page.view is not None and len(page.view.parts) == 2)
    assert [p.kind for p in page.view.parts] == ["重層的支援会議", "支援会議"]
    assert page.sessions.model.rowCount() == 1

    juso = _part(page, 0)
    juso.members_box.agency_pick.setCurrentText("北部地域包括支援センター")
    juso.members_box.agency_pick.currentIndexChanged.emit(juso.members_box.agency_pick.currentIndex())
    [b for b in juso.findChildren(QPushButton) if b.text() == "機関を追加"][0].click()
    _settle(qtbot, page)
    type_text(juso.members_box.external_name, "民生 委員")
    type_text(juso.members_box.external_affiliation, "民生委員・児童委員協議会")
    juso.members_box.add_external()
    _settle(qtbot, page)
    assert [m.label for m in juso.members_box.members] == ["北部地域包括支援センター", "民生 委員（民生委員・児童委員協議会）"]

    juso.agenda_box.search_cases()
    _settle(qtbot, page)
    by_case = {r.case_id: i for i, r in enumerate(juso.agenda_box.candidates_model.rows)}
    juso.agenda_box.candidates_view.selectRow(by_case[page.cases["suzuki"]])
    # The real button (its clicked(bool) once reached add_case as 「ケース False」).
    [b for b in juso.agenda_box.findChildren(QPushButton) if b.text() == "議題に追加"][0].click()
    _settle(qtbot, page)
    qtbot.waitUntil(lambda: juso.agenda_box.error.text() != "")
    assert "K-2025-0002" in juso.agenda_box.error.text() and "重層的支援会議で扱えません" in juso.agenda_box.error.text()
    assert juso.agenda_box.agenda_model.rowCount() == 0
    _shot(page, "meetings_refusal.png")
    juso.agenda_box.add_case(page.cases["yamada"])
    _settle(qtbot, page)
    qtbot.waitUntil(lambda: page.view.case_count == 1)

    shien = _part(page, 1)
    shien.agenda_box.add_case(page.cases["suzuki"])  # 支援会議: no consent needed
    _settle(qtbot, page)
    qtbot.waitUntil(lambda: page.view.case_count == 2)
    shien = _part(page, 1)
    assert shien.agenda_box.agenda_model.rowCount() == 1 and not shien.agenda_box.error.isVisible()
    _shot(page, "meetings_agenda.png")

    out = tmp_path / "資料.pdf"

    def fill_and_accept(dialog: PacketDialog) -> int:
        _shot(dialog, "meetings_packet_dialog.png")
        assert dialog.redact_value is None and "匿名化しません" in dialog.redact_note.text()
        monkeypatch.setattr(packets.QFileDialog, "getSaveFileName",
                            lambda *a, **k: (str(tmp_path / "資料"), "PDF (*.pdf)"))
        dialog.browse()
        assert dialog.path.text() == str(out)
        dialog._check_and_accept()
        return dialog.result()

    monkeypatch.setattr(PacketDialog, "exec", fill_and_accept)
    page.editor.export_packet()
    _settle(qtbot, page)
    qtbot.waitUntil(lambda: page.editor.last_export is not None, timeout=20000)
    assert out.exists() and "会議資料を出力しました" in page.editor.session_error.text()
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "山田" in text and "鈴木" in text and "重層的支援会議" in text

    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: page.decisions.decision_item.count() == 2)
    page.decisions.decision_item.setCurrentIndex(0)
    _settle(qtbot, page)
    page.decisions.decision_text.setPlainText("家計相談を自立相談支援機関が担当する")
    page.decisions.change_roles.setChecked(True)
    page.decisions.roles_editor.set_rows([{"what": "家計相談", "agency": "自立相談支援機関",
                                 "person": "相談員", "frequency": "月1回", "period": "6か月"}])
    type_text(page.decisions.next_review.edit, "令和7年10月1日")
    page.decisions.record_decision()
    _settle(qtbot, page)
    qtbot.waitUntil(lambda: page.decisions.decisions_model.rowCount() == 1)
    row = page.decisions.decisions_model.row_at(0)
    assert row.next_review_on == date(2025, 10, 1) and row.plan_version == 2
    assert plans.get_plan(page.ctx.signed, row.plan_id).status == "合意"
    _shot(page, "meetings_after.png")

    minutes = tmp_path / "議事録.docx"
    monkeypatch.setattr(decisions.QMessageBox, "information", lambda *a, **k: None)
    page.decisions.start_minutes_export(str(minutes))
    _settle(qtbot, page)
    qtbot.waitUntil(minutes.exists)
    body = "\n".join(p.text for p in Document(str(minutes)).paragraphs)
    tables = "\n".join(c.text for t in Document(str(minutes)).tables for r in t.rows for c in r.cells)
    assert "家計相談を自立相談支援機関が担当する" in body + tables


def test_packet_dialog_defaults_to_redacted_for_shienshashien(qtbot, page, tmp_path):
    sid = meetings.create_session(page.ctx.signed, "事例検討", "令和7年8月1日",
                                  parts=[("支援者支援会議", "")])
    view = meeting_views.get_session(page.ctx.signed, sid)
    dialog = PacketDialog(page, view)
    qtbot.addWidget(dialog)
    assert "匿名化される部: 支援者支援会議" in dialog.redact_note.text()
    dialog.docx.setChecked(True)
    assert not dialog.use_password.isEnabled()
    dialog._check_and_accept()
    assert dialog.result() != QDialog.DialogCode.Accepted and "保存先" in dialog.error.text()


def _case_study(page) -> int:
    """FUKUYAMA (the redaction corpus, no consent) in a 支援者支援会議: redacted by default."""
    signed = page.ctx.signed
    case_id = make_case(signed, FUKUYAMA, 4)
    sid = meetings.create_session(signed, "北部ブロック 事例検討", "令和7年7月1日",
                                  parts=[("支援者支援会議", "事例検討")])
    meetings.add_case(signed, meeting_views.get_session(signed, sid).parts[0].id, case_id)
    return sid


def _pairs(dialog: RedactionPreviewDialog) -> set[tuple[str, str]]:
    return {(r.original, r.replacement) for r in dialog.model.rows}


def test_redaction_preview_dialog_lists_the_replacements_and_an_added_term(qtbot, page):
    dialog = RedactionPreviewDialog(page, page.ctx, _case_study(page), None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=20000)
    assert [dialog.model.headerData(i, Qt.Orientation.Horizontal) for i in range(3)] == \
        ["元の表記", "置き換え", "箇所"]
    pairs = _pairs(dialog)
    for pair in [("ﾌｸﾔﾏﾄﾒ", "A氏"), ("福山様", "A氏"), ("和子さん", "B氏"), ("佐藤花子さん", "第三者1"),
                 ("山本氏", "第三者2"), ("０８４－９２２－３３４４", "（電話番号非表示）")]:
        assert pair in pairs, pair
    row = dialog.model.rows.index(next(r for r in dialog.model.rows if r.original == "佐藤花子さん"))
    assert dialog.model.index(row, 2).data() == "第1部・事例1（K-2025-0004）：メモ"
    assert "支援者支援会議" in dialog.parts_label.text() and dialog.ok_button.isEnabled()
    assert not any(original == "ひまわり荘" for original, _ in pairs)

    type_text(dialog.term_edit, "ひまわり荘")
    dialog.term_kind.setCurrentIndex(1)  # 伏字
    dialog.add_term()
    assert not dialog.ok_button.isEnabled()  # until the new preview is in
    qtbot.waitUntil(lambda: dialog.preview.extra_terms != (), timeout=20000)
    assert ("ひまわり荘", "（伏字）") in _pairs(dialog) and dialog.ok_button.isEnabled()
    selected = dialog.table.selectionModel().selectedRows()
    assert selected and dialog.model.rows[selected[0].row()].original == "ひまわり荘"
    assert dialog.added.count() == 1 and "（伏字）" in dialog.added.item(0).text()
    _shot(dialog, "meetings_redaction_preview.png")

    type_text(dialog.term_edit, "どこにもない語")
    dialog.add_term()
    qtbot.waitUntil(lambda: len(dialog.preview.extra_terms) == 2, timeout=20000)
    assert "「どこにもない語」" in dialog.note.text()
    dialog.added.setCurrentRow(1)
    dialog.remove_term()
    qtbot.waitUntil(lambda: len(dialog.preview.extra_terms) == 1, timeout=20000)
    assert not dialog.note.isVisible()


def test_redacted_export_goes_through_the_preview_and_writes_its_terms(qtbot, page, tmp_path,
                                                                       monkeypatch):
    sid = _case_study(page)
    page.open_session(sid)
    _settle(qtbot, page)
    qtbot.waitUntil(lambda: page.view is not None and page.view.id == sid)
    out = tmp_path / "事例検討.pdf"
    seen: list[str] = []

    def options(dialog: PacketDialog) -> int:
        assert dialog.redacted_parts == ["支援者支援会議"]
        assert dialog.ok_button.text() == "次へ（置き換えの確認）"
        dialog.path.setText(str(out))
        dialog._check_and_accept()
        return dialog.result()

    def check(dialog: RedactionPreviewDialog) -> int:
        qtbot.waitUntil(lambda: dialog.preview is not None, timeout=20000)
        type_text(dialog.term_edit, "マイケル")  # 第三者 (the default kind)
        dialog.add_term()
        qtbot.waitUntil(lambda: dialog.preview.extra_terms != (), timeout=20000)
        seen.append(dialog.summary.text())
        dialog._check_and_accept()
        return dialog.result()

    monkeypatch.setattr(PacketDialog, "exec", options)
    monkeypatch.setattr(RedactionPreviewDialog, "exec", check)
    page.editor.export_packet()
    _settle(qtbot, page)
    qtbot.waitUntil(lambda: page.editor.last_export is not None, timeout=20000)
    result = page.editor.last_export
    assert result.redacted and result.added_terms == 1 and seen and "置き換え" in seen[0]
    assert f"置き換え {result.replacements}か所・追加した語句 1件" in page.editor.session_error.text()
    text = "".join(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    assert "マイケル" not in text and "友人の第三者5" in text
    assert "トメ" not in text and "佐藤" not in text and "A氏" in text


def test_sessions_list_upcoming_first():
    today = date(2025, 7, 1)
    rows = [meeting_views.SessionRow(i, today + timedelta(days=d), "", f"m{i}", [], "", 0, 0)
            for i, d in enumerate((-30, 10, -1, 2))]
    assert [r.title for r in upcoming_first(rows, today)] == ["m3", "m1", "m2", "m0"]
