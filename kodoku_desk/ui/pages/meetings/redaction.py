"""匿名化の確認: before a redacted packet is written, every replacement it will make (元の表記 →
置き換え, and where), with a field to add terms the redaction missed — each replaced as a third
party (第三者n) or as 「伏字」. Adding or removing a term asks for the preview again; the export
then uses exactly the preview shown (services.meeting_packets.export_packet refuses if the
packet changed in between)."""

from __future__ import annotations

from collections import Counter

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.services import meeting_packets
from kodoku_desk.services.meeting_packets import ExtraTerm, same_term
from kodoku_desk.ui.ops import Latest, error_text
from kodoku_desk.ui.tables import fit_columns
from kodoku_desk.ui.widgets import FieldError, RowsTableModel

COLUMNS = (("original", "元の表記"), ("replacement", "置き換え"), ("where", "箇所"))
TERM_KINDS = (("第三者として符号にする（第三者n）", True), ("伏字にする", False))


class RedactionPreviewDialog(QDialog):
    """The preview of one redacted export; `preview` is the one to export with once accepted."""

    def __init__(self, parent: QWidget | None, ctx, session_id: int,
                 redact: bool | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("匿名化の確認")
        self.ctx, self.session_id, self.redact = ctx, session_id, redact
        self.preview: meeting_packets.RedactionPreview | None = None
        self.terms: list[ExtraTerm] = []
        self._latest = Latest()
        intro = QLabel("出力する前に、匿名化で置き換える語を確認してください。見落としている名前などがあれば、"
                       "下の欄に入力して追加できます（追加した語句も資料のすべての箇所で置き換えます）。")
        intro.setWordWrap(True)
        self.parts_label = QLabel()
        self.parts_label.setWordWrap(True)
        self.summary = QLabel("置き換えを調べています…")
        self.model = RowsTableModel(COLUMNS)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.term_edit = QLineEdit()
        self.term_edit.setPlaceholderText("置き換える語句（例: 佐藤さん、〇〇荘）")
        self.term_edit.returnPressed.connect(self.add_term)
        self.term_kind = QComboBox()
        for label, value in TERM_KINDS:
            self.term_kind.addItem(label, value)
        add = QPushButton("語句を追加")
        add.clicked.connect(self.add_term)
        self.added = QListWidget()
        self.added.setMaximumHeight(72)
        remove = QPushButton("選んだ語句を外す")
        remove.clicked.connect(self.remove_term)
        self.note = FieldError()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("この置き換えで出力")
        self.ok_button.setEnabled(False)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("戻る")
        buttons.accepted.connect(self._check_and_accept)
        buttons.rejected.connect(self.reject)
        term_row = QHBoxLayout()
        term_row.addWidget(QLabel("追加する語句"))
        term_row.addWidget(self.term_edit, 1)
        term_row.addWidget(self.term_kind)
        term_row.addWidget(add)
        added_row = QHBoxLayout()
        added_row.addWidget(self.added, 1)
        added_row.addWidget(remove)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.parts_label)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(term_row)
        layout.addWidget(QLabel("追加した語句"))
        layout.addLayout(added_row)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.resize(980, 680)
        self.load()

    # ------------------------------------------------------------------ the preview

    def load(self) -> None:
        """Ask for the preview with the terms added so far (a read, in the background)."""
        signed, sid, redact, terms = self.ctx.signed, self.session_id, self.redact, \
            tuple(self.terms)
        self.ok_button.setEnabled(False)
        self.summary.setText("置き換えを調べています…")
        show, failed = self._latest.guard("preview", self._show, self._failed)
        self.ctx.runner.query(
            lambda: meeting_packets.preview_redaction(signed, sid, redact=redact,
                                                      extra_terms=terms),
            show, failed, parent=self)

    def _show(self, preview: meeting_packets.RedactionPreview) -> None:
        self.preview = preview
        self.parts_label.setText("匿名化される部: " + ("・".join(preview.parts) or "なし"))
        self.model.set_rows(preview.rows)
        fit_columns(self.table, sample=200, max_width=260, skip=(2,))
        self.table.resizeRowsToContents()  # 箇所 wraps onto a second line when long
        kinds: Counter[str] = Counter()
        for row in preview.rows:
            kinds[row.kind] += row.count
        detail = "・".join(f"{kind} {n}" for kind, n in kinds.items())
        self.summary.setText(f"置き換え {preview.count}か所（表記 {len(preview.rows)}通り）"
                             + (f"：{detail}" if detail else ""))
        if preview.unmatched_terms:
            self.note.show_message("次の語句は匿名化する部の中に見つかりません: "
                                   + "、".join(f"「{t}」" for t in preview.unmatched_terms))
        else:
            self.note.clear_message()
        self._select_last_term()
        self.ok_button.setEnabled(bool(preview.parts))

    def _failed(self, exc: BaseException) -> None:
        self.summary.setText("置き換えを調べられませんでした。")
        self.note.show_message(error_text(exc))

    def _select_last_term(self) -> None:
        """Show where the term just added is replaced."""
        if not self.terms:
            return
        last = self.terms[-1].text
        for i, row in enumerate(self.model.rows):
            if same_term(row.original, last):
                self.table.selectRow(i)
                self.table.scrollTo(self.model.index(i, 0))
                return

    # ------------------------------------------------------------------ terms

    def add_term(self) -> None:
        text = self.term_edit.text().strip()
        if not text:
            self.note.show_message("追加する語句を入力してください。")
            return
        if any(same_term(t.text, text) for t in self.terms):
            self.note.show_message(f"「{text}」はもう追加されています。")
            return
        if len(text) > 100:
            self.note.show_message("追加する語句は100文字以内にしてください。")
            return
        term = ExtraTerm(text, bool(self.term_kind.currentData()))
        self.terms.append(term)
        self.added.addItem(f"{text}　→ {'第三者の符号' if term.third_party else '（伏字）'}")
        self.term_edit.clear()
        self.load()

    def remove_term(self) -> None:
        row = self.added.currentRow()
        if row < 0:
            self.note.show_message("外す語句を一覧から選んでください。")
            return
        self.added.takeItem(row)
        del self.terms[row]
        self.load()

    def _check_and_accept(self) -> None:
        if self.preview is None or not self.ok_button.isEnabled():
            return
        self.accept()
