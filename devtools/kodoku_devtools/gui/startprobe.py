"""Start-up probe for the benchmark (issue 5): runs the real entry point (ui.app.run_app) and
prints `SHOWN <class>` when its first top-level window is exposed, then exits.

QApplication.exec and QDialog.exec are wrapped to start a 1 ms poll, so whichever the shell uses
(a modal login dialog or show() + exec()) is caught without changing the app. Run by
`kodoku-desk bench` in a fresh process: python -m kodoku_devtools.gui.startprobe
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog

_timers: list[QTimer] = []


def _poll() -> None:
    app = QApplication.instance()
    for w in app.topLevelWidgets():
        handle = w.windowHandle()
        if w.isVisible() and handle is not None and handle.isExposed():
            sys.stdout.write(f"SHOWN {type(w).__name__}\n")
            sys.stdout.flush()
            os._exit(0)


def _wrap(cls) -> None:
    original = cls.exec

    def exec_(self, *args):
        timer = QTimer()
        timer.timeout.connect(_poll)
        timer.start(1)
        _timers.append(timer)
        return original(self, *args)

    cls.exec = exec_


if __name__ == "__main__":
    _wrap(QApplication)
    _wrap(QDialog)
    from kodoku_desk.ui.app import run_app

    run_app()
    sys.stdout.write("EXITED\n")
