"""The meeting packet export dialog: format, redaction (by kind by default), an optional PDF
password, and where to save. A redacted export goes on to 匿名化の確認 (redaction.py) before
anything is written; the export itself runs on the runner (session_editor)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.queries import meeting_views
from kodoku_desk.ui.ops import error_text
from kodoku_desk.ui.widgets import FieldError, PasswordPair

REDACT_CHOICES = (("種類ごとの既定（支援者支援会議は匿名化）", None), ("すべての部を匿名化する", True),
                  ("匿名化しない", False))


class PacketDialog(QDialog):
    """Format, redaction, optional PDF password and where to save the meeting packet."""

    def __init__(self, parent: QWidget, view: meeting_views.SessionView) -> None:
        super().__init__(parent)
        self.setWindowTitle("会議資料の出力")
        self.view = view
        self.pdf, self.docx = QRadioButton("PDF"), QRadioButton("Word（DOCX）")
        self.pdf.setChecked(True)
        self.redact = QComboBox()
        for label, value in REDACT_CHOICES:
            self.redact.addItem(label, value)
        self.redact_note = QLabel()
        self.redact_note.setWordWrap(True)
        self.use_password = QCheckBox("PDFにパスワードを付ける")
        self.password = PasswordPair()
        self.password.setEnabled(False)
        self.use_password.toggled.connect(self.password.setEnabled)
        self.path = QLineEdit()
        self.path.setPlaceholderText("保存するファイルを選んでください")
        browse = QPushButton("保存先を選ぶ…")
        browse.clicked.connect(self.browse)
        self.error = FieldError()
        self.pdf.toggled.connect(self._format_changed)
        self.redact.currentIndexChanged.connect(self._update_note)
        formats = QHBoxLayout()
        formats.addWidget(self.pdf)
        formats.addWidget(self.docx)
        formats.addStretch(1)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("形式", formats)
        form.addRow("匿名化", self.redact)
        form.addRow("", self.redact_note)
        form.addRow("", self.use_password)
        form.addRow("パスワード", self.password)
        form.addRow("保存先", path_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("出力")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("キャンセル")
        buttons.accepted.connect(self._check_and_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{view.title}（{len(view.parts)}部・ケース{view.case_count}件）"))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(620, 0)
        self._update_note()

    @property
    def fmt(self) -> str:
        return "pdf" if self.pdf.isChecked() else "docx"

    @property
    def redact_value(self) -> bool | None:
        return self.redact.currentData()

    def _format_changed(self) -> None:
        self.use_password.setEnabled(self.pdf.isChecked())
        if not self.pdf.isChecked():
            self.use_password.setChecked(False)
        text = self.path.text()
        if text:
            self.path.setText(str(Path(text).with_suffix(f".{self.fmt}")))

    @property
    def redacted_parts(self) -> list[str]:
        """The kinds of the parts the chosen setting redacts."""
        value = self.redact_value
        return [p.kind for p in self.view.parts
                if (p.rule.redact_default if value is None else value)]

    def _update_note(self) -> None:
        redacted = self.redacted_parts
        self.redact_note.setText(
            ("匿名化される部: " + "・".join(redacted) + "。出力の前に、置き換える語の一覧を確認します。")
            if redacted else "どの部も匿名化しません（氏名・住所などがそのまま載ります）。")
        self.ok_button.setText("次へ（置き換えの確認）" if redacted else "出力")

    def browse(self) -> None:
        name = f"{self.view.held_on.isoformat()}_{self.view.title}_会議資料.{self.fmt}"
        start = str(Path(self.path.text()).parent / name) if self.path.text() else name
        pattern = "PDF (*.pdf)" if self.fmt == "pdf" else "Word (*.docx)"
        chosen, _ = QFileDialog.getSaveFileName(self, "会議資料の保存先", start, pattern)
        if chosen:
            self.path.setText(chosen if chosen.lower().endswith(f".{self.fmt}")
                              else f"{chosen}.{self.fmt}")

    def password_value(self) -> str | None:
        if self.fmt != "pdf" or not self.use_password.isChecked():
            return None
        return self.password.value()  # raises UserError when the two entries differ

    def _check_and_accept(self) -> None:
        self.error.clear_message()
        if not self.path.text().strip():
            self.error.show_message("保存先のファイルを選んでください。")
            return
        try:
            if self.password_value() == "":
                self.error.show_message("PDFのパスワードを入力してください。")
                return
        except Exception as exc:  # noqa: BLE001 - shown in the dialog
            self.error.show_message(error_text(exc))
            return
        self.accept()

