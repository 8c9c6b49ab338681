"""The 「つながる」シート form, rendered FROM THE TEMPLATE (services/template.py): one editor per
template field type, grouped by section, each marked with its part (A 相談者記入 / B 相談受付者記入).
Used by the intake page and, for part A only and in large type, by the self-entry mode."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain import dates
from kodoku_desk.domain.template import PART_LABELS, Section, SheetTemplate, TemplateField
from kodoku_desk.errors import UserError
from kodoku_desk.services.intake import MEMBER_FLAGS, MemberInput

PART_PROPERTY = "sheet_part"
PART_COLOURS = {"A": "#1f6f43", "B": "#1d4e89"}
DATE_HINT = "例: R7.4.1 / 令和7年4月1日 / 2025-04-01"
ERROR_STYLE = "color: #b00020; font-weight: bold;"
DEFER_STEP_S = 0.02  # widget building per event-loop turn when a SheetForm is deferred
DEFER_PAUSE_MS = 15  # between two turns: layout, painting and the user go first


def mark_part(widget: QWidget, part: str) -> None:
    """Tag a widget (and so everything inside it) with its sheet part for the part indicator."""
    widget.setProperty(PART_PROPERTY, part)


def part_of(widget: QWidget | None) -> str | None:
    while widget is not None:
        value = widget.property(PART_PROPERTY)
        if value:
            return str(value)
        widget = widget.parentWidget()
    return None


# --- dates -----------------------------------------------------------------------------------------

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


# --- one editor per template field type ------------------------------------------------------------

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


class MemberRow(QFrame):
    removed = Signal(object)
    changed = Signal()

    def __init__(self, flags: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        self.relation = QLineEdit()
        self.relation.setPlaceholderText("続柄（例: 長男）")
        self.name = QLineEdit()
        self.name.setPlaceholderText("氏名")
        self.kana = QLineEdit()
        self.kana.setPlaceholderText("ふりがな")
        self.birth = DateInput("生年月日")
        self.flags = {f: QCheckBox(f) for f in flags}
        remove = QPushButton("削除")
        remove.clicked.connect(lambda: self.removed.emit(self))
        grid.addWidget(QLabel("続柄"), 0, 0)
        grid.addWidget(self.relation, 0, 1)
        grid.addWidget(QLabel("氏名"), 0, 2)
        grid.addWidget(self.name, 0, 3)
        grid.addWidget(QLabel("ふりがな"), 0, 4)
        grid.addWidget(self.kana, 0, 5)
        grid.addWidget(remove, 0, 6)
        grid.addWidget(QLabel("生年月日"), 1, 0)
        grid.addWidget(self.birth, 1, 1, 1, 3)
        flag_row = QHBoxLayout()
        for check in self.flags.values():
            flag_row.addWidget(check)
            check.toggled.connect(self.changed)
        flag_row.addStretch(1)
        grid.addLayout(flag_row, 1, 4, 1, 3)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        grid.addWidget(self.error, 2, 0, 1, 7)
        self.birth.changed.connect(self.changed)
        self.relation.textChanged.connect(self.changed)

    def to_input(self, index: int) -> MemberInput:
        return MemberInput(self.relation.text(), self.name.text(), self.kana.text(),
                           self.birth.date_value(f"household[{index}].birth_date"),
                           [f for f, c in self.flags.items() if c.isChecked()])

    def fill(self, m: MemberInput) -> None:
        self.relation.setText(m.relation)
        self.name.setText(m.name)
        self.kana.setText(m.kana)
        self.birth.set_date(m.birth_date)
        for f, c in self.flags.items():
            c.setChecked(f in m.flags)


class HouseholdEditor(FieldEditor):
    """世帯構成: one row per member (続柄, 氏名, ふりがな, 生年月日, flags)."""

    def build(self) -> None:
        self.rows: list[MemberRow] = []
        self.list = QVBoxLayout()
        self.box.addLayout(self.list)
        add = QPushButton("＋ 世帯員を追加")
        add.setObjectName("add_member")
        add.clicked.connect(lambda: self.add_row())
        row = QHBoxLayout()
        row.addWidget(add)
        row.addStretch(1)
        self.box.addLayout(row)
        self.setFocusProxy(add)

    def add_row(self, member: MemberInput | None = None) -> MemberRow:
        row = MemberRow(self.field.options or MEMBER_FLAGS)
        row.removed.connect(self._remove)
        row.changed.connect(self.changed)
        if member:
            row.fill(member)
        self.rows.append(row)
        self.list.addWidget(row)
        self.changed.emit()
        return row

    def _remove(self, row: MemberRow) -> None:
        self.rows.remove(row)
        row.deleteLater()
        self.changed.emit()

    def value(self) -> list[MemberInput]:
        return [r.to_input(i) for i, r in enumerate(self.rows)]

    def value_lenient(self) -> list[MemberInput]:
        """For routing previews: rows whose date does not parse count without a birth date."""
        out = []
        for i, r in enumerate(self.rows):
            try:
                out.append(r.to_input(i))
            except UserError:
                out.append(MemberInput(r.relation.text(), flags=[f for f, c in r.flags.items()
                                                                 if c.isChecked()]))
        return out

    def set_value(self, value) -> None:
        for row in list(self.rows):
            self._remove(row)
        for m in value or []:
            self.add_row(m)

    def show_row_error(self, index: int, message: str) -> None:
        if 0 <= index < len(self.rows):
            self.rows[index].error.setText(message)
            self.rows[index].error.show()
        else:
            self.show_error(message)

    def clear_error(self) -> None:
        super().clear_error()
        for r in self.rows:
            r.error.hide()


class ConsentEditor(FieldEditor):
    """同意: given or not, method (署名 / 口頭), date, scope (fields and agencies), meetings.
    In self-entry mode only the statement and the tick are shown; the worker adds the rest."""

    def build(self) -> None:
        self.given = QCheckBox(self.field.label)
        self.given.setObjectName("consent_given")
        self.given.toggled.connect(self._toggle)
        self.box.addWidget(self.given)
        self.details = QWidget()
        grid = QGridLayout(self.details)
        grid.setContentsMargins(18, 0, 0, 0)
        self.method = QComboBox()
        for option in self.field.options or ("署名", "口頭"):
            self.method.addItem(option)
        self.date = DateInput("同意した日")
        grid.addWidget(QLabel("方法"), 0, 0)
        grid.addWidget(self.method, 0, 1)
        grid.addWidget(QLabel("同意した日"), 0, 2)
        grid.addWidget(self.date, 0, 3)
        grid.addWidget(QLabel("範囲（分野）"), 1, 0)
        self.field_checks: dict[str, QCheckBox] = {}
        fields_row = QHBoxLayout()
        from kodoku_desk.models.org import FIELDS

        for f in FIELDS:
            check = QCheckBox(f)
            check.toggled.connect(self.changed)
            self.field_checks[f] = check
            fields_row.addWidget(check)
        fields_row.addStretch(1)
        grid.addLayout(fields_row, 1, 1, 1, 3)
        grid.addWidget(QLabel("範囲（機関）"), 2, 0)
        self.agency_box = QWidget()
        self.agency_grid = QGridLayout(self.agency_box)
        self.agency_grid.setContentsMargins(0, 0, 0, 0)
        self.agency_checks: dict[int, QCheckBox] = {}
        grid.addWidget(self.agency_box, 2, 1, 1, 3)
        self.meetings = QCheckBox("重層的支援会議で共有することにも同意")
        self.meetings.toggled.connect(self.changed)
        grid.addWidget(self.meetings, 3, 1, 1, 3)
        self.attach = QPushButton("署名した用紙を添付…")
        self.attach.setObjectName("consent_attach")
        self.attach_label = QLabel("（添付なし）")
        attach_row = QHBoxLayout()
        attach_row.addWidget(self.attach)
        attach_row.addWidget(self.attach_label, 1)
        grid.addLayout(attach_row, 4, 1, 1, 3)
        self.box.addWidget(self.details)
        self.details.setVisible(not self.large)
        self.details.setEnabled(False)
        self.method.currentIndexChanged.connect(self.changed)
        self.date.changed.connect(self.changed)
        self.setFocusProxy(self.given)

    def _toggle(self, on: bool) -> None:
        self.details.setEnabled(on)
        if on and not self.date.text():
            self.date.set_date(date.today())
        self.changed.emit()

    def set_agencies(self, agencies: list) -> None:
        for check in self.agency_checks.values():
            check.deleteLater()
        self.agency_checks = {}
        for i, a in enumerate(agencies):
            check = QCheckBox(a.name)
            check.toggled.connect(self.changed)
            self.agency_checks[a.id] = check
            self.agency_grid.addWidget(check, i // 3, i % 3)

    def scope_fields(self) -> list[str]:
        return [f for f, c in self.field_checks.items() if c.isChecked()]

    def scope_agencies(self) -> list[int]:
        return [a for a, c in self.agency_checks.items() if c.isChecked()]

    def value(self) -> bool:
        return self.given.isChecked()

    def set_value(self, value) -> None:
        self.given.setChecked(bool(value))


EDITORS: dict[str, type[FieldEditor]] = {
    "text": TextEditor, "multiline": MultilineEditor, "date": DateEditor, "choice": ChoiceEditor,
    "multichoice": MultiChoiceEditor, "worries": WorriesEditor, "household": HouseholdEditor,
    "consent": ConsentEditor,
}


# --- the form -------------------------------------------------------------------------------------

def part_badge(part: str, large: bool = False) -> QLabel:
    badge = QLabel(f"{part} {PART_LABELS[part]}")
    size = 15 if large else 11
    badge.setStyleSheet(f"background: {PART_COLOURS[part]}; color: white; padding: 2px 8px;"
                        f" border-radius: 4px; font-size: {size}pt; font-weight: bold;")
    return badge


class SheetForm(QWidget):
    """All sections of the given parts, built from the template. `editors[key]` by field key.

    defer=True builds the sections a few at a time on later turns of the event loop (a whole
    sheet is ~100 ms of widget building); `is_ready` tells when all are there and `ready` is
    emitted then. The default builds everything before returning."""

    changed = Signal()
    ready = Signal()

    def __init__(self, template: SheetTemplate, parts: tuple[str, ...] = ("A", "B"),
                 large: bool = False, skip: Callable[[TemplateField], bool] | None = None,
                 parent: QWidget | None = None, *, defer: bool = False) -> None:
        super().__init__(parent)
        self.template = template
        self.large = large
        self.editors: dict[str, FieldEditor] = {}
        self.groups: dict[str, QGroupBox] = {}
        self._layout = QVBoxLayout(self)
        self._layout.setSpacing(10 if large else 6)
        self._todo: list[Callable[[], QWidget]] = []
        current_part = None
        for section in template.sections:
            if section.part not in parts:
                continue
            if section.part != current_part:
                current_part = section.part
                self._todo.append(lambda part=section.part: self._part_header(part))
            self._todo.append(lambda section=section: self._group(section, skip))
        self.is_ready = False
        if defer:
            QTimer.singleShot(DEFER_PAUSE_MS, self, self._build_some)
        else:
            while self._todo:
                self._layout.addWidget(self._todo.pop(0)())
            self._finish()

    def _build_some(self) -> None:
        started = time.perf_counter()
        while self._todo and time.perf_counter() - started < DEFER_STEP_S:
            self._layout.addWidget(self._todo.pop(0)())
        if self._todo:
            QTimer.singleShot(DEFER_PAUSE_MS, self, self._build_some)
        else:
            self._finish()
            self.ready.emit()

    def _finish(self) -> None:
        self._layout.addStretch(1)
        self.is_ready = True

    def _part_header(self, part: str) -> QWidget:
        header = QWidget()
        mark_part(header, part)
        row = QHBoxLayout(header)
        row.setContentsMargins(0, 8, 0, 0)
        row.addWidget(part_badge(part, self.large))
        note = QLabel(self.template.notes.get(part, ""))
        note.setWordWrap(True)
        row.addWidget(note, 1)
        return header

    def _group(self, section: Section, skip) -> QGroupBox:
        group = QGroupBox(f"［{section.part}］{section.label}")
        group.setObjectName(f"section:{section.key}")
        mark_part(group, section.part)
        colour = PART_COLOURS[section.part]
        group.setStyleSheet(f"QGroupBox {{ border: 1px solid {colour}; border-left: 5px solid {colour};"
                            " margin-top: 14px; padding: 6px; }"
                            f" QGroupBox::title {{ color: {colour}; subcontrol-origin: margin;"
                            " left: 8px; font-weight: bold; }")
        grid = QGridLayout(group)
        grid.setColumnStretch(1, 1)
        row = 0
        for f in section.fields:
            if skip and skip(f):
                continue
            editor = EDITORS[f.type](f, self.large)
            editor.setObjectName(f"field:{f.key}")
            editor.changed.connect(self.changed)
            self.editors[f.key] = editor
            if f.type in ("worries", "household", "consent"):
                grid.addWidget(editor, row, 0, 1, 2)
            else:
                label = QLabel(f.label)
                label.setBuddy(editor)
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
                grid.addWidget(label, row, 0)
                grid.addWidget(editor, row, 1)
            row += 1
        self.groups[section.key] = group
        return group

    def editor(self, key: str) -> FieldEditor | None:
        return self.editors.get(key)

    def clear_errors(self) -> None:
        for e in self.editors.values():
            e.clear_error()

    def answers(self) -> dict:
        """Values of the fields kept in Sheet.answers (dates parsed: errors name the field)."""
        out: dict = {}
        for key, e in self.editors.items():
            if not e.field.in_answers:
                continue
            value = e.date_value() if isinstance(e, DateEditor) else e.value()
            if isinstance(value, date):
                value = value.isoformat()
            if value not in ("", [], None):
                out[key] = value
        return out

    def values(self) -> dict:
        """Raw values of every field by key (for copying between forms)."""
        out = {}
        for key, e in self.editors.items():
            if isinstance(e, HouseholdEditor):
                out[key] = e.value_lenient()
            else:
                out[key] = e.value()
            if isinstance(e, WorriesEditor):
                out["most_pressing"] = e.most_pressing()
        return out

    def set_values(self, values: dict) -> None:
        for key, value in values.items():
            e = self.editors.get(key)
            if e is not None and value is not None:
                e.set_value(value)
        worries = next((e for e in self.editors.values() if isinstance(e, WorriesEditor)), None)
        if worries and "most_pressing" in values:
            worries.set_most_pressing(values["most_pressing"])


def big_font(widget: QWidget, points: int = 18) -> None:
    font = QFont(widget.font())
    font.setPointSize(points)
    widget.setFont(font)

