"""The main window: navigation by section on the left, pages in a stack, who is signed in in the
status bar, and the account menu (password change, lock, logout). Pages are imported on first
show from their registry target so start-up stays fast and each domain owns its module."""

from __future__ import annotations

import importlib
import importlib.util
import sys

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain.changes import Change
from kodoku_desk.ui.app import keep_out_of_gc
from kodoku_desk.ui.context import AppContext
from kodoku_desk.ui.idle import Locker
from kodoku_desk.ui.ops import error_text
from kodoku_desk.ui.pages.registry import PAGES, SECTIONS, PageSpec
from kodoku_desk.ui.widgets import FieldError, PasswordPair

KEY_ROLE = Qt.ItemDataRole.UserRole
DEFAULT_IDLE_MSECS = 5 * 60_000  # services.admin.SETTING_DEFAULTS until the setting is read


def _module_present(target: str) -> bool:
    module = target.split(":", 1)[0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def visible_pages(actor) -> list[PageSpec]:
    """The pages this actor may see whose module exists in this build."""
    return [p for p in PAGES if p.allowed(actor) and _module_present(p.target)]


class MainWindow(QMainWindow):
    logout_requested = Signal()
    closed = Signal()

    def __init__(self, ctx: AppContext, idle_msecs: int | None = None) -> None:
        """idle_msecs: fixed auto-lock time (tests); None reads the workspace setting."""
        super().__init__()
        self.ctx = ctx
        self.idle_from_setting = idle_msecs is None
        actor = ctx.actor
        self.setWindowTitle(f"kodoku-desk — {actor.agency_name}")
        self.pages: dict[str, QWidget] = {}
        self.specs = {p.key: p for p in visible_pages(actor)}
        self.nav = QTreeWidget(self)
        self.nav.setHeaderHidden(True)
        self.nav.setMinimumWidth(200)
        self.nav.setStyleSheet("QTreeWidget::item { padding: 4px 2px; }")
        self.stack = QStackedWidget(self)
        welcome = QLabel(f"{actor.display_name} さん、ようこそ。\n左の一覧から画面を選んでください。", self)
        welcome.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(welcome)
        self._build_nav()
        splitter = QSplitter(self)
        splitter.addWidget(self.nav)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([200, 1000])
        self.setCentralWidget(splitter)
        self.nav.currentItemChanged.connect(self._nav_changed)
        self.user_label = QLabel(self.user_text(), self)
        self.statusBar().addPermanentWidget(self.user_label)
        # A bound slot, not a lambda: the runner outlives this window across logout/login.
        ctx.runner.busy_changed.connect(self._busy_changed)
        ctx.show_page = self.show_page
        ctx.open_case = self.open_case
        self.locker = Locker(ctx.runner, actor.display_name, self._check_password, self._record_lock,
                             idle_msecs or DEFAULT_IDLE_MSECS, self)
        self.locker.logout_requested.connect(self._logout_from_lock)
        ctx.changes.changed.connect(self._on_changed)
        self._build_menu()
        self.resize(1200, 780)
        if self.idle_from_setting:
            self.load_idle_setting()
        keep_out_of_gc(self)

    def _busy_changed(self, busy: bool) -> None:
        self.statusBar().showMessage("処理中…" if busy else "", 0)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.locker.is_locked:  # closing a locked window would skip the password
            event.ignore()
            return
        self.locker.stop()
        super().closeEvent(event)
        self.closed.emit()

    # --- status and menu -------------------------------------------------------------------
    def user_text(self) -> str:
        from kodoku_desk.models.org import ROLE_LABELS

        actor = self.ctx.actor
        roles = "・".join(ROLE_LABELS.get(r, r) for r in actor.roles)
        return f"{actor.display_name}（{actor.login}）｜ {actor.agency_name} ｜ {roles}"

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("アカウント")
        for text, slot, shortcut in (("パスワード変更…", self.change_password, None),
                                     ("ロック", self.locker.lock, "Ctrl+L"),
                                     ("ログアウト", self.logout_requested.emit, None)):
            action = QAction(text, self)
            action.triggered.connect(slot)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            menu.addAction(action)

    def _build_nav(self) -> None:
        for section in SECTIONS:
            specs = [p for p in self.specs.values() if p.section == section]
            if not specs:
                continue
            head = QTreeWidgetItem(self.nav, [section])
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = head.font(0)
            font.setBold(True)
            head.setFont(0, font)
            for spec in specs:
                item = QTreeWidgetItem(head, [spec.title])
                item.setData(0, KEY_ROLE, spec.key)
            head.setExpanded(True)

    def _nav_heads(self) -> list[QTreeWidgetItem]:
        heads = (self.nav.topLevelItem(i) for i in range(self.nav.topLevelItemCount()))
        return [head for head in heads if head is not None]  # None only for an index past the end

    def nav_sections(self) -> list[str]:
        return [head.text(0) for head in self._nav_heads()]

    # --- pages -------------------------------------------------------------------------------
    def _nav_changed(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        key = item.data(0, KEY_ROLE) if item is not None else None
        if key:
            self.show_page(key)

    def _nav_item(self, key: str) -> QTreeWidgetItem | None:
        for head in self._nav_heads():
            for j in range(head.childCount()):
                child = head.child(j)
                if child is not None and child.data(0, KEY_ROLE) == key:
                    return child
        return None

    def page(self, key: str) -> QWidget | None:
        """The page for key, created on first use; None when this actor may not see it."""
        if key in self.pages:
            return self.pages[key]
        spec = self.specs.get(key)
        if spec is None:
            return None
        module_name, class_name = spec.target.split(":", 1)
        try:
            page = getattr(importlib.import_module(module_name), class_name)(self.ctx)
        except Exception as exc:  # a broken page must not take the whole app down
            print(f"kodoku-desk: page {spec.target} failed: {exc!r}", file=sys.stderr)
            page = QLabel(f"この画面を開けませんでした。\n{error_text(exc)}")
            page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages[key] = page
        self.stack.addWidget(page)
        keep_out_of_gc(self)  # the new page too (ui.app)
        return page

    def show_page(self, key: str) -> QWidget | None:
        page = self.page(key)
        if page is None:
            return None
        self.stack.setCurrentWidget(page)
        item = self._nav_item(key)
        if item is not None and self.nav.currentItem() is not item:
            self.nav.blockSignals(True)
            self.nav.setCurrentItem(item)
            self.nav.blockSignals(False)
        refresh = getattr(page, "refresh", None)
        if callable(refresh):
            refresh()
        return page

    def open_case(self, case_id: int) -> None:
        page = self.show_page("cases")
        opener = getattr(page, "open_case", None)
        if callable(opener):
            opener(case_id)

    # --- lock / password -------------------------------------------------------------------
    def load_idle_setting(self) -> None:
        """Apply the workspace's 自動ロック minutes (read on the Runner)."""
        signed = self.ctx.signed

        def work() -> int:
            from kodoku_desk.services.admin import settings

            return settings(signed, ["idle_lock_minutes"])["idle_lock_minutes"]

        self.ctx.runner.query(work, lambda minutes: self.locker.set_interval(minutes * 60_000),
                              lambda exc: None)

    def _on_changed(self, change: Change) -> None:
        if change & Change.SETTINGS and self.idle_from_setting:
            self.load_idle_setting()

    def _check_password(self, password: str) -> bool:
        from kodoku_desk.services.auth import verify_unlock

        return verify_unlock(self.ctx.signed, password)

    def _record_lock(self) -> None:
        from kodoku_desk.services.auth import record_lock

        record_lock(self.ctx.signed)

    def _logout_from_lock(self) -> None:
        self.locker.release()
        self.logout_requested.emit()

    def change_password(self) -> None:
        PasswordChangeDialog(self.ctx, self).exec()


class PasswordChangeDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("パスワード変更")
        self.old_edit = QLineEdit(self)
        self.old_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.new = PasswordPair(self)
        self.error = FieldError(self)
        form = QFormLayout()
        form.addRow("現在のパスワード", self.old_edit)
        form.addRow("新しいパスワード", self.new)
        buttons = QDialogButtonBox(self)
        self.ok = buttons.addButton("変更", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("キャンセル", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def _save(self) -> None:
        from kodoku_desk.errors import UserError

        try:
            new = self.new.value()
        except UserError as err:
            self.error.show_message(err.message)
            return
        old = self.old_edit.text()
        self.ok.setEnabled(False)

        def work() -> None:
            from kodoku_desk.services.auth import change_password

            change_password(self.ctx.signed, old, new)

        def failed(exc: BaseException) -> None:
            self.ok.setEnabled(True)
            self.error.show_message(error_text(exc))

        self.ctx.runner.write(work, lambda _: self.accept(), failed, parent=self)
