"""The case view: person, household, sheets, consent and hand-offs with their timeline on one
screen (a header with unmistakable 緊急 / 多機関協働 flags, tabs below). Data comes from
queries.caseview in one background call; actions call the intake domain's services (追加提供:
ui.pages.sharing). A receiving agency's sheets say what it was given and when."""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain import dates
from kodoku_desk.domain.changes import Change
from kodoku_desk.errors import AccessDenied
from kodoku_desk.services.attachments import KINDS as ATTACHMENT_KINDS
from kodoku_desk.ui.ops import Latest, error_text
from kodoku_desk.ui.pages import sharing as sharing_ui
from kodoku_desk.ui.tables import fit_columns
from kodoku_desk.ui.widgets import Column, DateField, FieldError, RowsTableModel

URGENT_STYLE = ("background: #c62828; color: white; font-weight: bold; font-size: 13pt;"
                " padding: 4px 12px; border-radius: 4px;")
MULTI_STYLE = ("background: #ef6c00; color: white; font-weight: bold; font-size: 13pt;"
               " padding: 4px 12px; border-radius: 4px;")
PLAIN_BADGE = "background: #e0e0e0; padding: 4px 10px; border-radius: 4px;"
NOTICE_STYLE = "background: #fff8e1; border: 1px solid #f0c36d; padding: 6px;"
# What this screen shows (the plan counts included); never Change.AUDIT.
SHOWN = Change.CASE | Change.HANDOFF | Change.CONSENT | Change.PLAN | Change.ORG


def wareki(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return dates.to_wareki(value.date() if isinstance(value, datetime) else value)


def stamp(value: datetime | None) -> str:
    return f"{wareki(value)} {value:%H:%M}" if value else ""


def _table(columns) -> tuple[QTableView, RowsTableModel]:
    model = RowsTableModel(columns)
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(True)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    return view, model


def _fit(view: QTableView) -> None:
    """Columns measured on their first rows (fit_columns), rows as tall as their wrapped text."""
    fit_columns(view)
    view.resizeRowsToContents()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)


HANDOFF_COLUMNS = [
    ("to_agency", "つなぎ先"), ("from_agency", "送付元"), ("state", "状態"),
    ("access_ended", "提供", lambda v: "提供終了" if v else ""),
    ("sent_at", "送付日", wareki), ("due_on", "受理期限", wareki),
    ("overdue", "期限超過", lambda v: "期限超過" if v else ""),
    ("basis", "根拠"), ("consent_override", "同意外", lambda v: "同意外" if v else ""),
    ("reason", "理由"), ("request", "依頼内容"),
]
TIMELINE_COLUMNS: list[Column] = [
    ("at", "日時", stamp), ("to_agency", "つなぎ先"),
    ("to_state", "できごと"), ("who", "担当者"), ("agency", "機関"),
    ("note", "メモ・理由"), ("alternative", "代わりの提案"),
]
CONSENT_COLUMNS = [
    ("active", "状態", lambda v: "有効" if v else "撤回済み"),
    ("given_on", "同意日", wareki), ("method", "方法"),
    ("scope_fields", "範囲（分野）"), ("scope_agency_names", "範囲（機関）"),
    ("covers_meetings", "支援会議で共有", lambda v: "可" if v else ""),
    ("withdrawn_on", "撤回日", wareki), ("withdrawal_reason", "撤回の理由"),
]
ROUTING_COLUMNS = [
    ("field", "分野"), ("agency", "つなぎ先候補"), ("reason", "理由"),
    ("source", "出どころ", lambda v: "ルール" if v == "rule" else "職員が追加"),
    ("status", "判断", lambda v: "確定" if v == "confirmed" else "外した"),
    ("removed_reason", "外した理由"),
]
HOUSEHOLD_COLUMNS = [
    ("relation", "続柄"), ("name", "氏名"), ("kana", "ふりがな"),
    ("birth_date", "生年月日", wareki), ("age", "年齢", lambda v: "" if v is None else f"{v}歳"),
    ("flags", "しるし"),
]
ATTACHMENT_COLUMNS = [
    ("kind", "種類", lambda v: ATTACHMENT_KINDS.get(v, v)),
    ("filename", "ファイル名"), ("mime", "形式"),
    ("size", "大きさ", lambda v: f"{(v or 0) / 1024:.0f} KB"), ("created_at", "登録", stamp),
]


def _event_text(entry) -> str:
    return sharing_ui.event_text(entry.from_state, entry.to_state, entry.kind)


class TimelineModel(RowsTableModel):
    """The できごと column shows the step (送付 → 受理), not only the new state, or the kind of
    an event that kept the state (追加提供, 同意撤回)."""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if index.isValid() and role == Qt.ItemDataRole.DisplayRole and index.column() == 2:
            return _event_text(self.rows[index.row()])
        return super().data(index, role)


class CaseViewWidget(QWidget):
    """One case on one screen. load(case_id) fetches it in the background."""

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.view = None
        self.case_id: int | None = None
        self._latest = Latest()
        self._build()
        ctx.changes.changed.connect(self._on_changed)

    # --- building -----------------------------------------------------------------------
    def _build(self) -> None:
        self.title = QLabel("")
        self.title.setStyleSheet("font-size: 17pt; font-weight: bold;")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.urgent_badge = QLabel("緊急（DV・虐待／死にたい気持ち）— 即日対応の経路")
        self.urgent_badge.setStyleSheet(URGENT_STYLE)
        self.multi_badge = QLabel("多機関協働")
        self.multi_badge.setStyleSheet(MULTI_STYLE)
        self.status_badge = QLabel("")
        self.status_badge.setStyleSheet(PLAIN_BADGE)
        badges = QHBoxLayout()
        badges.addWidget(self.urgent_badge)
        badges.addWidget(self.multi_badge)
        badges.addWidget(self.status_badge)
        badges.addStretch(1)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.notice = QLabel("")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(NOTICE_STYLE)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b3261e; font-weight: bold;")

        self.tabs = QTabWidget()
        self.tabs.addTab(self._person_tab(), "本人・世帯")
        self.tabs.addTab(self._sheet_tab(), "シート")
        self.tabs.addTab(self._handoff_tab(), "つなぎ・経過")
        self.tabs.addTab(self._consent_tab(), "同意")
        self.tabs.addTab(self._routing_tab(), "つなぎ先の判断")
        self.tabs.addTab(self._files_tab(), "添付・プラン")
        self._unfitted: set[QTableView] = set()
        self.tabs.currentChanged.connect(lambda _i: self._fit_shown_tab())

        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(self.title)
        v.addLayout(badges)
        v.addWidget(self.summary)
        v.addWidget(self.notice)
        v.addWidget(self.message)
        v.addWidget(self.tabs, 1)
        for w in (self.urgent_badge, self.multi_badge, self.status_badge, self.notice, self.message):
            w.hide()

    def _person_tab(self) -> QWidget:
        w = QWidget()
        self.person_text = QTextBrowser()
        self.person_text.setMaximumHeight(170)
        self.household_table, self.household_model = _table(HOUSEHOLD_COLUMNS)
        self.household_note = QLabel("")
        v = QVBoxLayout(w)
        v.addWidget(self.person_text)
        v.addWidget(QLabel("世帯構成"))
        v.addWidget(self.household_note)
        v.addWidget(self.household_table, 1)
        return w

    def _sheet_tab(self) -> QWidget:
        self.sheet_text = QTextBrowser()
        self.sheet_text.setOpenExternalLinks(False)
        return self.sheet_text

    def _handoff_tab(self) -> QWidget:
        w = QWidget()
        self.handoff_table, self.handoff_model = _table(HANDOFF_COLUMNS)
        self.timeline_model = TimelineModel(TIMELINE_COLUMNS)
        self.timeline_table, _ = _table(TIMELINE_COLUMNS)
        self.timeline_table.setModel(self.timeline_model)
        self.send_button = QPushButton("新しいつなぎを送る…")
        self.send_button.clicked.connect(self._send_dialog)
        self.add_share_button = QPushButton("追加提供…")
        self.add_share_button.clicked.connect(self._add_share_dialog)
        self.add_share_note = QLabel("")
        self.add_share_note.setWordWrap(True)
        self.add_share_note.setStyleSheet("color: #555555;")
        self.add_share_note.hide()
        self.handoff_table.selectionModel().selectionChanged.connect(
            lambda *_: self._update_add_share())
        top = QWidget()
        tv = QVBoxLayout(top)
        tv.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("つなぎ（機関ごと）"))
        row.addStretch(1)
        row.addWidget(self.add_share_button)
        row.addWidget(self.send_button)
        tv.addLayout(row)
        tv.addWidget(self.handoff_table)
        tv.addWidget(self.add_share_note)
        bottom = QWidget()
        bv = QVBoxLayout(bottom)
        bv.setContentsMargins(0, 0, 0, 0)
        bv.addWidget(QLabel("経過（だれが・どの機関で・いつ・何を）"))
        bv.addWidget(self.timeline_table)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setSizes([220, 320])
        v = QVBoxLayout(w)
        v.addWidget(split)
        return w

    def _consent_tab(self) -> QWidget:
        w = QWidget()
        self.consent_table, self.consent_model = _table(CONSENT_COLUMNS)
        self.withdraw_button = QPushButton("選んだ同意の撤回を記録…")
        self.withdraw_button.clicked.connect(self._withdraw_dialog)
        self.consent_note = QLabel("")
        v = QVBoxLayout(w)
        v.addWidget(self.consent_note)
        v.addWidget(self.consent_table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.withdraw_button)
        v.addLayout(row)
        return w

    def _routing_tab(self) -> QWidget:
        self.routing_table, self.routing_model = _table(ROUTING_COLUMNS)
        return self.routing_table

    def _files_tab(self) -> QWidget:
        w = QWidget()
        self.attachment_table, self.attachment_model = _table(ATTACHMENT_COLUMNS)
        self.plans_label = QLabel("")
        v = QVBoxLayout(w)
        v.addWidget(QLabel("添付ファイル（暗号化されたデータベースの中に保存）"))
        v.addWidget(self.attachment_table, 1)
        v.addWidget(self.plans_label)
        return w

    def _say(self, text: str) -> None:
        """The page's message line; hidden when empty so it takes no room."""
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # --- loading ------------------------------------------------------------------------
    def load(self, case_id: int) -> None:
        from kodoku_desk.queries.caseview import load_case_view

        self.case_id = case_id
        self._say("読み込み中…")
        signed = self.ctx.signed
        # Opening a case is recorded in the audit log: a write (it announces Change.AUDIT,
        # which no view but the access log cares about).
        show, failed = self._latest.guard("case", self.show_view, self._show_error)
        self.ctx.runner.write(lambda: load_case_view(signed, case_id), show, failed, parent=self)

    def reload(self) -> None:
        if self.case_id is not None:
            self.load(self.case_id)

    def _on_changed(self, change: Change) -> None:
        """Sheets, hand-offs, consents and plans are on this screen; the audit entry that
        opening the case writes is not (reloading on it would open the case forever)."""
        if change & SHOWN and self.isVisible():
            self.reload()

    def _show_error(self, exc: BaseException) -> None:
        self._say(error_text(exc))
        if self.view is None or self.view.id != self.case_id:
            self.title.setText("ケースを開けませんでした")
            self.view = None
        if isinstance(exc, AccessDenied) and self.case_id is not None:
            self._explain_refusal(self.case_id)

    def _explain_refusal(self, case_id: int) -> None:
        """A case this agency was given but whose provision ended: say so, not a bare refusal."""
        from kodoku_desk.queries.received import access_end

        signed = self.ctx.signed

        def explain(end) -> None:
            if end is not None:
                self._say(sharing_ui.ended_sentence(end))

        show, failed = self._latest.guard("case", explain, lambda _e: None)
        self.ctx.runner.query(lambda: access_end(signed, case_id), show, failed, parent=self)

    def show_view(self, view) -> None:
        self.view = view
        self._say("")
        p = view.person
        age = f"　{p.age}歳" if p.age is not None else ""
        self.title.setText(f"{view.case_no}　{p.name}（{p.kana}）{age}")
        self.urgent_badge.setVisible(view.urgent_path)
        self.multi_badge.setVisible(view.multi_agency)
        self.status_badge.setText(f"{view.status_label}・緊急度 {view.urgency}")
        self.status_badge.show()
        self.summary.setText(
            f"受付機関: {view.owner_agency}　ブロック: {view.block or '—'}　"
            f"受付日: {dates.to_both(view.opened_at.date())}　"
            f"分野: {'・'.join(view.fields) or '—'}　発見経路: {view.discovery or '—'}")
        if not view.sees_everything:
            self.notice.setText("このケースは他機関から「つなぎ」を受けたものです。"
                                "提供を受けた内容（送付・追加提供の時点の写し）だけを表示しています。"
                                "提供されていない項目は表示しません。")
        self.notice.setVisible(not view.sees_everything)
        self._fill_person(view)
        self.sheet_text.setHtml(sheets_html(view))
        self.handoff_model.set_rows(view.handoffs)
        self.timeline_model.set_rows(view.timeline)
        self.consent_model.set_rows(view.consents)
        self.consent_note.setText("" if view.sees_everything else
                                  "同意の記録は受付機関だけが見られます。")
        self.routing_model.set_rows(view.routing)
        self.attachment_model.set_rows(view.attachments)
        plans = "、".join(f"{k} {n}件" for k, n in view.plans.items())
        self.plans_label.setText(f"支援プラン: {plans or 'まだありません'}")
        intake = self.ctx.actor.is_intake
        self.send_button.setEnabled(intake)
        self._update_add_share()
        self.withdraw_button.setEnabled(intake and view.sees_everything and bool(view.consents))
        # Tables are measured when their tab is on show: a case with thirty hand-offs has
        # hundreds of timeline rows, and measuring every tab at once stalls the window.
        self._unfitted = {self.handoff_table, self.timeline_table, self.consent_table,
                          self.routing_table, self.household_table, self.attachment_table}
        self._fit_shown_tab()

    def _fit_shown_tab(self) -> None:
        tab = self.tabs.currentWidget()
        for table in [t for t in self._unfitted if tab is not None and tab.isAncestorOf(t)]:
            _fit(table)
            self._unfitted.discard(table)

    def _fill_person(self, view) -> None:
        p = view.person
        rows = [("氏名", p.name), ("ふりがな", p.kana),
                ("生年月日", f"{dates.to_both(p.birth_date)}" if p.birth_date else ""),
                ("年齢", f"{p.age}歳" if p.age is not None else ""), ("性別", p.sex),
                ("住所", p.address), ("電話", p.phone)]
        if not view.sees_everything and not p.address:
            rows = rows[:5] + [("住所・電話", "（共有されていません）")]
        self.person_text.setHtml(_definition_table(rows))
        self.household_model.set_rows(view.household)
        self.household_note.setText("（世帯構成は共有されていません）" if view.household_hidden else "")
        self.household_note.setVisible(view.household_hidden)

    # --- actions (the intake domain's services) ---------------------------------------------
    def _send_dialog(self) -> None:
        if self.view is None:
            return
        SendDialog(self.ctx, self.view, self).exec()  # its write's change reloads this view

    def selected_handoff(self):
        rows = self.handoff_table.selectionModel().selectedRows()
        return self.handoff_model.row_at(rows[0].row()) if rows else None

    def _update_add_share(self) -> None:
        """追加提供 for the sending agency on an open hand-off; otherwise disabled, saying why."""
        row = self.selected_handoff()
        why = ("追加提供するつなぎを一覧から選んでください。" if row is None
               else sharing_ui.share_blocker(row, self.ctx.actor))
        self.add_share_button.setEnabled(self.view is not None and not why)
        self.add_share_button.setToolTip(why or f"「{row.to_agency}」へシートの項目を追加で提供します。")
        self.add_share_note.setText(why if row is not None else "")
        self.add_share_note.setVisible(row is not None and bool(why))

    def _add_share_dialog(self) -> None:
        row = self.selected_handoff()
        if self.view is None or row is None:
            self._say("追加提供するつなぎを一覧から選んでください。")
            return
        # Its write's change reloads this view.
        sharing_ui.AddShareDialog(self.ctx, row.id, self).exec()

    def _withdraw_dialog(self) -> None:
        rows = self.consent_table.selectionModel().selectedRows()
        if self.view is None or not rows:
            self._say("撤回を記録する同意を一覧から選んでください。")
            return
        consent = self.consent_model.row_at(rows[0].row())
        if not consent.active:
            self._say("この同意はすでに撤回されています。")
            return
        WithdrawDialog(self.ctx, consent.id, self).exec()  # its write's change reloads this view


def _definition_table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th align='left' style='padding-right:16px'>{escape(k)}</th>"
                    f"<td>{escape(v or '')}</td></tr>" for k, v in rows)
    return f"<table cellspacing='2'>{cells}</table>"


def sheets_html(view) -> str:
    """All sheets of the case, newest first, section by section (part A / part B)."""
    if not view.sheets:
        return "<p>シートはまだありません。</p>"
    parts = []
    for sheet in view.sheets:
        parts.append(f"<h2>「つながる」シート（{escape(dates.to_both(sheet.received_at.date()))}"
                     f"　{escape(sheet.agency)}・{escape(sheet.worker)}）</h2>")
        if not view.sees_everything:  # a receiving agency: what it was given of this sheet
            parts.append(sharing_ui.provided_html(
                [p for p in view.provided if p.sheet_id == sheet.id], sheet.hidden_sections))
        if sheet.worries:
            worries = "・".join(escape(w) for w in sheet.worries)
            pressing = (f"<br><b>いちばん困っていること:</b> {escape(sheet.most_pressing)}"
                        if sheet.most_pressing else "")
            parts.append(f"<p><b>困りごと:</b> {worries}{pressing}</p>")
        for sec in sheet.sections:
            if not sec.answers:
                continue
            part = "A 相談者記入" if sec.part == "A" else "B 相談受付者記入"
            parts.append(f"<h3>{escape(sec.label)} <small>（{part}）</small></h3>")
            parts.append("<table cellspacing='2'>" + "".join(
                f"<tr><th align='left' valign='top' style='padding-right:16px'>{escape(a.label)}</th>"
                f"<td>{escape(a.value).replace(chr(10), '<br>')}</td></tr>" for a in sec.answers)
                + "</table>")
    return "".join(parts)


class SendDialog(QDialog):
    """A new hand-off from this case (services.handoffs.send: consent gate and disclosure
    record are the intake domain's)."""

    def __init__(self, ctx, view, parent: QWidget | None = None) -> None:
        from kodoku_desk.domain.template import load_template
        from kodoku_desk.services.handoffs import HANDOFF_BASES

        super().__init__(parent)
        self.ctx, self.view = ctx, view
        self.setWindowTitle(f"つなぎを送る — {view.case_no}")
        self.agency_box = QComboBox()
        self.reason_edit = QPlainTextEdit()
        self.request_edit = QPlainTextEdit()
        for e in (self.reason_edit, self.request_edit):
            e.setMaximumHeight(70)
        self.basis_box = QComboBox()
        self.basis_box.addItems(HANDOFF_BASES)
        self.basis_reason = QLineEdit()
        self.basis_reason.setPlaceholderText("同意の範囲外へ送るときは、根拠と理由を書いてください")
        self.share_boxes: dict[str, QCheckBox] = {}
        share = QWidget()
        grid = QVBoxLayout(share)
        grid.setContentsMargins(0, 0, 0, 0)
        for key, label in load_template().section_labels().items():
            box = QCheckBox(label)
            box.setChecked(key in ("basic", "worries", "wishes"))
            self.share_boxes[key] = box
            grid.addWidget(box)
        self.error = FieldError()
        form = QFormLayout()
        form.addRow("つなぎ先", self.agency_box)
        form.addRow("理由", self.reason_edit)
        form.addRow("依頼内容", self.request_edit)
        form.addRow("共有範囲", share)
        form.addRow("根拠", self.basis_box)
        form.addRow("根拠の理由", self.basis_reason)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton("送る", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        v = QVBoxLayout(self)
        v.addLayout(form)
        v.addWidget(self.error)
        v.addWidget(buttons)
        self._load_agencies()

    def _load_agencies(self) -> None:
        from kodoku_desk.queries.search import filter_choices

        signed = self.ctx.signed
        self.ctx.runner.query(lambda: filter_choices(signed).agencies, self._set_agencies,
                              lambda e: self.error.show_message(error_text(e)), parent=self)

    def _set_agencies(self, agencies) -> None:
        for agency_id, name in agencies:
            if agency_id != self.ctx.actor.agency_id:
                self.agency_box.addItem(name, agency_id)

    def submit(self) -> None:
        from kodoku_desk.services.handoffs import send

        agency_id = self.agency_box.currentData()
        if agency_id is None:
            self.error.show_message("つなぎ先の機関を選んでください。")
            return
        args = (self.view.id, agency_id, self.reason_edit.toPlainText().strip(),
                self.request_edit.toPlainText().strip(),
                [k for k, b in self.share_boxes.items() if b.isChecked()],
                self.basis_box.currentText(), self.basis_reason.text().strip())
        signed = self.ctx.signed
        self.ok.setEnabled(False)
        self.ctx.runner.write(lambda: send(signed, *args), lambda _id: self.accept(),
                              self._failed, parent=self)

    def _failed(self, exc: BaseException) -> None:
        self.ok.setEnabled(True)
        self.error.show_message(error_text(exc))


class WithdrawDialog(QDialog):
    """Record a consent withdrawal (services.consent.withdraw)."""

    def __init__(self, ctx, consent_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.consent_id = ctx, consent_id
        self.setWindowTitle("同意の撤回を記録")
        self.date_field = DateField(field="withdrawn_on")
        self.date_field.set_date(date.today())
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setMaximumHeight(80)
        self.error = FieldError()
        form = QFormLayout()
        form.addRow("撤回日", self.date_field)
        form.addRow("理由", self.reason_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton("撤回を記録", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        v = QVBoxLayout(self)
        v.addWidget(QLabel("撤回の後は、この同意にもとづく新しい共有はできなくなります。"
                           "送付済みのつなぎの記録は残ります。"))
        v.addLayout(form)
        v.addWidget(self.error)
        v.addWidget(buttons)

    def submit(self) -> None:
        from kodoku_desk.errors import UserError
        from kodoku_desk.services.consent import withdraw

        try:
            on = self.date_field.value()
        except UserError:
            return
        reason, signed, cid = self.reason_edit.toPlainText().strip(), self.ctx.signed, self.consent_id
        self.ok.setEnabled(False)
        self.ctx.runner.write(lambda: withdraw(signed, cid, on, reason), lambda _r: self.accept(),
                              self._failed, parent=self)

    def _failed(self, exc: BaseException) -> None:
        self.ok.setEnabled(True)
        self.error.show_message(error_text(exc))
