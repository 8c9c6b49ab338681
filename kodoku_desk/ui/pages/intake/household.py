"""世帯構成: one row per household member (続柄, 氏名, ふりがな, 生年月日, flags such as ひきこもり)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.errors import UserError
from kodoku_desk.services.intake import MEMBER_FLAGS, MemberInput
from kodoku_desk.ui.pages.intake.field_editors import DateInput, FieldEditor
from kodoku_desk.ui.pages.intake.look import ERROR_STYLE


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
