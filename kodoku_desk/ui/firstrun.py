"""First run (no workspace yet): create a demo workspace or a new empty one. Both run on the
Runner; the dialog is accepted with `self.signed` (the new workspace, signed in as its admin).
The demo comes from kodoku-desk-devtools (kodoku_desk.extras); without it the choice is disabled
and its note says why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.extras import DEVTOOLS_MISSING, devtools, devtools_installed
from kodoku_desk.ui.login import FolderRow, default_workspace, remember
from kodoku_desk.ui.ops import Runner, error_text
from kodoku_desk.ui.widgets import FieldError, PasswordPair

DEMO_CASES = 200


class FirstRunDialog(QDialog):
    def __init__(self, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.signed: Any = None
        self.wants_login = False
        self.setWindowTitle("kodoku-desk はじめに")
        intro = QLabel("ワークスペース（暗号化された相談記録の保存先）がまだありません。\n"
                       "どちらかを選んでください。", self)
        self.demo_button = QPushButton("デモ用ワークスペースを作成", self)
        self.demo_note = QLabel("架空の機関・職員・ケースが入った練習用です。実在の人は含みません。", self)
        self.demo_note.setWordWrap(True)
        if not devtools_installed():
            self.demo_button.setEnabled(False)
            self.demo_note.setText(DEVTOOLS_MISSING)
        self.new_button = QPushButton("新しいワークスペースを作成", self)
        new_note = QLabel("本番用の空のワークスペースを作り、最初の管理者を登録します。", self)
        for b in (self.demo_button, self.new_button):
            b.setMinimumHeight(44)
            b.setStyleSheet("font-size: 12pt;")
        open_existing = QPushButton("既存のワークスペースを開く…", self)
        open_existing.setFlat(True)
        self.demo_button.clicked.connect(self.create_demo)
        self.new_button.clicked.connect(self.create_new)
        open_existing.clicked.connect(self._open_existing)
        self.error = FieldError(self)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(8)
        for w in (self.demo_button, self.demo_note, self.new_button, new_note, self.error, open_existing):
            layout.addWidget(w)
        self.setMinimumWidth(520)

    def _open_existing(self) -> None:
        self.wants_login = True
        self.reject()

    def create_demo(self, folder: Path | None = None) -> None:
        folder = Path(folder) if folder else default_workspace().with_name("demo-workspace")
        self.demo_button.setEnabled(False)
        self.new_button.setEnabled(False)

        def work(progress):
            return devtools("demo").create_demo(folder, cases=DEMO_CASES, seed=1, progress=progress)

        def done(result) -> None:
            signed, logins = result
            remember(folder, signed.actor.login)
            self.signed = signed
            self.logins = logins
            DemoLoginsDialog(logins, folder, self).exec()
            self.accept()

        def failed(exc: BaseException) -> None:
            self.demo_button.setEnabled(devtools_installed())
            self.new_button.setEnabled(True)
            self.error.show_message(error_text(exc))

        self.runner.write(work, done, failed, parent=self, progress_label="デモ用ワークスペースを作成しています…")

    def create_new(self) -> None:
        dialog = NewWorkspaceDialog(self.runner, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.signed = dialog.signed
            self.accept()


class DemoLoginsDialog(QDialog):
    def __init__(self, logins: list, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from kodoku_desk.models.org import ROLE_LABELS

        self.setWindowTitle("デモ用ワークスペースを作成しました")
        lines = [f"場所: {folder}", f"共通パスワード: {devtools('demo').DEMO_PASSWORD}", "",
                 "ログインID　氏名　所属　役割"]
        lines += [f"{e.login}　{e.display_name}　{e.agency}　{'・'.join(ROLE_LABELS.get(r, r) for r in e.roles)}"
                  for e in logins]
        text = QTextEdit(self)
        text.setReadOnly(True)
        text.setPlainText("\n".join(lines))
        note = QLabel("管理者 admin としてログインします。別の役割で試すときはメニュー「ログアウト」から。", self)
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, self)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(640, 480)


class NewWorkspaceDialog(QDialog):
    def __init__(self, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.signed: Any = None
        self.setWindowTitle("新しいワークスペースを作成")
        self.folder_row = FolderRow(default_workspace(), self)
        self.login_edit = QLineEdit(self)
        self.login_edit.setPlaceholderText("半角英数字（例: admin）")
        self.name_edit = QLineEdit(self)
        self.password = PasswordPair(self)
        self.error = FieldError(self)
        form = QFormLayout()
        form.addRow("保存先フォルダ", self.folder_row)
        form.addRow("管理者のログインID", self.login_edit)
        form.addRow("管理者の氏名", self.name_edit)
        form.addRow("パスワード", self.password)
        buttons = QDialogButtonBox(self)
        self.create_button = buttons.addButton("作成", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("キャンセル", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.try_create)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(700)

    def try_create(self) -> None:
        from kodoku_desk.errors import UserError

        folder, login, name = self.folder_row.folder(), self.login_edit.text(), self.name_edit.text()
        try:
            password = self.password.value()
        except UserError as err:
            self.error.show_message(err.message)
            return
        if folder.exists() and any(folder.iterdir()):
            self.error.show_message(f"フォルダ {folder} は空ではありません。空のフォルダか、新しい名前を指定してください。")
            return
        self.error.clear_message()
        self.create_button.setEnabled(False)

        def work():
            from kodoku_desk.services.auth import create_workspace

            return create_workspace(folder, login, name.strip(), password)

        def done(signed) -> None:
            remember(folder, signed.actor.login)
            self.signed = signed
            self.accept()

        def failed(exc: BaseException) -> None:
            self.create_button.setEnabled(True)
            self.error.show_message(error_text(exc))

        self.runner.write(work, done, failed, parent=self)
