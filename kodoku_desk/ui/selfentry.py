"""本人記入モード: a large-type screen showing only part A (相談者記入) of the sheet for the person
to fill in themselves. It covers the whole screen and is modal: nothing else in the workspace
is reachable from it, and leaving it needs the worker's password (services.auth)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain.template import SheetTemplate
from kodoku_desk.services.auth import verify_unlock
from kodoku_desk.ui.ops import error_text
from kodoku_desk.ui.pages.intake.look import ERROR_STYLE, big_font, part_badge
from kodoku_desk.ui.pages.intake.sheet_form import SheetForm

FONT_POINTS = 18


class SelfEntryDialog(QDialog):
    def __init__(self, ctx, template: SheetTemplate, initial: dict | None = None,
                 parent: QWidget | None = None, full_screen: bool = True) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._unlocked = False
        self.setWindowTitle("ご本人記入")
        self.setModal(True)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        big_font(self, FONT_POINTS)
        # Style sheets on the form's groups stop font inheritance; a cascading rule does not.
        self.setStyleSheet(f"QWidget {{ font-size: {FONT_POINTS}pt; }}"
                           " QCheckBox::indicator { width: 24px; height: 24px; }")
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        title = QLabel("「つながる」シート　ご本人の記入欄")
        title.setStyleSheet("font-size: 24pt; font-weight: bold;")
        head.addWidget(title)
        head.addWidget(part_badge("A", large=True))
        head.addStretch(1)
        layout.addLayout(head)
        self.form = SheetForm(template, parts=("A",), large=True)
        if initial:
            self.form.set_values({k: v for k, v in initial.items()
                                  if k in self.form.editors or k == "most_pressing"})
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        layout.addWidget(scroll, 1)
        layout.addWidget(self._exit_panel())
        if full_screen:
            self.setWindowState(Qt.WindowState.WindowFullScreen)

    def _exit_panel(self) -> QWidget:
        panel = QWidget()
        rows = QVBoxLayout(panel)
        rows.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        rows.addLayout(row)
        row.addWidget(QLabel("記入が終わったら、職員にお声がけください。"), 1)
        self.done_button = QPushButton("職員が確認して終える")
        self.done_button.setObjectName("staff_exit")
        self.done_button.clicked.connect(self._ask_password)
        row.addWidget(self.done_button)
        self.password_box = QWidget()
        pw_row = QHBoxLayout(self.password_box)
        pw_row.setContentsMargins(0, 0, 0, 0)
        pw_row.addWidget(QLabel(f"{self.ctx.signed.actor.display_name} さんのパスワード"))
        self.password = QLineEdit()
        self.password.setObjectName("staff_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setMinimumWidth(280)
        self.password.returnPressed.connect(self._verify)
        pw_row.addWidget(self.password)
        ok = QPushButton("確認")
        ok.setObjectName("staff_confirm")
        ok.clicked.connect(self._verify)
        pw_row.addWidget(ok)
        back = QPushButton("記入に戻る")
        back.clicked.connect(self._back)
        pw_row.addWidget(back)
        self.password_error = QLabel()
        self.password_error.setStyleSheet(ERROR_STYLE)
        pw_row.addWidget(self.password_error, 1)
        self.password_box.hide()
        rows.addWidget(self.password_box)
        return panel

    def _ask_password(self) -> None:
        self.done_button.hide()
        self.password_box.show()
        self.password.setFocus()

    def _back(self) -> None:
        self.password.clear()
        self.password_error.clear()
        self.password_box.hide()
        self.done_button.show()

    def _verify(self) -> None:
        password = self.password.text()
        self.password.clear()
        if not password:
            self.password_error.setText("パスワードを入力してください。")
            return
        signed = self.ctx.signed
        self.ctx.runner.write(lambda: verify_unlock(signed, password), self._verified,
                            lambda exc: self.password_error.setText(error_text(exc)), parent=self)

    def _verified(self, ok: bool) -> None:
        if not ok:
            self.password_error.setText("パスワードが違います。")
            return
        self._unlocked = True
        self.accept()

    @property
    def unlocked(self) -> bool:
        return self._unlocked

    def values(self) -> dict:
        return self.form.values()

    # Leaving is only possible through the worker's password.
    def reject(self) -> None:
        if self._unlocked:
            super().reject()

    def done(self, result: int) -> None:
        if self._unlocked:
            super().done(result)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            event.ignore()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self._unlocked:
            super().closeEvent(event)
        else:
            event.ignore()
