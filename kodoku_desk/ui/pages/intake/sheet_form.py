"""The 「つながる」シート form, rendered FROM THE TEMPLATE (domain/template.py): one editor per
template field type, grouped by section, each marked with its part (A 相談者記入 / B 相談受付者記入).
Used by the intake page and, for part A only and in large type, by the self-entry mode."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any, TypeVar

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kodoku_desk.domain.template import Section, SheetTemplate, TemplateField
from kodoku_desk.ui.pages.intake.consent import ConsentEditor
from kodoku_desk.ui.pages.intake.field_editors import (
    ChoiceEditor,
    DateEditor,
    FieldEditor,
    MultiChoiceEditor,
    MultilineEditor,
    TextEditor,
    WorriesEditor,
)
from kodoku_desk.ui.pages.intake.household import HouseholdEditor
from kodoku_desk.ui.pages.intake.look import PART_COLOURS, mark_part, part_badge

E = TypeVar("E", bound=FieldEditor)

DEFER_STEP_S = 0.02  # widget building per event-loop turn when a SheetForm is deferred
DEFER_PAUSE_MS = 15  # between two turns: layout, painting and the user go first
WIDE_TYPES = ("worries", "household", "consent")  # editors that take the whole row

EDITORS: dict[str, type[FieldEditor]] = {
    "text": TextEditor, "multiline": MultilineEditor, "date": DateEditor, "choice": ChoiceEditor,
    "multichoice": MultiChoiceEditor, "worries": WorriesEditor, "household": HouseholdEditor,
    "consent": ConsentEditor,
}


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
                self._todo.append(partial(self._part_header, section.part))
            self._todo.append(partial(self._group, section, skip))
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
            if f.type in WIDE_TYPES:
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

    def typed_editor(self, key: str, kind: type[E]) -> E:
        """The editor of a field every sheet template has (worries, birth_date …), of `kind`."""
        e = self.editors.get(key)
        if not isinstance(e, kind):
            raise LookupError(f"the sheet form has no {kind.__name__} for {key!r}")
        return e

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
        out: dict[str, Any] = {}
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
