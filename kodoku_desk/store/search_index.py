"""Substring search indexes inside the encrypted database (SQLite FTS5, `trigram` tokenizer).

Two full-text tables, created by migration 0006_search_index, hold only normalised text
(services.text), and live in the same SQLCipher file as everything else: nothing leaves it.

    people_fts(name_key, kana_key, phone_key)   rowid = people.id
    case_fts(keys, notes)                       rowid = cases.id
        keys:  Case.search_text (case number | name | ふりがな | phone digits)
        notes: what the sheets say (困りごと, 相談したいこと, 聞き取り, 見立て, 備考 …)

The trigram tokenizer indexes every 3-character window, so a MATCH on a quoted phrase of 3 or
more characters is an exact substring match answered from the index, for Japanese as for
digits, without a morphological analyser. Shorter queries match nothing through FTS5: names
of one or two characters (山田, 林) are answered from people_grams, a plain B-tree table of
every two-character window of each person's name and ふりがな keys (models.indexes_search).

This module is the SQLite-specific part (FTS5 is not portable SQL, see docs/ARCHITECTURE.md):
the services only ask for "the ids matching this text" and "put these rows in the index".
The services that write the indexed fields keep the index in step, in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import (
    Integer,
    Select,
    bindparam,
    column,
    func,
    insert,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from kodoku_desk.models.indexes_search import people_grams

# A phrase shorter than this produces no trigram and so matches nothing through FTS5.
MIN_FTS_CHARS = 3
# A two-character word of the notes is looked up as up to this many trigrams (介護 → 介護保,
# 介護認 …); a pair of kana followed by anything and everything gives up (names still match).
MAX_EXPANSION = 200
# Pairs with the last character of a key in people_grams, so every character starts a window.
GRAM_END = "\x1f"

PEOPLE_FTS = "people_fts"
CASE_FTS = "case_fts"

# Kept in step with migration 0006_search_index (a migration must not import this module).
DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {PEOPLE_FTS} USING fts5("
    "name_key, kana_key, phone_key, tokenize = 'trigram')",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {CASE_FTS} USING fts5("
    "keys, notes, tokenize = 'trigram')",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {CASE_FTS}_vocab USING fts5vocab({CASE_FTS}, row)",
)

people_fts = table(PEOPLE_FTS, column("rowid", Integer), column("name_key"), column("kana_key"),
                   column("phone_key"))
case_fts = table(CASE_FTS, column("rowid", Integer), column("keys"), column("notes"))


def indexable(term: str) -> bool:
    """True when FTS5 can answer a substring match for `term` (3 characters or more)."""
    return len(term) >= MIN_FTS_CHARS


def phrase(term: str) -> str:
    """`term` as one FTS5 string: quoted, inner quotes doubled, so no character of a user's
    query (", *, ^, :, (, AND, NEAR …) is ever read as query syntax."""
    return '"' + term.replace('"', '""') + '"'


def match_expression(columns: Iterable[str], terms: Iterable[str]) -> str:
    """`{col1 col2} : ("t1" OR "t2")`: any of the terms, as substrings, in any of the columns."""
    quoted = [phrase(t) for t in dict.fromkeys(terms) if indexable(t)]
    if not quoted:
        raise ValueError("no indexable term")
    return "{" + " ".join(columns) + "} : (" + " OR ".join(quoted) + ")"


def people_ids(columns: Iterable[str], terms: Iterable[str]) -> Select:
    """SELECT people.id of the people whose given key columns contain any of the terms."""
    return (select(people_fts.c.rowid)
            .where(literal_column(PEOPLE_FTS).op("MATCH")(match_expression(columns, terms))))


def case_ids(columns: Iterable[str], terms: Iterable[str]) -> Select:
    """SELECT cases.id of the cases whose keys and/or notes contain any of the terms."""
    return (select(case_fts.c.rowid)
            .where(literal_column(CASE_FTS).op("MATCH")(match_expression(columns, terms))))


def trigrams_starting(session: Session, prefix: str, limit: int = MAX_EXPANSION) -> list[str]:
    """The indexed trigrams that start with `prefix` (1 or 2 characters), from the index's own
    vocabulary (case_fts_vocab, an fts5vocab table): a two-character word of the notes is found
    by MATCHing any of them. Every character of the notes is followed by another (the text
    ends with a separator), so these trigrams cover every place the word occurs."""
    rows = session.execute(text(f"SELECT term FROM {CASE_FTS}_vocab WHERE term >= :a AND term < :b "
                                "LIMIT :n"), {"a": prefix, "b": prefix + "\U0010ffff",
                                              "n": limit + 1}).scalars().all()
    return list(rows) if len(rows) <= limit else []


def id_list(ids: list[int]) -> Select:
    """SELECT the given ids, passed as ONE parameter (a JSON array read by json_each): a
    match set fetched once is reused by the page and count queries without thousands of
    bound parameters."""
    return select(literal_column("value", Integer)).select_from(
        func.json_each(bindparam("match_ids", json.dumps(ids), unique=True)))


# --- keeping the index in step -------------------------------------------------------------------

def grams(*keys: str) -> set[str]:
    """Every two-character window of the keys, the last character paired with GRAM_END."""
    out = set()
    for key in keys:
        for i in range(len(key)):
            out.add(key[i:i + 2] if i + 1 < len(key) else key[i] + GRAM_END)
    return out


def people_ids_short(term: str) -> Select:
    """SELECT people.id whose name_key or kana_key contains `term` (1 or 2 characters)."""
    if len(term) == 2:
        where = people_grams.c.gram == term
    else:
        where = (people_grams.c.gram >= term) & (people_grams.c.gram < term + "\U0010ffff")
    return select(people_grams.c.person_id).where(where).distinct()


def put_people(session: Session, rows: Iterable[tuple[int, str, str, str]]) -> None:
    """(id, name_key, kana_key, phone_key): insert or replace the people's index rows."""
    rows = list(rows)
    if not rows:
        return
    conn = session.connection()
    ids = [{"id": r[0]} for r in rows]
    old = conn.execute(text(f"SELECT rowid, name_key, kana_key FROM {PEOPLE_FTS} "
                            "WHERE rowid IN :ids").bindparams(bindparam("ids", expanding=True)),
                       {"ids": [r[0] for r in rows]}).all()
    gone = [{"g": g, "p": pid} for pid, name, kana in old for g in grams(name or "", kana or "")]
    if gone:
        conn.execute(text("DELETE FROM people_grams WHERE gram = :g AND person_id = :p"), gone)
    conn.execute(text(f"DELETE FROM {PEOPLE_FTS} WHERE rowid = :id"), ids)
    put_new_people(session, rows)


def put_cases(session: Session, rows: Iterable[tuple[int, str, str]], *, new: bool = False) -> None:
    """(id, keys, notes): insert or replace the cases' index rows. new=True skips the delete
    (rows that cannot be in the index yet: the generator's bulk path)."""
    rows = list(rows)
    if not rows:
        return
    conn = session.connection()
    if not new:
        conn.execute(text(f"DELETE FROM {CASE_FTS} WHERE rowid = :id"), [{"id": r[0]} for r in rows])
    conn.execute(text(f"INSERT INTO {CASE_FTS}(rowid, keys, notes) VALUES (:id, :k, :n)"),
                 [{"id": i, "k": k, "n": n} for i, k, n in rows])


def put_new_people(session: Session, rows: Iterable[tuple[int, str, str, str]]) -> None:
    """Like put_people for rows that cannot be in the index yet (the generator's bulk path)."""
    rows = list(rows)
    if not rows:
        return
    conn = session.connection()
    conn.execute(text(f"INSERT INTO {PEOPLE_FTS}(rowid, name_key, kana_key, phone_key) "
                      "VALUES (:id, :n, :k, :p)"),
                 [{"id": i, "n": n, "k": k, "p": p} for i, n, k, p in rows])
    new = [{"gram": g, "person_id": i} for i, n, k, _ in rows for g in grams(n, k)]
    if new:
        conn.execute(insert(people_grams), new)


__all__ = ["CASE_FTS", "DDL", "GRAM_END", "MIN_FTS_CHARS", "PEOPLE_FTS", "case_fts", "case_ids",
           "grams", "id_list", "indexable", "trigrams_starting", "match_expression", "people_fts", "people_ids",
           "people_ids_short", "phrase", "put_cases", "put_new_people", "put_people"]
