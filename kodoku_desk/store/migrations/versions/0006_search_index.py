"""search_index: trigram full-text indexes for people and cases (keys and sheet notes)

Revision ID: 0006_search_index
Revises: 0005_search (chained, not branched: tests/test_foundation.py expects one head)

people_fts and case_fts (SQLite FTS5, tokenizer `trigram`) live inside the encrypted file;
see kodoku_desk/store/search_index.py. The migration fills them from the existing rows: people
straight from their normalised keys, cases from Case.search_text and the notes of their sheets
(normalised in Python by services.text.case_notes_text, the function the services use).
"""

import json
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0006_search_index"
down_revision = "0005_search"
branch_labels = None
depends_on = None

# Kept in step with kodoku_desk/store/search_index.py and models/indexes_search.py
# (a migration must not import models: it describes the schema as it was at this revision).
FTS = (
    ("people_fts", "CREATE VIRTUAL TABLE people_fts USING fts5("
                   "name_key, kana_key, phone_key, tokenize = 'trigram')"),
    ("case_fts", "CREATE VIRTUAL TABLE case_fts USING fts5("
                 "keys, notes, tokenize = 'trigram')"),
    # the index's vocabulary: two-character words of the notes are looked up through it
    ("case_fts_vocab", "CREATE VIRTUAL TABLE case_fts_vocab USING fts5vocab(case_fts, row)"),
)
INDEXES = (
    # the intake search by birth date alone
    ("ix_people_birth_date", "people", ["birth_date"]),
    # access scope: "was this case handed to my agency?" for each candidate case
    ("ix_handoffs_case_to", "handoffs", ["case_id", "to_agency_id"]),
)
BATCH = 5000
GRAM_END = "\x1f"  # as store.search_index.GRAM_END


# --- frozen copy of domain.text as it was at this revision -------------------------------------
# A migration must give the same rows however the live code changes later: the notes text the
# index was filled with is computed by this copy, never by an import of domain.text.
_KATA_START, _KATA_END = ord("ァ"), ord("ヶ")
_SPACES = re.compile(r"[\s\u3000]+")
_PHONE_DROP = re.compile(r"[^0-9]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PHONE_LIKE = re.compile(r"[0-9０-９][0-9０-９\-－‐ー−()（）\s]{7,}[0-9０-９]")


def _search_key(text: str | None) -> str:
    if not text:
        return ""
    text = _SPACES.sub("", unicodedata.normalize("NFKC", text))
    return "".join(chr(ord(ch) - 0x60) if _KATA_START <= ord(ch) <= _KATA_END else ch
                   for ch in text).lower()


def _phone_key(text: str) -> str:
    return _PHONE_DROP.sub("", unicodedata.normalize("NFKC", text))


def case_notes_text(sheets) -> str:
    parts: list[str] = []
    for worries, answers in sheets:
        parts.extend(w for w in (worries or []) if isinstance(w, str))
        for value in (answers or {}).values():
            for item in value if isinstance(value, list) else (value,):
                if not isinstance(item, str) or not item or _ISO_DATE.fullmatch(item):
                    continue
                parts.append(item.replace("|", " "))
                if _PHONE_LIKE.fullmatch(item):
                    parts.append(_phone_key(item))
    text = _search_key("|".join(dict.fromkeys(parts)))
    return text + "|" if text else ""


def upgrade() -> None:
    conn = op.get_bind()
    for _, ddl in FTS:
        op.execute(ddl)
    op.create_table(
        "people_grams",
        sa.Column("gram", sa.String(length=2), nullable=False),
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("gram", "person_id", name=op.f("pk_people_grams")),
        sqlite_with_rowid=False,
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    op.execute("INSERT INTO people_fts(rowid, name_key, kana_key, phone_key) "
               "SELECT id, name_key, kana_key, phone_key FROM people")
    # Every two-character window of name_key and kana_key, the last character paired with
    # GRAM_END (as store.search_index.grams), computed by SQLite itself and inserted in key order.
    op.execute(f"""
        INSERT OR IGNORE INTO people_grams(gram, person_id)
        WITH RECURSIVE k(pid, key) AS (
            SELECT id, name_key FROM people UNION ALL SELECT id, kana_key FROM people),
        w(pid, key, i) AS (
            SELECT pid, key, 1 FROM k WHERE length(key) > 0
            UNION ALL SELECT pid, key, i + 1 FROM w WHERE i < length(key))
        SELECT CASE WHEN i < length(key) THEN substr(key, i, 2)
                    ELSE substr(key, i, 1) || char({ord(GRAM_END)}) END AS g, pid
        FROM w ORDER BY g, pid""")
    insert = "INSERT INTO case_fts(rowid, keys, notes) VALUES (?, ?, ?)"
    last = 0
    while True:
        cases = conn.execute(sa.text("SELECT id, search_text FROM cases WHERE id > :last "
                                     "ORDER BY id LIMIT :n"), {"last": last, "n": BATCH}).all()
        if not cases:
            break
        sheets: dict[int, list] = {}
        for case_id, worries, answers in conn.execute(sa.text(
                "SELECT case_id, worries, answers FROM sheets WHERE case_id BETWEEN :a AND :b "
                "ORDER BY id"), {"a": cases[0][0], "b": cases[-1][0]}):
            sheets.setdefault(case_id, []).append((_json(worries), _json(answers)))
        conn.exec_driver_sql(insert, [(i, keys or "", case_notes_text(sheets.get(i, ())))
                                      for i, keys in cases])
        last = cases[-1][0]
    for name in ("people_fts", "case_fts"):
        op.execute(f"INSERT INTO {name}({name}) VALUES ('optimize')")


def _json(value):
    if isinstance(value, (str, bytes)):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    for name, _ in reversed(FTS):
        op.execute(f"DROP TABLE {name}")
    op.drop_table("people_grams")
