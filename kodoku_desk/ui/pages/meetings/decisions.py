"""After the meeting: a decision per case on the agenda (what was decided, optionally new role
assignments for the case's plan, the next review date), the decisions recorded so far, and the
minutes (DOCX). How a decision changes the plan is services.meetings.record_decision's."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.queries import meeting_views
from kodoku_desk.services import meeting_packets, meetings, plans
from kodoku_desk.ui.ops import Latest, error_text
from kodoku_desk.ui.widgets import (
    Column,
    DateField,
    FieldError,
    RowsEditor,
    RowsTableModel,
    rows_view,
    text_box,
)

DECISION_COLUMNS: list[Column] = [
    ("case_no", "ケース番号"), ("person_name", "氏名"), ("decisions", "決定事項"),
    ("role_changes", "役割分担の変更", lambda rows: "、".join(
        f"{r.get('change')}: {r.get('agency', '')}" for r in rows)),
    ("next_review_on", "次回見直し"), ("plan_version", "プランの版")]


class DecisionsTab(QWidget):
    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.view: meeting_views.SessionView | None = None
        self._latest = Latest()
        self.decision_item = QComboBox()
        self.decision_item.currentIndexChanged.connect(self._load_roles_for_item)
        self.decision_text = text_box(4)
        self.change_roles = QCheckBox("役割分担を変更する（支援プランの役割分担を置き換えます）")
        self.roles_editor = RowsEditor(plans.ROLE_COLUMNS)
        self.roles_editor.setEnabled(False)
        self.change_roles.toggled.connect(self.roles_editor.setEnabled)
        self.next_review = DateField(field="next_review_on")
        self.decision_button = QPushButton("決定を記録")
        self.decision_button.clicked.connect(self.record_decision)
        self.decision_error = FieldError()
        self.decisions_model = RowsTableModel(DECISION_COLUMNS)
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
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(QLabel("記録した決定"))
        layout.addWidget(rows_view(self.decisions_model), 1)
        layout.addLayout(bottom)

    def show_session(self, view: meeting_views.SessionView, decisions: list[meeting_views.DecisionRow]) -> None:
        self.view = view
        current = self.decision_item.currentData()
        self.decision_item.blockSignals(True)
        self.decision_item.clear()
        for part in view.parts:
            for item in part.agenda:
                self.decision_item.addItem(
                    f"第{part.seq}部 {part.kind}: {item.case_no} {item.person_name}",
                    (part.id, item.case_id))
        self.decision_item.setCurrentIndex(max(self.decision_item.findData(current), 0))
        self.decision_item.blockSignals(False)
        self._load_roles_for_item()
        self.decisions_model.set_rows(decisions)

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

        show, _ = self._latest.guard("roles", self.roles_editor.set_rows)
        self.ctx.runner.write(load, show, parent=self)  # opening the plan is audited

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

        def saved(_row) -> None:  # the write's change (MEETING, PLAN) reloads the session
            self.decision_text.clear()
            self.change_roles.setChecked(False)
            self.next_review.setText("")

        self.ctx.runner.write(
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
        if self.view is None:  # no meeting shown: no minutes to write
            return
        signed, sid = self.ctx.signed, self.view.id
        self.ctx.runner.write(
            lambda progress: meeting_packets.export_minutes(signed, sid, out, progress=progress),
            lambda path: QMessageBox.information(self, "議事録", f"議事録を出力しました: {path}"),
            lambda exc: self.decision_error.show_message(error_text(exc)),
            parent=self, progress_label="議事録を作成しています…")
