"""review_speed: days to acknowledge on the hand-off row, and covering indexes for the hand-off
log, the dashboard's medians and the statistics report at 100,000 cases

Revision ID: 0007_review_speed
Revises: 0006_search_index (chained, not branched: tests/test_foundation.py expects one head)
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_review_speed"
down_revision = "0006_search_index"
branch_labels = None
depends_on = None

# Kept in step with kodoku_desk/models/indexes_review.py (REVIEW_SPEED_INDEXES) and
# models/handoffs.py (Handoff.ack_days, ack_days_between); a migration must not import models.
LOG_COVER = ["state", "sent_at", "to_agency_id", "from_agency_id", "due_on", "consent_override",
             "case_id"]
OVERDUE_COVER = ["state", "due_on", "sent_at", "to_agency_id", "from_agency_id",
                 "consent_override", "case_id"]
INDEXES = (
    ("ix_handoffs_log", "handoffs", LOG_COVER),
    ("ix_handoffs_overdue", "handoffs", OVERDUE_COVER),
    ("ix_handoffs_to_ack_days", "handoffs", ["to_agency_id", "ack_days", "sent_at"]),
    ("ix_handoffs_ack_days", "handoffs", ["ack_days", "sent_at", "to_agency_id"]),
)
# (ix_cases_deleted, created here at first, is no longer made: with no statistics SQLite took it
# for every `deleted IS 0` and read all cases; 0008_review_cover drops it where it was made.)

# Whole seconds from sending to acknowledgement / 86,400, as models.handoffs.ack_days_between.
ACK_SECONDS = {
    "sqlite": "round((julianday(acknowledged_at) - julianday(sent_at)) * 86400)",
    "postgresql": "round(EXTRACT(EPOCH FROM (acknowledged_at - sent_at)))",
}


def upgrade() -> None:
    op.add_column("handoffs", sa.Column("ack_days", sa.Float(), nullable=True))
    seconds = ACK_SECONDS.get(op.get_bind().dialect.name, ACK_SECONDS["postgresql"])
    op.execute(f"UPDATE handoffs SET ack_days = {seconds} / 86400.0 "
               "WHERE acknowledged_at IS NOT NULL")
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_column("handoffs", "ack_days")
