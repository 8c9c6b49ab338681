"""The intake page and self-entry mode with real widgets (offscreen). Japanese is typed the way
an input method commits it (tests/gui_helpers.type_text)."""

from __future__ import annotations

import pytest
from gui_helpers import type_text, wait_runner
from PySide6.QtCore import Qt
from sqlalchemy import func, select
from workspace_templates import open_copy

from kodoku_desk.models import Case, Handoff, HouseholdMember, Sheet
from kodoku_desk.services import handoffs
from kodoku_devtools.demo import DEMO_PASSWORD

pytestmark = pytest.mark.gui


@pytest.fixture
def ctx(north_template, tmp_path, qtbot):
    from kodoku_desk.ui.context import AppContext
    from kodoku_desk.ui.ops import Runner

    signed = open_copy(north_template, tmp_path / "ws")  # u01, 北部地域包括支援センター
    runner = Runner()
    yield AppContext(signed, runner)
    runner.wait_idle()
    signed.close()


@pytest.fixture
def page(ctx, qtbot):
    from kodoku_desk.ui.pages.intake import IntakePage

    p = IntakePage(ctx)
    qtbot.addWidget(p)
    p.resize(1200, 900)
    p.show()
    qtbot.waitExposed(p)
    qtbot.waitUntil(lambda: p.form.is_ready)  # the sheet is built a few sections per turn
    p.activateWindow()
    p.refresh()
    wait_runner(qtbot, ctx.runner)
    return p


def type_into(page, key: str, text: str) -> None:
    editor = page.form.editor(key)
    target = getattr(editor.edit, "edit", editor.edit)  # DateInput wraps a QLineEdit
    type_text(target, text)


def rows_by_agency(page):
    return {row.keep.text(): row for row in page.routing.rows.values()}


def fill_8050(page, qtbot) -> None:
    type_into(page, "kana", "ふくやま とめ")
    assert page.part_label.property("current_part") == "A"
    type_into(page, "name", "福山 トメ")
    type_into(page, "birth_date", "昭和18年5月1日")
    assert "1943-05-01" in page.form.editor("birth_date").edit.reading.text()
    for worry in ("介護", "本人や家族のひきこもり", "収入・生活費"):
        page.worries_editor().checks[worry].click()
    type_into(page, "wishes", "息子の将来が心配です")
    # Part B.
    type_into(page, "hearing_care", "要介護2。デイサービス週2回")
    assert page.part_label.property("current_part") == "B"
    assert "B 相談受付者記入" in page.part_label.text()
    type_into(page, "assessment", "8050世帯。長男の支援が鍵")
    household = page.household_editor()
    qtbot.mouseClick(household.findChild(type(page.save_button), "add_member"), Qt.MouseButton.LeftButton)
    member = household.rows[0]
    type_text(member.relation, "長男")
    type_text(member.name, "福山 一郎")
    type_text(member.birth.edit, "1972-03-03")
    member.flags["ひきこもり"].click()
    method = page.form.editor("method")
    method.combo.setCurrentIndex(method.combo.findData("来所"))
    consent = page.consent_editor()
    consent.given.click()
    consent.field_checks["健康"].click()
    consent.field_checks["生活困窮"].click()


def test_fill_parts_a_and_b_save_and_send_two_handoffs(page, ctx, qtbot, tmp_path):
    fill_8050(page, qtbot)
    rows = rows_by_agency(page)
    assert any("健康推進課「ふきのとう」" in t for t in rows)
    assert any("自立相談支援機関" in t for t in rows)
    assert page.routing.multi_label.isVisible() and "多機関協働" in page.routing.multi_label.text()
    assert not page.urgent_banner.isVisible()
    fuki = next(r for t, r in rows.items() if "ふきのとう" in t)
    assert "世帯にひきこもりの状態の方がいる" in fuki.reason.text()
    for text, row in rows.items():
        if "ふきのとう" in text or "自立相談支援機関" in text:
            qtbot.mouseClick(row.findChildren(type(page.save_button))[0], Qt.MouseButton.LeftButton)
    assert len(page.handoffs.rows) == 2
    first, second = page.handoffs.rows
    assert first.consent_note.text() == "同意の範囲内"
    type_text(first.request, "訪問での面談")
    first.share["household"].click()
    type_text(second.request, "家計相談")
    second.share["hearing_living"].click()
    page.grab().save(str(tmp_path / "intake.png"))
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    assert "保存しました" in page.status.text() and "つなぎ 2 件" in page.status.text(), page.status.text()
    assert page.saved is not None and page.open_case_button.isVisible()
    with ctx.signed.store.read() as s:
        sheet = s.get(Sheet, page.saved.sheet_id)
        assert sheet.answers["hearing_care"].startswith("要介護2")
        assert sheet.answers["wishes"] == "息子の将来が心配です"
        assert sheet.worries == ["介護", "本人や家族のひきこもり", "収入・生活費"]
        assert sheet.method == "来所"
        (member,) = s.scalars(select(HouseholdMember))
        assert member.relation == "長男" and member.flags == ["ひきこもり"]
        sent = list(s.scalars(select(Handoff).order_by(Handoff.id)))
        assert [h.share for h in sent] == [["basic", "worries", "household"],
                                           ["basic", "worries", "hearing_living"]]
        assert all(h.basis == "本人同意" and not h.consent_override for h in sent)
        assert s.get(Case, page.saved.case_id).multi_agency
        rows = handoffs.inbox(s, sent[0].to_agency_id)
        assert rows[0].request == "訪問での面談"


def test_error_shown_at_the_field_and_nothing_saved(page, ctx, qtbot):
    type_into(page, "name", "福山 トメ")
    type_into(page, "birth_date", "令和元年4月1日")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    error = page.form.editor("birth_date").error
    assert error.isVisible() and "令和になる前" in error.text()
    page.form.editor("birth_date").edit.edit.clear()
    type_into(page, "birth_date", "昭和18年5月1日")
    page.worries_editor().checks["借金"].click()
    row = page.handoffs.add()
    row.set_agency(page.org.agencies[-1].id)  # no reason typed, no consent
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    assert row.error.isVisible() and "つなぎ先 1" in row.error.text()
    with ctx.signed.store.read() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0


def test_outside_consent_needs_basis(page, ctx, qtbot):
    type_into(page, "name", "尾道 健")
    page.worries_editor().checks["借金"].click()
    row = page.handoffs.add()
    row.set_agency(next(a.id for a in page.org.agencies if a.name == "生活福祉課"))
    type_text(row.reason, "借金の整理")
    assert "同意の範囲外" in row.consent_note.text()
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    assert "同意の範囲に入っていません" in row.error.text()
    row.basis.setCurrentText("生命・身体の保護")
    assert row.basis_reason.isEnabled()
    type_text(row.basis_reason, "食事がとれていない")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    assert page.saved is not None
    with ctx.signed.store.read() as s:
        assert s.scalar(select(Handoff)).consent_override


def test_urgent_banner_for_dv(page, qtbot):
    page.worries_editor().checks["DV・虐待"].click()
    assert page.urgent_banner.isVisible() and "緊急" in page.urgent_banner.text()
    page.worries_editor().checks["DV・虐待"].click()
    page.worries_editor().checks["こころの不調・死にたい気持ち"].click()
    assert "死にたい気持ち" in page.urgent_banner.text()


def test_routing_remove_keeps_reason_and_worker_addition(page, ctx, qtbot):
    type_into(page, "name", "福山 トメ")
    for worry in ("介護", "借金"):
        page.worries_editor().checks[worry].click()
    rows = rows_by_agency(page)
    hardship = next(r for t, r in rows.items() if "自立相談支援機関" in t)
    assert not page.routing.multi_label.isHidden()  # 高齢 + 生活困窮
    hardship.keep.click()
    assert not hardship.removed_reason.isHidden()
    assert page.routing.multi_label.isHidden()  # only the kept suggestions count
    type_text(hardship.removed_reason, "生活保護受給中")
    page.routing.add_field.setCurrentText("参加支援")
    page.routing.add_agency.setCurrentIndex(page.routing.add_agency.findText("社会福祉協議会"))
    type_text(page.routing.add_reason, "近所づきあいがない")
    page.routing.add_worker_routing()
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    assert page.saved is not None, page.status.text()
    from kodoku_desk.models import RoutingDecision
    with ctx.signed.store.read() as s:
        decisions = {d.field: d for d in s.scalars(select(RoutingDecision))}
    assert decisions["生活困窮"].status == "removed"
    assert decisions["生活困窮"].reason == "困りごと「借金」"
    assert decisions["生活困窮"].removed_reason == "生活保護受給中"
    assert decisions["参加支援"].source == "worker"


def test_duplicate_warning_shows_the_match_and_never_merges(page, ctx, qtbot):
    fill_8050(page, qtbot)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    first = page.saved
    page.reset()
    qtbot.waitUntil(lambda: page.form.is_ready)
    type_into(page, "kana", "ﾌｸﾔﾏ ﾄﾒ")
    type_into(page, "birth_date", "1943-05-01")
    qtbot.waitUntil(lambda: page.person.dup_banner.isVisible(), timeout=5000)
    labels = " ".join(w.text() for w in page.person.dup_banner.findChildren(type(page.status)))
    assert "福山 トメ" in labels and first.case_no in labels and "ふりがなと生年月日が同じ" in labels
    assert page.person.selected is None  # flagged, not merged
    button = next(b for b in page.person.dup_banner.findChildren(type(page.save_button))
                  if b.text() == "この方を選ぶ")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert page.person.selected.person_id == first.person_id
    assert not page.person.dup_banner.isVisible()
    page.worries_editor().checks["借金"].click()
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    assert page.saved.person_id == first.person_id and page.saved.case_id != first.case_id


def test_person_search(page, ctx, qtbot):
    fill_8050(page, qtbot)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    page.reset()
    qtbot.waitUntil(lambda: page.form.is_ready)
    type_text(page.person.query, "ﾌｸﾔﾏ")
    page.person.search()
    wait_runner(qtbot, ctx.runner)
    texts = [page.person.results.item(i).text() for i in range(page.person.results.count())]
    assert any("福山 トメ" in t and "昭和18年5月1日" in t for t in texts)
    page.person.results.setCurrentRow(next(i for i, t in enumerate(texts) if "福山 トメ" in t))
    page.person.choose_from_results()
    assert page.form.editor("name").value() == "福山 トメ"
    assert "既存の方で受付" in page.person.selected_label.text()


def test_self_entry_shows_only_part_a_and_needs_the_password(page, ctx, qtbot, tmp_path):
    from kodoku_desk.ui.selfentry import SelfEntryDialog

    type_into(page, "assessment", "受付者だけが書く欄")
    page.open_self_entry()
    dialog: SelfEntryDialog = page.self_entry
    qtbot.waitExposed(dialog)
    assert dialog.isModal()
    keys = set(dialog.form.editors)
    assert "name" in keys and "worries" in keys and "wishes" in keys
    assert not keys & {"assessment", "hearing_care", "household", "received_at", "urgency"}
    assert all(e.field.part == "A" for e in dialog.form.editors.values())
    assert dialog.form.font().pointSize() >= 18 or dialog.font().pointSize() >= 18
    type_text(dialog.form.editor("name").edit, "鞆 さくら")
    dialog.form.editor("worries").checks["孤独・さみしさ・話し相手がいない"].click()
    dialog.form.editor("consent").given.click()
    dialog.grab().save(str(tmp_path / "self.png"))
    # No way out without the worker: Esc, reject, close are ignored.
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    dialog.reject()
    dialog.close()
    assert dialog.isVisible()
    qtbot.mouseClick(dialog.done_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.password, "wrong-password")
    qtbot.mouseClick(dialog.findChild(type(dialog.done_button), "staff_confirm"), Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    assert dialog.isVisible() and "違います" in dialog.password_error.text()
    qtbot.keyClicks(dialog.password, DEMO_PASSWORD)
    qtbot.mouseClick(dialog.findChild(type(dialog.done_button), "staff_confirm"), Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    assert page.form.editor("name").value() == "鞆 さくら"
    assert "孤独・さみしさ・話し相手がいない" in page.worries_editor().value()
    assert page.consent_editor().value()
    assert page.form.editor("assessment").value() == "受付者だけが書く欄"
    from kodoku_desk.models import AuditEntry
    with ctx.signed.store.read() as s:
        actions = list(s.scalars(select(AuditEntry.action)))
    assert "unlock_failed" in actions and "unlock" in actions


def test_attachments_and_printing(page, ctx, qtbot, tmp_path):
    import subprocess

    good = tmp_path / "記入済みA票.png"
    good.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 32)
    fake = tmp_path / "偽物.pdf"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 32)
    type_into(page, "name", "福山 トメ")
    page.worries_editor().checks["介護"].click()
    page.attachments.add_path(str(fake))
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    assert page.saved is None and "名前と中身の種類が合いません" in page.attachments.error.text()
    page.attachments.clear()
    page.attachments.add_path(str(good))
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    assert page.saved is not None
    from kodoku_desk.models import Attachment
    with ctx.signed.store.read() as s:
        (att,) = s.scalars(select(Attachment))
        assert att.filename == "記入済みA票.png" and att.sheet_id == page.saved.sheet_id
    assert page.print_button.isVisible()
    out = tmp_path / "sheet.pdf"
    page.print_saved_sheet(str(out))
    wait_runner(qtbot, ctx.runner)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "福山 トメ" in text and "介護" in text
    blank = tmp_path / "blank.pdf"
    page.print_blank(str(blank))
    wait_runner(qtbot, ctx.runner)
    assert "相談者記入" in subprocess.run(["pdftotext", str(blank), "-"], capture_output=True,
                                          text=True).stdout
    assert "PDF を作成しました" in page.status.text()


def test_receiver_label_names_agency_and_worker(page):
    label = page.form.groups["reception"].findChild(type(page.status), "receiver")
    assert "北部地域包括支援センター" in label.text() and "田中 恵子" in label.text()


def test_returning_person_gets_a_sheet_on_the_existing_case(page, ctx, qtbot):
    fill_8050(page, qtbot)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    first = page.saved
    page.reset()
    qtbot.waitUntil(lambda: page.form.is_ready)
    type_text(page.person.query, "ふくやまとめ")
    page.person.search()
    wait_runner(qtbot, ctx.runner)
    page.person.results.setCurrentRow(0)
    page.person.choose_from_results()
    assert not page.person.case_choice.isHidden()
    page.person.case_choice.setCurrentIndex(page.person.case_choice.findData(first.case_id))
    page.worries_editor().checks["借金"].click()
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    assert page.saved.case_id == first.case_id and page.saved.sheet_id != first.sheet_id
    with ctx.signed.store.read() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1
        assert s.scalar(select(func.count()).select_from(Sheet)) == 2
        assert "生活困窮" in s.get(Case, first.case_id).fields
        assert s.scalar(select(func.count()).select_from(HouseholdMember)) == 1
