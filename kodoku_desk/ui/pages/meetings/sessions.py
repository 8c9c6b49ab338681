"""The list of meeting sessions: coming ones soonest first, then past ones newest first."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from kodoku_desk.queries import meeting_views
from kodoku_desk.ui.widgets import RowsTableModel, rows_view

COLUMNS = [("held_on_wareki", "開催日"), ("title", "会議名"), ("kinds", "部"), ("cases", "ケース"),
           ("place", "場所")]


def upcoming_first(rows: list[meeting_views.SessionRow], today: date) -> list[meeting_views.SessionRow]:
    """Coming sessions soonest first, then past ones newest first."""
    coming = sorted((r for r in rows if r.held_on >= today), key=lambda r: (r.held_on, r.id))
    past = sorted((r for r in rows if r.held_on < today), key=lambda r: (r.held_on, r.id),
                  reverse=True)
    return coming + past


class SessionList(QWidget):
    """Click a session to open it; 新しい会議 starts an empty one."""

    opened = Signal(int)
    new_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RowsTableModel(COLUMNS)
        self.view = rows_view(self.model)
        self.view.clicked.connect(lambda index: self.opened.emit(self.model.row_at(index.row()).id))
        new = QPushButton("新しい会議")
        new.clicked.connect(self.new_requested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("会議（これからの会議が先）"))
        layout.addWidget(self.view, 1)
        layout.addWidget(new)

    def set_rows(self, rows: list[meeting_views.SessionRow]) -> None:
        self.model.set_rows(upcoming_first(rows, date.today()))
        self.view.resizeRowsToContents()  # a long 場所 wraps onto a second line
