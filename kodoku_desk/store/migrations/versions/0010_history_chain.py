"""history_chain: every history table is tamper-evident (issue 11)

Revision ID: 0010_history_chain
Revises: 0009_handoff_snapshots (chained, not branched: tests/test_foundation.py expects one head)

Creates history_links (one link per row of a chained history table: the SHA-256 of the row's
canonical content, chained to the link before it) and links the rows that exist, table by
table in the order below, each in id order; the chain's head goes into settings
(`history_head`). The migration is noted in the audit log (unless the workspace is brand new
and empty). See kodoku_desk/services/history_chain.py and docs/SECURITY.md.
"""

import hashlib
import json
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010_history_chain"
down_revision = "0009_handoff_snapshots"
branch_labels = None
depends_on = None

# --- frozen copy of services/history_chain.py and services/audit.py as at this revision -------
# A migration must give the same links however the live code changes later: the tables, the
# digests and the audit entry are computed here, never by an import of the live code. Each
# table's columns are read from the database as it is when this migration runs (reflected, in
# the order of their names: the canonical order), so the digests cover exactly the columns the
# rows have at this point of the schema's history.
HEAD_KEY = "history_head"
AUDIT_HEAD_KEY = "audit_head"
GENESIS = "0" * 64
BATCH = 10_000
CHAINED = ("handoff_events", "disclosures", "consents", "consent_withdrawals", "plan_events",
           "plan_evaluations", "override_reviews",
           # where it exists already (made by the hand-off snapshot migration, if that one runs
           # before this one): its rows are history too (services.history_chain.CHAINED)
           "handoff_snapshots")

_meta = sa.MetaData()
links = sa.Table("history_links", _meta,
                 sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("table_name", sa.String(40)), sa.Column("row_id", sa.Integer),
                 sa.Column("digest", sa.String(64)), sa.Column("prev_hash", sa.String(64)),
                 sa.Column("hash", sa.String(64)))
settings = sa.Table("settings", _meta, sa.Column("key", sa.String(100), primary_key=True),
                    sa.Column("value", sa.Text))
audit_log = sa.Table("audit_log", _meta, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("at", sa.DateTime), sa.Column("actor", sa.String(64)),
                     sa.Column("action", sa.String(64)), sa.Column("target_type", sa.String(32)),
                     sa.Column("target_id", sa.String(64)), sa.Column("detail", sa.Text),
                     sa.Column("prev_hash", sa.String(64)), sa.Column("hash", sa.String(64)))


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def row_digest(table_name, values) -> str:
    body = json.dumps([table_name, [_plain(v) for v in values]], ensure_ascii=False,
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def link_hash(link_id, prev_hash, table_name, row_id, digest) -> str:
    body = f"{link_id}|{prev_hash}|{table_name}|{row_id}|{digest}"
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def audit_digest(prev, at, actor, action, target_type, target_id, detail) -> str:
    body = json.dumps([prev, at.isoformat(), actor, action, target_type, target_id, detail],
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
# ------------------------------------------------------------------------------------------------


def upgrade() -> None:
    op.create_table(
        "history_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_links")),
    )
    op.create_index("ix_history_links_table_row", "history_links", ["table_name", "row_id"],
                    unique=True)
    conn = op.get_bind()
    present = set(sa.inspect(conn).get_table_names())
    position, prev = 0, GENESIS
    counts: dict[str, int] = {}
    for name in (n for n in CHAINED if n in present):
        table = sa.Table(name, sa.MetaData(), autoload_with=conn)
        columns = sorted(table.c, key=lambda c: c.name)
        at = [c.name for c in columns].index("id")
        last = 0
        while True:
            rows = conn.execute(sa.select(*columns).where(table.c.id > last)
                                .order_by(table.c.id).limit(BATCH)).all()
            if not rows:
                break
            batch = []
            for row in rows:
                position += 1
                digest = row_digest(name, row)
                link = link_hash(position, prev, name, row[at], digest)
                batch.append({"id": position, "table_name": name, "row_id": row[at],
                              "digest": digest, "prev_hash": prev, "hash": link})
                prev = link
            conn.execute(links.insert(), batch)
            last = rows[-1][at]
            counts[name] = counts.get(name, 0) + len(rows)
    conn.execute(settings.insert().values(key=HEAD_KEY, value=prev))
    if position or conn.scalar(sa.select(sa.func.count()).select_from(audit_log)):
        _note_in_audit_log(conn, {"revision": revision, "linked": counts, "head": prev})


def _note_in_audit_log(conn, detail: dict) -> None:
    key = settings.c.key == AUDIT_HEAD_KEY
    prev = conn.scalar(sa.select(settings.c.value).where(key))
    if prev is None:
        prev = GENESIS
        conn.execute(settings.insert().values(key=AUDIT_HEAD_KEY, value=prev))
    at = datetime.now().replace(microsecond=0)
    text = json.dumps(detail, ensure_ascii=False, default=str)
    entry = {"at": at, "actor": "-", "action": "migrate", "target_type": "history_chain",
             "target_id": revision, "detail": text, "prev_hash": prev}
    entry["hash"] = audit_digest(prev, at, "-", "migrate", "history_chain", revision, text)
    conn.execute(audit_log.insert().values(**entry))
    conn.execute(settings.update().where(key).values(value=entry["hash"]))


def downgrade() -> None:
    op.execute(settings.delete().where(settings.c.key == HEAD_KEY))
    op.drop_index("ix_history_links_table_row", table_name="history_links")
    op.drop_table("history_links")
