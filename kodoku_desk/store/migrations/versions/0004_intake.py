"""intake: indexes for the outbox and per-agency overdue counts

Revision ID: 0004_intake
Revises: 0003_review (chained, not branched: tests/test_foundation.py expects one head)
"""

from alembic import op

revision = "0004_intake"
down_revision = "0003_review"
branch_labels = None
depends_on = None

# Kept in step with kodoku_desk/models/indexes_intake.py (a migration must not import models).
INDEXES = (
    ("ix_handoffs_from_sent", "handoffs", ["from_agency_id", "sent_at"]),
    ("ix_handoffs_to_state_due", "handoffs", ["to_agency_id", "state", "due_on"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
