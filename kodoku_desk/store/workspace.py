"""A workspace: one folder holding the SQLCipher database, the key file and backups.

    DIR/workspace.kdk    SQLCipher 4 database (all client data, encrypted)
    DIR/keys.json        the data key wrapped per staff account (no client data)
    DIR/auth-state.json  failed-login counters, read before unlock (logins only)
    DIR/backups/         encrypted copies taken before migrations and on request
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

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


def create_store(folder: Path) -> tuple[Store, bytes]:
    """A new, empty, fully migrated workspace. Returns the store and its data key."""
    folder = Path(folder)
    if is_workspace(folder):
        raise WorkspaceError(f"{folder} にはすでにワークスペースがあります。")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"フォルダ {folder} を作成できません: {exc.strerror}") from exc
    if any(p for p in folder.iterdir() if p.name != LOCK_NAME):
        raise WorkspaceError(f"フォルダ {folder} は空ではありません。空のフォルダを指定してください。")
    _check_folder_writable(folder)
    lock = InstanceLock(folder / LOCK_NAME)
    lock.acquire()
    data_key = os.urandom(32)
    keyfile = KeyFile.new(folder / KEYS_NAME)
    # Owner-only from the first byte; SQLite gives the -wal/-shm files the same mode.
    os.close(os.open(folder / DB_NAME, os.O_CREAT | os.O_WRONLY, 0o600))
    engine = make_engine(folder / DB_NAME, data_key)
    try:
        migrate.upgrade(engine)
    except Exception:
        engine.dispose()
        lock.release()
        for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm"):
            with contextlib.suppress(FileNotFoundError):
                (folder / name).unlink()
        raise
    return Store(folder, engine, keyfile, data_key, lock), data_key


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
