"""ケース一覧 and the case view (issue 3 §9).

The list searches through services.search (normalised like the CLI) and pages through the
result; a double-click opens the case view. Everything is loaded through ctx.runner."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain import dates
from kodoku_desk.domain.changes import Change
from kodoku_desk.ui.ops import Latest, error_text
from kodoku_desk.ui.pages.base import Page
from kodoku_desk.ui.pages.caseview_widget import CaseViewWidget
from kodoku_desk.ui.tables import fit_columns
from kodoku_desk.ui.widgets import Column, DateField, RowsTableModel

PAGE_SIZE = 100
ALL = "（すべて）"
URGENT_BG = QColor("#fde2e1")
URGENT_FG = QColor("#8e1b10")
# What the list shows: the case rows, their flags and hand-off state, and agency names.
LISTED = Change.CASE | Change.HANDOFF | Change.CONSENT | Change.ORG


def wareki_dt(value) -> str:
    return dates.to_wareki(value.date()) if value else ""


def flags_text(row) -> str:
    out = []
    if row.urgent_path:
        out.append("緊急")
    if row.multi_agency:
        out.append("多機関協働")
    return "・".join(out)


CASE_COLUMNS: list[Column] = [
    ("case_no", "ケース番号"),
    ("person_name", "氏名"),
    ("kana", "ふりがな"),
    ("birth_date", "生年月日", lambda d: dates.to_wareki(d) if d else ""),
    ("owner_agency", "受付機関"),
    ("block", "ブロック"),
    ("status_label", "状態"),
    ("urgency", "緊急度"),
    ("fields", "分野", lambda v: "・".join(v or [])),
    ("opened_at", "受付日", wareki_dt),
]


class CaseTableModel(RowsTableModel):
    """Urgent-path cases stand out in red, with 緊急 / 多機関協働 in their own column."""

    def __init__(self) -> None:
        super().__init__([*CASE_COLUMNS[:1], ("id", "しるし", lambda _: ""), *CASE_COLUMNS[1:]])

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole and self.columns[index.column()][1] == "しるし":
            return flags_text(row)
        if role == Qt.ItemDataRole.BackgroundRole and row.urgent_path:
            return URGENT_BG
        if role == Qt.ItemDataRole.ForegroundRole and row.urgent_path:
            return URGENT_FG
        return super().data(index, role)


class CaseListPage(Page):
    title = "ケース一覧"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.offset = 0
        self.total = 0
        self._choices_loaded = False
        self._pending = False
        self._latest = Latest()
        self.stack = QStackedWidget(self)
        self.list_panel = self._build_list()
        self.view_panel = QWidget(self)
        back_row = QHBoxLayout()
        self.back_button = QPushButton("← ケース一覧に戻る")
        self.back_button.clicked.connect(self.show_list)
        back_row.addWidget(self.back_button)
        back_row.addStretch(1)
        self.case_view = CaseViewWidget(ctx, self.view_panel)
        v = QVBoxLayout(self.view_panel)
        v.setContentsMargins(0, 0, 0, 0)
        v.addLayout(back_row)
        v.addWidget(self.case_view, 1)
        self.stack.addWidget(self.list_panel)
        self.stack.addWidget(self.view_panel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.search)
        ctx.changes.changed.connect(self._on_changed)

    # --- building -----------------------------------------------------------------------
    def _build_list(self) -> QWidget:
        panel = QWidget(self)
        self.query_edit = QLineEdit()
        self.query_edit.setPlaceholderText("氏名・ふりがな・電話番号・ケース番号で検索（全角半角・カナかなは区別しません）")
        self.query_edit.setClearButtonEnabled(True)
        self.query_edit.textChanged.connect(lambda _: self._debounce.start())
        self.query_edit.returnPressed.connect(self.search)
        self.search_button = QPushButton("検索")
        self.search_button.clicked.connect(self.search)
        self.clear_button = QPushButton("条件をクリア")
        self.clear_button.clicked.connect(self.clear_filters)
        top = QHBoxLayout()
        top.addWidget(self.query_edit, 1)
        top.addWidget(self.search_button)
        top.addWidget(self.clear_button)

        self.agency_box = self._combo("機関")
        self.field_box = self._combo("分野")
        self.block_box = self._combo("ブロック")
        self.status_box = self._combo("状態")
        self.urgency_box = self._combo("緊急度")
        self.date_from = DateField(placeholder="受付日（から）", field="date_from")
        self.date_to = DateField(placeholder="受付日（まで）", field="date_to")
        for f in (self.date_from, self.date_to):
            f.setMaximumWidth(190)
            f.edit.returnPressed.connect(self.search)
        filters = QHBoxLayout()
        for label, widget in (("機関", self.agency_box), ("分野", self.field_box),
                              ("ブロック", self.block_box), ("状態", self.status_box),
                              ("緊急度", self.urgency_box)):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
        filters.addWidget(QLabel("受付日"))
        filters.addWidget(self.date_from, 0, Qt.AlignmentFlag.AlignTop)
        filters.addWidget(QLabel("〜"))
        filters.addWidget(self.date_to, 0, Qt.AlignmentFlag.AlignTop)
        filters.addStretch(1)

        self.model = CaseTableModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)  # one line per case; a long value is elided, never cut in half
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(self._open_index)
        self.table.activated.connect(self._open_index)

        self.status_label = QLabel("")
        self.message = QLabel("")
        self.message.setStyleSheet("color: #b3261e;")
        self.message.setWordWrap(True)
        self.prev_button = QPushButton("← 前の100件")
        self.next_button = QPushButton("次の100件 →")
        self.open_button = QPushButton("ケースを開く")
        self.prev_button.clicked.connect(lambda: self._page(-PAGE_SIZE))
        self.next_button.clicked.connect(lambda: self._page(PAGE_SIZE))
        self.open_button.clicked.connect(self._open_selected)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label)
        bottom.addStretch(1)
        bottom.addWidget(self.open_button)
        bottom.addWidget(self.prev_button)
        bottom.addWidget(self.next_button)

        v = QVBoxLayout(panel)
        v.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("ケース一覧")
        heading.setStyleSheet("font-size: 16pt; font-weight: bold;")
        v.addWidget(heading)
        v.addLayout(top)
        v.addLayout(filters)
        v.addWidget(self.message)
        v.addWidget(self.table, 1)
        v.addLayout(bottom)
        self.message.hide()
        return panel

    def _combo(self, label: str) -> QComboBox:
        box = QComboBox()
        box.addItem(ALL, None)
        box.setAccessibleName(label)
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        box.setMinimumContentsLength(6)
        box.currentIndexChanged.connect(lambda _: self._filters_changed())
        return box

    def _say(self, text: str) -> None:
        """The page's message line; hidden when empty so it takes no room."""
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # --- loading ------------------------------------------------------------------------
    def refresh(self) -> None:
        if not self._choices_loaded:
            from kodoku_desk.queries.search import filter_choices

            self.ctx.runner.query(lambda: filter_choices(self.ctx.signed), self._set_choices,
                                  self._show_error, parent=self)
        self.search(keep_offset=True)

    def _set_choices(self, choices) -> None:
        self._choices_loaded = True
        fills = ((self.agency_box, choices.agencies), (self.block_box, choices.blocks),
                 (self.field_box, [(f, f) for f in choices.fields]),
                 (self.status_box, [(k, v) for k, v in choices.statuses]),
                 (self.urgency_box, [(u, u) for u in choices.urgencies]))
        for box, items in fills:
            box.blockSignals(True)
            for value, text in items:
                box.addItem(text, value)
            box.blockSignals(False)

    def _filters_changed(self) -> None:
        if self._choices_loaded:
            self.search()

    def clear_filters(self) -> None:
        for box in (self.agency_box, self.field_box, self.block_box, self.status_box,
                    self.urgency_box):
            box.blockSignals(True)
            box.setCurrentIndex(0)
            box.blockSignals(False)
        self.date_from.setText("")
        self.date_to.setText("")
        self.query_edit.blockSignals(True)
        self.query_edit.clear()
        self.query_edit.blockSignals(False)
        self.search()

    def _criteria(self) -> dict:
        return {
            "agency_id": self.agency_box.currentData(), "field": self.field_box.currentData(),
            "block_id": self.block_box.currentData(), "status": self.status_box.currentData(),
            "urgency": self.urgency_box.currentData(),
            "date_from": self.date_from.value(), "date_to": self.date_to.value(),
        }

    def search(self, keep_offset: bool = False) -> None:
        from kodoku_desk.errors import UserError
        from kodoku_desk.queries.search import search_cases

        if not keep_offset:
            self.offset = 0
        try:
            criteria = self._criteria()
        except UserError as err:
            self._say(err.message)
            return
        query, offset, signed = self.query_edit.text(), self.offset, self.ctx.signed
        self._say("")
        self.status_label.setText("検索中…")
        show, failed = self._latest.guard("search", self._show_result, self._show_error)
        self.ctx.runner.query(
            lambda: search_cases(signed, query, limit=PAGE_SIZE, offset=offset, **criteria),
            show, failed, parent=self)

    def _show_result(self, result) -> None:
        self.model.set_rows(result.rows)
        self.total = result.total
        fit_columns(self.table, max_width=400)
        shown_to = result.offset + len(result.rows)
        if result.total == 0:
            self.status_label.setText("該当するケースはありません。")
        else:
            self.status_label.setText(f"全 {result.total} 件中 {result.offset + 1}〜{shown_to} 件")
        self.prev_button.setEnabled(result.offset > 0)
        self.next_button.setEnabled(shown_to < result.total)

    def _show_error(self, exc: BaseException) -> None:
        self.status_label.setText("")
        self._say(error_text(exc))

    def _page(self, delta: int) -> None:
        self.offset = max(0, self.offset + delta)
        self.search(keep_offset=True)

    def _on_changed(self, change: Change) -> None:
        on_list = self.stack.currentWidget() is self.list_panel
        if change & LISTED and self.isVisible() and on_list:
            self.search(keep_offset=True)

    # --- opening ------------------------------------------------------------------------
    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_case(self.model.row_at(index.row()).id)

    def _open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._open_index(rows[0])

    def open_case(self, case_id: int) -> None:
        """Show one case (from the list, the inbox or another page via ctx.open_case)."""
        self.stack.setCurrentWidget(self.view_panel)
        self.case_view.load(case_id)

    def show_list(self) -> None:
        self.stack.setCurrentWidget(self.list_panel)
        self.search(keep_offset=True)
