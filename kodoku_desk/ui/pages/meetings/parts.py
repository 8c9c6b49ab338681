"""One part of a saved session (a tab of the session editor): what its kind allows, its members
and its agenda. A reload updates the panel in place, so what the user is doing in it stays."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kodoku_desk.queries import meeting_views
from kodoku_desk.queries.pickers import OrgChoices
from kodoku_desk.services import meetings
from kodoku_desk.ui.ops import error_text
from kodoku_desk.ui.pages.meetings.agenda import AgendaBox
from kodoku_desk.ui.pages.meetings.members import MembersBox


def part_tab_label(part: meeting_views.PartView) -> str:
    return f"第{part.seq}部 {part.kind}"


def rule_text(part: meeting_views.PartView) -> str:
    """The kind's legal frame and what it needs, from the service's KindRule."""
    rule = part.rule
    consent = "本人の同意（会議での共有）が必要です。" if rule.requires_consent else \
        "本人の同意がなくても扱えます（非公開・守秘義務）。" if not rule.redact_default else \
        "資料は既定で匿名化されます。"
    title = f"　{part.title}" if part.title else ""
    return f"{part.kind}{title}　／　{rule.legal_frame}\n{consent}"


class PartPanel(QWidget):
    def __init__(self, ctx, part: meeting_views.PartView, org: OrgChoices,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.part = ctx, part
        self.info = QLabel(rule_text(part))
        self.info.setWordWrap(True)
        self.members_box = MembersBox(ctx, part, org)
        self.agenda_box = AgendaBox(ctx, part)
        remove = QPushButton("この部を削除")
        remove.clicked.connect(self.remove_part)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(remove)
        layout = QVBoxLayout(self)
        layout.addWidget(self.info)
        layout.addWidget(self.members_box, 2)
        layout.addWidget(self.agenda_box, 3)
        layout.addLayout(row)

    def show_part(self, part: meeting_views.PartView) -> None:
        self.part = part
        self.info.setText(rule_text(part))
        self.members_box.show_part(part)
        self.agenda_box.show_part(part)

    def remove_part(self) -> None:
        signed, part_id = self.ctx.signed, self.part.id
        self.ctx.runner.write(lambda: meetings.remove_part(signed, part_id), None,
                              lambda exc: self.agenda_box.error.show_message(error_text(exc)),
                              parent=self)
