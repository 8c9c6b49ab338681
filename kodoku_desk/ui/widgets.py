"""Small widgets shared by the screens: a 和暦/西暦 date field, an inline error label, a table
model over dataclass rows, an editable table of dict rows, a few-line text box and a password
pair. No database access here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain.dates import parse_date, to_both
from kodoku_desk.errors import UserError

ERROR_STYLE = "color: #b00020;"
HINT_STYLE = "color: #555555;"


def qapp() -> QApplication:
    """The running QApplication (QApplication.instance() is typed QCoreApplication | None)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise RuntimeError("no QApplication is running")
    return app


class FieldError(QLabel):
    """A red sentence shown right under the field it belongs to; hidden when empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(ERROR_STYLE)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_message(self, message: str) -> None:
        self.setStyleSheet(ERROR_STYLE)
        self.setText(message)
        self.setVisible(bool(message))

    def show_note(self, message: str) -> None:
        """A neutral (grey) line in the same place, e.g. 「確認しています…」."""
        self.show_message(message)
        self.setStyleSheet(HINT_STYLE)

    def clear_message(self) -> None:
        self.show_message("")


class DateField(QWidget):
    """A line edit taking 「令和7年4月1日」「R7.4.1」「2025-04-01」 … with the parsed date shown as
    令和…（西暦） under it, or a red sentence when the input cannot be read.

    value() returns the date or None for empty input, and raises UserError for bad input;
    is_valid() tells without raising."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, placeholder: str = "例: 令和7年4月1日 / R7.4.1 / 2025-04-01",
                 field: str | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(placeholder)
        self.hint = QLabel(self)
        self.hint.setStyleSheet(HINT_STYLE)
        self.error = FieldError(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.hint)
        layout.addWidget(self.error)
        self.hint.hide()
        self.setFocusProxy(self.edit)
        self.edit.textChanged.connect(self._update_feedback)

    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt naming
        self.edit.setText(text)

    def set_date(self, value: date | None) -> None:
        self.edit.setText(value.isoformat() if value else "")

    def value(self) -> date | None:
        """The parsed date; None when empty. Raises UserError (with the field) on bad input."""
        try:
            return parse_date(self.edit.text(), field=self.field)
        except UserError as err:
            self.error.show_message(err.message)
            raise

    def is_valid(self) -> bool:
        try:
            parse_date(self.edit.text())
        except UserError:
            return False
        return True

    def _update_feedback(self) -> None:
        try:
            parsed = parse_date(self.edit.text())
        except UserError as err:
            self.hint.hide()
            self.error.show_message(err.message)
        else:
            self.error.clear_message()
            self.hint.setText(to_both(parsed))
            self.hint.setVisible(parsed is not None)
        self.changed.emit()


Column = tuple[str, str] | tuple[str, str, Callable[[Any], str]]


class RowsTableModel(QAbstractTableModel):
    """A read-only table over a list of rows (dataclasses or any objects with attributes).

    columns: [(attr, header)] or [(attr, header, formatter)]; lists are joined with 「・」,
    booleans shown as ○/空, dates as 和暦. Sorting uses the raw attribute values."""

    def __init__(self, columns: Sequence[Column], rows: Sequence[Any] = (),
                 parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = list(rows)

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self.rows[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][1]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        column = self.columns[index.column()]
        value = getattr(self.rows[index.row()], column[0], None)
        if len(column) > 2:
            return column[2](value)
        return display_text(value)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        attr = self.columns[column][0]
        self.layoutAboutToBeChanged.emit()
        self.rows.sort(key=lambda r: _sort_key(getattr(r, attr, None)),
                       reverse=order == Qt.SortOrder.DescendingOrder)
        self.layoutChanged.emit()


def rows_view(model: RowsTableModel, stretch_last: bool = True) -> QTableView:
    """A read-only table over a RowsTableModel: one row selected at a time, columns as wide as
    their content (short lists only: ResizeToContents measures every row)."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(stretch_last)
    return view


def selected_row(view: QTableView, model: RowsTableModel):
    """The row object selected in view, or None."""
    rows = view.selectionModel().selectedRows() if view.selectionModel() else []
    return model.row_at(rows[0].row()) if rows else None


def display_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "○" if value else ""
    if isinstance(value, date):
        return to_both(value)
    if isinstance(value, (list, tuple)):
        return "・".join(str(v) for v in value)
    return str(value)


def _sort_key(value: Any) -> tuple[int, Any]:
    # None sorts last; mixed types never raise.
    if value is None:
        return (2, "")
    if isinstance(value, (int, float, date)) and not isinstance(value, bool):
        return (0, value)
    return (1, display_text(value))


class PasswordPair(QWidget):
    """Password typed twice, with the rule shown; value() raises UserError when they differ."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from kodoku_desk.store.keys import MIN_PASSWORD_LENGTH

        self.first = QLineEdit(self)
        self.second = QLineEdit(self)
        for edit, hint in ((self.first, "パスワード"), (self.second, "もう一度（確認）")):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setPlaceholderText(hint)
        self.rule = QLabel(f"{MIN_PASSWORD_LENGTH}文字以上。空白だけは不可。", self)
        self.rule.setStyleSheet(HINT_STYLE)
        self.error = FieldError(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for w in (self.first, self.second, self.rule, self.error):
            layout.addWidget(w)

    def value(self) -> str:
        if self.first.text() != self.second.text():
            message = "確認用のパスワードが一致しません。"
            self.error.show_message(message)
            raise UserError(message, field="password")
        self.error.clear_message()
        return self.first.text()


def text_box(lines: int = 3) -> QPlainTextEdit:
    """A few lines of plain text; Tab moves on to the next field."""
    box = QPlainTextEdit()
    box.setTabChangesFocus(True)
    box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 14)
    return box


class RowsEditor(QWidget):
    """An editable table of dict rows (課題の整理, 役割分担, 目標ごとの進み具合)."""

    def __init__(self, columns: tuple[tuple[str, str], ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.table = QTableWidget(0, len(columns))
        self.table.setHorizontalHeaderLabels([h for _, h in columns])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        # two lines per row: 課題 and 支援内容 are often a sentence
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().lineSpacing() * 2 + 10)
        self.table.setMinimumHeight(120)
        add, remove = QPushButton("行を追加"), QPushButton("選択した行を削除")
        add.clicked.connect(lambda: self.add_row({}))
        remove.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

    def add_row(self, values: dict) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for col, (key, _) in enumerate(self.columns):
            self.table.setItem(row, col, QTableWidgetItem(str(values.get(key, ""))))

    def remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)

    def set_rows(self, rows: list[dict]) -> None:
        self.table.setRowCount(0)
        for r in rows:
            self.add_row(r)

    def rows(self) -> list[dict]:
        out = []
        for row in range(self.table.rowCount()):
            out.append({key: self._text(row, col) for col, (key, _) in enumerate(self.columns)})
        return out

    def _text(self, row: int, col: int) -> str:
        item = self.table.item(row, col)  # None for a cell never filled in
        return item.text() if item is not None else ""
