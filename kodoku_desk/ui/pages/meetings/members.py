"""A part's members: agencies, staff and outside members (民生委員 …). Every edit saves the whole
list (services.meetings.set_members); the labels shown are the service's, after the reload
that the write's Change.MEETING brings."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.queries import meeting_views
from kodoku_desk.queries.pickers import OrgChoices
from kodoku_desk.services import meetings
from kodoku_desk.ui.ops import error_text
from kodoku_desk.ui.widgets import FieldError, RowsTableModel, rows_view, selected_row


@dataclass(frozen=True)
class Member:
    """A member as listed (the service's label) with what set_members takes back."""

    label: str
    spec: meetings.MemberSpec


def members_of(part: meeting_views.PartView) -> list[Member]:
    return [Member(m.label, meetings.MemberSpec(m.agency_id, m.staff_id, m.external_name,
                                                m.external_affiliation)) for m in part.members]


class MembersBox(QGroupBox):
    def __init__(self, ctx, part: meeting_views.PartView, org: OrgChoices,
                 parent: QWidget | None = None) -> None:
        super().__init__("構成員", parent)
        self.ctx, self.part_id = ctx, part.id
        self.members = members_of(part)
        self.model = RowsTableModel([("label", "構成員")], self.members)
        self.view = rows_view(self.model)
        self.view.setMinimumHeight(110)
        self.agency_pick, self.staff_pick = QComboBox(), QComboBox()
        self.set_org(org)
        self.external_name, self.external_affiliation = QLineEdit(), QLineEdit()
        self.external_name.setPlaceholderText("外部構成員の氏名")
        self.external_affiliation.setPlaceholderText("所属（例: 民生委員・児童委員協議会）")
        add_agency, add_staff, add_external = (QPushButton("機関を追加"), QPushButton("職員を追加"),
                                               QPushButton("外部の方を追加"))
        remove = QPushButton("選んだ構成員を外す")
        add_agency.clicked.connect(
            lambda: self._add(meetings.MemberSpec(agency_id=self.agency_pick.currentData())))
        add_staff.clicked.connect(
            lambda: self._add(meetings.MemberSpec(staff_id=self.staff_pick.currentData())))
        add_external.clicked.connect(self.add_external)
        remove.clicked.connect(self.remove_selected)
        self.error = FieldError()
        grid = QFormLayout()
        grid.addRow("機関", _row(self.agency_pick, add_agency))
        grid.addRow("職員", _row(self.staff_pick, add_staff))
        grid.addRow("外部", _row(self.external_name, self.external_affiliation, add_external))
        layout = QHBoxLayout(self)
        left = QVBoxLayout()
        left.addWidget(self.view, 1)
        left.addWidget(remove)
        layout.addLayout(left, 2)
        right = QVBoxLayout()
        right.addLayout(grid)
        right.addWidget(self.error)
        right.addStretch(1)
        layout.addLayout(right, 3)

    def set_org(self, org: OrgChoices) -> None:
        for pick, items in ((self.agency_pick, org.agencies), (self.staff_pick, org.staff)):
            current = pick.currentData()
            pick.clear()
            for value, label in items:
                pick.addItem(label, value)
            pick.setCurrentIndex(max(pick.findData(current), 0))

    def show_part(self, part: meeting_views.PartView) -> None:
        self.members = members_of(part)
        self.model.set_rows(self.members)

    def add_external(self) -> None:
        self._add(meetings.MemberSpec(external_name=self.external_name.text().strip(),
                                      external_affiliation=self.external_affiliation.text().strip()))

    def _add(self, spec: meetings.MemberSpec) -> None:
        self._save([*(m.spec for m in self.members), spec])

    def remove_selected(self) -> None:
        chosen = selected_row(self.view, self.model)
        if chosen is not None:
            self._save([m.spec for m in self.members if m is not chosen])

    def _save(self, specs: list[meetings.MemberSpec]) -> None:
        self.error.clear_message()
        signed, part_id = self.ctx.signed, self.part_id

        def saved(_result) -> None:
            self.external_name.clear()
            self.external_affiliation.clear()

        self.ctx.runner.write(lambda: meetings.set_members(signed, part_id, specs), saved,
                              lambda exc: self.error.show_message(error_text(exc)), parent=self)


def _row(*widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    for w in widgets:
        row.addWidget(w, 0 if isinstance(w, QPushButton) else 1)
    return row
