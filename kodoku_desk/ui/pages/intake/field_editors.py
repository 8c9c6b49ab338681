"""One editor per template field type (text, multiline, date, choice, multichoice, worries), and
the 和暦/西暦 date input they and the other editors use. Each has value(), set_value() and an
error line under it."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain import dates
from kodoku_desk.domain.template import TemplateField
from kodoku_desk.errors import UserError
from kodoku_desk.ui.pages.intake.look import DATE_HINT, ERROR_STYLE


class DateInput(QWidget):
    """A date typed as 和暦 or 西暦, with the reading shown beside it as you type."""

    changed = Signal()

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(DATE_HINT)
        self.edit.setToolTip(f"{label}（{DATE_HINT}）")
        self.edit.setMinimumWidth(230)
        self.reading = QLabel()
        self.reading.setStyleSheet("color: #555;")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit)
        row.addWidget(self.reading, 1)
        self.edit.textChanged.connect(self._preview)
        self.setFocusProxy(self.edit)

    def _preview(self) -> None:
        try:
            d = dates.parse_date(self.edit.text())
        except UserError as err:
            self.reading.setText(err.message)
            self.reading.setStyleSheet(ERROR_STYLE)
        else:
            self.reading.setText(dates.to_both(d) if d else "")
            self.reading.setStyleSheet("color: #555;")
        self.changed.emit()

    def date_value(self, field: str | None = None) -> date | None:
        """The parsed date; raises UserError naming the field."""
        return dates.parse_date(self.edit.text(), field=field)

    def text(self) -> str:
        return self.edit.text()

    def set_date(self, value: date | str | None) -> None:
        if isinstance(value, date):
            value = dates.to_wareki(value)
        self.edit.setText(value or "")


class FieldEditor(QWidget):
    """An editor for one template field: value(), set_value(), and an error line under it."""

    changed = Signal()

    def __init__(self, field: TemplateField, large: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.field = field
        self.large = large
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.setSpacing(2)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        self.build()
        if field.help:
            hint = QLabel(field.help)
            hint.setStyleSheet("color: #666;")
            hint.setWordWrap(True)
            self.box.addWidget(hint)
        self.box.addWidget(self.error)

    def build(self) -> None:
        raise NotImplementedError

    def value(self):
        raise NotImplementedError

    def set_value(self, value) -> None:
        raise NotImplementedError

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def clear_error(self) -> None:
        self.error.clear()
        self.error.hide()


class TextEditor(FieldEditor):
    def build(self) -> None:
        self.edit = QLineEdit()
        self.edit.textChanged.connect(self.changed)
        self.box.addWidget(self.edit)
        self.setFocusProxy(self.edit)

    def value(self) -> str:
        return self.edit.text()

    def set_value(self, value) -> None:
        self.edit.setText(value or "")


class MultilineEditor(FieldEditor):
    def build(self) -> None:
        self.edit = QPlainTextEdit()
        self.edit.setTabChangesFocus(True)
        self.edit.setMinimumHeight(110 if self.large else 52)
        self.edit.setMaximumHeight(200 if self.large else 76)
        self.edit.textChanged.connect(self.changed)
        self.box.addWidget(self.edit)
        self.setFocusProxy(self.edit)

    def value(self) -> str:
        return self.edit.toPlainText()

    def set_value(self, value) -> None:
        self.edit.setPlainText(value or "")


class DateEditor(FieldEditor):
    def build(self) -> None:
        self.edit = DateInput(self.field.label)
        if self.large:
            self.edit.edit.setMinimumWidth(380)
        self.edit.changed.connect(self.changed)
        self.box.addWidget(self.edit)
        self.setFocusProxy(self.edit)

    def value(self) -> str:
        return self.edit.text()

    def date_value(self) -> date | None:
        return self.edit.date_value(self.field.key)

    def set_value(self, value) -> None:
        if isinstance(value, str) and value:
            try:
                value = date.fromisoformat(value)
            except ValueError:
                pass
        self.edit.set_date(value)


class ChoiceEditor(FieldEditor):
    def build(self) -> None:
        self.combo = QComboBox()
        self.combo.addItem("（未選択）", "")
        for option in self.field.options:
            self.combo.addItem(option, option)
        self.combo.currentIndexChanged.connect(self.changed)
        row = QHBoxLayout()
        row.addWidget(self.combo)
        row.addStretch(1)
        self.box.addLayout(row)
        self.setFocusProxy(self.combo)

    def value(self) -> str:
        return self.combo.currentData() or ""

    def set_value(self, value) -> None:
        index = self.combo.findData(value or "")
        self.combo.setCurrentIndex(max(index, 0))


class MultiChoiceEditor(FieldEditor):
    columns = 4

    def build(self) -> None:
        grid = QGridLayout()
        self.checks: dict[str, QCheckBox] = {}
        for i, option in enumerate(self.field.options):
            check = QCheckBox(option)
            check.toggled.connect(self.changed)
            self.checks[option] = check
            grid.addWidget(check, i // self.columns, i % self.columns)
        self.box.addLayout(grid)
        if self.checks:
            self.setFocusProxy(next(iter(self.checks.values())))

    def value(self) -> list[str]:
        return [o for o, c in self.checks.items() if c.isChecked()]

    def set_value(self, value) -> None:
        for option, check in self.checks.items():
            check.setChecked(option in (value or []))


class WorriesEditor(FieldEditor):
    """困りごと: ○ for every one that applies, ◎ for the most pressing one."""

    def build(self) -> None:
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(12 if self.large else 4)
        self.checks: dict[str, QCheckBox] = {}
        columns = 2 if self.large else 3
        for i, option in enumerate(self.field.options):
            check = QCheckBox(option)
            check.setObjectName(f"worry:{option}")
            check.toggled.connect(self._sync)
            self.checks[option] = check
            grid.addWidget(check, i // columns, i % columns)
        self.box.addLayout(grid)
        row = QHBoxLayout()
        row.addWidget(QLabel("◎ いちばん困っていること:"))
        self.most = QComboBox()
        self.most.addItem("（選ばない）", "")
        for option in self.field.options:
            self.most.addItem(option, option)
        self.most.currentIndexChanged.connect(self._most_changed)
        row.addWidget(self.most)
        row.addStretch(1)
        self.box.addLayout(row)
        self.setFocusProxy(next(iter(self.checks.values())))

    def _sync(self) -> None:
        self.changed.emit()

    def _most_changed(self) -> None:
        most = self.most.currentData()
        if most and not self.checks[most].isChecked():
            self.checks[most].setChecked(True)
        for option, check in self.checks.items():
            check.setText(("◎ " if option == most else "") + option)
        self.changed.emit()

    def value(self) -> list[str]:
        return [o for o, c in self.checks.items() if c.isChecked()]

    def most_pressing(self) -> str:
        return self.most.currentData() or ""

    def set_value(self, value) -> None:
        for option, check in self.checks.items():
            check.setChecked(option in (value or []))

    def set_most_pressing(self, value: str) -> None:
        self.most.setCurrentIndex(max(self.most.findData(value or ""), 0))
