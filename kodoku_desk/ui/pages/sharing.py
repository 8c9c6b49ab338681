"""What the screens say about a provision (docs/DOMAIN.md §5–§6): the 追加提供 dialog, why a
hand-off cannot take one, what a receiving agency was given, why its access ended, and the
hand-off events that change what it reads without moving the state (追加提供, 同意撤回).

The rules are the domain's and the services': the dialog reads queries.add_share, sends through
services.handoffs.add_share on the runner, and shows the service's sentence when it refuses."""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain import dates
from kodoku_desk.domain import handoff as handoff_rules
from kodoku_desk.domain.consent import BASIS_CONSENT
from kodoku_desk.errors import UserError
from kodoku_desk.ui.ops import error_text
from kodoku_desk.ui.widgets import FieldError

NOTICE_STYLE = "background: #fff8e1; border: 1px solid #f0c36d; padding: 6px;"
PROVIDED_STYLE = "background: #eef4fb; border: 1px solid #b7cde6; padding: 6px;"
GREY = "color: #555555;"


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return dates.to_wareki(value.date() if isinstance(value, datetime) else value)


def _stamp(value: datetime | None) -> str:
    return f"{_day(value)} {value:%H:%M}" if value else ""


# ------------------------------------------------------------------------- words for the screens


def share_blocker(row, actor) -> str:
    """Why this agency cannot add a provision to the hand-off `row` (a HandoffRow); "" if it
    can. The same rules as services.handoffs.add_share, asked before the dialog opens."""
    if not actor.is_intake:
        return "追加提供ができるのは、受付を担当する職員だけです。"
    if actor.agency_id != row.from_agency_id:
        return "追加提供ができるのは、つなぎを送った機関の職員だけです。"
    try:  # for an open hand-off, an ended access means a consent withdrawal ended it
        handoff_rules.check_additional_share(row.state, row.access_ended)
    except UserError as err:
        return err.message
    return ""


def ended_label(row) -> str:
    """The hand-off's details line when its receiver's access has ended."""
    if row.state in handoff_rules.ACCESS_ENDING_STATES:
        return f"終了（{row.state}）"
    return "終了（本人が同意を撤回）"


def ended_sentence(end) -> str:
    """One sentence for a receiving agency opening a case whose provision has ended
    (queries.received.AccessEnd)."""
    when = f"{_day(end.at)}に" if end.at else ""
    rest = f"ケース {end.case_no} の提供は終了しました（受信箱にはケース番号と経過だけが残ります）。"
    if end.consent_withdrawn:
        return f"本人が{when}同意を撤回したため、{rest}"
    if end.state == handoff_rules.RETURNED:
        return f"このつなぎは{when}返送したため、{rest}"
    return f"送付元が{when}このつなぎを取り下げたため、{rest}"


def event_text(from_state: str, to_state: str, kind: str = "") -> str:
    """The できごと of an event: the step (送付 → 受理), or its kind when the state stayed."""
    if kind:
        return kind
    return f"{from_state} → {to_state}" if from_state else to_state


def timeline_html(events) -> str:
    """A hand-off's events (queries.received.EventView), for the inbox and outbox details."""
    if not events:
        return ""
    rows = []
    for e in events:
        note = escape(e.note or "").replace("\n", "<br>")
        if e.alternative:
            note += f"<br>代わりの提案: {escape(e.alternative)}"
        what = escape(event_text(e.from_state, e.to_state, e.kind))
        if e.kind:
            what = f"<b>{what}</b>"
        cell = "<td valign='top' style='padding-right:10px; white-space:nowrap'>"
        rows.append(f"<tr>{cell}{escape(_stamp(e.at))}</td>{cell}{what}</td>"
                    f"{cell}{escape(e.agency)}・{escape(e.who)}</td>"
                    f"<td valign='top'>{note}</td></tr>")
    return "<b>経過</b><table cellspacing='1'>" + "".join(rows) + "</table>"


def with_timeline(details: str, events) -> str:
    """A hand-off's details with its events beside them (the details pane stays short)."""
    timeline = timeline_html(events)
    if not timeline:
        return details
    return ("<table width='100%' cellspacing='0'><tr>"
            f"<td valign='top' style='padding-right:16px'>{details}</td>"
            f"<td valign='top'>{timeline}</td></tr></table>")


def provided_html(provisions, hidden_sections: list[str]) -> str:
    """For a receiving agency, above one sheet: what it was given of it and when (each snapshot:
    送付 or 追加提供, its date, sender, sections, hash), and that the rest is not shown."""
    lines = []
    for p in provisions:
        kind = "移行時の記録" if p.migrated else p.kind
        lines.append(f"・{escape(_stamp(p.at))}　{escape(kind)}（{escape(p.from_agency)}から）: "
                     f"{escape('・'.join(p.sections))}"
                     f"　<span style='color:#777'>照合用 {escape(p.sha256[:12])}</span>")
    hidden = ("<br>提供されていない項目（" + escape("・".join(hidden_sections))
              + "）は表示していません。") if hidden_sections else ""
    return (f"<p style='{PROVIDED_STYLE}'><b>提供を受けた内容</b>（その時点の写しです。"
            "後からシートが変わっても、追加提供がなければここは変わりません）<br>"
            + "<br>".join(lines) + hidden + "</p>")


# ------------------------------------------------------------------------- the 追加提供 dialog


class AddShareDialog(QDialog):
    """追加提供 on one open hand-off: which sheet, which sections, on which basis; a line saying
    what goes to whom. services.handoffs.add_share passes the gate again and records it."""

    def __init__(self, ctx, handoff_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.handoff_id = ctx, handoff_id
        self.form = None
        self.setWindowTitle("追加提供")
        self.setMinimumWidth(640)
        self.header = QLabel("読み込み中…")
        self.header.setWordWrap(True)
        self.sheet_box = QComboBox()
        self.sections = QWidget()
        self.section_grid = QGridLayout(self.sections)
        self.section_grid.setContentsMargins(0, 0, 0, 0)
        self.share_boxes: dict[str, QCheckBox] = {}
        self.basis_box = QComboBox()
        self.basis_reason = QLineEdit()
        self.basis_reason.setPlaceholderText("根拠の理由（本人同意以外のとき必須）")
        self.consent_note = QLabel("")
        self.confirm = QLabel("")
        self.confirm.setWordWrap(True)
        self.confirm.setStyleSheet(NOTICE_STYLE)
        self.error = FieldError()
        form = QFormLayout()
        form.addRow("提供するシート", self.sheet_box)
        form.addRow("提供する項目", self.sections)
        form.addRow("根拠", self.basis_box)
        form.addRow("根拠の理由", self.basis_reason)
        form.addRow("", self.consent_note)
        buttons = QDialogButtonBox()
        buttons.addButton("キャンセル", QDialogButtonBox.ButtonRole.RejectRole)
        self.ok = buttons.addButton("追加提供する", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setEnabled(False)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        v = QVBoxLayout(self)
        v.addWidget(self.header)
        v.addLayout(form)
        v.addWidget(self.confirm)
        v.addWidget(self.error)
        v.addWidget(buttons)
        self.sheet_box.currentIndexChanged.connect(lambda _i: self._fill_sections())
        self.basis_box.currentIndexChanged.connect(lambda _i: self._basis_changed())
        self.basis_reason.textChanged.connect(lambda _t: self._update_confirm())
        self._load()

    # --- loading ------------------------------------------------------------------------
    def _load(self) -> None:
        from kodoku_desk.queries.add_share import add_share_form

        signed, hid = self.ctx.signed, self.handoff_id
        self.ctx.runner.query(lambda: add_share_form(signed, hid), self.show_form,
                              self._load_failed, parent=self)

    def _load_failed(self, exc: BaseException) -> None:
        self.header.setText("追加提供の準備ができませんでした。")
        self.error.show_message(error_text(exc))

    def show_form(self, form) -> None:
        self.form = form
        self.setWindowTitle(f"追加提供 — {form.case_no} → {form.to_agency}")
        self.header.setText(
            f"ケース {form.case_no} の「{form.to_agency}」へのつなぎ（{form.state}・"
            f"{_day(form.sent_at)}送付）に、シートの項目を追加で提供します。"
            "提供した内容はその時点の写しとして固定され、提供記録に残ります。")
        self.sheet_box.blockSignals(True)
        for i, sheet in enumerate(form.sheets):
            newest = "（最新）" if i == 0 and len(form.sheets) > 1 else ""
            self.sheet_box.addItem(f"{_day(sheet.received_at)}受付　{sheet.agency}・{sheet.worker}"
                                   f"{newest}", sheet.id)
        self.sheet_box.blockSignals(False)
        self.basis_box.blockSignals(True)
        self.basis_box.addItems(list(form.bases))
        self.basis_box.setCurrentIndex(max(self.basis_box.findText(form.basis), 0))
        self.basis_box.blockSignals(False)
        self.basis_reason.setText(form.basis_reason)
        self.ok.setEnabled(bool(form.sheets))
        if not form.sheets:
            self.error.show_message("このケースには提供できるシートがありません。")
        self._fill_sections()
        self._basis_changed()

    def current_sheet(self):
        if self.form is None:
            return None
        sheet_id = self.sheet_box.currentData()
        return next((s for s in self.form.sheets if s.id == sheet_id), None)

    def _fill_sections(self) -> None:
        for box in self.share_boxes.values():
            self.section_grid.removeWidget(box)
            box.deleteLater()
        self.share_boxes = {}
        sheet = self.current_sheet()
        for i, sec in enumerate(sheet.sections if sheet else []):
            label, tip = sec.label, f"{sec.part} 欄"
            if not sec.may_share:
                label += "（提供を受けていない）"
                tip = "あなたの機関が提供を受けていない項目は、ほかの機関へ提供できません。"
            elif sec.shared_at is not None:
                label += "（提供済み）"
                tip = f"このシートから {_stamp(sec.shared_at)} に提供済みです。選ぶと今の内容で提供し直します。"
            elif sec.shared_from_other:
                label += "（別のシートで提供済み）"
                tip = "このつなぎでは別のシートからこの項目を提供しています。"
            box = QCheckBox(label)
            box.setToolTip(tip)
            box.setEnabled(sec.may_share)
            box.toggled.connect(lambda _c: self._update_confirm())
            self.share_boxes[sec.key] = box
            self.section_grid.addWidget(box, i // 2, i % 2)
        self._update_confirm()

    def _basis_changed(self) -> None:
        from kodoku_desk.ui.pages.intake.handoff_rows import consent_hint

        basis = self.basis_box.currentText()
        self.basis_reason.setEnabled(basis != BASIS_CONSENT)
        if self.form is not None:
            text, style = consent_hint(self.form.covered, basis)
            if basis != self.form.basis and basis != BASIS_CONSENT:
                text += "。このつなぎと違う根拠で提供するときは、その理由を書いてください"
            self.consent_note.setText(text)
            self.consent_note.setStyleSheet(style)
        self._update_confirm()

    # --- what will be sent ----------------------------------------------------------------
    def chosen(self) -> list[str]:
        return [k for k, b in self.share_boxes.items() if b.isChecked() and b.isEnabled()]

    def chosen_basis(self) -> tuple[str, str]:
        basis = self.basis_box.currentText()
        return basis, ("" if basis == BASIS_CONSENT else self.basis_reason.text().strip())

    def _update_confirm(self) -> None:
        sheet = self.current_sheet()
        if self.form is None or sheet is None:
            self.confirm.setText("")
            return
        labels = {s.key: s.label for s in sheet.sections}
        chosen = self.chosen()
        basis, reason = self.chosen_basis()
        if not chosen:
            self.confirm.setText(f"「{self.form.to_agency}」へ提供する項目を選んでください。")
            return
        why = f"{basis}（{reason}）" if reason else basis
        self.confirm.setText(
            f"「{self.form.to_agency}」へ、{_day(sheet.received_at)}受付のシートから"
            f"「{'・'.join(labels[k] for k in chosen)}」を提供します。根拠: {why}。")
        self._fit()

    def _fit(self) -> None:
        """The form arrives after the dialog is on screen, and the confirmation line grows with
        what is chosen: the dialog grows to show it all rather than cutting or squeezing."""
        layout = self.layout()
        if layout is None or not self.isVisible():
            return  # shown later at its size hint
        width = max(self.width(), self.sizeHint().width())
        height = max(self.height(), layout.totalHeightForWidth(width))
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)

    def submit(self) -> None:
        from kodoku_desk.services.handoffs import add_share

        sheet = self.current_sheet()
        if self.form is None:
            return
        share, (basis, reason) = self.chosen(), self.chosen_basis()
        signed, hid, sheet_id = self.ctx.signed, self.handoff_id, sheet.id if sheet else None
        self.ok.setEnabled(False)
        self.error.clear_message()
        # The write's Change.HANDOFF reloads the case view under the dialog.
        self.ctx.runner.write(lambda: add_share(signed, hid, share, sheet_id, basis, reason),
                              lambda _snap: self.accept(), self._failed, parent=self)

    def _failed(self, exc: BaseException) -> None:
        self.ok.setEnabled(True)
        self.error.show_message(error_text(exc))


__all__ = ["AddShareDialog", "ended_label", "ended_sentence", "event_text", "provided_html",
           "share_blocker", "timeline_html", "with_timeline"]

