"""同意 as entered on the sheet: given or not, method, date, scope (fields and agencies) and
meetings; and whether that scope would cover an agency (domain.consent, the one rule)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from kodoku_desk.domain.consent import METHODS, Scope, covers, in_force
from kodoku_desk.models.org import FIELDS
from kodoku_desk.ui.pages.intake.field_editors import DateInput, FieldEditor


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
        for option in self.field.options or METHODS:
            self.method.addItem(option)
        self.date = DateInput("同意した日")
        grid.addWidget(QLabel("方法"), 0, 0)
        grid.addWidget(self.method, 0, 1)
        grid.addWidget(QLabel("同意した日"), 0, 2)
        grid.addWidget(self.date, 0, 3)
        grid.addWidget(QLabel("範囲（分野）"), 1, 0)
        self.field_checks: dict[str, QCheckBox] = {}
        fields_row = QHBoxLayout()
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

    def scope(self) -> Scope:
        return Scope.of(self.scope_agencies(), self.scope_fields(), self.meetings.isChecked())

    def covers(self, agency_id: int, agency_fields: Iterable[str]) -> bool:
        """Would the consent being entered cover sharing with this agency? The domain's rule on
        the form's input (a hint while typing; the service decides when saving)."""
        return in_force(self.value(), None) and covers(self.scope(), agency_id, agency_fields)

    def value(self) -> bool:
        return self.given.isChecked()

    def set_value(self, value) -> None:
        self.given.setChecked(bool(value))
