"""Helpers for GUI tests. Japanese is typed the way an input method commits it: keyClicks with
non-ASCII text aborts Qt (see docs/ARCHITECTURE.md, "Qt without a screen")."""

from __future__ import annotations

from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QWidget


def type_text(widget: QWidget, text: str) -> None:
    """Focus the widget and commit `text` as an input method would."""
    widget.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def wait_runner(qtbot, runner, timeout: int = 20000) -> None:
    """Wait until every background operation has finished and delivered its result."""
    qtbot.waitUntil(lambda: runner.active == 0, timeout=timeout)
