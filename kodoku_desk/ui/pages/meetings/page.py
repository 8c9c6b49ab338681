"""会議: the session list beside two tabs (the session and its parts; after the meeting). The page
loads the list and the open session, and reloads both when a write changes what they show —
whichever panel made it (Change.MEETING, PLAN for the agenda's plan states, CASE, ORG)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from kodoku_desk.domain.changes import Change
from kodoku_desk.queries import meeting_views, pickers
from kodoku_desk.ui.ops import Latest
from kodoku_desk.ui.pages.base import Page
from kodoku_desk.ui.pages.meetings.decisions import DecisionsTab
from kodoku_desk.ui.pages.meetings.session_editor import SessionEditor
from kodoku_desk.ui.pages.meetings.sessions import SessionList

SHOWN = Change.MEETING | Change.PLAN | Change.CASE | Change.ORG


class MeetingsPage(Page):
    title = "会議"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.view: meeting_views.SessionView | None = None
        self.session_id: int | None = None
        self._stale = False
        self._latest = Latest()
        self.sessions = SessionList()
        self.sessions.opened.connect(self.open_session)
        self.sessions.new_requested.connect(self.new_session)
        self.editor = SessionEditor(ctx)
        self.editor.created.connect(self.open_session)
        self.decisions = DecisionsTab(ctx)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.editor, "会議・議題")
        self.tabs.addTab(self.decisions, "会議の後（決定事項）")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.sessions)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([520, 760])  # the list's five columns fit without scrolling
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.new_session()
        ctx.changes.changed.connect(self._on_changed)

    def refresh(self) -> None:
        """The list and the pickers; the open session too if it changed while hidden."""
        signed = self.ctx.signed
        show, _ = self._latest.guard("list", self._show_sessions)
        self.ctx.runner.query(lambda: (meeting_views.list_sessions(signed), pickers.org_choices(signed)),
                              show, parent=self)
        if self._stale:
            self._stale = False
            self.reload_session()

    def _show_sessions(self, result) -> None:
        rows, org = result
        self.sessions.set_rows(rows)
        self.editor.set_org(org)

    def _on_changed(self, change: Change) -> None:
        if change & SHOWN:
            self._stale = True
            if self.isVisible():
                self.refresh()

    def new_session(self) -> None:
        self.view, self.session_id = None, None
        self.editor.new_session()
        self.tabs.setTabEnabled(1, False)

    def open_session(self, session_id: int) -> None:
        self.session_id = session_id
        self.reload_session()

    def reload_session(self) -> None:
        if self.session_id is None:
            return
        signed, sid = self.ctx.signed, self.session_id

        def load():
            return meeting_views.get_session(signed, sid), meeting_views.decisions_for(signed, sid)

        show, _ = self._latest.guard("session", self._show_session)
        self.ctx.runner.write(load, show, parent=self)  # opening a session is audited

    def _show_session(self, result) -> None:
        view, decisions = result
        if view.id != self.session_id:  # the user went on to another (or a new) session
            return
        self.view = view
        self.editor.show_session(view)
        self.decisions.show_session(view, decisions)
        self.tabs.setTabEnabled(1, True)
