"""What every screen gets: the signed-in workspace, the background runner, and navigation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kodoku_desk.services.auth import Signed
from kodoku_desk.ui.ops import Changes, Runner

__all__ = ["AppContext", "Changes"]


@dataclass
class AppContext:
    signed: Signed
    runner: Runner
    # Set by the main window: open a case (by id) in the case view.
    open_case: Callable[[int], None] = lambda case_id: None
    # Set by the main window: switch to a page by its registry key (what it returns is unused).
    show_page: Callable[[str], object] = lambda key: None

    @property
    def changes(self) -> Changes:
        """What writes committed (`changed(Change)`), emitted by the runner after each write."""
        return self.runner.changes

    @property
    def actor(self):
        return self.signed.actor
