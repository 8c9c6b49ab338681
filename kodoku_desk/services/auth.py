"""Signing in and out, idle unlock, passwords and the recovery code."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from kodoku_desk.domain.actor import Actor
from kodoku_desk.errors import AuthError
from kodoku_desk.models import Agency, Staff
from kodoku_desk.models.org import ROLE_ADMIN, ROLES
from kodoku_desk.services import access, audit, uow
from kodoku_desk.store.keys import check_password_rule
from kodoku_desk.store.workspace import (
    Store,
    create_store,
    load_keyfile,
    open_store,
    read_auth_state,
    write_auth_state,
)

WRONG = "ログインIDまたはパスワードが違います。"
FREE_ATTEMPTS = 3
MAX_DELAY_S = 30.0


def failure_delay(failures: int) -> float:
    """Seconds to wait before the next attempt: 0,0,0, then 2, 4, 8 … capped at 30."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(2.0 ** (failures - FREE_ATTEMPTS + 1), MAX_DELAY_S)


@dataclass
class Signed:
    """An unlocked workspace and the staff member using it."""

    store: Store
    actor: Actor

    @property
    def folder(self) -> Path:
        return self.store.folder

    def close(self) -> None:
        try:
            with self.store.write() as s:
                audit.record(s, self.actor, "logout")
        finally:
            self.store.close()


def _note_failure(folder: Path, login: str, kind: str = "login_failed") -> None:
    state = read_auth_state(folder)
    entry = state.setdefault(login, {"failures": 0, "pending": []})
    entry["failures"] = entry.get("failures", 0) + 1
    entry.setdefault("pending", []).append([kind, datetime.now().isoformat(timespec="seconds")])
    write_auth_state(folder, state)


def _flush_failures(store: Store, login: str) -> None:
    """Failed attempts happen before the database can be opened; log them at the next unlock."""
    state = read_auth_state(store.folder)
    if not state:
        return
    with store.write() as s:
        for who, entry in state.items():
            for kind, at in entry.get("pending", []):
                audit.record(s, who, kind, "staff", who, {"attempted_at": at,
                                                          "failures": entry.get("failures", 0)})
    for entry in state.values():
        entry["pending"] = []
    state.pop(login, None)
    write_auth_state(store.folder, state)


def _actor_for(store: Store, login: str) -> Actor | None:
    with store.read() as s:
        staff = s.scalar(select(Staff).where(Staff.login == login))
        if staff is None or not staff.active:
            return None
        return Actor.of(staff)


def check_workspace_folder(folder: Path | str) -> None:
    """Say "not a workspace" (a sentence) before anyone is asked for a password."""
    load_keyfile(Path(folder))


def sign_in(folder: Path | str, login: str, password: str,
            sleep: Callable[[float], None] = time.sleep) -> Signed:
    folder = Path(folder)
    keyfile = load_keyfile(folder)
    login = login.strip()
    if not login or not password:
        raise AuthError("ログインIDとパスワードを入力してください。")
    state = read_auth_state(folder).get(login, {})
    delay = failure_delay(state.get("failures", 0))
    if delay:
        sleep(delay)
    data_key = keyfile.unlock(login, password)
    if data_key is None:
        _note_failure(folder, login)
        raise AuthError(WRONG)
    store = open_store(folder, data_key, keyfile)
    actor = _actor_for(store, login)
    if actor is None:
        store.close()
        _note_failure(folder, login)
        raise AuthError(WRONG)
    _flush_failures(store, login)
    with store.write() as s:
        audit.record(s, actor, "login", "staff", actor.staff_id)
    return Signed(store, actor)


def create_workspace(folder: Path | str, admin_login: str, admin_name: str, password: str,
                     agency_name: str = "福祉総務課") -> Signed:
    folder = Path(folder)
    admin_login = admin_login.strip()
    if not admin_login:
        raise AuthError("管理者のログインIDを入力してください。", field="login")
    check_password_rule(password)

    def set_up(store: Store) -> Actor:
        """The first agency and its administrator, and the administrator's key wrap."""
        with store.write() as s:
            agency = Agency(name=agency_name, fields=["行政"], operation="直営")
            s.add(agency)
            s.flush()
            staff = Staff(login=admin_login, display_name=admin_name or admin_login,
                          agency_id=agency.id, roles=[ROLE_ADMIN, "supervisor", "coordinator"])
            s.add(staff)
            s.flush()
            s.refresh(staff, ["agency"])
            actor = Actor.of(staff)
            audit.record(s, actor, "create", "workspace", store.keyfile.workspace_id,
                         {"admin": admin_login})
        store.rewrap(admin_login, password)
        return actor

    store, actor = create_store(folder, set_up)
    with store.write() as s:
        audit.record(s, actor, "login", "staff", actor.staff_id)
    return Signed(store, actor)


def verify_unlock(signed: Signed, password: str) -> bool:
    """Idle-lock unlock: the same password check as sign-in, logged either way."""
    ok = signed.store.keyfile.unlock(signed.actor.login, password) is not None
    with uow.write(signed) as s:
        audit.record(s, signed.actor, "unlock" if ok else "unlock_failed")
    return ok


def record_lock(signed: Signed) -> None:
    with uow.write(signed) as s:
        audit.record(s, signed.actor, "lock")


def change_password(signed: Signed, old: str, new: str) -> None:
    if signed.store.keyfile.unlock(signed.actor.login, old) is None:
        with uow.write(signed) as s:
            audit.record(s, signed.actor, "password_change", "staff", signed.actor.staff_id,
                         {"result": "現在のパスワードが違う"})
        raise AuthError("現在のパスワードが違います。", field="old")
    check_password_rule(new)
    signed.store.rewrap(signed.actor.login, new)
    with uow.write(signed) as s:
        audit.record(s, signed.actor, "password_change", "staff", signed.actor.staff_id)


def set_password(signed: Signed, login: str, new: str) -> None:
    """An admin sets another account's password (new account, or reset)."""
    access.require(signed, signed.actor.is_admin or login == signed.actor.login, "パスワードの設定")
    check_password_rule(new)
    with uow.write(signed) as s:
        staff = s.scalar(select(Staff).where(Staff.login == login))
        if staff is None:
            raise AuthError(f"職員 {login} は登録されていません。", field="login")
        audit.record(s, signed.actor, "password_reset", "staff", staff.id, {"login": login})
    signed.store.rewrap(login, new)


def create_recovery_code(signed: Signed) -> str:
    """A new recovery code (shown once). Any earlier code stops working."""
    access.require(signed, signed.actor.is_admin, "回復キーの作成")
    code = signed.store.new_recovery_code()
    with uow.write(signed) as s:
        audit.record(s, signed.actor, "recovery_created")
    return code


def reset_with_recovery(folder: Path | str, code: str, login: str, new: str) -> None:
    """Forgotten password: the recovery code unlocks the data key, which is re-wrapped."""
    folder = Path(folder)
    keyfile = load_keyfile(folder)
    data_key = keyfile.unlock_with_recovery(code)
    if data_key is None:
        raise AuthError("回復キーが違います。", field="code")
    check_password_rule(new)
    store = open_store(folder, data_key, keyfile)
    try:
        with store.write() as s:
            staff = s.scalar(select(Staff).where(Staff.login == login.strip()))
            if staff is None or not staff.active:
                raise AuthError(f"有効な職員 {login} が見つかりません。", field="login")
            audit.record(s, "-recovery-", "password_reset", "staff", staff.id, {"login": login})
        store.rewrap(login.strip(), new)
        state = read_auth_state(folder)
        state.pop(login.strip(), None)
        write_auth_state(folder, state)
    finally:
        store.close()


__all__ = ["ROLES", "Signed", "sign_in", "create_workspace", "failure_delay", "WRONG"]
