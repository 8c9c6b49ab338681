"""受信箱 and 送信箱 (issue 3 §8): an agency's received hand-offs with counts per bucket and
the answers to what it sent. Every step goes through services.handoffs.transition (the one
state machine) with the version the user was looking at, so a second window answering the
same hand-off gets the conflict sentence instead of a lost event."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabBar,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain import dates
from kodoku_desk.domain.changes import Change
from kodoku_desk.errors import UserError
from kodoku_desk.models.handoffs import ACCEPTED, ACKNOWLEDGED, DONE, RETURNED, SENT, WITHDRAWN
from kodoku_desk.ui.ops import Latest, error_text
from kodoku_desk.ui.pages import sharing as sharing_ui
from kodoku_desk.ui.pages.base import Page
from kodoku_desk.ui.pages.caseview_widget import stamp, wareki
from kodoku_desk.ui.tables import fit_columns
from kodoku_desk.ui.widgets import FieldError, RowsTableModel

OVERDUE_BG = QColor("#fde2e1")
OVERDUE_FG = QColor("#8e1b10")
LISTED = Change.HANDOFF | Change.CASE | Change.ORG  # hand-off rows, case numbers and names

# 期限超過: which deadline the hand-off missed (受理期限超過 / 対応開始期限超過 / 更新なし N営業日);
# 期限: the current stage's deadline (domain.handoff.stage_deadline).
INBOX_COLUMNS = [
    ("overdue_label", "期限超過"),
    ("case_no", "ケース番号"), ("person_name", "氏名"), ("from_agency", "送付元"),
    ("state", "状態"), ("sent_at", "送付日", wareki), ("deadline", "期限", wareki),
    ("reason", "理由"), ("request", "依頼内容"),
]
OUTBOX_COLUMNS = [
    ("overdue_label", "期限超過"),
    ("case_no", "ケース番号"), ("person_name", "氏名"), ("to_agency", "送付先"),
    ("state", "状態"), ("sent_at", "送付日", wareki), ("deadline", "期限", wareki),
    ("last_event_at", "最新の応答", stamp), ("last_note", "応答・理由"),
    ("last_alternative", "代わりの提案"),
]
# An answer is an event by the receiver; the send itself is not one.
ANSWER_ATTRS = ("last_event_at", "last_note", "last_alternative")


class HandoffTableModel(RowsTableModel):
    """Overdue rows in red. answers_only (outbox): the send's own note is not an answer."""

    answers_only = False

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if row.overdue and role == Qt.ItemDataRole.BackgroundRole:
            return OVERDUE_BG
        if row.overdue and role == Qt.ItemDataRole.ForegroundRole:
            return OVERDUE_FG
        attr = self.columns[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole and attr in ANSWER_ATTRS and \
                row.last_event_state == SENT and self.answers_only:
            return "（まだ応答はありません）" if attr == "last_note" else ""
        return super().data(index, role)


def details_html(row) -> str:
    from html import escape

    from kodoku_desk.domain.handoff import STAGES

    stage = STAGES.get(row.state)
    lines = [("ケース", f"{row.case_no}　{row.person_name}"),
             ("送付", f"{row.from_agency} → {row.to_agency}（{stamp(row.sent_at)}）"),
             ("状態", row.state + (f"　※{row.overdue_label}" if row.overdue else ""))]
    if stage is not None and row.deadline is not None:
        lines.append((stage.deadline, dates.to_both(row.deadline)))
    lines += [("理由", row.reason), ("依頼内容", row.request),
              ("根拠", row.basis + (f"（{row.basis_reason}）" if row.basis_reason else ""))]
    if row.last_note:
        lines.append(("最新のメモ", row.last_note))
    if row.last_alternative:
        lines.append(("代わりの提案", row.last_alternative))
    if row.access_ended:
        lines.append(("提供", sharing_ui.ended_label(row)))
    cells = "".join(f"<tr><th align='left' valign='top' style='padding-right:12px'>{escape(k)}</th>"
                    f"<td>{escape(v or '')}</td></tr>" for k, v in lines)
    return f"<table>{cells}</table>"


def overdue_summary(data) -> str:
    """期限超過 N件（受理期限 a・対応開始期限 b・更新期限 c）, in red; "" when none."""
    from kodoku_desk.domain.handoff import STAGES

    if not data.overdue:
        return ""
    parts = "・".join(f"{STAGES[state].deadline} {n}" for state, n in data.overdue_by_stage.items()
                      if n)
    return f"<span style='color:#b3261e;font-weight:bold'>期限超過 {data.overdue}件（{parts}）</span>"


class BoxPage(Page):
    """Shared by inbox and outbox: agency choice, bucket tabs with counts, table, details."""

    heading = ""
    columns: list = []
    all_bucket: str | None = None  # a tab showing every bucket (outbox)

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data = None
        self._pending_message = ""
        self.buckets: list[str] = []  # the tabs' bucket keys, in tab order
        self._agencies_loaded = False
        self._latest = Latest()
        self.agency_box = QComboBox()
        self.agency_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.agency_box.currentIndexChanged.connect(self._filter_changed)
        self.tab_bar = QTabBar()
        self.tab_bar.setExpanding(False)
        self.tab_bar.currentChanged.connect(self._filter_changed)
        self.model = HandoffTableModel(self.columns)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _: self.open_selected_case())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.details = QTextBrowser()
        self.details.setMaximumHeight(180)
        self.summary = QLabel("")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b3261e; font-weight: bold;")
        self.open_button = QPushButton("ケースを開く")
        self.open_button.clicked.connect(self.open_selected_case)
        self.actions_row = QHBoxLayout()
        title = QLabel(self.heading)
        title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(24)
        top.addWidget(QLabel("機関"))
        top.addWidget(self.agency_box)
        top.addStretch(1)
        top.addWidget(self.summary)
        self.extra_filters = QHBoxLayout()
        top.addLayout(self.extra_filters)
        self.add_overdue_filter()
        self.actions_row.addWidget(self.open_button)
        self.actions_row.addStretch(1)
        v = QVBoxLayout(self)
        v.addLayout(top)
        v.addWidget(self.tab_bar)
        v.addWidget(self.message)
        v.addWidget(self.table, 1)
        v.addWidget(self.details)
        v.addLayout(self.actions_row)
        self.message.hide()
        ctx.changes.changed.connect(self._on_changed)

    def _say(self, text: str) -> None:
        """The page's message line; hidden when empty so it takes no room."""
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # --- loading ------------------------------------------------------------------------
    def refresh(self) -> None:
        from kodoku_desk.queries.boxes import agencies

        if not self._agencies_loaded:
            signed = self.ctx.signed
            self.ctx.runner.query(lambda: agencies(signed), self._set_agencies, self._show_error,
                                  parent=self)
            return
        self.load()

    def _set_agencies(self, items) -> None:
        self.agency_box.blockSignals(True)
        for agency_id, name in items:
            self.agency_box.addItem(name, agency_id)
        own = self.agency_box.findData(self.ctx.actor.agency_id)
        self.agency_box.setCurrentIndex(max(own, 0))
        self.agency_box.blockSignals(False)
        self._agencies_loaded = True
        if not items:
            self._say("受信箱・送信箱を開ける機関がありません。")
            return
        self.load()

    def _filter_changed(self, _: object) -> None:
        if self._agencies_loaded:
            self.refresh()

    def current_bucket(self) -> str | None:
        i = self.tab_bar.currentIndex()
        return self.buckets[i] if 0 <= i < len(self.buckets) else self.default_bucket()

    def default_bucket(self) -> str | None:
        return self.all_bucket

    def fetch(self, signed, agency_id, bucket, overdue_only: bool):
        """The BoxData for one agency and bucket (inbox or outbox service); runs in the
        background, so it is given the filter's value instead of reading the widget."""
        raise NotImplementedError(type(self).__name__)

    def load(self) -> None:
        agency_id, bucket, signed = self.agency_box.currentData(), self.current_bucket(), self.ctx.signed
        if agency_id is None:
            return
        fetch, overdue_only = self.fetch, self.overdue_only.isChecked()
        show, failed = self._latest.guard("box", self.show_data, self._show_error)
        self.ctx.runner.query(lambda: fetch(signed, agency_id, bucket, overdue_only), show, failed,
                              parent=self)

    def show_data(self, data) -> None:
        self.data = data
        self._say(self._pending_message)
        self._pending_message = ""
        self._set_tabs(data.counts)
        self.model.set_rows(data.rows)
        fit_columns(self.table, max_width=280)
        self.summary.setText(self.summary_text(data))
        self._selection_changed()

    def summary_text(self, data) -> str:
        return f"{len(data.rows)}件を表示"

    def add_overdue_filter(self) -> None:
        """期限を過ぎたものだけ: past the deadline of whichever stage they are in."""
        self.overdue_only = QCheckBox("期限を過ぎたものだけ")
        self.overdue_only.setToolTip("受理期限・対応開始期限・対応中の更新期限のどれかを過ぎたつなぎ")
        self.overdue_only.toggled.connect(self._overdue_toggled)
        self.extra_filters.addWidget(self.overdue_only)

    def _overdue_toggled(self, _: bool) -> None:
        if self._agencies_loaded:
            self.load()

    def _set_tabs(self, counts: dict[str, int]) -> None:
        keys = ([self.all_bucket] if self.all_bucket is not None else []) + list(counts)
        current = self.current_bucket()
        self.tab_bar.blockSignals(True)
        while self.tab_bar.count():
            self.tab_bar.removeTab(0)
        for key in keys:
            n = sum(counts.values()) if key == self.all_bucket else counts[key]
            label = "すべて" if key == self.all_bucket else key
            self.tab_bar.addTab(f"{label}（{n}）")
        self.buckets = keys
        self.tab_bar.setCurrentIndex(keys.index(current) if current in keys else 0)
        self.tab_bar.blockSignals(False)

    def tab_counts(self) -> dict[str, str]:
        return {str(b): self.tab_bar.tabText(i) for i, b in enumerate(self.buckets)}

    def select_bucket(self, bucket: str | None) -> None:
        if bucket in self.buckets:
            self.tab_bar.setCurrentIndex(self.buckets.index(bucket))

    def _show_error(self, exc: BaseException) -> None:
        self._say(error_text(exc))

    def _on_changed(self, change: Change) -> None:
        if change & LISTED and self.isVisible() and self._agencies_loaded:
            self.load()

    # --- selection ----------------------------------------------------------------------
    def selected_row(self):
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select_handoff(self, handoff_id: int) -> bool:
        for i, row in enumerate(self.model.rows):
            if row.id == handoff_id:
                self.table.selectRow(i)
                return True
        return False

    def _selection_changed(self) -> None:
        row = self.selected_row()
        self.details.setHtml(details_html(row) if row else
                             "<p style='color:#777'>一覧からつなぎを選ぶと、ここに内容が出ます。</p>")
        self.open_button.setEnabled(row is not None)
        self.update_actions(row)
        self._load_timeline(row)

    def _load_timeline(self, row) -> None:
        """The hand-off's events beside its details (追加提供 and 同意撤回 with their notes)."""
        from kodoku_desk.queries.received import handoff_timeline

        signed = self.ctx.signed
        show, failed = self._latest.guard(
            "timeline", lambda events: self.details.setHtml(
                sharing_ui.with_timeline(details_html(row), events)), lambda _e: None)
        if row is not None:  # (None: the new ticket drops an answer still on its way)
            self.ctx.runner.query(lambda: handoff_timeline(signed, row.id), show, failed,
                                  parent=self)

    def update_actions(self, row) -> None:
        """Subclasses enable their action buttons for the selected row."""

    def open_selected_case(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.ctx.open_case(row.case_id)

    # --- acting -------------------------------------------------------------------------
    def act(self, action: str, note: str = "", alternative: str = "") -> None:
        """One step through the state machine, with the version on screen (stale → conflict)."""
        from kodoku_desk.services.handoffs import transition

        row = self.selected_row()
        if row is None:
            self._say("つなぎを一覧から選んでください。")
            return
        signed, version = self.ctx.signed, row.version
        # The write's Change.HANDOFF reloads the box (_on_changed).
        self.ctx.runner.write(
            lambda: transition(signed, row.id, action, note, alternative, expected_version=version),
            lambda _result: self._say(""), self._act_failed, parent=self)

    def _act_failed(self, exc: BaseException) -> None:
        # Reload to show the state someone else left it in; the sentence survives the reload.
        self._pending_message = error_text(exc)
        self._say(self._pending_message)
        self.load()


class InboxPage(BoxPage):
    title = "受信箱"
    heading = "受信箱（受けたつなぎ）"
    columns = INBOX_COLUMNS

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.ack_button = QPushButton("受理する")
        self.accept_button = QPushButton("対応を始める")
        self.progress_button = QPushButton("経過を記録…")
        self.progress_button.setToolTip("対応中のつなぎの経過を書き残します（更新期限はここから数え直します）")
        self.done_button = QPushButton("完了にする（結果）…")
        self.return_button = QPushButton("返送する（理由と代わりの提案）…")
        self.ack_button.clicked.connect(lambda: self.act("acknowledge"))
        self.accept_button.clicked.connect(lambda: self.act("accept"))
        self.progress_button.clicked.connect(self._progress_dialog)
        self.done_button.clicked.connect(self._complete_dialog)
        self.return_button.clicked.connect(self._return_dialog)
        for b in (self.ack_button, self.accept_button, self.progress_button, self.done_button,
                  self.return_button):
            self.actions_row.addWidget(b)

    def default_bucket(self) -> str | None:
        return "未受理"

    def open_selected_case(self) -> None:
        """A stub row (the provision ended) opens only if another hand-off still grants access;
        otherwise the page says in one sentence why the case is closed to this agency."""
        from kodoku_desk.queries.received import access_end

        row = self.selected_row()
        if row is None or not row.access_ended:
            super().open_selected_case()
            return
        signed, case_id, hid = self.ctx.signed, row.case_id, row.id

        def opened(end) -> None:
            if end is None:
                self.ctx.open_case(case_id)
            else:
                self._say(sharing_ui.ended_sentence(end))

        self.ctx.runner.query(lambda: access_end(signed, case_id, hid), opened, self._show_error,
                              parent=self)

    def fetch(self, signed, agency_id, bucket, overdue_only: bool):
        from kodoku_desk.queries.boxes import inbox_data

        return inbox_data(signed, agency_id, bucket, overdue_only=overdue_only)

    def summary_text(self, data) -> str:
        return overdue_summary(data) or "期限を過ぎたものはありません"

    def update_actions(self, row) -> None:
        from kodoku_desk.services.handoffs import allowed_actions

        allowed = (allowed_actions(row.state, self.ctx.actor.agency_id, row.from_agency_id,
                                   row.to_agency_id) if row is not None else [])
        self.ack_button.setEnabled(ACKNOWLEDGED in allowed)
        self.accept_button.setEnabled(ACCEPTED in allowed)
        # 経過 is written by the receiver while 対応中: the same side as 完了.
        self.progress_button.setEnabled(row is not None and row.state == ACCEPTED and
                                        DONE in allowed)
        self.done_button.setEnabled(DONE in allowed)
        self.return_button.setEnabled(RETURNED in allowed)

    def _progress_dialog(self) -> None:
        dialog = NoteDialog("経過を記録", "経過（対応の状況・次の予定）", None, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.record_progress(dialog.note())

    def record_progress(self, note: str) -> None:
        from kodoku_desk.services.handoffs import record_progress

        row = self.selected_row()
        if row is None:
            self._say("つなぎを一覧から選んでください。")
            return
        signed, version = self.ctx.signed, row.version
        self.ctx.runner.write(
            lambda: record_progress(signed, row.id, note, expected_version=version),
            lambda _event_id: self._say(""), self._act_failed, parent=self)

    def _complete_dialog(self) -> None:
        dialog = NoteDialog("完了にする", "対応の結果", None, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.act("complete", dialog.note())

    def _return_dialog(self) -> None:
        dialog = NoteDialog("返送する", "返送の理由", "代わりにつなぐとよい機関や方法", self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.act("return", dialog.note(), dialog.alternative())


class OutboxPage(BoxPage):
    title = "送信箱"
    heading = "送信箱（送ったつなぎと応答）"
    columns = OUTBOX_COLUMNS
    all_bucket = "すべて"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model.answers_only = True
        self.withdraw_button = QPushButton("取り下げる…")
        self.withdraw_button.clicked.connect(self._withdraw_dialog)
        self.actions_row.addWidget(self.withdraw_button)

    def fetch(self, signed, agency_id, bucket, overdue_only: bool):
        from kodoku_desk.queries.boxes import outbox_data

        return outbox_data(signed, agency_id, None if bucket == self.all_bucket else bucket,
                           overdue_only=overdue_only)

    def summary_text(self, data) -> str:
        from kodoku_desk.services.handoffs import OUTBOX_BUCKETS

        returned = sum(n for bucket, n in data.counts.items()
                       if RETURNED in OUTBOX_BUCKETS.get(bucket, ()))
        parts = [overdue_summary(data), f"返送されたもの {returned}件" if returned else ""]
        return "　".join(p for p in parts if p)

    def update_actions(self, row) -> None:
        from kodoku_desk.services.handoffs import allowed_actions

        allowed = (allowed_actions(row.state, self.ctx.actor.agency_id, row.from_agency_id,
                                   row.to_agency_id) if row is not None else [])
        self.withdraw_button.setEnabled(WITHDRAWN in allowed)

    def _withdraw_dialog(self) -> None:
        dialog = NoteDialog("取り下げる", "取り下げの理由", None, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.act("withdraw", dialog.note())


class NoteDialog(QDialog):
    """A required note (and, for a return, a required alternative); checked here so the user
    gets the sentence at the field, and again by the service."""

    def __init__(self, title: str, note_label: str, alternative_label: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.note_label, self.alternative_label = note_label, alternative_label
        self.note_edit = QPlainTextEdit()
        self.alternative_edit = QPlainTextEdit()
        for e in (self.note_edit, self.alternative_edit):
            e.setMinimumWidth(420)
            e.setMaximumHeight(90)
        self.error = FieldError()
        form = QFormLayout()
        form.addRow(note_label, self.note_edit)
        if alternative_label:
            form.addRow(alternative_label, self.alternative_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(title, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        v = QVBoxLayout(self)
        v.addLayout(form)
        v.addWidget(self.error)
        v.addWidget(buttons)

    def note(self) -> str:
        return self.note_edit.toPlainText().strip()

    def alternative(self) -> str:
        return self.alternative_edit.toPlainText().strip()

    def submit(self) -> None:
        try:
            if not self.note():
                raise UserError(f"{self.note_label}を書いてください。")
            if self.alternative_label and not self.alternative():
                raise UserError(f"{self.alternative_label}を書いてください"
                                "（「うちじゃない」だけの返送はできません）。")
        except UserError as err:
            self.error.show_message(err.message)
            return
        self.accept()

