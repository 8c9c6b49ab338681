"""What every screen gets: the signed-in workspace, the background runner, and navigation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from kodoku_desk.services.auth import Signed
from kodoku_desk.ui.ops import Runner


class Changes(QObject):
    """Broadcast after a mutation so other open views can refresh: e.g. "case", "handoff"."""

    changed = Signal(str)


@dataclass
class AppContext:
    signed: Signed
    runner: Runner
    changes: Changes = field(default_factory=Changes)
    # Set by the main window: open a case (by id) in the case view.
    open_case: Callable[[int], None] = lambda case_id: None
    # Set by the main window: switch to a page by its registry key.
    show_page: Callable[[str], None] = lambda key: None

    @property
    def actor(self):
        return self.signed.actor
