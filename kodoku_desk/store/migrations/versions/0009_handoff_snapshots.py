"""handoff_snapshots: a hand-off discloses a frozen snapshot of what it shares; access ends when a
consent is withdrawn; 提供記録 name the snapshot

Revision ID: 0009_handoff_snapshots
Revises: 0008_review_cover (chained, not branched: tests/test_foundation.py expects one head)

Every existing hand-off gets a snapshot (seq 1, marked migrated) of what it shares today: its
sections of its sheet (or the case's latest sheet), taken from the live rows, and its 提供記録 is
linked to it. The content's form is frozen here (as services.sharing.sheet_content and
domain.snapshot were at this revision): a migration never imports live code.
"""

import hashlib
import json
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009_handoff_snapshots"
down_revision = "0008_review_cover"
branch_labels = None
depends_on = None

BATCH = 2000
# Template v1: which answer keys belong to which section (resources/sheet_template_v1.json).
V1_SECTIONS = {
    "basic": ("entry_date", "kana", "name", "sex", "birth_date", "address", "phone_home",
              "phone_mobile", "contact_ok"),
    "visitor": ("visitor_name", "visitor_relation", "visitor_contact"),
    "worries": ("worries", "worry_other"),
    "wishes": ("wishes",),
    "consent": ("consent",),
    "reception": ("received_at", "method", "discovery"),
    "household": ("household",),
    "hearing_health": ("hearing_health", "disability_certificate"),
    "hearing_care": ("hearing_care", "care_level"),
    "hearing_children": ("hearing_children",),
    "hearing_living": ("hearing_living", "income_source", "employment", "housing",
                       "health_insurance", "pension"),
    "hearing_social": ("hearing_social",),
    "services": ("services_in_use", "involved_agencies"),
    "urgency": ("urgency", "safety", "safety_note"),
    "assessment": ("intent", "family_wish", "assessment"),
    "done": ("done_at_intake", "notes"),
}
SECTION_ORDER = tuple(V1_SECTIONS)
SECTION_OF = {key: sec for sec, keys in V1_SECTIONS.items() for key in keys}


def upgrade() -> None:
    op.create_table(
        "handoff_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=True),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("migrated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"],
                                name=op.f("fk_handoff_snapshots_handoff_id_handoffs")),
        sa.ForeignKeyConstraint(["sheet_id"], ["sheets.id"],
                                name=op.f("fk_handoff_snapshots_sheet_id_sheets")),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"],
                                name=op.f("fk_handoff_snapshots_created_by_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_snapshots")),
    )
    op.create_index(op.f("ix_handoff_snapshots_handoff_id"), "handoff_snapshots", ["handoff_id"])
    # Plain columns (NULL / "" for existing rows): SQLite adds them without rebuilding a table.
    op.add_column("handoffs", sa.Column("consent_ended_at", sa.DateTime(), nullable=True))
    op.add_column("handoff_events", sa.Column("kind", sa.String(length=10), nullable=False,
                                              server_default=""))
    op.add_column("disclosures", sa.Column("snapshot_id", sa.Integer(), nullable=True))
    op.add_column("disclosures", sa.Column("content_hash", sa.String(length=64), nullable=False,
                                           server_default=""))
    _snapshot_existing(op.get_bind())


def _iso(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _json(value):
    if isinstance(value, (str, bytes)):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _digest(content: dict) -> str:
    body = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _scope_text(conn, agencies: list, fields: list, meetings: bool) -> str:
    names = [conn.execute(sa.text("SELECT name FROM agencies WHERE id = :i"), {"i": a}).scalar()
             or f"機関{a}" for a in agencies]
    parts = names + [f"{f}分野" for f in fields] + (["重層的支援会議"] if meetings else [])
    return "・".join(parts) or "（範囲なし）"


def _content(conn, h, sheet, sections: list) -> dict:
    case = conn.execute(sa.text("SELECT case_no, person_id, discovery, urgency FROM cases "
                                "WHERE id = :i"), {"i": h.case_id}).one()
    person = conn.execute(sa.text("SELECT name, kana, sex, birth_date, address, phone FROM people "
                                  "WHERE id = :i"), {"i": case.person_id}).one()
    keys = [s for s in SECTION_ORDER if s in sections]
    who = {"name": person.name, "kana": person.kana, "sex": person.sex,
           "birth_date": _iso(person.birth_date)}
    if "basic" in keys:
        who.update(address=person.address, phone=person.phone)
    answers = _json(sheet.answers) or {}
    agency = conn.execute(sa.text("SELECT name FROM agencies WHERE id = :i"),
                          {"i": sheet.agency_id}).scalar() or ""
    worker = conn.execute(sa.text("SELECT display_name FROM staff WHERE id = :i"),
                          {"i": sheet.worker_id}).scalar() or ""
    content = {
        "format": 1, "case_no": case.case_no,
        "sheet": {"id": sheet.id, "template_version": sheet.template_version,
                  "received_at": _iso(sheet.received_at), "agency": agency, "worker": worker},
        "sections": keys, "person": who,
        "answers": {k: v for k, v in answers.items() if SECTION_OF.get(k) in keys},
        "worries": list(_json(sheet.worries) or []) if "worries" in keys else [],
        "most_pressing": sheet.most_pressing if "worries" in keys else "",
        "household": [], "consent": [],
    }
    if "household" in keys:
        content["household"] = [
            {"relation": m.relation, "name": m.name, "kana": m.kana,
             "birth_date": _iso(m.birth_date), "flags": list(_json(m.flags) or [])}
            for m in conn.execute(sa.text(
                "SELECT m.relation, p.name, p.kana, p.birth_date, m.flags FROM household_members m "
                "JOIN people p ON p.id = m.person_id WHERE m.case_id = :c ORDER BY m.id"),
                {"c": h.case_id})]
    if "consent" in keys:
        for c in conn.execute(sa.text(
                "SELECT c.given, c.method, c.given_on, c.scope_agencies, c.scope_fields, "
                "c.covers_meetings, w.withdrawn_on FROM consents c LEFT JOIN consent_withdrawals w "
                "ON w.consent_id = c.id WHERE c.case_id = :c ORDER BY c.recorded_at DESC, c.id DESC"),
                {"c": h.case_id}):
            content["consent"].append({
                "given": bool(c.given), "method": c.method, "given_on": _iso(c.given_on),
                "scope": _scope_text(conn, _json(c.scope_agencies) or [],
                                     _json(c.scope_fields) or [], bool(c.covers_meetings)),
                "withdrawn_on": _iso(c.withdrawn_on)})
    if "reception" in keys:
        content["reception"] = {"method": sheet.method, "discovery": case.discovery}
    if "urgency" in keys:
        content["urgency"] = case.urgency
    return content


def _snapshot_existing(conn) -> None:
    last = 0
    snapshots = sa.table("handoff_snapshots", sa.column("handoff_id"), sa.column("seq"),
                         sa.column("sheet_id"), sa.column("sections", sa.JSON),
                         sa.column("content", sa.JSON), sa.column("sha256"), sa.column("at"),
                         sa.column("created_by"), sa.column("migrated"))
    while True:
        rows = conn.execute(sa.text(
            "SELECT id, case_id, sheet_id, share, sent_at, created_by FROM handoffs "
            "WHERE id > :last ORDER BY id LIMIT :n"), {"last": last, "n": BATCH}).all()
        if not rows:
            break
        batch = []
        for h in rows:
            sheet = conn.execute(sa.text(
                "SELECT id, template_version, received_at, agency_id, worker_id, answers, worries, "
                "most_pressing, method FROM sheets WHERE "
                + ("id = :s" if h.sheet_id else "case_id = :c ORDER BY received_at DESC, id DESC")
                + " LIMIT 1"), {"s": h.sheet_id, "c": h.case_id}).one_or_none()
            if sheet is None:
                continue
            content = _content(conn, h, sheet, list(_json(h.share) or []))
            batch.append({"handoff_id": h.id, "seq": 1, "sheet_id": sheet.id,
                          "sections": content["sections"], "content": content,
                          "sha256": _digest(content), "at": h.sent_at,
                          "created_by": h.created_by, "migrated": True})
        if batch:
            conn.execute(snapshots.insert(), batch)
        last = rows[-1].id
    # Each hand-off's 提供記録 names its snapshot and the content's hash.
    conn.execute(sa.text(
        "UPDATE disclosures SET snapshot_id = (SELECT s.id FROM handoff_snapshots s "
        "WHERE s.handoff_id = disclosures.handoff_id AND s.seq = 1), content_hash = COALESCE(("
        "SELECT s.sha256 FROM handoff_snapshots s WHERE s.handoff_id = disclosures.handoff_id "
        "AND s.seq = 1), '') WHERE channel = 'handoff' AND handoff_id IS NOT NULL"))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+, PostgreSQL): no table rebuild, so the tables
    # that refer to these keep their foreign keys.
    for table, column in (("disclosures", "content_hash"), ("disclosures", "snapshot_id"),
                          ("handoff_events", "kind"), ("handoffs", "consent_ended_at")):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.drop_index(op.f("ix_handoff_snapshots_handoff_id"), table_name="handoff_snapshots")
    op.drop_table("handoff_snapshots")
