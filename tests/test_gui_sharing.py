"""GUI of what a hand-off discloses (issue 11 §1–2): 追加提供 from the case view (the dialog sends
what was chosen; a refusal is the service's sentence at the dialog; the action says why it is
not offered), what a receiving agency sees is labelled as provided, a stub row in the inbox
opens to the sentence saying the provision ended, and the events that keep the state
(追加提供, 同意撤回) appear by kind in the case timeline and the inbox details.

World (tests/cases_data.py): u01 (北部地域包括支援センター) owns the 8050 case, handed to ふきのとう
(basic, worries, household) and 自立相談支援機関 (basic, hearing_living) under the person's consent."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import cases_data
import pytest
from cases_data import FUKI, JIRITSU
from gui_helpers import type_text, wait_runner
from intake_data import household_8050
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from sqlalchemy import func, select

from kodoku_desk.domain import dates
from kodoku_desk.domain.handoff import EVENT_ADDITIONAL_SHARE, EVENT_CONSENT_WITHDRAWN
from kodoku_desk.models import Consent, Disclosure, HandoffSnapshot
from kodoku_desk.services import consent, handoffs, intake
from kodoku_desk.services.sharing import WITHDRAWN_NOTE
from kodoku_desk.ui.context import AppContext
from kodoku_desk.ui.ops import Runner
from kodoku_desk.ui.pages import sharing as sharing_ui

world = cases_data.world
SHOTS = Path("/tmp/shots-sharing")
TODAY = dates.to_wareki(date.today())


def _shot(widget, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / f"{name}.png"))


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


def _handoff_id(w, agency: str) -> int:
    with w.north.store.read() as s:
        rows = handoffs.handoffs_for_case(s, w.case_8050.case_id)
    return next(r.id for r in rows if r.to_agency == agency)


def _second_sheet(w) -> int:
    """The owner adds a later sheet to the case, with a new word in it."""
    base = household_8050(w.north)
    data = replace(base, person=replace(base.person, person_id=w.case_8050.person_id),
                   case_id=w.case_8050.case_id, handoffs=[], consent=None, household=[],
                   answers={"hearing_living": "新たに借金が判明した（消費者金融）"})
    return intake.save_intake(w.north, data).sheet_id


def _consent_id(w) -> int:
    with w.north.store.read() as s:
        return s.scalar(select(Consent.id).where(Consent.case_id == w.case_8050.case_id))


def _case_page(qtbot, ctx, case_id: int, size=(1280, 720)):
    from kodoku_desk.ui.pages.cases import CaseListPage

    page = CaseListPage(ctx)
    qtbot.addWidget(page)
    page.resize(*size)
    page.show()
    page.open_case(case_id)
    wait_runner(qtbot, ctx.runner)
    return page


def _select_handoff(view, agency: str) -> None:
    view.tabs.setCurrentIndex(2)  # つなぎ・経過
    row = next(i for i, r in enumerate(view.handoff_model.rows) if r.to_agency == agency)
    view.handoff_table.selectRow(row)


def _timeline_kinds(view) -> list[str]:
    model = view.timeline_model
    return [model.index(i, 2).data() for i in range(model.rowCount())]


# --- 追加提供 from the case view ---------------------------------------------------------------


def test_the_add_share_dialog_sends_what_was_chosen(qtbot, world, make_ctx, monkeypatch):
    later = _second_sheet(world)
    hid = _handoff_id(world, JIRITSU)
    ctx = make_ctx(world.north)
    page = _case_page(qtbot, ctx, world.case_8050.case_id)
    view = page.case_view
    _select_handoff(view, JIRITSU)
    assert view.add_share_button.isEnabled() and not view.add_share_note.isVisibleTo(page)

    def choose_and_send(dialog: sharing_ui.AddShareDialog) -> int:
        wait_runner(qtbot, ctx.runner)  # the form
        dialog.show()
        # The case's sheets, newest first; what this hand-off already disclosed is marked.
        assert [dialog.sheet_box.itemData(i) for i in range(dialog.sheet_box.count())] == \
            [later, world.case_8050.sheet_id]
        assert dialog.sheet_box.currentData() == later
        assert dialog.share_boxes["basic"].text() == "ご本人について（別のシートで提供済み）"
        dialog.sheet_box.setCurrentIndex(1)
        assert dialog.share_boxes["hearing_living"].text().endswith("（提供済み）")
        assert dialog.share_boxes["wishes"].text() == "相談したいこと・支援にあたっての希望"
        dialog.sheet_box.setCurrentIndex(0)
        assert dialog.basis_box.currentText() == "本人同意" and not dialog.basis_reason.isEnabled()
        assert dialog.consent_note.text() == "同意の範囲内"
        dialog.share_boxes["hearing_living"].setChecked(True)
        dialog.share_boxes["wishes"].setChecked(True)
        assert dialog.confirm.text() == (
            f"「{JIRITSU}」へ、{TODAY}受付のシートから「相談したいこと・支援にあたっての希望・"
            "聞き取り：生活・経済」を提供します。根拠: 本人同意。")
        qtbot.wait(50)  # the layout settles
        assert dialog.confirm.height() >= dialog.confirm.heightForWidth(dialog.confirm.width())
        assert all(b.width() >= b.sizeHint().width() for b in dialog.share_boxes.values())
        assert dialog.width() <= 1280 and dialog.height() <= 720
        _shot(dialog, "add-share-dialog")
        dialog.submit()
        wait_runner(qtbot, ctx.runner)
        assert dialog.result() == QDialog.DialogCode.Accepted, dialog.error.text()
        return dialog.result()

    monkeypatch.setattr(sharing_ui.AddShareDialog, "exec", choose_and_send)
    view._add_share_dialog()
    wait_runner(qtbot, ctx.runner)
    # What was sent, read back through the service layer: a new snapshot of the later sheet
    # with the chosen sections, named by its own 提供記録.
    with world.north.store.read() as s:
        snap = s.scalar(select(HandoffSnapshot).where(HandoffSnapshot.handoff_id == hid)
                        .order_by(HandoffSnapshot.seq.desc()).limit(1))
        record = s.scalar(select(Disclosure).where(Disclosure.snapshot_id == snap.id))
    assert snap.seq == 2 and snap.sheet_id == later
    assert snap.sections == ["wishes", "hearing_living"]
    assert snap.content["answers"]["hearing_living"] == "新たに借金が判明した（消費者金融）"
    assert record.basis == "本人同意" and record.content_hash == snap.sha256
    # The Change reloaded the view: the timeline shows the event by its kind, with its note.
    assert EVENT_ADDITIONAL_SHARE in _timeline_kinds(view)
    entry = next(e for e in view.timeline_model.rows if e.kind == EVENT_ADDITIONAL_SHARE)
    assert entry.to_agency == JIRITSU and "聞き取り：生活・経済" in entry.note


def test_a_refused_add_share_shows_the_services_sentence(qtbot, world, make_ctx):
    hid = _handoff_id(world, FUKI)
    ctx = make_ctx(world.north)
    parent = _case_page(qtbot, ctx, world.case_8050.case_id)
    dialog = sharing_ui.AddShareDialog(ctx, hid, parent)
    qtbot.addWidget(dialog)
    dialog.show()
    wait_runner(qtbot, ctx.runner)
    dialog.submit()  # nothing chosen
    wait_runner(qtbot, ctx.runner)
    assert dialog.error.text() == "共有範囲（相手に見せる項目グループ）を一つ以上選んでください。"
    dialog.share_boxes["wishes"].setChecked(True)
    dialog.basis_box.setCurrentText("生命・身体の保護")  # another basis needs its reason
    assert dialog.basis_reason.isEnabled()
    assert "理由を書いてください" in dialog.consent_note.text()
    dialog.submit()
    wait_runner(qtbot, ctx.runner)
    assert dialog.error.text() == "根拠「生命・身体の保護」で送るときは、その理由を書いてください。"
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.ok.isEnabled()
    with world.north.store.read() as s:
        n = s.scalar(select(func.count()).select_from(HandoffSnapshot)
                     .where(HandoffSnapshot.handoff_id == hid))
    assert n == 1  # nothing was disclosed
    type_text(dialog.basis_reason, "本人から死にたいとの発言")
    assert "根拠: 生命・身体の保護（本人から死にたいとの発言）" in dialog.confirm.text()
    dialog.submit()
    wait_runner(qtbot, ctx.runner)
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.error.text()


def test_add_share_is_not_offered_where_the_service_would_refuse_and_says_why(
        qtbot, world, make_ctx):
    fuki_id = _handoff_id(world, FUKI)
    consent.withdraw(world.north, _consent_id(world), reason="本人の申し出")
    ctx = make_ctx(world.north)
    page = _case_page(qtbot, ctx, world.case_8050.case_id)
    view = page.case_view
    _select_handoff(view, FUKI)
    assert not view.add_share_button.isEnabled()
    assert view.add_share_note.isVisibleTo(page)
    assert "本人が同意を撤回したため、このつなぎには追加提供できません" in view.add_share_note.text()
    assert view.add_share_button.toolTip() == view.add_share_note.text()
    row = next(r for r in view.handoff_model.rows if r.id == fuki_id)
    col = [c[0] for c in view.handoff_model.columns].index("access_ended")
    assert view.handoff_model.index(view.handoff_model.rows.index(row), col).data() == "提供終了"
    # The withdrawal's events are in the owner's timeline by kind, with their note.
    withdrawn = [e for e in view.timeline_model.rows if e.kind == EVENT_CONSENT_WITHDRAWN]
    assert {e.to_agency for e in withdrawn} == {FUKI, JIRITSU}
    assert all(e.note == WITHDRAWN_NOTE for e in withdrawn)
    assert EVENT_CONSENT_WITHDRAWN in _timeline_kinds(view)
    _shot(page, "owner-handoffs-after-withdrawal")
    # A receiving agency is not the sender: the action says so.
    fuki = world.staff_of(FUKI)
    new = handoffs.send(world.north, world.case_8050.case_id, _agency_id(world, FUKI), "自殺の危険",
                        share=["basic"], basis="生命・身体の保護", basis_reason="本人の発言")
    ctx2 = make_ctx(fuki)
    page2 = _case_page(qtbot, ctx2, world.case_8050.case_id)
    view2 = page2.case_view
    view2.tabs.setCurrentIndex(2)
    view2.handoff_table.selectRow(next(i for i, r in enumerate(view2.handoff_model.rows)
                                       if r.id == new))
    assert not view2.add_share_button.isEnabled()
    assert view2.add_share_note.text() == "追加提供ができるのは、つなぎを送った機関の職員だけです。"


def _agency_id(w, name: str) -> int:
    from intake_data import agency_id

    return agency_id(w.north, name)


def test_a_closed_hand_off_offers_no_add_share(qtbot, world, make_ctx):
    fuki = world.staff_of(FUKI)
    hid = _handoff_id(world, FUKI)
    handoffs.transition(fuki, hid, "return", note="対象外", alternative="保健所へ")
    ctx = make_ctx(world.north)
    view = _case_page(qtbot, ctx, world.case_8050.case_id).case_view
    _select_handoff(view, FUKI)
    assert not view.add_share_button.isEnabled()
    assert view.add_share_note.text() == ("「返送」のつなぎには追加提供できません。"
                                          "新しいつなぎとして送ってください。")
    _select_handoff(view, JIRITSU)
    assert view.add_share_button.isEnabled() and view.add_share_note.text() == ""


# --- what the receiver sees --------------------------------------------------------------------


def test_the_receivers_view_labels_what_was_provided(qtbot, world, make_ctx):
    later = _second_sheet(world)
    handoffs.add_share(world.north, _handoff_id(world, JIRITSU), ["hearing_living"],
                       sheet_id=later)
    ctx = make_ctx(world.staff_of(JIRITSU))
    page = _case_page(qtbot, ctx, world.case_8050.case_id)
    view = page.case_view
    assert view.notice.isVisibleTo(page) and "提供を受けた内容" in view.notice.text()
    view.tabs.setCurrentIndex(1)  # シート
    text = view.sheet_text.toPlainText()
    assert text.count("提供を受けた内容") == 2  # one block per sheet it was given
    blocks = text.split("「つながる」シート")[1:]  # one per sheet (same second: order by id)
    first = next(b for b in blocks if "借金が判明" in b)  # the later sheet
    second = next(b for b in blocks if b is not first)
    assert f"{TODAY}" in first and "追加提供（北部地域包括支援センターから）: 聞き取り：生活・経済" in first
    assert "送付（北部地域包括支援センターから）: ご本人について・聞き取り：生活・経済" in second
    assert "提供されていない項目（" in second and "世帯構成" in second.split("提供されていない項目")[1]
    assert "年金のみ" in second and "年金のみ" not in first
    with world.north.store.read() as s:
        sha = s.scalar(select(HandoffSnapshot.sha256).where(HandoffSnapshot.sheet_id == later))
    assert f"照合用 {sha[:12]}" in first
    # The receiver's timeline shows the 追加提供 by its kind.
    assert EVENT_ADDITIONAL_SHARE in _timeline_kinds(view)
    _shot(page, "receiver-case-view")


# --- access ended -----------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["consent", "return"])
def test_a_stub_row_opens_to_the_ended_provision_sentence(qtbot, world, make_ctx, how):
    from kodoku_desk.ui.pages.handoffs import InboxPage

    fuki = world.staff_of(FUKI)
    hid = _handoff_id(world, FUKI)
    if how == "consent":
        consent.withdraw(world.north, _consent_id(world), reason="本人の申し出")
        bucket = "未受理"
        expected = f"本人が{TODAY}に同意を撤回したため、ケース {world.case_8050.case_no} の提供は終了しました"
    else:
        handoffs.transition(fuki, hid, "return", note="対象外", alternative="保健所へ")
        bucket = "返送"
        expected = f"このつなぎは{TODAY}に返送したため、ケース {world.case_8050.case_no} の提供は終了しました"
    ctx = make_ctx(fuki)
    opened: list[int] = []
    ctx.open_case = opened.append
    inbox = InboxPage(ctx)
    qtbot.addWidget(inbox)
    inbox.resize(1280, 720)
    inbox.show()
    inbox.refresh()
    wait_runner(qtbot, ctx.runner)
    inbox.select_bucket(bucket)
    wait_runner(qtbot, ctx.runner)
    i = next(n for n, r in enumerate(inbox.model.rows) if r.id == hid)
    name_col = [c[0] for c in inbox.model.columns].index("person_name")
    assert inbox.model.index(i, name_col).data() == "（提供終了）"
    inbox.table.selectRow(i)
    wait_runner(qtbot, ctx.runner)  # the hand-off's timeline under its details
    details = inbox.details.toPlainText()
    if how == "consent":
        assert "終了（本人が同意を撤回）" in details
        assert EVENT_CONSENT_WITHDRAWN in details and WITHDRAWN_NOTE in details
    else:
        assert "終了（返送）" in details and "送付 → 返送" in details and "保健所へ" in details
    qtbot.mouseClick(inbox.open_button, Qt.MouseButton.LeftButton)
    wait_runner(qtbot, ctx.runner)
    assert opened == []
    assert inbox.message.isVisibleTo(inbox) and inbox.message.text().startswith(expected)
    assert inbox.message.text().endswith("（受信箱にはケース番号と経過だけが残ります）。")
    if how == "consent":
        _shot(inbox, "inbox-stub-row")
        # Another hand-off that still grants access: the stub row opens the case after all.
        handoffs.send(world.north, world.case_8050.case_id, _agency_id(world, FUKI), "自殺の危険",
                      share=["basic"], basis="生命・身体の保護", basis_reason="本人の発言")
        inbox.open_selected_case()
        wait_runner(qtbot, ctx.runner)
        assert opened == [world.case_8050.case_id]


def test_the_case_view_says_why_an_ended_provision_cannot_be_opened(qtbot, world, make_ctx):
    from kodoku_desk.ui.pages.caseview_widget import CaseViewWidget

    fuki = world.staff_of(FUKI)
    handoffs.transition(world.north, _handoff_id(world, FUKI), "withdraw", note="誤送信")
    ctx = make_ctx(fuki)
    widget = CaseViewWidget(ctx)
    qtbot.addWidget(widget)
    widget.show()
    widget.load(world.case_8050.case_id)
    wait_runner(qtbot, ctx.runner)
    assert widget.message.text().startswith(f"送付元が{TODAY}にこのつなぎを取り下げたため、")
    assert widget.title.text() == "ケースを開けませんでした"
    widget.load(world.case_south.case_id)  # never given: the plain refusal
    wait_runner(qtbot, ctx.runner)
    assert "権限がありません" in widget.message.text()


def test_the_outbox_details_show_the_add_share_event(qtbot, world, make_ctx):
    from kodoku_desk.ui.pages.handoffs import OutboxPage

    hid = _handoff_id(world, JIRITSU)
    handoffs.add_share(world.north, hid, ["wishes"])
    ctx = make_ctx(world.north)
    outbox = OutboxPage(ctx)
    qtbot.addWidget(outbox)
    outbox.show()
    outbox.refresh()
    wait_runner(qtbot, ctx.runner)
    outbox.select_handoff(hid)
    wait_runner(qtbot, ctx.runner)
    details = outbox.details.toPlainText()
    assert "追加提供" in details and "追加提供: 相談したいこと・支援にあたっての希望" in details
