"""［B］つなぎ先: one HandoffEditor per next agency (理由, 依頼内容, what it may see, and the legal
basis when the consent does not cover it). Whether the consent being entered covers an agency
is the consent editor's question to domain.consent; the service checks again when saving."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain.consent import BASIS_CONSENT, HANDOFF_BASES
from kodoku_desk.domain.template import PART_LABELS, SheetTemplate
from kodoku_desk.queries.intake_org import OrgData
from kodoku_desk.services.handoffs import SendInput
from kodoku_desk.ui.pages.intake.look import ERROR_STYLE, mark_part

DEFAULT_SHARE = ("basic", "worries")  # the sections shared unless the worker says otherwise
Covers = Callable[[int], bool]  # does the consent being entered cover this agency id?


def consent_hint(covered: bool, basis: str) -> tuple[str, str]:
    """The line beside a destination: does the consent cover it (domain.consent.covers, asked by
    the caller), and what the chosen basis means then. (text, style sheet)."""
    if covered:
        return "同意の範囲内", "color: #1f6f43; font-weight: bold;"
    if basis == BASIS_CONSENT:
        return "同意の範囲外: 別の根拠と理由が必要です", ERROR_STYLE
    return "同意の範囲外（同意なしの提供として記録されます）", "color: #a35200; font-weight: bold;"


class HandoffEditor(QFrame):
    """つなぎ先: agency, 理由, 依頼内容, 共有範囲, and the basis when outside consent."""

    remove_requested = Signal(object)

    def __init__(self, org: OrgData | None, template: SheetTemplate, covers: Covers,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.covers = covers
        self.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        self.agency = QComboBox()
        self.agency.addItem("（つなぎ先を選ぶ）", None)
        if org is not None:
            for a in org.agencies:
                if a.id != org.own_agency_id:
                    self.agency.addItem(a.name, a.id)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("つなぐ理由（必須）")
        self.request = QLineEdit()
        self.request.setPlaceholderText("依頼内容（例: 訪問での面談）")
        self.share: dict[str, QCheckBox] = {}
        share_box = QWidget()
        share_grid = QGridLayout(share_box)
        share_grid.setContentsMargins(0, 0, 0, 0)
        for i, section in enumerate(template.sections):
            check = QCheckBox(section.label)
            check.setToolTip(f"{section.part} {PART_LABELS[section.part]}")
            check.setChecked(section.key in DEFAULT_SHARE)
            self.share[section.key] = check
            share_grid.addWidget(check, i // 4, i % 4)
        self.basis = QComboBox()
        self.basis.addItems(HANDOFF_BASES)
        self.basis_reason = QLineEdit()
        self.basis_reason.setPlaceholderText("根拠の理由（本人同意以外のとき必須）")
        self.consent_note = QLabel()
        remove = QPushButton("このつなぎを削除")
        remove.clicked.connect(lambda: self.remove_requested.emit(self))
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        grid.addWidget(QLabel("つなぎ先"), 0, 0)
        grid.addWidget(self.agency, 0, 1)
        grid.addWidget(self.consent_note, 0, 2)
        grid.addWidget(remove, 0, 3)
        grid.addWidget(QLabel("理由"), 1, 0)
        grid.addWidget(self.reason, 1, 1, 1, 3)
        grid.addWidget(QLabel("依頼内容"), 2, 0)
        grid.addWidget(self.request, 2, 1, 1, 3)
        grid.addWidget(QLabel("共有範囲"), 3, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(share_box, 3, 1, 1, 3)
        grid.addWidget(QLabel("根拠"), 4, 0)
        grid.addWidget(self.basis, 4, 1)
        grid.addWidget(self.basis_reason, 4, 2, 1, 2)
        grid.addWidget(self.error, 5, 0, 1, 4)
        grid.setColumnStretch(2, 1)
        self.agency.currentIndexChanged.connect(self.update_consent_note)
        self.basis.currentIndexChanged.connect(self.update_consent_note)

    def set_agency(self, agency_id: int | None) -> None:
        self.agency.setCurrentIndex(max(self.agency.findData(agency_id), 0))

    def update_consent_note(self) -> None:
        agency_id = self.agency.currentData()
        if agency_id is None:
            self.consent_note.setText("")
            return
        is_consent = self.basis.currentText() == BASIS_CONSENT
        self.basis_reason.setEnabled(not is_consent)
        text, style = consent_hint(self.covers(agency_id), self.basis.currentText())
        self.consent_note.setText(text)
        self.consent_note.setStyleSheet(style)

    def to_input(self) -> SendInput:
        return SendInput(self.agency.currentData(), self.reason.text(), self.request.text(),
                         [k for k, c in self.share.items() if c.isChecked()],
                         self.basis.currentText(), self.basis_reason.text())

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()


class HandoffList(QGroupBox):
    """The hand-offs this sheet sends when saved, in order (errors name them by position)."""

    def __init__(self, template: SheetTemplate, covers: Covers,
                 parent: QWidget | None = None) -> None:
        super().__init__("［B］つなぎ先（理由・依頼内容・相手に見せる範囲）", parent)
        mark_part(self, "B")
        self.template, self.covers = template, covers
        self.org: OrgData | None = None
        self.rows: list[HandoffEditor] = []
        layout = QVBoxLayout(self)
        self.list = QVBoxLayout()
        layout.addLayout(self.list)
        row = QHBoxLayout()
        add = QPushButton("＋ つなぎ先を追加")
        add.setObjectName("add_handoff")
        add.clicked.connect(lambda: self.add())
        row.addWidget(add)
        row.addStretch(1)
        layout.addLayout(row)

    def add(self, agency_id: int | None = None, reason: str = "") -> HandoffEditor:
        row = HandoffEditor(self.org, self.template, self.covers)
        row.remove_requested.connect(self.remove)
        self.rows.append(row)
        self.list.addWidget(row)
        if agency_id is not None:
            row.set_agency(agency_id)
        if reason:
            row.reason.setText(reason)
        row.update_consent_note()
        return row

    def add_for(self, agency_id: int | None, reason: str) -> None:
        """From a routing suggestion: once per agency."""
        if all(r.agency.currentData() != agency_id for r in self.rows):
            self.add(agency_id, reason)

    def remove(self, row: HandoffEditor) -> None:
        self.rows.remove(row)
        row.deleteLater()

    def consent_changed(self) -> None:
        for row in self.rows:
            row.update_consent_note()

    def inputs(self) -> list[SendInput]:
        return [r.to_input() for r in self.rows]

    def clear_errors(self) -> None:
        for row in self.rows:
            row.error.hide()

    def reset(self) -> None:
        for row in list(self.rows):
            self.remove(row)
