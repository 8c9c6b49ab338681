"""The app shell through its real widgets: login, main window, idle lock, first run, 管理 pages.
Screenshots go to /tmp/shots-shell/ (offscreen grabs) for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ADMIN_PASSWORD
from gui_helpers import type_text, wait_runner
from PySide6.QtWidgets import QDialog
from workspace_templates import copy_workspace

from kodoku_desk.services import admin
from kodoku_desk.services.auth import WRONG, create_workspace
from kodoku_desk.ui.context import AppContext
from kodoku_desk.ui.ops import Runner

SHOTS = Path("/tmp/shots-shell")
STAFF_PASSWORD = "staff-password-9"


def shot(widget, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / f"{name}.png"))


@pytest.fixture(scope="session")
def org_ws_template(tmp_path_factory) -> Path:
    """A closed workspace with an admin and a 受付 worker of 東部地域包括支援センター, built once."""
    signed = create_workspace(tmp_path_factory.mktemp("tpl-shell") / "ws", "admin", "管理 太郎",
                              ADMIN_PASSWORD)
    admin.create_block(signed, "東部ブロック")
    admin.save_agency(signed, "東部地域包括支援センター", ["高齢"], "東部ブロック", "委託", "084-000-0000")
    admin.create_staff(signed, "uketsuke", "受付 花子", "東部地域包括支援センター", ["intake"],
                       STAFF_PASSWORD)
    signed.close()
    return signed.store.folder


@pytest.fixture
def org_ws(org_ws_template: Path, ws_dir: Path) -> Path:
    """A copy of org_ws_template for this test (closed)."""
    copy_workspace(org_ws_template, ws_dir)
    return ws_dir


@pytest.fixture
def runner(qtbot):
    r = Runner()
    yield r
    r.wait_idle()


def sign_in_through_dialog(qtbot, runner, folder: Path, login: str, password: str):
    from kodoku_desk.ui.login import LoginDialog

    dialog = LoginDialog(runner, folder, login)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.password_edit.setText(password)
    dialog.login_button.click()
    wait_runner(qtbot, runner)
    return dialog


@pytest.fixture
def main_window(qtbot, runner):
    """Build a main window for a Signed; closes the workspace afterwards."""
    made = []

    def make(signed, idle_msecs: int = 60_000):
        from kodoku_desk.ui.main_window import MainWindow

        window = MainWindow(AppContext(signed=signed, runner=runner), idle_msecs)
        qtbot.addWidget(window)
        window.show()
        window.locker.start()
        made.append((window, signed))
        return window

    yield make
    for window, signed in made:
        window.locker.stop()
        if window.locker.is_locked:
            window.locker.release()
            window.locker.stop()
        wait_runner(qtbot, runner)
        signed.close()


def test_login_dialog_signs_in_and_status_bar_shows_agency(qtbot, runner, org_ws, main_window):
    dialog = sign_in_through_dialog(qtbot, runner, org_ws, "uketsuke", STAFF_PASSWORD)
    shot(dialog, "login")
    assert dialog.result() == QDialog.DialogCode.Accepted
    window = main_window(dialog.signed)
    status = window.user_label.text()
    assert "東部地域包括支援センター" in status and "受付 花子" in status and "受付" in status
    assert "管理" not in window.nav_sections()  # a 受付 worker has no 管理 section
    assert window.page("staff") is None


def test_wrong_password_shows_message_in_dialog(qtbot, runner, org_ws):
    dialog = sign_in_through_dialog(qtbot, runner, org_ws, "uketsuke", "not-the-password")
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.isVisible()
    assert dialog.error.text() == WRONG
    assert dialog.signed is None
    shot(dialog, "login-wrong-password")


def test_idle_lock_keeps_half_typed_input(qtbot, runner, org_ws, main_window):
    dialog = sign_in_through_dialog(qtbot, runner, org_ws, "admin", ADMIN_PASSWORD)
    window = main_window(dialog.signed, idle_msecs=60_000)
    page = window.show_page("agencies")
    wait_runner(qtbot, runner)
    type_text(page.block_edit, "南部ブロ")  # half-typed, not saved
    window.locker.set_interval(200)
    qtbot.waitUntil(lambda: window.locker.is_locked, timeout=3000)
    lock = window.locker.dialog
    assert window.locker.covers and all(c.isVisible() for c in window.locker.covers)
    wait_runner(qtbot, runner)
    shot(window, "lock-covered-window")
    shot(lock, "lock-dialog")

    lock.password_edit.setText("wrong-password-0")
    lock.unlock_button.click()
    wait_runner(qtbot, runner)
    assert window.locker.is_locked
    assert lock.error.text() == "パスワードが違います。"

    window.locker.set_interval(60_000)
    lock.password_edit.setText(ADMIN_PASSWORD)
    lock.unlock_button.click()
    wait_runner(qtbot, runner)
    assert not window.locker.is_locked
    assert window.stack.currentWidget() is page
    assert page.block_edit.text() == "南部ブロ"
    with dialog.signed.store.read() as s:
        from sqlalchemy import select

        from kodoku_desk.models import AuditEntry
        actions = list(s.scalars(select(AuditEntry.action)))
    assert {"lock", "unlock", "unlock_failed"} <= set(actions)


def test_manual_lock_from_menu(qtbot, runner, org_ws, main_window):
    dialog = sign_in_through_dialog(qtbot, runner, org_ws, "admin", ADMIN_PASSWORD)
    window = main_window(dialog.signed)
    window.locker.lock()
    assert window.locker.is_locked
    window.locker.dialog.reject()  # Esc does not unlock
    assert window.locker.is_locked
    window.locker.dialog.password_edit.setText(ADMIN_PASSWORD)
    window.locker.dialog.unlock_button.click()
    wait_runner(qtbot, runner)
    assert not window.locker.is_locked
    shot(window, "main-window")


def test_admin_creates_agency_and_staff_through_widgets(qtbot, runner, org_ws, main_window):
    from kodoku_desk.ui.pages.admin import AgencyDialog, StaffDialog

    dialog = sign_in_through_dialog(qtbot, runner, org_ws, "admin", ADMIN_PASSWORD)
    window = main_window(dialog.signed)
    assert window.nav_sections()[-1] == "管理"
    agencies = window.show_page("agencies")
    wait_runner(qtbot, runner)
    shot(window, "admin-agencies")

    form = AgencyDialog(window.ctx, agencies.blocks, None, agencies)
    qtbot.addWidget(form)
    type_text(form.name_edit, "西部交流館")
    form.submit()
    assert "分野" in form.error.text()  # nothing saved without a field
    form.field_boxes["参加支援"].setChecked(True)
    form.block_combo.setCurrentIndex(form.block_combo.findData("東部ブロック"))
    form.operation_buttons["直営"].setChecked(True)
    form.contact_edit.setText("084-111-2222")
    form.show()
    shot(form, "admin-agency-dialog")
    form.submit()
    wait_runner(qtbot, runner)
    assert form.result() == QDialog.DialogCode.Accepted
    with dialog.signed.store.read() as s:
        row = next(a for a in admin.list_agencies(s) if a.name == "西部交流館")
    assert row.fields == ["参加支援"] and row.block == "東部ブロック" and row.operation == "直営"

    staff_page = window.show_page("staff")
    wait_runner(qtbot, runner)
    shot(window, "admin-staff")
    staff_form = StaffDialog(window.ctx, staff_page.agencies, staff_page)
    qtbot.addWidget(staff_form)
    staff_form.login_edit.setText("kouryu")
    type_text(staff_form.name_edit, "交流 一郎")
    staff_form.agency_combo.setCurrentText("西部交流館")
    staff_form.role_boxes["intake"].setChecked(True)
    staff_form.password.first.setText("short")
    staff_form.password.second.setText("short")
    staff_form.submit()
    wait_runner(qtbot, runner)
    assert "10文字以上" in staff_form.error.text()  # the rule is said
    staff_form.password.first.setText(STAFF_PASSWORD)
    staff_form.password.second.setText(STAFF_PASSWORD)
    staff_form.show()
    shot(staff_form, "admin-staff-dialog")
    staff_form.submit()
    wait_runner(qtbot, runner)
    assert staff_form.result() == QDialog.DialogCode.Accepted
    with dialog.signed.store.read() as s:
        new = next(r for r in admin.list_staff(s) if r.login == "kouryu")
    assert new.display_name == "交流 一郎" and new.agency == "西部交流館" and new.roles == ["intake"]

    window.show_page("settings")
    wait_runner(qtbot, runner)
    shot(window, "admin-settings")


def test_first_run_dialog_offers_demo_and_new(qtbot, runner, tmp_path):
    from kodoku_desk.ui.firstrun import FirstRunDialog, NewWorkspaceDialog

    dialog = FirstRunDialog(runner)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.demo_button.text() == "デモ用ワークスペースを作成"
    assert dialog.new_button.text() == "新しいワークスペースを作成"
    shot(dialog, "first-run")

    new = NewWorkspaceDialog(runner, dialog)  # closed with its parent
    new.folder_row.edit.setText(str(tmp_path / "new-ws"))
    new.login_edit.setText("boss")
    type_text(new.name_edit, "所長 三郎")
    new.password.first.setText("a-long-password")
    new.password.second.setText("another-password")
    new.try_create()
    assert new.error.text() == "確認用のパスワードが一致しません。"
    new.password.second.setText("a-long-password")
    new.show()
    shot(new, "first-run-new-workspace")
    new.try_create()
    wait_runner(qtbot, runner)
    assert new.result() == QDialog.DialogCode.Accepted
    assert new.signed.actor.login == "boss" and new.signed.actor.display_name == "所長 三郎"
    new.signed.close()


def test_first_run_demo_shows_logins_and_signs_in(qtbot, runner, tmp_path, monkeypatch):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from kodoku_desk.ui import firstrun
    from kodoku_devtools.demo import DEMO_PASSWORD

    monkeypatch.setattr(firstrun, "DEMO_CASES", 0)  # the organisation only: fast
    dialog = firstrun.FirstRunDialog(runner)
    qtbot.addWidget(dialog)
    seen: list[str] = []

    def close_logins() -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, firstrun.DemoLoginsDialog) and w.isVisible():
                seen.append(w.findChild(firstrun.QTextEdit).toPlainText())
                shot(w, "first-run-demo-logins")
                w.accept()
                return
        QTimer.singleShot(50, close_logins)

    QTimer.singleShot(50, close_logins)
    dialog.create_demo(tmp_path / "demo-ws")
    qtbot.waitUntil(lambda: dialog.signed is not None, timeout=20000)
    assert seen and DEMO_PASSWORD in seen[0] and "coord" in seen[0]
    assert dialog.signed.actor.login == "admin"
    dialog.signed.close()


def test_lock_over_an_open_dialog_then_logout_and_sign_in_as_someone_else(qtbot, org_ws):
    """The idle lock covers a dialog left open too; ログアウト on the lock screen closes the session
    (audited), and the next login through the real dialog opens a fresh window for the new user."""
    import shiboken6
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import select

    from kodoku_desk.models import AuditEntry
    from kodoku_desk.services.auth import sign_in
    from kodoku_desk.ui.app import Shell
    from kodoku_desk.ui.login import LoginDialog, remember
    from kodoku_desk.ui.main_window import PasswordChangeDialog

    app = QApplication.instance()
    shell = Shell(app, idle_msecs=60_000)
    remember(org_ws, "admin")
    shell._open_main(sign_in(org_ws, "admin", ADMIN_PASSWORD))
    first = shell.window
    dialog = PasswordChangeDialog(first.ctx, first)
    dialog.open()
    qtbot.waitUntil(dialog.isVisible)

    first.locker.set_interval(200)
    qtbot.waitUntil(lambda: first.locker.is_locked, timeout=3000)
    assert any(cover.parentWidget() is dialog for cover in first.locker.covers)
    assert first.locker.dialog.isVisible()
    shot(first, "lock-over-dialog")

    def sign_in_as_staff() -> None:
        login = next((w for w in app.topLevelWidgets()
                      if isinstance(w, LoginDialog) and w.isVisible()), None)
        if login is None:
            QTimer.singleShot(50, sign_in_as_staff)
            return
        login.login_edit.setText("uketsuke")
        login.password_edit.setText(STAFF_PASSWORD)
        login.login_button.click()

    QTimer.singleShot(50, sign_in_as_staff)
    first.locker.dialog.logout_button.click()
    qtbot.waitUntil(lambda: shell.window is not None and shell.window is not first, timeout=15_000)
    second = shell.window
    try:
        assert second.isVisible() and not second.locker.is_locked
        assert "受付 花子" in second.user_label.text()
        qtbot.waitUntil(lambda: not shiboken6.isValid(dialog), timeout=3000)  # gone with its window
        with second.ctx.signed.store.read() as s:
            actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions[-3:] == ["lock", "logout", "login"]
    finally:
        second.locker.stop()
        shell.runner.wait_idle()
        shell.shutdown()
        second.close()


def test_window_keeps_what_it_holds_out_of_full_garbage_collections(qtbot, runner, org_ws):
    """gc.freeze while the window lives (no 100 ms collections with the GIL held during
    background work); its destruction at logout gives the objects back to the collector."""
    import gc

    from kodoku_desk.ui.main_window import MainWindow

    gc.unfreeze()
    dialog = sign_in_through_dialog(qtbot, runner, org_ws, "admin", ADMIN_PASSWORD)
    window = MainWindow(AppContext(signed=dialog.signed, runner=runner), 60_000)
    assert gc.get_freeze_count() > 0
    frozen = gc.get_freeze_count()
    window.show_page("cases")
    assert gc.get_freeze_count() >= frozen  # a new page is frozen with the rest
    wait_runner(qtbot, runner)
    destroyed = []
    window.destroyed.connect(lambda *_: destroyed.append(True))
    window.deleteLater()
    qtbot.waitUntil(lambda: bool(destroyed))
    assert gc.get_freeze_count() == 0
    dialog.signed.close()


def test_qt_calls_keep_none_alive(qtbot):
    """PySide6 6.12.0 returned None from void methods without a reference: on Python 3.10/3.11
    a long session aborted with "Fatal Python error: none_dealloc". pyproject.toml keeps that
    version out; this catches a PySide6 that brings the bug back."""
    import sys

    from PySide6.QtWidgets import QLabel

    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(5000):
        label.setText("x")
    assert sys.getrefcount(None) >= before - 100  # other threads may drop a few; 5,000 is the bug
