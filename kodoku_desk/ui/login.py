"""The login dialog: workspace folder, login ID, password. Signing in (Argon2 + opening the
database) runs on the Runner, never on the GUI thread. Services are imported only when used so
the dialog appears fast."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.ui.ops import Runner, error_text
from kodoku_desk.ui.widgets import FieldError

# The two files that make a folder a workspace (store/workspace.py DB_NAME, KEYS_NAME). Checked
# here without importing the store so start-up does not pay for SQLAlchemy.
WORKSPACE_FILES = ("workspace.kdk", "keys.json")


def looks_like_workspace(folder: Path | str) -> bool:
    return all((Path(folder) / name).exists() for name in WORKSPACE_FILES)


def app_settings() -> QSettings:
    """Remembers only the last workspace folder and login ID; no client data."""
    return QSettings("kodoku-desk", "kodoku-desk")


def default_workspace() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("kodoku-desk", appauthor=False)) / "workspace"


def last_workspace() -> Path:
    value = app_settings().value("workspace", "")
    return Path(str(value)) if value else default_workspace()


def remember(folder: Path, login: str) -> None:
    settings = app_settings()
    settings.setValue("workspace", str(folder))
    settings.setValue("login", login)


class FolderRow(QWidget):
    """A folder path with a 参照… button."""

    def __init__(self, folder: Path | str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(str(folder), self)
        self.edit.setMinimumWidth(420)
        browse = QPushButton("参照…", self)
        browse.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)

    def folder(self) -> Path:
        return Path(self.edit.text().strip()).expanduser()

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "ワークスペースのフォルダを選ぶ", self.edit.text())
        if chosen:
            self.edit.setText(chosen)


class LoginDialog(QDialog):
    """Accepted with `self.signed` set to the signed-in workspace; `wants_new` is set when the
    user asked for the first-run choices instead."""

    def __init__(self, runner: Runner, folder: Path | None = None, login: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.signed: Any = None
        self.wants_new = False
        self.setWindowTitle("kodoku-desk ログイン")
        title = QLabel("「つながる」シート 相談記録", self)
        title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.folder_row = FolderRow(folder or last_workspace(), self)
        self.login_edit = QLineEdit(login if login is not None else str(app_settings().value("login", "")), self)
        self.password_edit = QLineEdit(self)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = FieldError(self)
        form = QFormLayout()
        form.addRow("ワークスペース", self.folder_row)
        form.addRow("ログインID", self.login_edit)
        form.addRow("パスワード", self.password_edit)

        self.buttons = QDialogButtonBox(self)
        self.login_button = self.buttons.addButton("ログイン", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton("終了", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.try_sign_in)
        self.buttons.rejected.connect(self.reject)
        self.login_button.setDefault(True)

        extra = QHBoxLayout()
        forgot = QPushButton("パスワードを忘れたとき（回復キー）…", self)
        forgot.setFlat(True)
        forgot.clicked.connect(self._recovery)
        new = QPushButton("ワークスペースの新規作成・デモ…", self)
        new.setFlat(True)
        new.clicked.connect(self._new_workspace)
        extra.addWidget(forgot)
        extra.addStretch(1)
        extra.addWidget(new)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(extra)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(700)
        (self.password_edit if self.login_edit.text() else self.login_edit).setFocus()

    def try_sign_in(self) -> None:
        folder = self.folder_row.folder()
        login, password = self.login_edit.text().strip(), self.password_edit.text()
        if not login or not password:
            self.error.show_message("ログインIDとパスワードを入力してください。")
            return
        self.error.show_note("確認しています…")
        self._set_busy(True)

        def work():
            from kodoku_desk.services.auth import sign_in

            return sign_in(folder, login, password)

        def done(signed) -> None:
            self._set_busy(False)
            self.signed = signed
            remember(folder, login)
            self.accept()

        def failed(exc: BaseException) -> None:
            self._set_busy(False)
            self.password_edit.clear()
            self.password_edit.setFocus()
            self.error.show_message(error_text(exc))

        self.runner.write(work, done, failed, parent=self)

    def _set_busy(self, busy: bool) -> None:
        for w in (self.login_button, self.login_edit, self.password_edit, self.folder_row):
            w.setEnabled(not busy)

    def _recovery(self) -> None:
        from kodoku_desk.ui.pages.admin import RecoveryResetDialog

        RecoveryResetDialog(self.runner, self.folder_row.folder(), self.login_edit.text(), self).exec()

    def _new_workspace(self) -> None:
        self.wants_new = True
        self.reject()
