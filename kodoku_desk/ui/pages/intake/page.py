"""新規受付: the page that puts the sheet's parts together — person search and duplicates, the
sheet rendered from the template (the part the cursor is in is shown at the top), routing
suggestions, the urgent banner, hand-offs, attachments — and saves them in one write. Everything
that touches the database runs through ctx.runner; errors are shown at the field that caused
them."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain import routing
from kodoku_desk.domain.changes import Change
from kodoku_desk.domain.template import PART_LABELS, load_template
from kodoku_desk.errors import UserError
from kodoku_desk.queries.intake_org import OrgData, intake_org
from kodoku_desk.services import intake
from kodoku_desk.services.intake import IntakeInput, PersonInput
from kodoku_desk.ui.ops import error_text
from kodoku_desk.ui.pages.base import Page
from kodoku_desk.ui.pages.intake import save_flow
from kodoku_desk.ui.pages.intake.attachments import AttachmentBox, choose_scan
from kodoku_desk.ui.pages.intake.consent import ConsentEditor
from kodoku_desk.ui.pages.intake.field_editors import DateEditor, FieldEditor, WorriesEditor
from kodoku_desk.ui.pages.intake.handoff_rows import HandoffList
from kodoku_desk.ui.pages.intake.household import HouseholdEditor
from kodoku_desk.ui.pages.intake.look import ERROR_STYLE, PART_COLOURS, part_of
from kodoku_desk.ui.pages.intake.person_search import PersonSearch
from kodoku_desk.ui.pages.intake.routing_rows import RoutingBox
from kodoku_desk.ui.pages.intake.sheet_form import SheetForm

URGENT_STYLE = ("background: #b00020; color: white; font-size: 15pt; font-weight: bold;"
                " padding: 10px; border: 3px solid #600010;")
OK_STYLE = "color: #1f6f43; font-weight: bold;"
FORM_INDEX = 1  # the sheet's place in the scroll body, after the person search


class IntakePage(Page):
    title = "新規受付"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.template = load_template()
        self.org: OrgData | None = None
        self.org_stale = False
        self.consent_file: str | None = None
        self.saved: intake.SavedIntake | None = None
        self.last_result: routing.RoutingResult | None = None
        self._dup_timer = QTimer(self)
        self._dup_timer.setSingleShot(True)
        self._dup_timer.setInterval(500)
        self._dup_timer.timeout.connect(self.check_duplicates)
        self._build()
        app = QApplication.instance()
        if isinstance(app, QApplication):  # focusChanged is QApplication's, not QCoreApplication's
            app.focusChanged.connect(self._focus_changed)
        ctx.changes.changed.connect(self._on_changed)

    # -- layout

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.addLayout(self._head())
        self.urgent_banner = QLabel()
        self.urgent_banner.setObjectName("urgent_banner")
        self.urgent_banner.setStyleSheet(URGENT_STYLE)
        self.urgent_banner.setWordWrap(True)
        self.urgent_banner.hide()
        outer.addWidget(self.urgent_banner)

        # The scroll area gets its (empty) body first: widgets added to a body already in
        # place are styled once, not again for every parent they are moved into.
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        body = QWidget()
        self.scroll_area.setWidget(body)
        self.body_layout = QVBoxLayout(body)
        self.person = PersonSearch(self.ctx)
        self.person.chosen.connect(self._person_chosen)
        self.person.message.connect(self.status_text)
        self.routing = RoutingBox()
        self.routing.block_changed.connect(self.update_routing)
        self.routing.kept_changed.connect(self._update_flags)
        self.handoffs = HandoffList(self.template, self.consent_covers)
        self.routing.handoff_requested.connect(self.handoffs.add_for)
        self.attachments = AttachmentBox()
        self.form = self._new_form()
        for part in (self.person, self.form, self.routing, self.handoffs, self.attachments):
            self.body_layout.addWidget(part)
        outer.addWidget(self.scroll_area, 1)
        outer.addLayout(self._bottom())

    def _head(self) -> QHBoxLayout:
        head = QHBoxLayout()
        title = QLabel("新規受付 — 「つながる」シート")
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        head.addWidget(title)
        self.part_label = QLabel("入力欄を選ぶと、記入者（A 相談者 / B 受付者）が表示されます")
        self.part_label.setObjectName("part_indicator")
        head.addWidget(self.part_label, 1)
        self.self_entry_button = QPushButton("本人記入モード（大きな文字）")
        self.self_entry_button.clicked.connect(self.open_self_entry)
        head.addWidget(self.self_entry_button)
        blank = QPushButton("空欄の A 票を印刷…")
        blank.setToolTip("相談者が紙に記入するための A 票（PDF）")
        blank.clicked.connect(self.choose_blank_print)
        head.addWidget(blank)
        new = QPushButton("新しい受付")
        new.clicked.connect(self.reset)
        head.addWidget(new)
        return head

    def _bottom(self) -> QHBoxLayout:
        bottom = QHBoxLayout()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("status")
        bottom.addWidget(self.status, 1)
        self.open_case_button = QPushButton("ケースを開く")
        self.open_case_button.hide()
        self.open_case_button.clicked.connect(self._open_saved_case)
        bottom.addWidget(self.open_case_button)
        self.print_button = QPushButton("このシートを印刷…")
        self.print_button.hide()
        self.print_button.clicked.connect(self.choose_sheet_print)
        bottom.addWidget(self.print_button)
        self.save_button = QPushButton("保存してつなぎを送付")
        self.save_button.setObjectName("save")
        self.save_button.setStyleSheet("font-weight: bold; padding: 6px 18px;")
        self.save_button.clicked.connect(self.save)
        bottom.addWidget(self.save_button)
        return bottom

    def _open_saved_case(self) -> None:
        if self.saved is not None:
            self.ctx.open_case(self.saved.case_id)

    def _new_form(self) -> SheetForm:
        """The sheet's sections are built a few per event-loop turn (SheetForm defer); the
        editors are wired when the last one is there (_form_ready)."""
        form = SheetForm(self.template, defer=True)
        form.ready.connect(self._form_ready)
        return form

    def _form_ready(self) -> None:
        self.worries_editor().changed.connect(self.update_routing)
        self.household_editor().changed.connect(self.update_routing)
        safety = self.form.editor("safety")
        if safety is not None:
            safety.changed.connect(self.update_routing)
        for key in ("kana", "birth_date", "phone_home"):
            editor = self.form.editor(key)
            if editor is not None:
                editor.changed.connect(self._dup_timer.start)
        consent = self.consent_editor()
        consent.changed.connect(self.handoffs.consent_changed)
        consent.attach.clicked.connect(self.choose_consent_file)
        self.handoffs.consent_changed()
        if self.org is not None:
            consent.set_agencies(self.org.agencies)
            self._show_receiver()
            self.update_routing()

    # -- the sheet's editors

    def worries_editor(self) -> WorriesEditor:
        return self.form.typed_editor("worries", WorriesEditor)

    def household_editor(self) -> HouseholdEditor:
        return self.form.typed_editor("household", HouseholdEditor)

    def consent_editor(self) -> ConsentEditor:
        return self.form.typed_editor("consent", ConsentEditor)

    def birth_date(self) -> date | None:
        """The birth date typed so far; None while it is empty or not a date yet."""
        try:
            return self.form.typed_editor("birth_date", DateEditor).date_value()
        except UserError:
            return None

    # -- page life

    def refresh(self) -> None:
        if self.org is None or self.org_stale:
            self.org_stale = False
            signed = self.ctx.signed
            self.ctx.runner.query(lambda: intake_org(signed), self._org_loaded,
                                  self._show_failure, parent=self)

    def _on_changed(self, change: Change) -> None:
        """Agencies or blocks changed (admin): reload the lists on the next refresh."""
        if change & Change.ORG:
            self.org_stale = True

    def _org_loaded(self, org: OrgData) -> None:
        self.org = org
        self.handoffs.org = org
        if self.form.is_ready:
            self._show_receiver()
            self.consent_editor().set_agencies(org.agencies)
        self.routing.set_org(org)
        self.update_routing()

    def _focus_changed(self, _old, new) -> None:
        try:
            if not self.isVisible() or new is None or not self.isAncestorOf(new):
                return
        except RuntimeError:  # the page is being destroyed
            return
        part = part_of(new)
        if part:
            colour = PART_COLOURS[part]
            self.part_label.setText(f"いま入力中: {part} {PART_LABELS[part]}")
            self.part_label.setStyleSheet(f"color: white; background: {colour}; padding: 3px 10px;"
                                          " font-weight: bold; border-radius: 4px;")
            self.part_label.setProperty("current_part", part)

    def _show_receiver(self) -> None:
        """受付機関・受付者 come from the signed-in worker; shown in the 受付 section."""
        group = self.form.groups.get("reception")
        if group is None or group.findChild(QLabel, "receiver") is not None:
            return
        actor = self.ctx.signed.actor
        label = QLabel(f"受付機関: {actor.agency_name or '（所属なし）'}　受付者: {actor.display_name}"
                       "（受付日を空けると今日の日付で記録します）")
        label.setObjectName("receiver")
        grid = group.layout()
        if isinstance(grid, QGridLayout):  # every section group is laid out on a grid
            grid.addWidget(label, grid.rowCount(), 0, 1, 2)

    # -- the person

    def _person_chosen(self, match: intake.PersonMatch | None) -> None:
        """Fill what the sheet does not have yet from the chosen person."""
        if match is None:
            return
        values = {"name": match.name, "kana": match.kana, "phone_home": match.phone,
                  "address": match.address}
        for key, value in values.items():
            editor = self.form.editor(key)
            if editor is not None and not editor.value():
                editor.set_value(value)
        birth = self.form.editor("birth_date")
        if birth is not None and match.birth_date and not birth.value():
            birth.set_value(match.birth_date)

    def check_duplicates(self) -> None:
        self.person.check_duplicates(self.form.typed_editor("kana", FieldEditor).value(),
                                     self.birth_date(),
                                     self.form.typed_editor("phone_home", FieldEditor).value())

    # -- routing and the flags

    def update_routing(self) -> None:
        if self.org is None or not self.form.is_ready:
            return
        data = IntakeInput(person=PersonInput(birth_date=self.birth_date()),
                           worries=self.worries_editor().value(),
                           household=self.household_editor().value_lenient())
        self.last_result = routing.suggest(
            intake.routing_input_for(data, date.today(), self.routing.block_id()),
            self.org.agencies, self.org.rules)
        self.routing.show_result(self.last_result)
        self._update_flags()

    def _update_flags(self) -> None:
        """多機関協働 from the suggestions the worker keeps; the urgent banner from the worries
        and the safety check."""
        result = self.last_result
        if result is None:
            return
        self.routing.show_multi_agency(result)
        reasons = list(result.urgent_reasons)
        safety = self.form.editor("safety")
        if safety is not None and safety.value():
            reasons.append("安全の確認: " + "・".join(safety.value()))
        if reasons:
            self.urgent_banner.setText("⚠ 緊急対応が必要です — " + "／".join(reasons)
                                       + "。安全の確認を最優先し、その日のうちに関係機関へ連絡してください。")
            self.urgent_banner.show()
        else:
            self.urgent_banner.hide()

    # -- consent

    def consent_covers(self, agency_id: int) -> bool:
        """Would the consent being entered cover this agency (domain.consent.covers)?"""
        editor = self.consent_editor() if self.form.is_ready else None
        if editor is None:
            return False
        agency = next((a for a in self.org.agencies if a.id == agency_id), None) if self.org else None
        return editor.covers(agency_id, agency.fields if agency else ())

    def choose_consent_file(self) -> None:
        path = choose_scan(self, "署名した用紙")
        if path:
            self.set_consent_file(path)

    def set_consent_file(self, path: str | None) -> None:
        from pathlib import Path

        self.consent_file = path
        self.consent_editor().attach_label.setText(Path(path).name if path else "（添付なし）")

    # -- saving

    def save(self) -> None:
        self.clear_errors()
        try:
            data = save_flow.collect(self)
        except UserError as err:
            self.show_error(err)
            return
        consent_file = self.consent_file if data.consent is not None else None
        work = save_flow.save_work(self.ctx.signed, data, consent_file, self.attachments.paths())
        self.save_button.setEnabled(False)
        self.status.setText("保存しています…")
        self.ctx.runner.write(work, self._saved, self._save_failed, parent=self)

    def _saved(self, saved: intake.SavedIntake) -> None:
        self.saved = saved
        self.status_text(save_flow.saved_text(saved), OK_STYLE)
        self.open_case_button.show()
        self.print_button.show()

    def _save_failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.show_error(exc)

    def clear_errors(self) -> None:
        self.form.clear_errors()
        self.handoffs.clear_errors()
        self.routing.error.hide()
        self.attachments.error.hide()
        self.status.setStyleSheet("")

    def show_error(self, exc: BaseException) -> None:
        """The message at the field that caused it, and on the status line."""
        message = error_text(exc)
        self.status_text(message, ERROR_STYLE)
        target = save_flow.error_target(self, getattr(exc, "field", None) or "", message)
        if target is not None:
            self.scroll_area.ensureWidgetVisible(target)

    def _show_failure(self, exc: BaseException) -> None:
        self.status_text(error_text(exc), ERROR_STYLE)

    def status_text(self, text: str, style: str = "") -> None:
        self.status.setText(text)
        self.status.setStyleSheet(style)

    def reset(self) -> None:
        """A fresh sheet (after saving, or to abandon the input)."""
        self.form.deleteLater()
        self.form = self._new_form()
        self.body_layout.insertWidget(FORM_INDEX, self.form)
        self.handoffs.reset()
        self.routing.reset()
        self.saved, self.consent_file = None, None
        self.person.reset()
        self.status_text("")
        self.open_case_button.hide()
        self.print_button.hide()
        self.attachments.clear()
        self.save_button.setEnabled(True)

    # -- printing (services.sheet_print; files only where the user chose)

    def choose_blank_print(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "空欄の A 票", "A票_空欄.pdf", "PDF (*.pdf)")
        if path:
            self.print_blank(path)

    def print_blank(self, path: str) -> None:
        from kodoku_desk.services.sheet_print import print_blank_part_a

        signed = self.ctx.signed
        # With a progress label the runner passes a progress callback. Printing is audited.
        self.ctx.runner.write(lambda _progress: print_blank_part_a(path, signed=signed),
                              lambda r: self._printed(r.path), self._show_failure, parent=self,
                              progress_label="A 票を作成しています…")

    def choose_sheet_print(self) -> None:
        if self.saved is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "シートの印刷", f"シート_{self.saved.case_no}.pdf",
                                              "PDF (*.pdf)")
        if path:
            self.print_saved_sheet(path)

    def print_saved_sheet(self, path: str) -> None:
        from kodoku_desk.services.sheet_print import print_sheet

        if self.saved is None:  # nothing saved yet: no sheet to print
            return
        signed, sheet_id = self.ctx.signed, self.saved.sheet_id
        self.ctx.runner.write(lambda progress: print_sheet(signed, sheet_id, path, progress),
                              lambda r: self._printed(r.path), self._show_failure, parent=self,
                              progress_label="シートを作成しています…")

    def _printed(self, path) -> None:
        self.status_text(f"PDF を作成しました: {path}", OK_STYLE)

    # -- self-entry

    def open_self_entry(self) -> None:
        from kodoku_desk.ui.selfentry import SelfEntryDialog

        dialog = SelfEntryDialog(self.ctx, self.template, self.form.values(), parent=self)
        dialog.finished.connect(lambda _: self._self_entry_done(dialog))
        self.self_entry = dialog
        dialog.open()

    def _self_entry_done(self, dialog) -> None:
        values = dialog.values()
        # The person's tick means 同意 was given; the worker completes scope and method.
        consent_given = values.pop("consent", None)
        self.form.set_values(values)
        if consent_given:
            self.consent_editor().set_value(True)
        self.update_routing()
        self.status.setText("本人記入モードの内容を取り込みました。B 欄を記入してください。")
