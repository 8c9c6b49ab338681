"""新規受付: the 「つながる」シート entry screen.

Person search and duplicate warning first (never merged automatically), then the sheet rendered
from the template (the part the cursor is in is shown at the top), routing suggestions with their
reasons (confirm / add / remove — a removed one keeps its reason), an unmistakable banner for the
urgent path, consent, and one hand-off row per next agency. Everything that touches the
database runs through ctx.runner; errors are shown at the field that caused them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from kodoku_desk.domain import dates, routing
from kodoku_desk.domain.template import PART_LABELS, load_template
from kodoku_desk.errors import UserError
from kodoku_desk.models.handoffs import BASIS_CONSENT
from kodoku_desk.models.org import FIELDS
from kodoku_desk.services import intake
from kodoku_desk.services.consent import ConsentInput
from kodoku_desk.services.handoffs import HANDOFF_BASES, SendInput
from kodoku_desk.services.intake import IntakeInput, PersonInput, RoutingChoice
from kodoku_desk.ui.ops import error_text
from kodoku_desk.ui.pages.base import Page
from kodoku_desk.ui.pages.intake_form import (
    ERROR_STYLE,
    PART_COLOURS,
    ConsentEditor,
    DateInput,
    HouseholdEditor,
    SheetForm,
    WorriesEditor,
    mark_part,
    part_of,
)

# Template fields kept on the Person row: editor key → PersonInput attribute.
PERSON_FIELDS = {"name": "name", "kana": "kana", "sex": "sex", "birth_date": "birth_date",
                 "address": "address", "phone_home": "phone"}
ERROR_FIELD_TO_EDITOR = {f"person.{attr}": key for key, attr in PERSON_FIELDS.items()}
ERROR_FIELD_TO_EDITOR.update({"person": "name", "most_pressing": "worries"})
DEFAULT_SHARE = ("basic", "worries")
URGENT_STYLE = ("background: #b00020; color: white; font-size: 15pt; font-weight: bold;"
                " padding: 10px; border: 3px solid #600010;")
WARN_STYLE = ("QFrame#duplicate_warning { background: #fff4c2; border: 2px solid #d19a00;"
              " padding: 6px; }")


@dataclass(frozen=True)
class OrgData:
    agencies: list[routing.AgencyRef]
    blocks: list[tuple[int, str]]
    own_agency_id: int | None
    own_block_id: int | None
    rules: routing.RoutingRules


def load_org(signed) -> OrgData:
    from kodoku_desk.models import Agency, Block

    with signed.store.read() as s:
        agencies = [routing.AgencyRef(a.id, a.name, tuple(a.fields), a.block_id, a.active)
                    for a in s.scalars(select(Agency).where(Agency.active.is_(True))
                                       .order_by(Agency.id))]
        blocks = [(b.id, b.name) for b in s.scalars(select(Block).where(Block.active.is_(True))
                                                   .order_by(Block.id))]
    own = next((a for a in agencies if a.id == signed.actor.agency_id), None)
    return OrgData(agencies, blocks, signed.actor.agency_id, own.block_id if own else None,
                   routing.rules_for(signed.folder))


# --- routing rows ------------------------------------------------------------------------------------

class RoutingRow(QFrame):
    """One suggestion (or worker addition): kept (checked) or removed with a reason."""

    def __init__(self, field: str, agency_id: int | None, agency_name: str, reason: str,
                 source: str, urgent: bool, on_handoff, own: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field, self.agency_id, self.source = field, agency_id, source
        self.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 3, 6, 3)
        own_note = "（受付機関。つなぎは不要）" if own else ""
        self.keep = QCheckBox(f"{field} → {agency_name or '（該当する機関が未登録）'}{own_note}")
        self.keep.setChecked(True)
        self.keep.setStyleSheet("font-weight: bold;" + (" color: #b00020;" if urgent else ""))
        self.reason = QLabel(("【緊急】" if urgent else "") + "理由: " + reason)
        self.reason.setWordWrap(True)
        self.reason_text = reason
        self.removed_reason = QLineEdit()
        self.removed_reason.setPlaceholderText("候補から外す理由（任意）")
        self.removed_reason.setVisible(False)
        self.keep.toggled.connect(lambda on: self.removed_reason.setVisible(not on))
        handoff = QPushButton("この機関へつなぐ")
        handoff.setEnabled(agency_id is not None and not own)
        handoff.clicked.connect(lambda: on_handoff(agency_id, reason))
        grid.addWidget(self.keep, 0, 0)
        grid.addWidget(handoff, 0, 1, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.reason, 1, 0, 1, 2)
        grid.addWidget(self.removed_reason, 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)

    def update_reason(self, reason: str, urgent: bool) -> None:
        self.reason_text = reason
        self.reason.setText(("【緊急】" if urgent else "") + "理由: " + reason)

    def choice(self) -> RoutingChoice:
        kept = self.keep.isChecked()
        return RoutingChoice(self.field, self.agency_id, self.reason_text, self.source,
                             "confirmed" if kept else "removed",
                             "" if kept else self.removed_reason.text())


# --- hand-off rows -----------------------------------------------------------------------------------

class HandoffRow(QFrame):
    """つなぎ先: agency, 理由, 依頼内容, 共有範囲, and the basis when outside consent."""

    def __init__(self, page: IntakePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = page
        self.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        self.agency = QComboBox()
        self.agency.addItem("（つなぎ先を選ぶ）", None)
        for a in page.org.agencies if page.org else []:
            if a.id != page.org.own_agency_id:
                self.agency.addItem(a.name, a.id)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("つなぐ理由（必須）")
        self.request = QLineEdit()
        self.request.setPlaceholderText("依頼内容（例: 訪問での面談）")
        self.share: dict[str, QCheckBox] = {}
        share_box = QWidget()
        share_grid = QGridLayout(share_box)
        share_grid.setContentsMargins(0, 0, 0, 0)
        for i, section in enumerate(page.template.sections):
            check = QCheckBox(section.label)
            check.setToolTip(f"{section.part} {PART_LABELS[section.part]}")
            check.setChecked(section.key in DEFAULT_SHARE)
            self.share[section.key] = check
            share_grid.addWidget(check, i // 4, i % 4)
        self.basis = QComboBox()
        for b in HANDOFF_BASES:
            self.basis.addItem(b)
        self.basis_reason = QLineEdit()
        self.basis_reason.setPlaceholderText("根拠の理由（本人同意以外のとき必須）")
        self.consent_note = QLabel()
        remove = QPushButton("このつなぎを削除")
        remove.clicked.connect(lambda: page.remove_handoff(self))
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        grid.addWidget(QLabel("つなぎ先"), 0, 0)
        grid.addWidget(self.agency, 0, 1)
        grid.addWidget(self.consent_note, 0, 2)
        grid.addWidget(remove, 0, 3)
        grid.addWidget(QLabel("理由"), 1, 0)
        grid.addWidget(self.reason, 1, 1, 1, 3)
        grid.addWidget(QLabel("依頼内容"), 2, 0)
        grid.addWidget(self.request, 2, 1, 1, 3)
        grid.addWidget(QLabel("共有範囲"), 3, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(share_box, 3, 1, 1, 3)
        grid.addWidget(QLabel("根拠"), 4, 0)
        grid.addWidget(self.basis, 4, 1)
        grid.addWidget(self.basis_reason, 4, 2, 1, 2)
        grid.addWidget(self.error, 5, 0, 1, 4)
        grid.setColumnStretch(2, 1)
        self.agency.currentIndexChanged.connect(self.update_consent_note)
        self.basis.currentIndexChanged.connect(self.update_consent_note)

    def set_agency(self, agency_id: int | None) -> None:
        self.agency.setCurrentIndex(max(self.agency.findData(agency_id), 0))

    def update_consent_note(self) -> None:
        agency_id = self.agency.currentData()
        if agency_id is None:
            self.consent_note.setText("")
            return
        covered = self.page.consent_covers(agency_id)
        is_consent = self.basis.currentText() == BASIS_CONSENT
        self.basis_reason.setEnabled(not is_consent)
        if covered:
            self.consent_note.setText("同意の範囲内")
            self.consent_note.setStyleSheet("color: #1f6f43; font-weight: bold;")
        elif is_consent:
            self.consent_note.setText("同意の範囲外: 別の根拠と理由が必要です")
            self.consent_note.setStyleSheet(ERROR_STYLE)
        else:
            self.consent_note.setText("同意の範囲外（同意なしの提供として記録されます）")
            self.consent_note.setStyleSheet("color: #a35200; font-weight: bold;")

    def to_input(self) -> SendInput:
        return SendInput(self.agency.currentData(), self.reason.text(), self.request.text(),
                         [k for k, c in self.share.items() if c.isChecked()],
                         self.basis.currentText(), self.basis_reason.text())

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()


# --- the page ----------------------------------------------------------------------------------------

class IntakePage(Page):
    title = "新規受付"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.template = load_template()
        self.org: OrgData | None = None
        self.selected_person: intake.PersonMatch | None = None
        self.consent_file: str | None = None
        self.routing_rows: dict[object, RoutingRow] = {}
        self.worker_rows: list[RoutingRow] = []
        self.handoff_rows: list[HandoffRow] = []
        self.saved: intake.SavedIntake | None = None
        self.last_result: routing.RoutingResult | None = None
        self._dup_timer = QTimer(self)
        self._dup_timer.setSingleShot(True)
        self._dup_timer.setInterval(500)
        self._dup_timer.timeout.connect(self.check_duplicates)
        self._build()
        app = QApplication.instance()
        if app is not None:
            app.focusChanged.connect(self._focus_changed)
        ctx.changes.changed.connect(self._on_change)

    # -- layout

    def _build(self) -> None:
        outer = QVBoxLayout(self)
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
        outer.addLayout(head)

        self.urgent_banner = QLabel()
        self.urgent_banner.setObjectName("urgent_banner")
        self.urgent_banner.setStyleSheet(URGENT_STYLE)
        self.urgent_banner.setWordWrap(True)
        self.urgent_banner.hide()
        outer.addWidget(self.urgent_banner)

        # The scroll area gets its (empty) body first: widgets added to a body already in
        # place are styled once, not again for every parent they are moved into.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        scroll.setWidget(body)
        self.body_layout = QVBoxLayout(body)
        self.body_layout.addWidget(self._search_box())
        self.dup_banner = QFrame()
        self.dup_banner.setObjectName("duplicate_warning")
        self.dup_banner.setStyleSheet(WARN_STYLE)
        self.dup_layout = QVBoxLayout(self.dup_banner)
        self.dup_banner.hide()
        self.body_layout.addWidget(self.dup_banner)
        # The sheet's sections are built a few per event-loop turn (SheetForm defer); the
        # editors are wired when the last one is there (_form_ready).
        self.form = SheetForm(self.template, defer=True)
        self.form.ready.connect(self._form_ready)
        self.body_layout.addWidget(self.form)
        self.body_layout.addWidget(self._routing_box())
        self.body_layout.addWidget(self._handoff_box())
        self.body_layout.addWidget(self._attachment_box())
        self.scroll = scroll
        outer.addWidget(scroll, 1)

        bottom = QHBoxLayout()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("status")
        bottom.addWidget(self.status, 1)
        self.open_case_button = QPushButton("ケースを開く")
        self.open_case_button.hide()
        self.open_case_button.clicked.connect(lambda: self.saved and self.ctx.open_case(self.saved.case_id))
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
        outer.addLayout(bottom)

    def _search_box(self) -> QGroupBox:
        box = QGroupBox("本人の検索（新しいシートの前に、すでに登録されている方か確かめます）")
        grid = QGridLayout(box)
        self.search_query = QLineEdit()
        self.search_query.setPlaceholderText("氏名・ふりがな（ｶﾀｶﾅ・ひらがな・空白の違いは区別しません）")
        self.search_birth = DateInput("生年月日")
        self.search_birth.edit.setPlaceholderText("生年月日（R7.4.1 など）")
        self.search_phone = QLineEdit()
        self.search_phone.setPlaceholderText("電話番号")
        search = QPushButton("検索")
        search.setObjectName("search_person")
        search.clicked.connect(self.search_people)
        self.search_query.returnPressed.connect(self.search_people)
        self.search_results = QListWidget()
        self.search_results.setMaximumHeight(90)
        self.search_results.hide()
        choose = QPushButton("選んだ方で受付する")
        choose.clicked.connect(self._choose_from_results)
        self.choose_button = choose
        choose.hide()
        self.selected_label = QLabel()
        self.selected_label.setStyleSheet("color: #1d4e89; font-weight: bold;")
        self.case_choice = QComboBox()
        self.case_choice.setObjectName("case_choice")
        self.case_choice.hide()
        self.unselect_button = QPushButton("選択を外す（新しい方として入力）")
        self.unselect_button.clicked.connect(lambda: self.select_person(None))
        self.unselect_button.hide()
        grid.addWidget(self.search_query, 0, 0)
        grid.addWidget(self.search_birth, 0, 1)
        grid.addWidget(self.search_phone, 0, 2)
        grid.addWidget(search, 0, 3)
        grid.addWidget(self.search_results, 1, 0, 1, 3)
        grid.addWidget(choose, 1, 3, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.selected_label, 2, 0)
        grid.addWidget(self.case_choice, 2, 1, 1, 2)
        grid.addWidget(self.unselect_button, 2, 3)
        grid.setColumnStretch(0, 2)
        return box

    def _routing_box(self) -> QGroupBox:
        box = QGroupBox("［B］つなぎ先の候補（困りごと・世帯の状況から。確認・追加・削除できます）")
        mark_part(box, "B")
        layout = QVBoxLayout(box)
        row = QHBoxLayout()
        row.addWidget(QLabel("本人の住むブロック"))
        self.block = QComboBox()
        self.block.addItem("（受付機関のブロック）", None)
        self.block.currentIndexChanged.connect(self.update_routing)
        row.addWidget(self.block)
        row.addStretch(1)
        layout.addLayout(row)
        self.multi_label = QLabel()
        self.multi_label.setObjectName("multi_agency")
        self.multi_label.setStyleSheet("background: #e8f0fb; border: 1px solid #1d4e89; padding: 4px;"
                                       " font-weight: bold;")
        self.multi_label.setWordWrap(True)
        self.multi_label.hide()
        layout.addWidget(self.multi_label)
        self.routing_list = QVBoxLayout()
        layout.addLayout(self.routing_list)
        self.no_routing = QLabel("困りごとを選ぶと候補が表示されます。")
        self.no_routing.setStyleSheet("color: #666;")
        layout.addWidget(self.no_routing)
        add = QHBoxLayout()
        add.addWidget(QLabel("候補を追加:"))
        self.add_field = QComboBox()
        for f in FIELDS:
            self.add_field.addItem(f)
        self.add_agency = QComboBox()
        self.add_agency.setMinimumContentsLength(16)
        self.add_reason = QLineEdit()
        self.add_reason.setPlaceholderText("追加する理由")
        add_button = QPushButton("追加")
        add_button.clicked.connect(self.add_worker_routing)
        for w in (self.add_field, self.add_agency):
            add.addWidget(w)
        add.addWidget(self.add_reason, 1)
        add.addWidget(add_button)
        layout.addLayout(add)
        self.routing_error = QLabel()
        self.routing_error.setStyleSheet(ERROR_STYLE)
        self.routing_error.hide()
        layout.addWidget(self.routing_error)
        return box

    def _handoff_box(self) -> QGroupBox:
        box = QGroupBox("［B］つなぎ先（理由・依頼内容・相手に見せる範囲）")
        mark_part(box, "B")
        layout = QVBoxLayout(box)
        self.handoff_list = QVBoxLayout()
        layout.addLayout(self.handoff_list)
        row = QHBoxLayout()
        add = QPushButton("＋ つなぎ先を追加")
        add.setObjectName("add_handoff")
        add.clicked.connect(lambda: self.add_handoff())
        row.addWidget(add)
        row.addStretch(1)
        layout.addLayout(row)
        return box

    def _attachment_box(self) -> QGroupBox:
        box = QGroupBox("添付（記入済みの用紙などのスキャン: PDF・PNG・JPEG、20 MB まで。暗号化して保存）")
        layout = QHBoxLayout(box)
        self.attachment_list = QListWidget()
        self.attachment_list.setMaximumHeight(70)
        layout.addWidget(self.attachment_list, 1)
        buttons = QVBoxLayout()
        add = QPushButton("ファイルを追加…")
        add.clicked.connect(self.choose_attachment)
        remove = QPushButton("選んだ添付を外す")
        remove.clicked.connect(lambda: self.attachment_list.takeItem(self.attachment_list.currentRow()))
        buttons.addWidget(add)
        buttons.addWidget(remove)
        layout.addLayout(buttons)
        self.attachment_error = QLabel()
        self.attachment_error.setStyleSheet(ERROR_STYLE)
        self.attachment_error.hide()
        buttons.addWidget(self.attachment_error)
        return box

    def choose_attachment(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "添付するファイル", "",
                                              "スキャン (*.pdf *.png *.jpg *.jpeg)")
        if path:
            self.add_attachment_path(path)

    def add_attachment_path(self, path: str) -> None:
        from pathlib import Path

        item = QListWidgetItem(Path(path).name)
        item.setData(Qt.ItemDataRole.UserRole, path)
        self.attachment_list.addItem(item)

    def attachment_paths(self) -> list[str]:
        return [self.attachment_list.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.attachment_list.count())]

    # -- printing (services.sheet_print; files only where the user chose)

    def choose_blank_print(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "空欄の A 票", "A票_空欄.pdf", "PDF (*.pdf)")
        if path:
            self.print_blank(path)

    def print_blank(self, path: str) -> None:
        from kodoku_desk.services.sheet_print import print_blank_part_a

        signed = self.ctx.signed
        # With a progress label the runner passes a progress callback.
        self.ctx.runner.run(lambda _progress: print_blank_part_a(path, signed=signed),
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

        signed, sheet_id = self.ctx.signed, self.saved.sheet_id
        self.ctx.runner.run(lambda progress: print_sheet(signed, sheet_id, path, progress),
                            lambda r: self._printed(r.path), self._show_failure, parent=self,
                            progress_label="シートを作成しています…")

    def _printed(self, path) -> None:
        self.status.setText(f"PDF を作成しました: {path}")
        self.status.setStyleSheet("color: #1f6f43; font-weight: bold;")

    def _wire_form(self) -> None:
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
        consent.changed.connect(self._consent_changed)
        consent.attach.clicked.connect(self.choose_consent_file)
        self._consent_changed()

    # -- editors

    def worries_editor(self) -> WorriesEditor:
        return self.form.editor("worries")

    def household_editor(self) -> HouseholdEditor:
        return self.form.editor("household")

    def consent_editor(self) -> ConsentEditor:
        return self.form.editor("consent")

    # -- page life

    def refresh(self) -> None:
        if self.org is None or getattr(self, "org_stale", False):
            self.org_stale = False
            self.ctx.runner.run(lambda: load_org(self.ctx.signed), self._org_loaded,
                                self._show_failure, parent=self)

    def _on_change(self, what: str) -> None:
        """Agencies or blocks changed (admin): reload the lists on the next refresh."""
        if what in ("agency", "block", "org"):
            self.org_stale = True

    def _form_ready(self) -> None:
        """Every section of the (new) sheet is built: wire it and fill what needs the org."""
        self._wire_form()
        if self.org is not None:
            self.consent_editor().set_agencies(self.org.agencies)
            self._show_receiver()
            self.update_routing()

    def _org_loaded(self, org: OrgData) -> None:
        self.org = org
        if self.form.is_ready:
            self._show_receiver()
            self.consent_editor().set_agencies(org.agencies)
        self.block.blockSignals(True)
        self.block.clear()
        self.block.addItem("（受付機関のブロック）", None)
        for block_id, name in org.blocks:
            self.block.addItem(name, block_id)
        self.block.blockSignals(False)
        self.add_agency.clear()
        for a in org.agencies:
            self.add_agency.addItem(a.name, a.id)
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
        grid.addWidget(label, grid.rowCount(), 0, 1, 2)

    # -- person search and duplicates

    def search_people(self) -> None:
        try:
            birth = self.search_birth.date_value("search_birth")
        except UserError as err:
            self.status.setText(err.message)
            return
        query, phone = self.search_query.text(), self.search_phone.text()
        self.ctx.runner.run(lambda: intake.find_people(self.ctx.signed, query, birth, phone),
                            self._show_results, self._show_failure, parent=self)

    def _show_results(self, found: list[intake.PersonMatch]) -> None:
        self.search_results.clear()
        for m in found:
            item = QListWidgetItem(describe_person(m))
            item.setData(Qt.ItemDataRole.UserRole, m)
            self.search_results.addItem(item)
        if not found:
            self.search_results.addItem("該当する方はいません。新しい方として入力してください。")
        self.search_results.show()
        self.choose_button.setVisible(bool(found))

    def _choose_from_results(self) -> None:
        item = self.search_results.currentItem()
        match = item.data(Qt.ItemDataRole.UserRole) if item else None
        if match is not None:
            self.select_person(match)

    def select_person(self, match: intake.PersonMatch | None) -> None:
        """Use an existing person for this sheet (the worker's decision, never automatic)."""
        self.selected_person = match
        self.case_choice.clear()
        self.case_choice.addItem("新しいケースとして受付", None)
        if match is None:
            self.selected_label.setText("")
            self.unselect_button.hide()
            self.case_choice.hide()
            return
        for no, case_id in zip(match.case_nos, match.case_ids, strict=False):
            self.case_choice.addItem(f"ケース {no} にシートを追加", case_id)
        self.case_choice.setVisible(bool(match.case_ids))
        self.selected_label.setText(f"既存の方で受付: {describe_person(match)}")
        self.unselect_button.show()
        self.dup_banner.hide()
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
        if self.selected_person is not None:
            return
        kana = self.form.editor("kana").value()
        phone = self.form.editor("phone_home").value()
        try:
            birth = self.form.editor("birth_date").date_value()
        except UserError:
            birth = None
        if not (kana and birth) and len(phone) < 6:
            self.dup_banner.hide()
            return
        self.ctx.runner.run(lambda: intake.check_duplicates(self.ctx.signed, kana, birth, phone),
                            self._show_duplicates, lambda exc: None, parent=self)

    def _show_duplicates(self, found: list[intake.PersonMatch]) -> None:
        while self.dup_layout.count():
            item = self.dup_layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        if not found or self.selected_person is not None:
            self.dup_banner.hide()
            return
        head = QLabel("同じ方かもしれません（自動でまとめることはしません。同じ方なら選んでください）")
        head.setStyleSheet("font-weight: bold;")
        self.dup_layout.addWidget(head)
        for m in found:
            row = QHBoxLayout()
            label = QLabel(f"{describe_person(m)} — {'・'.join(m.why)}")
            label.setWordWrap(True)
            row.addWidget(label, 1)
            pick = QPushButton("この方を選ぶ")
            pick.clicked.connect(lambda _=False, m=m: self.select_person(m))
            row.addWidget(pick)
            holder = QWidget()
            holder.setLayout(row)
            self.dup_layout.addWidget(holder)
        self.dup_banner.show()

    # -- routing

    def current_routing_input(self) -> IntakeInput:
        try:
            birth = self.form.editor("birth_date").date_value()
        except UserError:
            birth = None
        return IntakeInput(person=PersonInput(birth_date=birth),
                           worries=self.worries_editor().value(),
                           household=self.household_editor().value_lenient())

    def _block_id(self) -> int | None:
        chosen = self.block.currentData()
        if chosen is not None:
            return chosen
        return self.org.own_block_id if self.org else None

    def update_routing(self) -> None:
        if self.org is None or not self.form.is_ready:
            return
        data = self.current_routing_input()
        result = routing.suggest(intake.routing_input_for(data, date.today(), self._block_id()),
                                 self.org.agencies, self.org.rules)
        self.last_result = result
        keys = []
        for s in result.suggestions:
            key = (s.field, s.agency_id)
            keys.append(key)
            row = self.routing_rows.get(key)
            if row is None:
                row = RoutingRow(s.field, s.agency_id, s.agency_name, s.reason, "rule", s.urgent,
                                 self.handoff_from_routing, s.agency_id == self.org.own_agency_id)
                row.keep.toggled.connect(lambda _on: self._update_flags())
                self.routing_rows[key] = row
                self.routing_list.addWidget(row)
            else:
                row.update_reason(s.reason, s.urgent)
        for key in [k for k in self.routing_rows if k not in keys]:
            self.routing_rows.pop(key).deleteLater()
        self.no_routing.setVisible(not self.routing_rows and not self.worker_rows)
        self._update_flags(result)

    def kept_fields(self) -> tuple[str, ...]:
        rows = list(self.routing_rows.values()) + self.worker_rows
        return routing.fields_of(r.field for r in rows if r.keep.isChecked())

    def _update_flags(self, result: routing.RoutingResult | None = None) -> None:
        """多機関協働 from the suggestions the worker keeps; the urgent banner from the worries
        and the safety check."""
        result = result or self.last_result
        if result is None:
            return
        fields = self.kept_fields()
        rules = self.org.rules if self.org else None
        if routing.is_multi_agency(fields, rules):
            counted = [f for f in fields if f not in (rules or routing.default_rules()).ignore_fields]
            coordinator = f" → {result.coordinator_name} に共有" if result.coordinator_name else ""
            self.multi_label.setText(f"多機関協働の候補: {'・'.join(counted)} の {len(counted)} 分野に"
                                     f"またがります（重層的支援会議の候補）{coordinator}")
            self.multi_label.show()
        else:
            self.multi_label.hide()
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

    def add_worker_routing(self) -> None:
        agency_id = self.add_agency.currentData()
        row = RoutingRow(self.add_field.currentText(), agency_id, self.add_agency.currentText(),
                         self.add_reason.text(), "worker", False, self.handoff_from_routing)
        row.keep.toggled.connect(lambda _on: self._update_flags())
        self.worker_rows.append(row)
        self.routing_list.addWidget(row)
        self.add_reason.clear()
        self.no_routing.hide()
        self._update_flags()

    def handoff_from_routing(self, agency_id: int | None, reason: str) -> None:
        for row in self.handoff_rows:
            if row.agency.currentData() == agency_id:
                return
        row = self.add_handoff()
        row.set_agency(agency_id)
        row.reason.setText(reason)

    # -- hand-offs and consent

    def add_handoff(self) -> HandoffRow:
        row = HandoffRow(self)
        self.handoff_rows.append(row)
        self.handoff_list.addWidget(row)
        row.update_consent_note()
        return row

    def remove_handoff(self, row: HandoffRow) -> None:
        self.handoff_rows.remove(row)
        row.deleteLater()

    def consent_covers(self, agency_id: int) -> bool:
        """The same rule as services.consent.covers, on the consent being entered (a hint only;
        the service checks again when saving)."""
        editor = self.consent_editor()
        if not editor.value():
            return False
        if agency_id in editor.scope_agencies():
            return True
        agency = next((a for a in self.org.agencies if a.id == agency_id), None) if self.org else None
        return bool(agency and set(agency.fields) & set(editor.scope_fields()))

    def _consent_changed(self) -> None:
        for row in self.handoff_rows:
            row.update_consent_note()

    def choose_consent_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "署名した用紙", "",
                                              "スキャン (*.pdf *.png *.jpg *.jpeg)")
        if path:
            self.set_consent_file(path)

    def set_consent_file(self, path: str | None) -> None:
        from pathlib import Path

        self.consent_file = path
        self.consent_editor().attach_label.setText(Path(path).name if path else "（添付なし）")

    # -- collecting and saving

    def collect(self) -> IntakeInput:
        """The input as entered; date fields are parsed here (errors name the field)."""
        f = self.form
        person = PersonInput(**{attr: (f.editor(key).date_value() if key == "birth_date"
                                       else f.editor(key).value())
                                for key, attr in PERSON_FIELDS.items()})
        if self.selected_person is not None:
            person.person_id = self.selected_person.person_id
        received_day = f.editor("received_at").date_value()
        received = None
        if received_day and received_day != date.today():
            received = datetime(received_day.year, received_day.month, received_day.day)
        consent_editor = self.consent_editor()
        consent = None
        if consent_editor.value():
            consent = ConsentInput(True, consent_editor.scope_agencies(),
                                   consent_editor.scope_fields(),
                                   consent_editor.meetings.isChecked(),
                                   consent_editor.method.currentText(),
                                   consent_editor.date.date_value("consent.date"))
        routing_choices = [r.choice() for r in self.routing_rows.values()]
        routing_choices += [r.choice() for r in self.worker_rows]
        return IntakeInput(
            person=person, received_at=received, method=f.editor("method").value(),
            discovery=f.editor("discovery").value(),
            urgency=f.editor("urgency").value() or "中",
            answers=f.answers(), worries=self.worries_editor().value(),
            most_pressing=self.worries_editor().most_pressing(),
            household=self.household_editor().value(), routing=routing_choices,
            consent=consent, handoffs=[r.to_input() for r in self.handoff_rows],
            block_id=self.block.currentData(),
            case_id=self.case_choice.currentData() if self.selected_person else None)

    def save(self) -> None:
        self.clear_errors()
        try:
            data = self.collect()
        except UserError as err:
            self.show_error(err)
            return
        consent_file = self.consent_file if data.consent is not None else None
        scans = self.attachment_paths()
        signed = self.ctx.signed

        def work() -> intake.SavedIntake:
            from kodoku_desk.services.attachments import AttachmentInput, read_file

            # Files are read here, off the GUI thread, and go straight into the encrypted db.
            if consent_file:
                item = read_file(consent_file)
                data.consent_attachment = AttachmentInput(item.filename, item.data, "consent")
            data.attachments = [read_file(p) for p in scans]
            return intake.save_intake(signed, data)

        self.save_button.setEnabled(False)
        self.status.setText("保存しています…")
        self.ctx.runner.run(work, self._saved, self._save_failed, parent=self)

    def _saved(self, saved: intake.SavedIntake) -> None:
        self.saved = saved
        sent = f"つなぎ {len(saved.handoff_ids)} 件を送付しました。" if saved.handoff_ids else ""
        flags = "（緊急対応）" if saved.urgent_path else ""
        flags += "（多機関協働の候補）" if saved.multi_agency else ""
        self.status.setText(f"保存しました。ケース番号 {saved.case_no}{flags}。{sent}")
        self.status.setStyleSheet("color: #1f6f43; font-weight: bold;")
        self.open_case_button.show()
        self.print_button.show()
        self.ctx.changes.changed.emit("case")
        if saved.handoff_ids:
            self.ctx.changes.changed.emit("handoff")

    def _save_failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.show_error(exc)

    def _show_failure(self, exc: BaseException) -> None:
        self.status.setText(error_text(exc))
        self.status.setStyleSheet(ERROR_STYLE)

    def clear_errors(self) -> None:
        self.form.clear_errors()
        for row in self.handoff_rows:
            row.error.hide()
        self.routing_error.hide()
        self.attachment_error.hide()
        self.status.setStyleSheet("")

    def show_error(self, exc: BaseException) -> None:
        """The message at the field that caused it, and on the status line."""
        message = error_text(exc)
        self.status.setText(message)
        self.status.setStyleSheet(ERROR_STYLE)
        field = getattr(exc, "field", None) or ""
        target = self._error_target(field, message)
        if target is not None:
            self.scroll.ensureWidgetVisible(target)

    def _error_target(self, field: str, message: str) -> QWidget | None:
        head, _, index = field.partition("[")
        number = int(index.split("]")[0]) if index and index.split("]")[0].isdigit() else -1
        if head == "handoffs" and 0 <= number < len(self.handoff_rows):
            self.handoff_rows[number].show_error(message)
            return self.handoff_rows[number]
        if head == "household":
            editor = self.household_editor()
            editor.show_row_error(number, message)
            return editor
        if head == "routing":
            self.routing_error.setText(message)
            self.routing_error.show()
            return self.routing_error
        if field == "attachment":
            self.attachment_error.setText(message)
            self.attachment_error.show()
            return self.attachment_error
        if field.startswith("consent"):
            editor = self.consent_editor()
            editor.show_error(message)
            return editor
        key = ERROR_FIELD_TO_EDITOR.get(field, field)
        editor = self.form.editor(key)
        if editor is not None:
            editor.show_error(message)
            return editor
        return None

    def reset(self) -> None:
        """A fresh sheet (after saving, or to abandon the input)."""
        self.form.deleteLater()
        self.form = SheetForm(self.template, defer=True)
        self.form.ready.connect(self._form_ready)
        self.body_layout.insertWidget(2, self.form)
        for row in list(self.handoff_rows):
            self.remove_handoff(row)
        for row in list(self.routing_rows.values()) + self.worker_rows:
            row.deleteLater()
        self.routing_rows, self.worker_rows = {}, []
        self.saved, self.consent_file = None, None
        self.select_person(None)
        self.dup_banner.hide()
        self.search_results.hide()
        self.status.clear()
        self.status.setStyleSheet("")
        self.open_case_button.hide()
        self.print_button.hide()
        self.attachment_list.clear()
        self.save_button.setEnabled(True)

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


def describe_person(m: intake.PersonMatch) -> str:
    born = dates.to_wareki(m.birth_date) if m.birth_date else "生年月日不明"
    numbers = [n for n in m.case_nos if n[:1].isdigit()]
    others = [n for n in m.case_nos if not n[:1].isdigit()]
    cases = f"（ケース {'・'.join(numbers)}）" if numbers else ""
    cases += f"（{'・'.join(others)}）" if others else ""
    kana = f"（{m.kana}）" if m.kana else ""
    phone = f"・{m.phone}" if m.phone else ""
    return f"{m.name}{kana} {born}{phone}{cases}"


__all__ = ["IntakePage", "OrgData", "describe_person", "load_org"]
