"""［B］つなぎ先の候補: the routing suggestions (domain.routing, from the worries and the household)
with their reasons, each kept or removed with a reason of its own, the worker's additions, the
person's block, and the 多機関協働 note from the suggestions that are kept."""

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

from kodoku_desk.domain import routing
from kodoku_desk.models.org import FIELDS
from kodoku_desk.queries.intake_org import OrgData
from kodoku_desk.services.intake import RoutingChoice
from kodoku_desk.ui.pages.intake.look import ERROR_STYLE, mark_part

OWN_BLOCK = "（受付機関のブロック）"
# RoutingChoice vocabulary (services.intake.validate checks it)
RULE, WORKER, CONFIRMED, REMOVED = "rule", "worker", "confirmed", "removed"


class RoutingRow(QFrame):
    """One suggestion (or worker addition): kept (checked) or removed with a reason."""

    def __init__(self, field: str, agency_id: int | None, agency_name: str, reason: str,
                 source: str, urgent: bool, on_handoff: Callable[[int | None, str], None],
                 own: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field, self.agency_id, self.source = field, agency_id, source
        self.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 3, 6, 3)
        own_note = "（受付機関。つなぎは不要）" if own else ""
        self.keep = QCheckBox(f"{field} → {agency_name or '（該当する機関が未登録）'}{own_note}")
        self.keep.setChecked(True)
        self.keep.setStyleSheet("font-weight: bold;" + (" color: #b00020;" if urgent else ""))
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.update_reason(reason, urgent)
        self.removed_reason = QLineEdit()
        self.removed_reason.setPlaceholderText("候補から外す理由（任意）")
        self.removed_reason.setVisible(False)
        self.keep.toggled.connect(lambda on: self.removed_reason.setVisible(not on))
        handoff = QPushButton("この機関へつなぐ")
        handoff.setEnabled(agency_id is not None and not own)
        handoff.clicked.connect(lambda: on_handoff(agency_id, self.reason_text))
        grid.addWidget(self.keep, 0, 0)
        grid.addWidget(handoff, 0, 1, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.reason, 1, 0, 1, 2)
        grid.addWidget(self.removed_reason, 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)

    def update_reason(self, reason: str, urgent: bool) -> None:
        self.reason_text = reason
        self.reason.setText(("【緊急】" if urgent else "") + "理由: " + reason)

    def choice(self) -> RoutingChoice:
        kept = self.keep.isChecked()
        return RoutingChoice(self.field, self.agency_id, self.reason_text, self.source,
                             CONFIRMED if kept else REMOVED,
                             "" if kept else self.removed_reason.text())


class RoutingBox(QGroupBox):
    """`block_changed` when the person's block is chosen (the suggestions depend on it),
    `kept_changed` when a row is kept or removed, `handoff_requested(agency_id, reason)`."""

    block_changed = Signal()
    kept_changed = Signal()
    handoff_requested = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("［B］つなぎ先の候補（困りごと・世帯の状況から。確認・追加・削除できます）", parent)
        mark_part(self, "B")
        self.org: OrgData | None = None
        self.rows: dict[tuple[str, int | None], RoutingRow] = {}  # the rules' suggestions
        self.worker_rows: list[RoutingRow] = []
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("本人の住むブロック"))
        self.block = QComboBox()
        self.block.addItem(OWN_BLOCK, None)
        self.block.currentIndexChanged.connect(self.block_changed)
        row.addWidget(self.block)
        row.addStretch(1)
        layout.addLayout(row)
        self.multi_label = QLabel()
        self.multi_label.setObjectName("multi_agency")
        self.multi_label.setStyleSheet("background: #e8f0fb; border: 1px solid #1d4e89; padding: 4px;"
                                       " font-weight: bold;")
        self.multi_label.setWordWrap(True)
        self.multi_label.hide()
        layout.addWidget(self.multi_label)
        self.list = QVBoxLayout()
        layout.addLayout(self.list)
        self.no_routing = QLabel("困りごとを選ぶと候補が表示されます。")
        self.no_routing.setStyleSheet("color: #666;")
        layout.addWidget(self.no_routing)
        add = QHBoxLayout()
        add.addWidget(QLabel("候補を追加:"))
        self.add_field = QComboBox()
        self.add_field.addItems(FIELDS)
        self.add_agency = QComboBox()
        self.add_agency.setMinimumContentsLength(16)
        self.add_reason = QLineEdit()
        self.add_reason.setPlaceholderText("追加する理由")
        add_button = QPushButton("追加")
        add_button.clicked.connect(self.add_worker_routing)
        add.addWidget(self.add_field)
        add.addWidget(self.add_agency)
        add.addWidget(self.add_reason, 1)
        add.addWidget(add_button)
        layout.addLayout(add)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        layout.addWidget(self.error)

    def set_org(self, org: OrgData) -> None:
        self.org = org
        self.block.blockSignals(True)
        self.block.clear()
        self.block.addItem(OWN_BLOCK, None)
        for block_id, name in org.blocks:
            self.block.addItem(name, block_id)
        self.block.blockSignals(False)
        self.add_agency.clear()
        for a in org.agencies:
            self.add_agency.addItem(a.name, a.id)

    def block_id(self) -> int | None:
        """The block chosen for the person, else the receiving agency's."""
        chosen = self.block.currentData()
        if chosen is not None:
            return chosen
        return self.org.own_block_id if self.org else None

    def show_result(self, result: routing.RoutingResult) -> None:
        """Rows follow the suggestions: new ones added, gone ones removed, reasons updated
        (what the worker did with a row that stays is kept)."""
        own = self.org.own_agency_id if self.org else None
        keys = []
        for s in result.suggestions:
            key = (s.field, s.agency_id)
            keys.append(key)
            row = self.rows.get(key)
            if row is None:
                row = RoutingRow(s.field, s.agency_id, s.agency_name, s.reason, RULE, s.urgent,
                                 self.handoff_requested.emit, s.agency_id == own)
                row.keep.toggled.connect(lambda _on: self.kept_changed.emit())
                self.rows[key] = row
                self.list.addWidget(row)
            else:
                row.update_reason(s.reason, s.urgent)
        for key in [k for k in self.rows if k not in keys]:
            self.rows.pop(key).deleteLater()
        self.no_routing.setVisible(not self.rows and not self.worker_rows)

    def add_worker_routing(self) -> None:
        row = RoutingRow(self.add_field.currentText(), self.add_agency.currentData(),
                         self.add_agency.currentText(), self.add_reason.text(), WORKER, False,
                         self.handoff_requested.emit)
        row.keep.toggled.connect(lambda _on: self.kept_changed.emit())
        self.worker_rows.append(row)
        self.list.addWidget(row)
        self.add_reason.clear()
        self.no_routing.hide()
        self.kept_changed.emit()

    def kept_fields(self) -> tuple[str, ...]:
        rows = list(self.rows.values()) + self.worker_rows
        return routing.fields_of(r.field for r in rows if r.keep.isChecked())

    def show_multi_agency(self, result: routing.RoutingResult) -> None:
        """多機関協働 from the fields of the suggestions the worker keeps (domain.routing)."""
        fields = self.kept_fields()
        rules = self.org.rules if self.org else None
        if routing.is_multi_agency(fields, rules):
            counted = [f for f in fields if f not in (rules or routing.default_rules()).ignore_fields]
            coordinator = f" → {result.coordinator_name} に共有" if result.coordinator_name else ""
            self.multi_label.setText(f"多機関協働の候補: {'・'.join(counted)} の {len(counted)} 分野に"
                                     f"またがります（重層的支援会議の候補）{coordinator}")
            self.multi_label.show()
        else:
            self.multi_label.hide()

    def choices(self) -> list[RoutingChoice]:
        return [r.choice() for r in [*self.rows.values(), *self.worker_rows]]

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def reset(self) -> None:
        for row in [*self.rows.values(), *self.worker_rows]:
            row.deleteLater()
        self.rows, self.worker_rows = {}, []
