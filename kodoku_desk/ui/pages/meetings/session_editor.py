"""The session's own form (会議名, 開催日, time, place, chair, block), its parts as tabs, saving
and the packet export. A new session collects its parts before it is first saved; after that
every part is its own tab (parts.PartPanel) and changes are saved as they are made."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.queries import meeting_views
from kodoku_desk.queries.pickers import OrgChoices
from kodoku_desk.services import meeting_packets, meetings
from kodoku_desk.ui.ops import error_text
from kodoku_desk.ui.pages.meetings.packets import PacketDialog
from kodoku_desk.ui.pages.meetings.parts import PartPanel, part_tab_label
from kodoku_desk.ui.pages.meetings.redaction import RedactionPreviewDialog
from kodoku_desk.ui.widgets import DateField, FieldError

NO_BLOCK = "（なし）"
OK_STYLE, ERROR_STYLE = "color: #1b5e20;", "color: #b00020;"


class SessionEditor(QWidget):
    created = Signal(int)  # a new session was saved: its id

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.view: meeting_views.SessionView | None = None
        self.org = OrgChoices([], [], [])
        self.pending_parts: list[tuple[str, str]] = []
        self.last_export: meeting_packets.ExportResult | None = None
        self.title_edit = QLineEdit()
        self.date_field = DateField(field="held_on")
        self.start_time, self.end_time = QLineEdit(), QLineEdit()
        self.start_time.setPlaceholderText("13:30")
        self.end_time.setPlaceholderText("16:00")
        self.place, self.chair = QLineEdit(), QLineEdit()
        self.block = QComboBox()
        self.save_button = QPushButton("会議を保存")
        self.save_button.clicked.connect(self.save_session)
        self.export_button = QPushButton("会議資料を出力…")
        self.export_button.clicked.connect(self.export_packet)
        self.session_error = FieldError()
        self.kind_pick = QComboBox()
        self.kind_pick.addItems(list(meetings.KIND_RULES))  # the kinds, in the rule's order
        self.part_title = QLineEdit()
        self.part_title.setPlaceholderText("部の名前（任意）")
        add_part = QPushButton("部を追加")
        add_part.clicked.connect(self.add_part)
        self.parts_note = QLabel()
        self.parts_note.setWordWrap(True)
        self.parts_tabs = QTabWidget()
        self._layout(add_part)

    def _layout(self, add_part: QPushButton) -> None:
        times = QHBoxLayout()
        times.addWidget(self.start_time)
        times.addWidget(QLabel("～"))
        times.addWidget(self.end_time)
        times.addStretch(1)
        form = QFormLayout()
        form.addRow("会議名", self.title_edit)
        form.addRow("開催日", self.date_field)
        form.addRow("時間", times)
        form.addRow("場所", self.place)
        form.addRow("司会", self.chair)
        form.addRow("ブロック", self.block)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        parts_row = QHBoxLayout()
        parts_row.addWidget(QLabel("部の種類"))
        parts_row.addWidget(self.kind_pick)
        parts_row.addWidget(self.part_title, 1)
        parts_row.addWidget(add_part)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.session_error)
        layout.addLayout(buttons)
        layout.addLayout(parts_row)
        layout.addWidget(self.parts_note)
        layout.addWidget(self.parts_tabs, 1)

    # ------------------------------------------------------------------ showing

    def set_org(self, org: OrgChoices) -> None:
        if org == self.org:
            return
        self.org = org
        current = self.block.currentText()
        self.block.clear()
        self.block.addItems([NO_BLOCK, *org.blocks])
        self.block.setCurrentText(current or NO_BLOCK)
        for panel in self._panels():
            panel.members_box.set_org(org)

    def new_session(self) -> None:
        self.view, self.pending_parts = None, []
        for edit in (self.title_edit, self.start_time, self.end_time, self.place, self.chair):
            edit.clear()
        self.date_field.setText("")
        self.block.setCurrentIndex(0)
        self.session_error.clear_message()
        self._show_parts()
        self.export_button.setEnabled(False)

    def show_session(self, view: meeting_views.SessionView) -> None:
        self.view = view
        self.title_edit.setText(view.title)
        self.date_field.set_date(view.held_on)
        self.start_time.setText(view.start_time)
        self.end_time.setText(view.end_time)
        self.place.setText(view.place)
        self.chair.setText(view.chair)
        self.block.setCurrentText(view.block or NO_BLOCK)
        current = self.parts_tabs.currentIndex()
        self._show_parts()
        self.parts_tabs.setCurrentIndex(max(current, 0))
        self.export_button.setEnabled(view.case_count > 0)

    def _panels(self) -> list[PartPanel]:
        tabs = (self.parts_tabs.widget(i) for i in range(self.parts_tabs.count()))
        return [w for w in tabs if isinstance(w, PartPanel)]

    def _show_parts(self) -> None:
        if self.view is not None:
            panels = self._panels()
            if len(panels) == self.parts_tabs.count() and \
                    [p.part.id for p in panels] == [part.id for part in self.view.parts]:
                for panel, part in zip(panels, self.view.parts, strict=True):
                    panel.show_part(part)  # same parts: updated in place
                return
        while self.parts_tabs.count():
            widget = self.parts_tabs.widget(0)
            self.parts_tabs.removeTab(0)
            if widget is not None:
                widget.deleteLater()
        if self.view is None:
            for kind, title in self.pending_parts:
                note = QLabel("会議を保存すると、構成員と議題を登録できます。")
                self.parts_tabs.addTab(note, f"{kind}{'（' + title + '）' if title else ''}")
            self.parts_note.setText("会議名・開催日を入力し、部（会議の種類）を1つ以上追加して保存してください。"
                                    "1回の会議に種類の違う部を続けて開けます。")
            return
        self.parts_note.setText("部ごとに構成員と議題を登録します。部の種類で扱えるケースが決まります。")
        for part in self.view.parts:
            self.parts_tabs.addTab(PartPanel(self.ctx, part, self.org), part_tab_label(part))

    # ------------------------------------------------------------------ saving

    def _session_input(self) -> dict:
        block = self.block.currentText()
        return {"title": self.title_edit.text(), "held_on": self.date_field.value() or "",
                "start_time": self.start_time.text(), "end_time": self.end_time.text(),
                "place": self.place.text(), "chair": self.chair.text(),
                "block": None if block in ("", NO_BLOCK) else block}

    def save_session(self) -> None:
        """A new session is created with its pending parts (then `created`); a saved one is
        updated, and the write's Change.MEETING reloads it."""
        self.session_error.clear_message()
        try:
            values = self._session_input()
        except Exception as exc:  # noqa: BLE001 - a bad date: shown at the form
            self.session_error.show_message(error_text(exc))
            return
        signed = self.ctx.signed
        title, held_on = values.pop("title"), values.pop("held_on")
        fn: Callable[[], object]
        if self.view is None:
            parts = list(self.pending_parts)
            fn = lambda: meetings.create_session(signed, title, held_on, parts=parts, **values)  # noqa: E731
        else:
            sid = self.view.id
            fn = lambda: meetings.update_session(signed, sid, title, held_on, **values)  # noqa: E731

        def saved(result) -> None:
            if self.view is None:
                self.pending_parts = []
                self.created.emit(result)

        self.ctx.runner.write(fn, saved, self._show_error, parent=self)

    def add_part(self) -> None:
        kind, title = self.kind_pick.currentText(), self.part_title.text()
        self.part_title.clear()
        if self.view is None:
            self.pending_parts.append((kind, title))
            self._show_parts()
            self.parts_tabs.setCurrentIndex(self.parts_tabs.count() - 1)
            return
        signed, sid = self.ctx.signed, self.view.id
        self.ctx.runner.write(lambda: meetings.add_part(signed, sid, kind, title), None,
                              self._show_error, parent=self)

    def _show_error(self, exc: BaseException) -> None:
        self.session_error.setStyleSheet(ERROR_STYLE)
        self.session_error.show_message(error_text(exc))

    # ------------------------------------------------------------------ packet export

    def export_packet(self) -> None:
        """The export dialog; for a redacted packet then 匿名化の確認, whose preview (with the
        terms the coordinator added) the export must match."""
        if self.view is None:
            return
        dialog = PacketDialog(self, self.view)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        preview = None
        if dialog.redacted_parts:
            check = RedactionPreviewDialog(self, self.ctx, self.view.id, dialog.redact_value)
            if check.exec() != QDialog.DialogCode.Accepted:
                return
            preview = check.preview
        self.start_packet_export(dialog.fmt, dialog.path.text().strip(), dialog.redact_value,
                                 dialog.password_value(), preview)

    def start_packet_export(self, fmt: str, out: str, redact: bool | None,
                            password: str | None,
                            preview: meeting_packets.RedactionPreview | None = None) -> None:
        """Writes the packet and its 提供記録 (a write: Change.DISCLOSURE)."""
        if self.view is None:  # not saved yet: there is no packet to write
            return
        signed, sid = self.ctx.signed, self.view.id

        def work(progress):
            return meeting_packets.export_packet(signed, sid, fmt, out, redact=redact,
                                                 password=password, preview=preview,
                                                 progress=progress)

        def done(result: meeting_packets.ExportResult) -> None:
            self.last_export = result
            note = ""
            if result.redacted:
                note = f"（匿名化あり・置き換え {result.replacements}か所" + (
                    f"・追加した語句 {result.added_terms}件" if result.added_terms else "") + "）"
            glyphs = ""
            if result.missing_glyphs:  # never silently: the first, and how many more
                more = len(result.missing_glyphs) - 1
                glyphs = "\n" + result.missing_glyphs[0] + (f"（ほか{more}件）" if more else "")
            self.session_error.setStyleSheet(OK_STYLE)
            self.session_error.show_message(
                f"会議資料を出力しました{note}: {result.path}（{result.copies}部・ケース{result.cases}件）"
                + glyphs)

        self.ctx.runner.write(work, done, self._show_error, parent=self,
                              progress_label="会議資料を作成しています…")
