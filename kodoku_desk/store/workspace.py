"""A workspace: one folder holding the SQLCipher database, the key file and backups.

    DIR/workspace.kdk    SQLCipher 4 database (all client data, encrypted)
    DIR/keys.json        the data key wrapped per staff account (no client data)
    DIR/auth-state.json  failed-login counters, read before unlock (logins only)
    DIR/backups/         encrypted copies taken before migrations and on request

A new workspace is built in a hidden sibling, .DIR.creating-XXXX, and renamed to DIR only once it
is complete (database migrated, keys.json holding the first account's wrap): an interrupted
set-up leaves nothing under the name. A leftover sibling is never opened as a workspace.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kodoku_desk.errors import WorkspaceError
from kodoku_desk.store import migrate
from kodoku_desk.store.engine import make_engine, writer
from kodoku_desk.store.files import InstanceLock, atomic_write_bytes
from kodoku_desk.store.keys import KeyFile

DB_NAME = "workspace.kdk"
KEYS_NAME = "keys.json"
AUTH_STATE_NAME = "auth-state.json"
LOCK_NAME = ".lock"
BACKUPS = "backups"
CREATING = ".creating-"

T = TypeVar("T")


def is_unfinished(folder: Path) -> bool:
    """A hidden sibling in which a workspace was (or is being) created."""
    name = Path(folder).name
    return name.startswith(".") and CREATING in name


def unfinished_message(folder: Path) -> str:
    return (f"{folder} は途中で中断されたワークスペース作成の残り（ワークスペースではありません）"
            "なので、削除してからもう一度作成してください。")


def _check_no_leftover(folder: Path) -> None:
    for leftover in sorted(folder.parent.glob(f".{folder.name}{CREATING}*")):
        lock = InstanceLock(leftover / LOCK_NAME)
        try:
            lock.acquire()
        except WorkspaceError:
            raise WorkspaceError(f"{folder} のワークスペースは別のウィンドウまたは別のプログラムで"
                                 "作成中です。") from None
        lock.release()
        raise WorkspaceError(unfinished_message(leftover))


def is_workspace(folder: Path) -> bool:
    return (Path(folder) / DB_NAME).exists() and (Path(folder) / KEYS_NAME).exists()


class Store:
    """The open, keyed database of one workspace. Units of work come from read() and write()."""

    def __init__(self, folder: Path, engine: Engine, keyfile: KeyFile, data_key: bytes,
                 lock: InstanceLock | None) -> None:
        self.folder = folder
        self.engine = engine
        self.keyfile = keyfile
        self._data_key = data_key
        self._lock = lock
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(writer(engine), expire_on_commit=False)

    @property
    def db_path(self) -> Path:
        return self.folder / DB_NAME

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:  # closing ends the read transaction; objects stay loaded
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """All-or-nothing: commits when the block ends normally, rolls back on any error."""
        with self._write() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def rewrap(self, login: str, password: str) -> None:
        self.keyfile.add_user(login, password, self._data_key)
        self.keyfile.save()

    def forget_user(self, login: str) -> None:
        self.keyfile.remove_user(login)
        self.keyfile.save()

    def new_recovery_code(self) -> str:
        code = self.keyfile.set_recovery(self._data_key)
        self.keyfile.save()
        return code

    def backup(self, label: str = "manual") -> Path:
        """An encrypted copy of the database (same data key) and the key file."""
        dest = self.folder / BACKUPS
        dest.mkdir(exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = dest / f"workspace-{stamp}-{label}.kdk"
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy2(self.db_path, target)
        shutil.copy2(self.folder / KEYS_NAME, dest / f"keys-{stamp}-{label}.json")
        return target

    def integrity_problems(self) -> list[str]:
        with self.engine.connect() as conn:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA cipher_integrity_check")]
            rows += [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check") if r[0] != "ok"]
        return rows

    def close(self) -> None:
        self.engine.dispose()
        if self._lock:
            self._lock.release()
            self._lock = None


def _check_folder_writable(folder: Path) -> None:
    if not os.access(folder, os.W_OK):
        raise WorkspaceError(f"フォルダ {folder} に書き込めません。権限を確認してください。")


def _empty_or_absent(folder: Path) -> None:
    if is_unfinished(folder):
        raise WorkspaceError(unfinished_message(folder))
    if is_workspace(folder):
        raise WorkspaceError(f"{folder} にはすでにワークスペースがあります。")
    if folder.exists() and (not folder.is_dir()
                            or any(p for p in folder.iterdir() if p.name != LOCK_NAME)):
        raise WorkspaceError(f"フォルダ {folder} は空ではありません。空のフォルダを指定してください。")


def _publish(tmp: Path, folder: Path) -> None:
    """Give the complete workspace its name. An empty folder the user chose is replaced (Windows
    cannot rename onto an existing folder, so it is removed first)."""
    if folder.exists():
        _empty_or_absent(folder)
        with contextlib.suppress(FileNotFoundError):
            (folder / LOCK_NAME).unlink()
        try:
            folder.rmdir()
        except OSError as exc:
            raise WorkspaceError(f"フォルダ {folder} は空ではありません。"
                                 "空のフォルダを指定してください。") from exc
    try:
        os.replace(tmp, folder)
    except OSError as exc:
        raise WorkspaceError(f"フォルダ {folder} を作成できません: {exc.strerror}") from exc
    if sys.platform != "win32":
        fd = os.open(folder.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def create_store(folder: Path, setup: Callable[[Store], T]) -> tuple[Store, T]:
    """A new, fully migrated workspace, the one path every creation takes (init, the first-run
    dialog, the demo). It is built in a hidden sibling; `setup` fills it (the first account,
    whose wrap it must write to keys.json with `Store.rewrap`); only then is it renamed to
    `folder` and opened there. Returns the open store and what `setup` returned. On any error
    the sibling is removed; a kill leaves only the sibling, which the next attempt names."""
    folder = Path(folder)
    _empty_or_absent(folder)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"フォルダ {folder.parent} を作成できません: {exc.strerror}") from exc
    _check_folder_writable(folder.parent)
    _check_no_leftover(folder)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}{CREATING}", dir=folder.parent))
    except OSError as exc:
        raise WorkspaceError(f"フォルダ {folder} を作成できません: {exc.strerror}") from exc
    store: Store | None = None
    try:
        lock = InstanceLock(tmp / LOCK_NAME)
        lock.acquire()
        data_key = os.urandom(32)
        keyfile = KeyFile.new(tmp / KEYS_NAME)
        # Owner-only from the first byte; SQLite gives the -wal/-shm files the same mode.
        os.close(os.open(tmp / DB_NAME, os.O_CREAT | os.O_WRONLY, 0o600))
        store = Store(tmp, make_engine(tmp / DB_NAME, data_key), keyfile, data_key, lock)
        migrate.upgrade(store.engine)
        result = setup(store)
        if not keyfile.wraps or not is_workspace(tmp):
            raise WorkspaceError("ワークスペースの作成が完了していません（最初の職員の鍵がありません）。")
        store.close()
        store = None
        _publish(tmp, folder)
    except BaseException:
        if store is not None:
            store.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return open_store(folder, data_key, KeyFile.load(folder / KEYS_NAME)), result


def open_store(folder: Path, data_key: bytes, keyfile: KeyFile) -> Store:
    """Open with a data key already unwrapped; back up then migrate an older schema."""
    folder = Path(folder)
    _check_folder_writable(folder)
    lock = InstanceLock(folder / LOCK_NAME)
    lock.acquire()
    engine = make_engine(folder / DB_NAME, data_key)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar()
        store = Store(folder, engine, keyfile, data_key, lock)
        if migrate.needs_upgrade(engine):
            current = "+".join(sorted(migrate.current_revisions(engine))) or "empty"
            store.backup(label=f"before-migrate-{current}")
            migrate.upgrade(engine)
        return store
    except (DatabaseError, OperationalError) as exc:
        engine.dispose()
        lock.release()
        raise WorkspaceError(
            f"データベース {DB_NAME} を開けません（壊れているか、途中までしか無い可能性があります）。"
            "バックアップから戻してください。"
        ) from exc
    except BaseException:
        engine.dispose()
        lock.release()
        raise


def load_keyfile(folder: Path) -> KeyFile:
    folder = Path(folder)
    if not folder.is_dir():
        raise WorkspaceError(f"フォルダ {folder} がありません。")
    if is_unfinished(folder):
        raise WorkspaceError(unfinished_message(folder))
    if not is_workspace(folder):
        raise WorkspaceError(f"{folder} はワークスペースではありません（{DB_NAME} と {KEYS_NAME} が必要です）。")
    return KeyFile.load(folder / KEYS_NAME)


def read_auth_state(folder: Path) -> dict:
    try:
        return json.loads((Path(folder) / AUTH_STATE_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def write_auth_state(folder: Path, state: dict) -> None:
    atomic_write_bytes(Path(folder) / AUTH_STATE_NAME, json.dumps(state, ensure_ascii=False).encode())
