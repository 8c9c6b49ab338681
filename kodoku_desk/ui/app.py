"""`kodoku-desk` with no arguments: fonts, then the login (or first-run) dialog, then the main
window. Only Qt and light modules are imported before the login dialog shows; SQLAlchemy, the
models and the services load in the background while the user types the password."""

from __future__ import annotations

import gc
import sys
import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from kodoku_desk.ui.fonts import install_fonts
from kodoku_desk.ui.language import install_japanese
from kodoku_desk.ui.login import LoginDialog, last_workspace, looks_like_workspace
from kodoku_desk.ui.ops import Runner

if TYPE_CHECKING:  # both load after the login dialog shows
    from kodoku_desk.services.auth import Signed
    from kodoku_desk.ui.main_window import MainWindow

# --- interpreter settings for a responsive GUI (measured: docs/PERFORMANCE.md) ---------------------

# While a worker runs Python, the GUI thread waits for the GIL each time Qt calls into Python
# (a slot, a model's data(), any virtual method of a widget made in Python: hundreds of calls
# to paint a dialog). CPython lets a waiting thread in only after the switch interval, 5 ms by
# default: painting the export's progress dialog during a packet export took 250 ms that way.
# At 0.5 ms the same waits add up to a few milliseconds; the workers lose little.
GIL_SWITCH_INTERVAL_S = 0.0005


def tune_interpreter() -> None:
    if sys.getswitchinterval() > GIL_SWITCH_INTERVAL_S:
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)


def keep_out_of_gc(window: QObject) -> None:
    """What the window and its pages hold lives as long as the window: out of the garbage
    collector's full passes, which otherwise walk it all with the GIL held (100+ ms at city
    scale, in whichever thread starts one: an export in the background stalls the GUI thread).
    Call again after building a page; the window's destruction gives it all back."""
    if not window.property("kept_out_of_gc"):  # a Qt dynamic property: any QObject has them
        window.setProperty("kept_out_of_gc", True)
        window.destroyed.connect(lambda *_: gc.unfreeze())
    gc.freeze()


def _warm_imports() -> None:
    """Import what sign-in needs on a side thread, so the first unlock does not pay for it."""
    import kodoku_desk.services.admin  # noqa: F401
    import kodoku_desk.services.auth  # noqa: F401


class Shell(QObject):
    """Login → main window → (logout) → login … until the user quits."""

    def __init__(self, app: QApplication, idle_msecs: int | None = None) -> None:
        super().__init__(app)
        self.app = app
        self.runner = Runner(self)
        self.idle_msecs = idle_msecs  # tests override; otherwise the workspace setting
        self.window: MainWindow | None = None
        self.signed: Signed | None = None

    def start(self) -> bool:
        """Show the first dialog; False when the user quit without signing in."""
        first_run = not looks_like_workspace(last_workspace())
        signed = self._first_run() if first_run else self._login()
        if signed is None:
            return False
        self._open_main(signed)
        return True

    def _login(self, **kwargs):
        threading.Thread(target=_warm_imports, daemon=True).start()
        while True:
            dialog = LoginDialog(self.runner, **kwargs)
            if dialog.exec() == QDialog.DialogCode.Accepted:
                return dialog.signed
            if not dialog.wants_new:
                return None
            signed = self._first_run()
            if signed is not None:
                return signed

    def _first_run(self):
        from kodoku_desk.ui.firstrun import FirstRunDialog

        dialog = FirstRunDialog(self.runner)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.signed
        return self._login() if dialog.wants_login else None

    def _open_main(self, signed) -> None:
        from kodoku_desk.ui.context import AppContext
        from kodoku_desk.ui.main_window import MainWindow

        self.signed = signed
        ctx = AppContext(signed=signed, runner=self.runner)
        window = self.window = MainWindow(ctx, self.idle_msecs)
        window.logout_requested.connect(self.logout)
        window.closed.connect(self.app.quit)
        window.show()
        window.locker.start()

    def logout(self) -> None:
        window, signed = self.window, self.signed
        self.window = self.signed = None
        if window is not None:
            window.locker.stop()
            window.hide()

        def finish(_=None) -> None:
            if window is not None:
                window.deleteLater()  # only now: pending page results were delivered to it
            self._after_logout()

        def close_when_idle() -> None:
            if self.runner.active:  # let running page loads finish against the open store
                QTimer.singleShot(50, close_when_idle)
            elif signed is None:
                finish()
            else:  # the logout audit row and closing the engine, off the GUI thread
                self.runner.write(signed.close, finish, finish)

        QTimer.singleShot(0, close_when_idle)

    def _after_logout(self) -> None:
        signed = self._login()
        if signed is None:
            self.app.quit()
            return
        self._open_main(signed)

    def shutdown(self) -> None:
        if self.signed is not None:
            try:
                self.signed.close()
            finally:
                self.signed = None


def run_app(argv: list[str] | None = None) -> int:
    running = QApplication.instance()
    app = running if isinstance(running, QApplication) \
        else QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("kodoku-desk")
    app.setApplicationDisplayName("kodoku-desk")
    tune_interpreter()
    install_japanese(app)
    install_fonts(app)
    shell = Shell(app)
    if not shell.start():
        return 0
    # Logout hides the main window before the login dialog returns: quit only on a real close.
    app.setQuitOnLastWindowClosed(False)
    try:
        return app.exec()
    finally:
        shell.runner.wait_idle()
        shell.shutdown()
