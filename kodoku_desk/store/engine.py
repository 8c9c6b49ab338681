"""SQLCipher (or, for the benchmark's comparison only, plain SQLite) engines through SQLAlchemy.

Every new connection is keyed with the raw 256-bit data key before any other statement, so no
passphrase ever reaches SQL and no PBKDF2 runs per connection."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlcipher3
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool

BUSY_TIMEOUT_MS = 15000


def _common_pragmas(cur) -> None:
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA temp_store = MEMORY")  # no plaintext temp files for sorts/indexes
    cur.execute("PRAGMA journal_mode = WAL")  # the -wal file is encrypted too
    cur.execute("PRAGMA synchronous = NORMAL")
    # 96 MiB page cache per connection (SQLite's default is 2 MiB). SQLCipher decrypts and
    # HMAC-checks every page it reads into the cache, so at 100,000 cases a scan that misses a
    # small cache cost 3-4x plain SQLite (people search 2.2 s vs 0.6 s); with the working set
    # cached the two are on par (docs/PERFORMANCE.md). The one-year report reads ~90 MB of pages:
    # at 64 MiB it ran 1.32x plain, at 96 MiB 0.9x. Grows only as pages are read.
    cur.execute("PRAGMA cache_size = -98304")


def open_raw(path: Path, key: bytes | None, *, check_same_thread: bool = False):
    """A DB-API connection: SQLCipher keyed with `key`, or plain sqlite3 when key is None."""
    if key is None:
        conn = sqlite3.connect(str(path), check_same_thread=check_same_thread)
        _common_pragmas(conn.cursor())
        return conn
    conn = sqlcipher3.connect(str(path), check_same_thread=check_same_thread)
    cur = conn.cursor()
    cur.execute("PRAGMA cipher_log_level = NONE")
    cur.execute(f"PRAGMA key = \"x'{key.hex()}'\"")  # hex only: nothing to inject
    cur.execute("PRAGMA cipher_memory_security = OFF")  # see docs/SECURITY.md: speed vs wipe
    _common_pragmas(cur)
    return conn


def make_engine(path: Path, key: bytes | None) -> Engine:
    module = sqlcipher3 if key is not None else sqlite3
    engine = create_engine(
        "sqlite://",
        module=module,
        creator=lambda: open_raw(path, key),
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
        pool_use_lifo=True,  # reuse the warmest connection: its page cache is already full
    )

    @event.listens_for(engine, "connect")
    def _no_autobegin(dbapi_conn, _record):  # pysqlite: let us issue BEGIN ourselves
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # Writers take the write lock up front (BEGIN IMMEDIATE): a read-then-write transaction
        # can then never fail half-way because another writer committed in between.
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine


def writer(engine: Engine) -> Engine:
    return engine.execution_options(sqlite_begin="IMMEDIATE")
