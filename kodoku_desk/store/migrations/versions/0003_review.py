"""review: indexes for the supervisor dashboard and statistics

Revision ID: 0003_review
Revises: 0002
"""

from alembic import op

revision = "0003_review"
down_revision = "0002"
branch_labels = None
depends_on = None

# Kept in step with kodoku_desk/models/indexes_review.py (a migration must not import models:
# it describes the schema as it was at this revision).
SENT_COVER = ("sent_at", "to_agency_id", "from_agency_id", "acknowledged_at", "closed_at", "due_on")
INDEXES = (
    ("ix_handoffs_state_to_sent", "handoffs", ["state", "to_agency_id", "sent_at"]),
    ("ix_handoffs_sent_cover", "handoffs", list(SENT_COVER)),
    ("ix_handoffs_to_sent_ack", "handoffs", ["to_agency_id", "sent_at", "acknowledged_at"]),
    ("ix_handoffs_acknowledged_at", "handoffs", ["acknowledged_at"]),
    ("ix_handoffs_override_sent", "handoffs", ["consent_override", "sent_at"]),
    ("ix_handoff_events_to_state_at", "handoff_events", ["to_state", "at"]),
    ("ix_plans_approval", "plans", ["approval"]),
    ("ix_cases_opened_cover", "cases", ["opened_at", "block_id", "deleted"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    op.execute("ANALYZE")  # let the planner know the new indexes' selectivity


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
