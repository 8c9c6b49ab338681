"""A part's agenda (the cases it discusses) and the case picker beside it. Whether a case may be
discussed in this kind of part is the service's answer: the candidates say it in a column, and
a refusal on adding appears right under the picker."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from kodoku_desk.queries import meeting_views
from kodoku_desk.services import meetings
from kodoku_desk.ui.ops import error_text
from kodoku_desk.ui.widgets import Column, FieldError, RowsTableModel, rows_view, selected_row

AGENDA_COLUMNS = [("case_no", "ケース番号"), ("person_name", "氏名"), ("plan_status", "プラン"),
                  ("problem", "確認事項")]
CANDIDATE_COLUMNS: list[Column] = [("case_no", "ケース番号"), ("person_name", "氏名"),
                     ("multi_agency", "多機関"), ("plan_status", "プラン"),
                     ("refusal", "この部で扱えるか", lambda why: why or "扱えます")]


class AgendaBox(QGroupBox):
    def __init__(self, ctx, part: meeting_views.PartView, parent: QWidget | None = None) -> None:
        super().__init__("議題（ケース）", parent)
        self.ctx, self.part_id = ctx, part.id
        self.agenda_model = RowsTableModel(AGENDA_COLUMNS, part.agenda)
        self.agenda_view = rows_view(self.agenda_model)
        remove = QPushButton("議題から外す")
        remove.clicked.connect(self.remove_case)
        self.case_query = QLineEdit()
        self.case_query.setPlaceholderText("ケース番号・氏名・ふりがな・電話番号で探す")
        search = QPushButton("探す")
        search.clicked.connect(self.search_cases)
        self.case_query.returnPressed.connect(self.search_cases)
        self.candidates_model = RowsTableModel(CANDIDATE_COLUMNS)
        self.candidates_view = rows_view(self.candidates_model)
        self.candidates_view.doubleClicked.connect(lambda _: self.add_case())
        add = QPushButton("議題に追加")
        add.clicked.connect(lambda: self.add_case())
        self.error = FieldError()
        left = QVBoxLayout()
        left.addWidget(self.agenda_view, 1)
        left.addWidget(remove)
        picker = QVBoxLayout()
        query_row = QHBoxLayout()
        query_row.addWidget(self.case_query, 1)
        query_row.addWidget(search)
        picker.addLayout(query_row)
        picker.addWidget(self.candidates_view, 1)
        picker.addWidget(self.error)
        picker.addWidget(add)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addLayout(picker, 1)

    def show_part(self, part: meeting_views.PartView) -> None:
        self.agenda_model.set_rows(part.agenda)

    def search_cases(self) -> None:
        signed, part_id, query = self.ctx.signed, self.part_id, self.case_query.text()
        self.ctx.runner.query(lambda: meeting_views.candidate_cases(signed, part_id, query),
                              self.candidates_model.set_rows, parent=self)

    def add_case(self, case_id: int | None = None) -> None:
        """Adds the chosen case (e.g. no consent for a 重層的支援会議: the refusal shows here)."""
        self.error.clear_message()
        if case_id is None:
            chosen = selected_row(self.candidates_view, self.candidates_model)
            if chosen is None:
                self.error.show_message("追加するケースを一覧から選んでください。")
                return
            case_id = chosen.case_id
        signed, part_id = self.ctx.signed, self.part_id
        self._write(lambda: meetings.add_case(signed, part_id, case_id))

    def remove_case(self) -> None:
        chosen = selected_row(self.agenda_view, self.agenda_model)
        if chosen is not None:
            signed, part_id = self.ctx.signed, self.part_id
            self._write(lambda: meetings.remove_case(signed, part_id, chosen.case_id))

    def _write(self, fn) -> None:
        """The write's Change.MEETING reloads the session, and with it this agenda."""
        self.ctx.runner.write(fn, None, lambda exc: self.error.show_message(error_text(exc)),
                              parent=self)
