"""The base of every main-window page."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from kodoku_desk.ui.context import AppContext


class Page(QWidget):
    """A screen in the navigation. Subclasses load their data in refresh() through
    ctx.runner (never on the GUI thread) and must not lose unsaved input when hidden."""

    title = ""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx

    def refresh(self) -> None:
        """Called when the page is shown and after relevant changes."""
