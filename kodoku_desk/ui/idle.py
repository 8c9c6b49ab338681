"""Idle auto-lock, after KeePassXC's InactivityTimer: an application-wide event filter restarts
a single-shot timer on every user input; when it fires, every open window is covered and a
password prompt appears. Pages and dialogs stay alive underneath, so unsaved input survives."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.ui.ops import Runner, error_text
from kodoku_desk.ui.widgets import FieldError, qapp

USER_INPUT = {
    QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseMove,
    QEvent.Type.Wheel, QEvent.Type.InputMethod, QEvent.Type.TouchBegin,
}


class InactivityTimer(QObject):
    """Emits `inactive` after `msecs` without user input anywhere in the application."""

    inactive = Signal()

    def __init__(self, msecs: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.inactive)
        self.set_interval(msecs)
        self.active = False

    def set_interval(self, msecs: int) -> None:
        self.timer.setInterval(max(int(msecs), 50))

    def activate(self) -> None:
        if not self.active:
            qapp().installEventFilter(self)
            self.active = True
        self.timer.start()

    def deactivate(self) -> None:
        if self.active:
            qapp().removeEventFilter(self)
            self.active = False
        self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in USER_INPUT:
            self.timer.start()
        return False


class Cover(QWidget):
    """An opaque sheet over a window's contents while the workspace is locked."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor("#2f3b4c"))
        self.setPalette(palette)
        label = QLabel("ロック中", self)
        label.setStyleSheet("color: white; font-size: 20pt;")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        self.setGeometry(window.rect())
        window.installEventFilter(self)
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize and isinstance(watched, QWidget):
            self.setGeometry(watched.rect())
        return False


class LockDialog(QDialog):
    """The unlock prompt. Cannot be dismissed except by the right password (or ログアウト)."""

    def __init__(self, who: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("kodoku-desk ロック中")
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        heading = QLabel("画面をロックしました", self)
        heading.setStyleSheet("font-size: 14pt; font-weight: bold;")
        info = QLabel(f"{who} さんのパスワードを入力すると、作業中の画面に戻ります。", self)
        info.setWordWrap(True)
        self.password_edit = QLineEdit(self)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("パスワード")
        self.error = FieldError(self)
        self.unlock_button = QPushButton("ロック解除", self)
        self.unlock_button.setDefault(True)
        self.logout_button = QPushButton("ログアウト", self)
        self.logout_button.setFlat(True)
        layout = QVBoxLayout(self)
        for w in (heading, info, self.password_edit, self.error, self.unlock_button, self.logout_button):
            layout.addWidget(w)
        self.setMinimumWidth(420)
        self.password_edit.returnPressed.connect(self.unlock_button.click)

    def reject(self) -> None:  # Esc must not unlock
        pass


class Locker(QObject):
    """Locks the application after inactivity or on request; unlocks with the password.

    check_password(password) -> bool runs on the Runner (Argon2 + audit write)."""

    locked = Signal()
    unlocked = Signal()
    logout_requested = Signal()

    def __init__(self, runner: Runner, who: str, check_password: Callable[[str], bool],
                 record_lock: Callable[[], None], msecs: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner, self.who = runner, who
        self.check_password, self.record_lock = check_password, record_lock
        self.timer = InactivityTimer(msecs, self)
        self.timer.inactive.connect(self.lock)
        self.covers: list[Cover] = []
        self.dialog: LockDialog | None = None

    @property
    def is_locked(self) -> bool:
        return self.dialog is not None

    def start(self) -> None:
        self.timer.activate()

    def stop(self) -> None:
        self.timer.deactivate()

    def set_interval(self, msecs: int) -> None:
        self.timer.set_interval(msecs)
        if self.timer.active:
            self.timer.timer.start()

    def lock(self) -> None:
        if self.is_locked:
            return
        self.timer.deactivate()
        windows = [w for w in qapp().topLevelWidgets() if w.isVisible() and not isinstance(w, LockDialog)]
        self.covers = [Cover(w) for w in windows]
        parent = next((w for w in windows if w.parent() is None and not isinstance(w, QDialog)), None)
        self.dialog = LockDialog(self.who, parent)
        self.dialog.unlock_button.clicked.connect(self._try_unlock)
        self.dialog.logout_button.clicked.connect(self.logout_requested)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        self.dialog.password_edit.setFocus()
        self.runner.write(self.record_lock, None, lambda exc: None)
        self.locked.emit()

    def _try_unlock(self) -> None:
        dialog = self.dialog
        if dialog is None:
            return
        password = dialog.password_edit.text()
        if not password:
            dialog.error.show_message("パスワードを入力してください。")
            return
        dialog.unlock_button.setEnabled(False)
        dialog.error.show_note("確認しています…")

        def done(ok: bool) -> None:
            dialog.unlock_button.setEnabled(True)
            if ok:
                self.release()
                return
            dialog.password_edit.clear()
            dialog.password_edit.setFocus()
            dialog.error.show_message("パスワードが違います。")

        def failed(exc: BaseException) -> None:
            dialog.unlock_button.setEnabled(True)
            dialog.error.show_message(error_text(exc))

        self.runner.write(lambda: self.check_password(password), done, failed, parent=dialog)

    def release(self) -> None:
        """Remove the covers and the prompt; the windows underneath are exactly as left."""
        for cover in self.covers:
            window = cover.parentWidget()  # the covered window (a cover is made with one)
            if window is not None:
                window.removeEventFilter(cover)
            cover.deleteLater()
        self.covers = []
        if self.dialog is not None:
            self.dialog.hide()
            self.dialog.deleteLater()
            self.dialog = None
        self.timer.activate()
        self.unlocked.emit()
