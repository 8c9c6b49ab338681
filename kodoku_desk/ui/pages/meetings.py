"""会議 (docs/DOMAIN.md §7): sessions (upcoming first), the session editor with its parts (kind,
members, agenda with a case picker), the packet export dialog and the after-meeting screen
(decisions per case, minutes). The meeting-kind rule, consent checks and the plan lifecycle
live in services/meetings.py, services/meeting_packets.py and services/plans.py; refusals are
the services' sentences, shown where the user acted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.models.plans import MEETING_KINDS
from kodoku_desk.queries import pickers as plans_ui_queries
from kodoku_desk.services import meeting_packets, meetings, plans
from kodoku_desk.ui.ops import error_text
from kodoku_desk.ui.pages.base import Page
from kodoku_desk.ui.pages.plans import RowsEditor, _text_box
from kodoku_desk.ui.widgets import DateField, FieldError, PasswordPair, RowsTableModel

REDACT_CHOICES = (("種類ごとの既定（支援者支援会議は匿名化）", None), ("すべての部を匿名化する", True),
                  ("匿名化しない", False))


def upcoming_first(rows: list[meetings.SessionRow], today: date) -> list[meetings.SessionRow]:
    """Coming sessions soonest first, then past ones newest first."""
    coming = sorted((r for r in rows if r.held_on >= today), key=lambda r: (r.held_on, r.id))
    past = sorted((r for r in rows if r.held_on < today), key=lambda r: (r.held_on, r.id),
                  reverse=True)
    return coming + past


def _table(model: RowsTableModel, stretch_last: bool = True) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(stretch_last)
    return view


def _selected(view: QTableView, model: RowsTableModel):
    rows = view.selectionModel().selectedRows() if view.selectionModel() else []
    return model.row_at(rows[0].row()) if rows else None


@dataclass(frozen=True)
class _Member:
    """A member row before it is saved (MemberSpec plus its label)."""

    label: str
    spec: meetings.MemberSpec


class PartPanel(QWidget):
    """One part of a saved session: its members and its agenda with the case picker."""

    def __init__(self, page: MeetingsPage, part: meetings.PartView) -> None:
        super().__init__()
        self.page, self.part = page, part
        rule = part.rule
        consent = "本人の同意（会議での共有）が必要です。" if rule.requires_consent else \
            "本人の同意がなくても扱えます（非公開・守秘義務）。" if not rule.redact_default else \
            "資料は既定で匿名化されます。"
        info = QLabel(f"{part.kind}{'　' + part.title if part.title else ''}　／　{rule.legal_frame}"
                      f"\n{consent}")
        info.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(info)
        layout.addWidget(self._members_box(), 2)
        layout.addWidget(self._agenda_box(), 3)
        remove = QPushButton("この部を削除")
        remove.clicked.connect(self.remove_part)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(remove)
        layout.addLayout(row)

    # ---------------------------------------------------------------- members

    def _members_box(self) -> QGroupBox:
        box = QGroupBox("構成員")
        self.members = [_Member(m.label, meetings.MemberSpec(m.agency_id, m.staff_id,
                                                             m.external_name,
                                                             m.external_affiliation))
                        for m in self.part.members]
        self.members_model = RowsTableModel([("label", "構成員")], self.members)
        self.members_view = _table(self.members_model)
        self.members_view.setMinimumHeight(110)
        org = self.page.org
        self.agency_pick = QComboBox()
        for agency_id, name in org.agencies:
            self.agency_pick.addItem(name, agency_id)
        self.staff_pick = QComboBox()
        for staff_id, label in org.staff:
            self.staff_pick.addItem(label, staff_id)
        self.external_name, self.external_affiliation = QLineEdit(), QLineEdit()
        self.external_name.setPlaceholderText("外部構成員の氏名")
        self.external_affiliation.setPlaceholderText("所属（例: 民生委員・児童委員協議会）")
        add_agency, add_staff, add_external = (QPushButton("機関を追加"), QPushButton("職員を追加"),
                                               QPushButton("外部の方を追加"))
        remove = QPushButton("選んだ構成員を外す")
        add_agency.clicked.connect(lambda: self._add_member(_Member(
            self.agency_pick.currentText(),
            meetings.MemberSpec(agency_id=self.agency_pick.currentData()))))
        add_staff.clicked.connect(lambda: self._add_member(_Member(
            self.staff_pick.currentText(),
            meetings.MemberSpec(staff_id=self.staff_pick.currentData()))))
        add_external.clicked.connect(self._add_external)
        remove.clicked.connect(self._remove_member)
        self.members_error = FieldError()
        grid = QFormLayout()
        row1 = QHBoxLayout()
        row1.addWidget(self.agency_pick, 1)
        row1.addWidget(add_agency)
        row2 = QHBoxLayout()
        row2.addWidget(self.staff_pick, 1)
        row2.addWidget(add_staff)
        row3 = QHBoxLayout()
        row3.addWidget(self.external_name, 1)
        row3.addWidget(self.external_affiliation, 1)
        row3.addWidget(add_external)
        grid.addRow("機関", row1)
        grid.addRow("職員", row2)
        grid.addRow("外部", row3)
        layout = QHBoxLayout(box)
        left = QVBoxLayout()
        left.addWidget(self.members_view, 1)
        left.addWidget(remove)
        layout.addLayout(left, 2)
        right = QVBoxLayout()
        right.addLayout(grid)
        right.addWidget(self.members_error)
        right.addStretch(1)
        layout.addLayout(right, 3)
        return box

    def _add_external(self) -> None:
        name, affiliation = self.external_name.text().strip(), self.external_affiliation.text().strip()
        label = f"{name}（{affiliation}）" if affiliation else name
        self._add_member(_Member(label, meetings.MemberSpec(external_name=name,
                                                            external_affiliation=affiliation)))

    def _add_member(self, member: _Member) -> None:
        self._save_members([*self.members, member], lambda: (self.external_name.clear(),
                                                              self.external_affiliation.clear()))

    def _remove_member(self) -> None:
        chosen = _selected(self.members_view, self.members_model)
        if chosen is not None:
            self._save_members([m for m in self.members if m is not chosen], lambda: None)

    def _save_members(self, members: list[_Member], then) -> None:
        self.members_error.clear_message()
        signed, part_id = self.page.ctx.signed, self.part.id
        specs = [m.spec for m in members]

        def saved(_result) -> None:
            self.members = members
            self.members_model.set_rows(members)
            then()

        self.page.ctx.runner.run(lambda: meetings.set_members(signed, part_id, specs), saved,
                                 lambda exc: self.members_error.show_message(error_text(exc)),
                                 parent=self)

    # ---------------------------------------------------------------- agenda

    def _agenda_box(self) -> QGroupBox:
        box = QGroupBox("議題（ケース）")
        self.agenda_model = RowsTableModel([
            ("case_no", "ケース番号"), ("person_name", "氏名"), ("plan_status", "プラン"),
            ("problem", "確認事項")], self.part.agenda)
        self.agenda_view = _table(self.agenda_model)
        remove = QPushButton("議題から外す")
        remove.clicked.connect(self.remove_case)
        self.case_query = QLineEdit()
        self.case_query.setPlaceholderText("ケース番号・氏名・ふりがな・電話番号で探す")
        search = QPushButton("探す")
        search.clicked.connect(self.search_cases)
        self.case_query.returnPressed.connect(self.search_cases)
        self.candidates_model = RowsTableModel([
            ("case_no", "ケース番号"), ("person_name", "氏名"),
            ("multi_agency", "多機関"), ("plan_status", "プラン"),
            ("refusal", "この部で扱えるか", lambda why: why or "扱えます")])
        self.candidates_view = _table(self.candidates_model)
        self.candidates_view.doubleClicked.connect(lambda _: self.add_case())
        add = QPushButton("議題に追加")
        add.clicked.connect(self.add_case)
        self.agenda_error = FieldError()
        left = QVBoxLayout()
        left.addWidget(self.agenda_view, 1)
        left.addWidget(remove)
        picker = QVBoxLayout()
        query_row = QHBoxLayout()
        query_row.addWidget(self.case_query, 1)
        query_row.addWidget(search)
        picker.addLayout(query_row)
        picker.addWidget(self.candidates_view, 1)
        picker.addWidget(self.agenda_error)
        picker.addWidget(add)
        layout = QHBoxLayout(box)
        layout.addLayout(left, 1)
        layout.addLayout(picker, 1)
        return box

    def search_cases(self) -> None:
        signed, part_id, query = self.page.ctx.signed, self.part.id, self.case_query.text()
        self.page.ctx.runner.run(lambda: meetings.candidate_cases(signed, part_id, query),
                                 self.candidates_model.set_rows, parent=self)

    def add_case(self, case_id: int | None = None) -> None:
        """Adds the chosen case; the service's refusal (e.g. no consent for a 重層的支援会議)
        appears right under the picker."""
        self.agenda_error.clear_message()
        if case_id is None:
            chosen = _selected(self.candidates_view, self.candidates_model)
            if chosen is None:
                self.agenda_error.show_message("追加するケースを一覧から選んでください。")
                return
            case_id = chosen.case_id
        signed, part_id = self.page.ctx.signed, self.part.id
        self.page.ctx.runner.run(lambda: meetings.add_case(signed, part_id, case_id),
                                 lambda _id: self.page.reload_session(),
                                 lambda exc: self.agenda_error.show_message(error_text(exc)),
                                 parent=self)

    def remove_case(self) -> None:
        chosen = _selected(self.agenda_view, self.agenda_model)
        if chosen is None:
            return
        signed, part_id = self.page.ctx.signed, self.part.id
        self.page.ctx.runner.run(lambda: meetings.remove_case(signed, part_id, chosen.case_id),
                                 lambda _r: self.page.reload_session(),
                                 lambda exc: self.agenda_error.show_message(error_text(exc)),
                                 parent=self)

    def remove_part(self) -> None:
        signed, part_id = self.page.ctx.signed, self.part.id
        self.page.ctx.runner.run(lambda: meetings.remove_part(signed, part_id),
                                 lambda _r: self.page.reload_session(),
                                 lambda exc: self.agenda_error.show_message(error_text(exc)),
                                 parent=self)


class PacketDialog(QDialog):
    """Format, redaction, optional PDF password and where to save the meeting packet."""

    def __init__(self, parent: QWidget, view: meetings.SessionView) -> None:
        super().__init__(parent)
        self.setWindowTitle("会議資料の出力")
        self.view = view
        self.pdf, self.docx = QRadioButton("PDF"), QRadioButton("Word（DOCX）")
        self.pdf.setChecked(True)
        self.redact = QComboBox()
        for label, value in REDACT_CHOICES:
            self.redact.addItem(label, value)
        self.redact_note = QLabel()
        self.redact_note.setWordWrap(True)
        self.use_password = QCheckBox("PDFにパスワードを付ける")
        self.password = PasswordPair()
        self.password.setEnabled(False)
        self.use_password.toggled.connect(self.password.setEnabled)
        self.path = QLineEdit()
        self.path.setPlaceholderText("保存するファイルを選んでください")
        browse = QPushButton("保存先を選ぶ…")
        browse.clicked.connect(self.browse)
        self.error = FieldError()
        self.pdf.toggled.connect(self._format_changed)
        self.redact.currentIndexChanged.connect(self._update_note)
        formats = QHBoxLayout()
        formats.addWidget(self.pdf)
        formats.addWidget(self.docx)
        formats.addStretch(1)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("形式", formats)
        form.addRow("匿名化", self.redact)
        form.addRow("", self.redact_note)
        form.addRow("", self.use_password)
        form.addRow("パスワード", self.password)
        form.addRow("保存先", path_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("出力")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("キャンセル")
        buttons.accepted.connect(self._check_and_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{view.title}（{len(view.parts)}部・ケース{view.case_count}件）"))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(620, 0)
        self._update_note()

    @property
    def fmt(self) -> str:
        return "pdf" if self.pdf.isChecked() else "docx"

    @property
    def redact_value(self) -> bool | None:
        return self.redact.currentData()

    def _format_changed(self) -> None:
        self.use_password.setEnabled(self.pdf.isChecked())
        if not self.pdf.isChecked():
            self.use_password.setChecked(False)
        text = self.path.text()
        if text:
            self.path.setText(str(Path(text).with_suffix(f".{self.fmt}")))

    def _update_note(self) -> None:
        value = self.redact_value
        redacted = [p.kind for p in self.view.parts
                    if (p.rule.redact_default if value is None else value)]
        self.redact_note.setText(("匿名化される部: " + "・".join(redacted)) if redacted
                                 else "どの部も匿名化しません（氏名・住所などがそのまま載ります）。")

    def browse(self) -> None:
        name = f"{self.view.held_on.isoformat()}_{self.view.title}_会議資料.{self.fmt}"
        start = str(Path(self.path.text()).parent / name) if self.path.text() else name
        pattern = "PDF (*.pdf)" if self.fmt == "pdf" else "Word (*.docx)"
        chosen, _ = QFileDialog.getSaveFileName(self, "会議資料の保存先", start, pattern)
        if chosen:
            self.path.setText(chosen if chosen.lower().endswith(f".{self.fmt}")
                              else f"{chosen}.{self.fmt}")

    def password_value(self) -> str | None:
        if self.fmt != "pdf" or not self.use_password.isChecked():
            return None
        return self.password.value()  # raises UserError when the two entries differ

    def _check_and_accept(self) -> None:
        self.error.clear_message()
        if not self.path.text().strip():
            self.error.show_message("保存先のファイルを選んでください。")
            return
        try:
            if self.password_value() == "":
                self.error.show_message("PDFのパスワードを入力してください。")
                return
        except Exception as exc:  # noqa: BLE001 - shown in the dialog
            self.error.show_message(error_text(exc))
            return
        self.accept()


class MeetingsPage(Page):
    title = "会議"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.view: meetings.SessionView | None = None
        self.session_id: int | None = None
        self.pending_parts: list[tuple[str, str]] = []
        self.org = plans_ui_queries.OrgChoices([], [], [])
        self.last_export: meeting_packets.ExportResult | None = None
        self._build()

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        self.sessions_model = RowsTableModel([
            ("held_on_wareki", "開催日"), ("title", "会議名"), ("kinds", "部"),
            ("cases", "ケース"), ("place", "場所")])
        self.sessions_view = _table(self.sessions_model)
        self.sessions_view.clicked.connect(
            lambda index: self.open_session(self.sessions_model.row_at(index.row()).id))
        new = QPushButton("新しい会議")
        new.clicked.connect(self.new_session)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("会議（これからの会議が先）"))
        left_layout.addWidget(self.sessions_view, 1)
        left_layout.addWidget(new)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._session_tab(), "会議・議題")
        self.tabs.addTab(self._after_tab(), "会議の後（決定事項）")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([400, 900])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.new_session()

    def _session_tab(self) -> QWidget:
        self.title_edit = QLineEdit()
        self.date_field = DateField(field="held_on")
        self.start_time, self.end_time = QLineEdit(), QLineEdit()
        self.start_time.setPlaceholderText("13:30")
        self.end_time.setPlaceholderText("16:00")
        self.place, self.chair = QLineEdit(), QLineEdit()
        self.block = QComboBox()
        self.save_button = QPushButton("会議を保存")
        self.save_button.clicked.connect(self.save_session)
        self.export_button = QPushButton("会議資料を出力…")
        self.export_button.clicked.connect(self.export_packet)
        self.session_error = FieldError()
        times = QHBoxLayout()
        times.addWidget(self.start_time)
        times.addWidget(QLabel("～"))
        times.addWidget(self.end_time)
        times.addStretch(1)
        form = QFormLayout()
        form.addRow("会議名", self.title_edit)
        form.addRow("開催日", self.date_field)
        form.addRow("時間", times)
        form.addRow("場所", self.place)
        form.addRow("司会", self.chair)
        form.addRow("ブロック", self.block)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)

        self.kind_pick = QComboBox()
        self.kind_pick.addItems(MEETING_KINDS)
        self.part_title = QLineEdit()
        self.part_title.setPlaceholderText("部の名前（任意）")
        add_part = QPushButton("部を追加")
        add_part.clicked.connect(self.add_part)
        parts_row = QHBoxLayout()
        parts_row.addWidget(QLabel("部の種類"))
        parts_row.addWidget(self.kind_pick)
        parts_row.addWidget(self.part_title, 1)
        parts_row.addWidget(add_part)
        self.parts_note = QLabel()
        self.parts_note.setWordWrap(True)
        self.parts_tabs = QTabWidget()

        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addLayout(form)
        layout.addWidget(self.session_error)
        layout.addLayout(buttons)
        layout.addLayout(parts_row)
        layout.addWidget(self.parts_note)
        layout.addWidget(self.parts_tabs, 1)
        return tab

    def _after_tab(self) -> QWidget:
        self.decision_item = QComboBox()
        self.decision_item.currentIndexChanged.connect(self._load_roles_for_item)
        self.decision_text = _text_box(4)
        self.change_roles = QCheckBox("役割分担を変更する（支援プランの役割分担を置き換えます）")
        self.roles_editor = RowsEditor(plans.ROLE_COLUMNS)
        self.roles_editor.setEnabled(False)
        self.change_roles.toggled.connect(self.roles_editor.setEnabled)
        self.next_review = DateField(field="next_review_on")
        self.decision_button = QPushButton("決定を記録")
        self.decision_button.clicked.connect(self.record_decision)
        self.decision_error = FieldError()
        self.decisions_model = RowsTableModel([
            ("case_no", "ケース番号"), ("person_name", "氏名"), ("decisions", "決定事項"),
            ("role_changes", "役割分担の変更", lambda rows: "、".join(
                f"{r.get('change')}: {r.get('agency', '')}" for r in rows)),
            ("next_review_on", "次回見直し"), ("plan_version", "プランの版")])
        decisions = _table(self.decisions_model)
        self.minutes_button = QPushButton("議事録（DOCX）を出力…")
        self.minutes_button.clicked.connect(self.export_minutes)
        box = QGroupBox("ケースごとの決定")
        form = QFormLayout(box)
        form.addRow("議題", self.decision_item)
        form.addRow("決定事項", self.decision_text)
        form.addRow("", self.change_roles)
        form.addRow("役割分担", self.roles_editor)
        form.addRow("次回見直し日", self.next_review)
        form.addRow(self.decision_error)
        form.addRow(self.decision_button)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.minutes_button)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(box)
        layout.addWidget(QLabel("記録した決定"))
        layout.addWidget(decisions, 1)
        layout.addLayout(bottom)
        return tab

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        signed = self.ctx.signed

        def load():
            return meetings.list_sessions(signed), plans_ui_queries.org_choices(signed)

        self.ctx.runner.run(load, self._show_sessions, parent=self)

    def _show_sessions(self, result) -> None:
        rows, org = result
        self.sessions_model.set_rows(upcoming_first(rows, date.today()))
        if org != self.org:
            self.org = org
            current = self.block.currentText()
            self.block.clear()
            self.block.addItems(["（なし）", *org.blocks])
            self.block.setCurrentText(current or "（なし）")

    def new_session(self) -> None:
        self.view, self.session_id = None, None
        self.pending_parts = []
        for edit in (self.title_edit, self.start_time, self.end_time, self.place, self.chair):
            edit.clear()
        self.date_field.setText("")
        self.block.setCurrentIndex(0)
        self.session_error.clear_message()
        self._show_parts()
        self.tabs.setTabEnabled(1, False)
        self.export_button.setEnabled(False)

    def open_session(self, session_id: int) -> None:
        self.session_id = session_id
        self.reload_session()

    def reload_session(self) -> None:
        if self.session_id is None:
            return
        signed, sid = self.ctx.signed, self.session_id

        def load():
            return meetings.get_session(signed, sid), meetings.decisions_for(signed, sid)

        self.ctx.runner.run(load, self._show_session, parent=self)
        self.refresh()  # the list's case and part counts follow the agenda

    def _show_session(self, result) -> None:
        view, decisions = result
        self.view = view
        self.title_edit.setText(view.title)
        self.date_field.set_date(view.held_on)
        self.start_time.setText(view.start_time)
        self.end_time.setText(view.end_time)
        self.place.setText(view.place)
        self.chair.setText(view.chair)
        self.block.setCurrentText(view.block or "（なし）")
        self.session_error.clear_message()
        current = self.parts_tabs.currentIndex()
        self._show_parts()
        self.parts_tabs.setCurrentIndex(max(current, 0))
        self.tabs.setTabEnabled(1, True)
        self.export_button.setEnabled(view.case_count > 0)
        self._show_decision_items(view)
        self.decisions_model.set_rows(decisions)

    def _show_parts(self) -> None:
        while self.parts_tabs.count():
            widget = self.parts_tabs.widget(0)
            self.parts_tabs.removeTab(0)
            widget.deleteLater()
        if self.view is None:
            for kind, title in self.pending_parts:
                note = QLabel("会議を保存すると、構成員と議題を登録できます。")
                self.parts_tabs.addTab(note, f"{kind}{'（' + title + '）' if title else ''}")
            self.parts_note.setText("会議名・開催日を入力し、部（会議の種類）を1つ以上追加して保存してください。"
                                    "1回の会議に種類の違う部を続けて開けます。")
            return
        self.parts_note.setText("部ごとに構成員と議題を登録します。部の種類で扱えるケースが決まります。")
        for part in self.view.parts:
            label = f"第{part.seq}部 {part.kind}"
            self.parts_tabs.addTab(PartPanel(self, part), label)

    # ------------------------------------------------------------------ session edits

    def _session_input(self) -> dict:
        block = self.block.currentText()
        return {"title": self.title_edit.text(), "held_on": self.date_field.value(),
                "start_time": self.start_time.text(), "end_time": self.end_time.text(),
                "place": self.place.text(), "chair": self.chair.text(),
                "block": None if block in ("", "（なし）") else block}

    def save_session(self) -> None:
        self.session_error.clear_message()
        try:
            values = self._session_input()
        except Exception as exc:  # noqa: BLE001 - a bad date: shown at the form
            self.session_error.show_message(error_text(exc))
            return
        signed = self.ctx.signed
        if self.session_id is None:
            parts = list(self.pending_parts)
            title, held_on = values.pop("title"), values.pop("held_on") or ""
            fn = lambda: meetings.create_session(signed, title, held_on, parts=parts, **values)  # noqa: E731
        else:
            sid = self.session_id
            title, held_on = values.pop("title"), values.pop("held_on") or ""
            fn = lambda: meetings.update_session(signed, sid, title, held_on, **values)  # noqa: E731

        def saved(result) -> None:
            if self.session_id is None:
                self.session_id = result
            self.pending_parts = []
            self.ctx.changes.changed.emit("meeting")
            self.reload_session()

        self.ctx.runner.run(fn, saved, lambda exc: self.session_error.show_message(error_text(exc)),
                            parent=self)

    def add_part(self) -> None:
        kind, title = self.kind_pick.currentText(), self.part_title.text()
        self.part_title.clear()
        if self.session_id is None:
            self.pending_parts.append((kind, title))
            self._show_parts()
            self.parts_tabs.setCurrentIndex(self.parts_tabs.count() - 1)
            return
        signed, sid = self.ctx.signed, self.session_id
        self.ctx.runner.run(lambda: meetings.add_part(signed, sid, kind, title),
                            lambda _id: self.reload_session(),
                            lambda exc: self.session_error.show_message(error_text(exc)),
                            parent=self)

    # ------------------------------------------------------------------ packet export

    def export_packet(self) -> None:
        if self.view is None:
            return
        dialog = PacketDialog(self, self.view)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.start_packet_export(dialog.fmt, dialog.path.text().strip(), dialog.redact_value,
                                 dialog.password_value())

    def start_packet_export(self, fmt: str, out: str, redact: bool | None,
                            password: str | None) -> None:
        signed, sid = self.ctx.signed, self.view.id

        def work(progress):
            return meeting_packets.export_packet(signed, sid, fmt, out, redact=redact,
                                                 password=password, progress=progress)

        def done(result: meeting_packets.ExportResult) -> None:
            self.last_export = result
            self.ctx.changes.changed.emit("disclosure")
            note = "（匿名化あり）" if result.redacted else ""
            self.session_error.setStyleSheet("color: #1b5e20;")
            self.session_error.show_message(
                f"会議資料を出力しました{note}: {result.path}（{result.copies}部・ケース{result.cases}件）")

        def failed(exc: BaseException) -> None:
            self.session_error.setStyleSheet("color: #b00020;")
            self.session_error.show_message(error_text(exc))

        self.ctx.runner.run(work, done, failed, parent=self,
                            progress_label="会議資料を作成しています…")

    # ------------------------------------------------------------------ after the meeting

    def _show_decision_items(self, view: meetings.SessionView) -> None:
        self.decision_item.blockSignals(True)
        self.decision_item.clear()
        for part in view.parts:
            for item in part.agenda:
                self.decision_item.addItem(
                    f"第{part.seq}部 {part.kind}: {item.case_no} {item.person_name}",
                    (part.id, item.case_id))
        self.decision_item.blockSignals(False)
        self._load_roles_for_item()

    def _load_roles_for_item(self) -> None:
        """Pre-fills the 役割分担 editor with the case's current plan (if it has one)."""
        chosen = self.decision_item.currentData()
        self.roles_editor.set_rows([])
        if chosen is None:
            return
        signed, case_id = self.ctx.signed, chosen[1]

        def load() -> list[dict]:
            rows = plans.list_plans(signed, case_id=case_id, limit=1)
            return list(plans.get_plan(signed, rows[0].id).data.get("roles") or []) if rows else []

        self.ctx.runner.run(load, self.roles_editor.set_rows, parent=self)

    def record_decision(self) -> None:
        self.decision_error.clear_message()
        chosen = self.decision_item.currentData()
        if chosen is None:
            self.decision_error.show_message("議題のケースを選んでください。")
            return
        try:
            review = self.next_review.value()
        except Exception as exc:  # noqa: BLE001 - shown under the field
            self.decision_error.show_message(error_text(exc))
            return
        part_id, case_id = chosen
        signed, text = self.ctx.signed, self.decision_text.toPlainText()
        roles = self.roles_editor.rows() if self.change_roles.isChecked() else None

        def saved(_row) -> None:
            self.decision_text.clear()
            self.change_roles.setChecked(False)
            self.next_review.setText("")
            self.ctx.changes.changed.emit("plan")
            self.reload_session()

        self.ctx.runner.run(
            lambda: meetings.record_decision(signed, part_id, case_id, text, roles, review),
            saved, lambda exc: self.decision_error.show_message(error_text(exc)), parent=self)

    def export_minutes(self) -> None:
        if self.view is None:
            return
        name = f"{self.view.held_on.isoformat()}_{self.view.title}_議事録.docx"
        chosen, _ = QFileDialog.getSaveFileName(self, "議事録の保存先", name, "Word (*.docx)")
        if not chosen:
            return
        self.start_minutes_export(chosen if chosen.lower().endswith(".docx") else f"{chosen}.docx")

    def start_minutes_export(self, out: str) -> None:
        signed, sid = self.ctx.signed, self.view.id
        self.ctx.runner.run(
            lambda progress: meeting_packets.export_minutes(signed, sid, out, progress=progress),
            lambda path: QMessageBox.information(self, "議事録", f"議事録を出力しました: {path}"),
            lambda exc: self.decision_error.show_message(error_text(exc)),
            parent=self, progress_label="議事録を作成しています…")
