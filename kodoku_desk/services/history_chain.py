"""The history chain: every row of a history table is linked, when it is inserted, into one
SHA-256 chain (models.HistoryLink), so that a row edited, back-dated, deleted or slipped in
behind the application's back is found by `verify` (docs/SECURITY.md, "History chain").

- CHAINED names the tables; a new history model is chained by one line there (its migration
  links the rows it already has, if any).
- A row's digest is SHA-256 over its canonical content: the table name and every column, in
  the order of the column names, dates and times as ISO strings, JSON with sorted keys. It is
  always computed from the row as read back from the database, by the writer and the verifier
  alike.
- A link's hash is SHA-256 over (position, previous link's hash, table, row id, digest); the
  newest hash is the head, kept in settings (`history_head`), as the audit log keeps its own.
- The hook (installed on every ORM session when this module is imported; services.uow imports
  it) links the chained rows a flush inserted in the same transaction, and refuses (raises
  AppendOnlyError) an UPDATE or DELETE of a chained row through the ORM. Rows inserted in bulk
  (Core or ORM `insert()` through a session) must be linked by `link_unlinked` before the
  commit: a commit with unlinked bulk rows is refused too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Table,
    and_,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import ORMExecuteState, Session

from kodoku_desk import models as m

# The chained history tables and what a sentence calls their rows. The order is the order in
# which migration 0010_history_chain first linked the rows that existed then.
CHAINED: tuple[tuple[type[m.Base], str], ...] = (
    (m.HandoffEvent, "つなぎの経過記録"),
    (m.Disclosure, "提供記録"),
    (m.Consent, "同意の記録"),
    (m.ConsentWithdrawal, "同意の撤回記録"),
    (m.PlanEvent, "支援計画の経過記録（承認を含む）"),
    (m.PlanEvaluation, "支援計画の評価"),
    (m.OverrideReview, "同意外提供の確認記録"),
    (m.HandoffSnapshot, "つなぎの提供内容（写し）"),
)

HEAD_KEY = "history_head"
GENESIS = "0" * 64
BATCH = 10_000
IN_CHUNK = 500  # ids per IN (…) when digesting the rows of one flush

Progress = Callable[[int, int], None]

_MODELS: tuple[type, ...] = tuple(model for model, _ in CHAINED)
TABLES: dict[str, Table] = {model.__tablename__: cast(Table, model.__table__)
                            for model, _ in CHAINED}
LABELS: dict[str, str] = {model.__tablename__: label for model, label in CHAINED}
# Every column of each chained table, in the order of their names: the canonical order.
COLUMNS: dict[str, list[Column]] = {name: sorted(t.columns, key=lambda c: c.name)
                                    for name, t in TABLES.items()}
_ID_AT: dict[str, int] = {name: [c.name for c in cols].index("id") for name, cols in COLUMNS.items()}
_LINKS = cast(Table, m.HistoryLink.__table__)
_SETTINGS = cast(Table, m.Setting.__table__)
_UNLINKED = "history_chain.unlinked"  # session.info flag: bulk rows inserted, not yet linked


class AppendOnlyError(RuntimeError):
    """An UPDATE or DELETE of a chained history row, or a commit of bulk rows left unlinked:
    a programming error, refused before anything is written."""


# --------------------------------------------------------------------------- digests


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _plain(value: object) -> object:
    if isinstance(value, (date, datetime)):  # a datetime is a date too
        return value.isoformat()
    return value


def canonical(table_name: str, values: Sequence[object]) -> bytes:
    """The canonical content of one row: values in COLUMNS order."""
    return _ENCODER.encode([table_name, [_plain(v) for v in values]]).encode("utf-8")


def row_digest(table_name: str, values: Sequence[object]) -> str:
    return hashlib.sha256(canonical(table_name, values)).hexdigest()


def _digester(table_name: str) -> Callable[[Sequence[object]], str]:
    """row_digest for one table, for the verifier's and the linker's loops: the same bytes,
    with the table's date and time columns known in advance (about twice as fast)."""
    temporal = [i for i, c in enumerate(COLUMNS[table_name])
                if isinstance(c.type, (Date, DateTime))]
    encode, sha256 = _ENCODER.encode, hashlib.sha256

    def digest(values: Sequence[object]) -> str:
        plain = list(values)
        for i in temporal:
            value = plain[i]
            if value is not None:
                plain[i] = value.isoformat()  # type: ignore[attr-defined]
        return sha256(encode([table_name, plain]).encode("utf-8")).hexdigest()

    return digest


def link_hash(link_id: int, prev_hash: str, table_name: str, row_id: int, digest: str) -> str:
    body = f"{link_id}|{prev_hash}|{table_name}|{row_id}|{digest}"
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- appending


def _take_head(conn: Connection) -> str:
    """Lock the head (an UPDATE takes the write lock), then read it; GENESIS if there is none."""
    key = _SETTINGS.c.key == HEAD_KEY
    conn.execute(update(_SETTINGS).where(key).values(value=_SETTINGS.c.value))
    head = conn.scalar(select(_SETTINGS.c.value).where(key))
    if head is None:
        conn.execute(insert(_SETTINGS).values(key=HEAD_KEY, value=GENESIS))
        return GENESIS
    return head


def _append(conn: Connection, items: Sequence[tuple[str, int, str]]) -> int:
    """Append one link per (table, row id, digest), in the given order; move the head."""
    if not items:
        return 0
    prev = _take_head(conn)
    position = conn.scalar(select(func.max(_LINKS.c.id))) or 0
    rows = []
    for table_name, row_id, digest in items:
        position += 1
        link = link_hash(position, prev, table_name, row_id, digest)
        rows.append({"id": position, "table_name": table_name, "row_id": row_id,
                     "digest": digest, "prev_hash": prev, "hash": link})
        prev = link
    conn.execute(insert(_LINKS), rows)
    conn.execute(update(_SETTINGS).where(_SETTINGS.c.key == HEAD_KEY).values(value=prev))
    return len(rows)


def _digests(conn: Connection, table_name: str, ids: Iterable[int]) -> list[tuple[str, int, str]]:
    table, cols, at = TABLES[table_name], COLUMNS[table_name], _ID_AT[table_name]
    ids = sorted(ids)
    digest = _digester(table_name)
    out = []
    for i in range(0, len(ids), IN_CHUNK):
        rows = conn.execute(select(*cols).where(table.c.id.in_(ids[i:i + IN_CHUNK]))
                            .order_by(table.c.id))
        out += [(table_name, row[at], digest(row)) for row in rows]
    return out


def link_unlinked(session: Session, progress: Progress | None = None) -> dict[str, int]:
    """Link every chained row that has no link yet, table by table (CHAINED order), in id order.

    For bulk inserts (the demo generator), called in the unit of work that inserted them; the
    application's own inserts are linked by the flush hook. It links whatever has no link, so
    it would also adopt a row slipped in behind the application's back: run `verify` first
    where that matters. Returns the rows linked per table."""
    conn = session.connection()
    counts: dict[str, int] = {}
    total = sum(conn.scalar(_unlinked(name, func.count())) or 0 for name in TABLES)
    done = 0
    for name in TABLES:
        last, digest = 0, _digester(name)
        while True:
            rows = conn.execute(_unlinked(name, *COLUMNS[name])
                                .where(TABLES[name].c.id > last)
                                .order_by(TABLES[name].c.id).limit(BATCH)).all()
            if not rows:
                break
            at = _ID_AT[name]
            _append(conn, [(name, r[at], digest(r)) for r in rows])
            last = rows[-1][at]
            counts[name] = counts.get(name, 0) + len(rows)
            done += len(rows)
            if progress:
                progress(done, total)
    session.info.pop(_UNLINKED, None)
    return counts


def _unlinked(name: str, *columns):
    table = TABLES[name]
    return (select(*columns)
            .select_from(table.outerjoin(_LINKS, and_(_LINKS.c.table_name == name,
                                                      _LINKS.c.row_id == table.c.id)))
            .where(_LINKS.c.id.is_(None)))


# --------------------------------------------------------------------------- the hook


def _label_of(obj: object) -> str:
    return LABELS.get(getattr(obj, "__tablename__", ""), "履歴")


def _refuse_changes(session: Session, _ctx, _instances) -> None:
    for obj in session.deleted:
        if isinstance(obj, _MODELS):
            raise AppendOnlyError(f"{_label_of(obj)} #{obj.id} は追記だけの履歴です。"  # type: ignore[attr-defined]
                                  "削除できません。")
    for obj in session.dirty:
        if isinstance(obj, _MODELS) and session.is_modified(obj, include_collections=False):
            raise AppendOnlyError(f"{_label_of(obj)} #{obj.id} は追記だけの履歴です。"  # type: ignore[attr-defined]
                                  "記録した内容は変更できません（訂正は新しい記録で）。")


def _link_flushed(session: Session, _ctx) -> None:
    """After a flush: link the chained rows it inserted (session.new still lists them)."""
    ids: dict[str, list[int]] = {}
    for obj in session.new:
        if isinstance(obj, _MODELS):
            ids.setdefault(obj.__tablename__, []).append(obj.id)  # type: ignore[attr-defined]
    if not ids:
        return
    conn = session.connection()
    items = [item for name in TABLES if name in ids for item in _digests(conn, name, ids[name])]
    _append(conn, items)


def _statement_table(state: ORMExecuteState) -> str | None:
    table = getattr(state.statement, "table", None)
    return getattr(table, "name", None)


def _watch_statements(state: ORMExecuteState) -> None:
    """Bulk statements through a session: UPDATE or DELETE of a chained table is refused; an
    INSERT leaves rows to link before the commit."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    name = _statement_table(state)
    if name not in TABLES:
        return
    if state.is_insert:
        state.session.info[_UNLINKED] = True
        return
    raise AppendOnlyError(f"{LABELS[name]}は追記だけの履歴です。まとめて変更・削除することはできません。")


def _refuse_unlinked_commit(session: Session) -> None:
    if session.info.get(_UNLINKED):
        raise AppendOnlyError("まとめて追加した履歴がまだ連鎖に載っていません: "
                              "コミットの前に history_chain.link_unlinked(session) を呼んでください。")


def _forget_unlinked(session: Session, _previous) -> None:
    if not session.in_transaction():
        session.info.pop(_UNLINKED, None)


def _install() -> None:
    if event.contains(Session, "after_flush", _link_flushed):
        return
    event.listen(Session, "before_flush", _refuse_changes)
    event.listen(Session, "after_flush", _link_flushed)
    event.listen(Session, "do_orm_execute", _watch_statements)
    event.listen(Session, "before_commit", _refuse_unlinked_commit)
    event.listen(Session, "after_soft_rollback", _forget_unlinked)


_install()


# --------------------------------------------------------------------------- verifying

EDITED, DELETED, UNLINKED, ORDER, LINK_EDITED, UNKNOWN, TAIL = (
    "edited", "deleted", "unlinked", "order", "link_edited", "unknown", "tail")


@dataclass(frozen=True)
class Break:
    """The first broken row of one table (or the chain's tail: table_name "")."""

    table_name: str
    row_id: int | None
    kind: str
    message: str


def _sentence(kind: str, table_name: str, row_id: int | None, position: int = 0) -> str:
    label = LABELS.get(table_name, f"表「{table_name}」")
    return {
        EDITED: f"{label} #{row_id} の内容が記録の後で書き換えられています（日付の書き換えを含みます）。",
        DELETED: f"{label} #{row_id} が削除されています。",
        UNLINKED: f"{label} #{row_id} はアプリを通さずに追加されています（履歴の連鎖に載っていません）。",
        ORDER: f"{label} #{row_id} の直前で履歴の連鎖が切れています"
               "（連鎖の記録が削除されたか、並べ替えられています）。",
        LINK_EDITED: f"{label} #{row_id} の連鎖の記録が書き換えられています。",
        UNKNOWN: f"履歴の連鎖 #{position} が知らない表「{table_name}」を指しています"
                 "（連鎖の記録が書き換えられています）。",
        TAIL: f"履歴の連鎖の末尾が記録された先頭と合いません（連鎖 #{position} より後の記録が"
              "削除されたか、アプリを通さずに付け足されています）。",
    }[kind]


@dataclass(frozen=True)
class HistoryReport:
    links: int  # links walked
    rows: dict[str, int]  # rows compared, per table
    breaks: tuple[Break, ...]  # the first broken row of each table (CHAINED order), the tail last
    head_position: int
    head_hash: str

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def messages(self) -> list[str]:
        return [b.message for b in self.breaks]

    @property
    def message(self) -> str:
        if self.breaks:
            return " ".join(self.messages)
        return (f"履歴 {sum(self.rows.values())} 件（{len(self.rows)} 種類の記録）と履歴の連鎖 "
                f"{self.links} 件を検証しました。改ざんはありません。")


def head(session: Session) -> tuple[int, str]:
    """The chain's last position and hash as the links say (0 and GENESIS when empty)."""
    row = session.execute(select(_LINKS.c.id, _LINKS.c.hash).order_by(_LINKS.c.id.desc())
                          .limit(1)).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def hash_at(session: Session, position: int) -> str | None:
    """The hash of the link at `position` (GENESIS at 0), None if there is no such link."""
    if position == 0:
        return GENESIS
    return session.scalar(select(_LINKS.c.hash).where(_LINKS.c.id == position))


def verify(session: Session, progress: Progress | None = None, batch: int = BATCH) -> HistoryReport:
    """Walk the links in position order, then each table against its links; the report names
    the first broken row of each table and a truncated or extended tail."""
    conn = session.connection()
    n_links = conn.scalar(select(func.count()).select_from(_LINKS)) or 0
    n_rows = {name: conn.scalar(select(func.count()).select_from(t)) or 0
              for name, t in TABLES.items()}
    total = n_links + sum(n_rows.values())
    walked = [0]

    def step(count: int) -> None:
        walked[0] += count
        if progress:
            progress(walked[0], total)

    found: dict[str, list[Break]] = {}

    def note(kind: str, name: str, row_id: int | None, position: int = 0) -> None:
        found.setdefault(name, []).append(Break(name, row_id, kind,
                                                _sentence(kind, name, row_id, position)))

    position, prev, n_walked = _walk_links(conn, batch, note, step)
    for name in TABLES:
        _compare_table(conn, name, batch, note, step)
    if progress:
        progress(total, total)
    breaks = []
    for name in (*TABLES, *sorted(set(found) - set(TABLES))):
        if name in found:  # the first broken row of the table: the lowest row id
            breaks.append(min(found[name], key=lambda b: b.row_id or 0))
    stored = conn.scalar(select(_SETTINGS.c.value).where(_SETTINGS.c.key == HEAD_KEY))
    if (stored or GENESIS) != prev:
        breaks.append(Break("", None, TAIL, _sentence(TAIL, "", None, position)))
    return HistoryReport(n_walked, n_rows, tuple(breaks), position, prev)


def _walk_links(conn: Connection, batch: int, note, step) -> tuple[int, str, int]:
    """Each link must follow the one before it (position + 1, its hash as prev_hash) and hash
    to its own hash. After a break the walk goes on from the broken link."""
    prev, expected, last, count = GENESIS, 1, 0, 0
    seen: set[str] = set()  # tables already given a break by this walk
    cols = (_LINKS.c.id, _LINKS.c.table_name, _LINKS.c.row_id, _LINKS.c.digest,
            _LINKS.c.prev_hash, _LINKS.c.hash)
    while True:
        rows = conn.execute(select(*cols).where(_LINKS.c.id > last).order_by(_LINKS.c.id)
                            .limit(batch)).all()
        if not rows:
            return last, prev, count
        for link_id, name, row_id, digest, prev_hash, link in rows:
            kind = None
            if name not in TABLES:
                kind = UNKNOWN
            elif link_id != expected or prev_hash != prev:
                kind = ORDER
            elif link_hash(link_id, prev_hash, name, row_id, digest) != link:
                kind = LINK_EDITED
            if kind and name not in seen:
                seen.add(name)
                note(kind, name, row_id, link_id)
            prev, expected = link, link_id + 1
        last = rows[-1][0]
        count += len(rows)
        step(len(rows))


def _compare_table(conn: Connection, name: str, batch: int, note, step) -> None:
    """Every row must have a link whose digest is the row's; every link of the table a row."""
    table, cols, at, digest = TABLES[name], COLUMNS[name], _ID_AT[name], _digester(name)
    joined = table.outerjoin(_LINKS, and_(_LINKS.c.table_name == name,
                                          _LINKS.c.row_id == table.c.id))
    last = 0
    while True:
        rows = conn.execute(select(*cols, _LINKS.c.digest).select_from(joined)
                            .where(table.c.id > last).order_by(table.c.id).limit(batch)).all()
        if not rows:
            break
        for row in rows:
            stored = row[-1]
            if stored is None:
                note(UNLINKED, name, row[at])
                break
            if digest(row[:-1]) != stored:
                note(EDITED, name, row[at])
                break
        else:
            last = rows[-1][at]
            step(len(rows))
            continue
        break  # the first broken row of the table is found
    orphan = conn.scalar(select(_LINKS.c.row_id)
                         .where(_LINKS.c.table_name == name,
                                ~select(table.c.id).where(table.c.id == _LINKS.c.row_id).exists())
                         .order_by(_LINKS.c.row_id).limit(1))
    if orphan is not None:
        note(DELETED, name, orphan)
