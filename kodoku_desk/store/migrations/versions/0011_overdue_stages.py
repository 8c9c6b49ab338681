"""overdue_stages: when each hand-off's current stage began, so that 受理 and 対応中 can be
overdue too, with the indexes that count them

Revision ID: 0011_overdue_stages
Revises: 0010_history_chain (chained, not branched: tests/test_foundation.py expects one head)

`handoffs.stage_started_at` is filled from the events, by the rule of
domain.handoff.restarts_stage as it is at this revision (frozen here: a migration never imports
live code): the latest event that either stepped into another state or was written by the
receiving agency while 対応中. For an open hand-off that is its sending (送付), its acknowledgement (受理), or its latest
event (対応中); for a closed one, its closing. A hand-off without events keeps its sending time.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_overdue_stages"
down_revision = "0010_history_chain"
branch_labels = None
depends_on = None

ACCEPTED = "対応中"
# Kept in step with kodoku_desk/models/indexes_intake.py (OVERDUE_STAGE_INBOX_INDEXES) and
# models/indexes_review.py (OVERDUE_STAGE_INDEXES); a migration must not import models.
STAGE_COVER = ["state", "stage_started_at", "sent_at", "to_agency_id", "from_agency_id",
               "consent_override", "case_id"]
INDEXES = (
    ("ix_handoffs_to_state_stage", "handoffs", ["to_agency_id", "state", "stage_started_at"]),
    ("ix_handoffs_stage_overdue", "handoffs", STAGE_COVER),
)


def upgrade() -> None:
    op.add_column("handoffs", sa.Column("stage_started_at", sa.DateTime(), nullable=True))
    op.execute(sa.text(
        "UPDATE handoffs SET stage_started_at = COALESCE("
        "(SELECT max(e.at) FROM handoff_events e WHERE e.handoff_id = handoffs.id "
        "AND (e.from_state <> e.to_state OR (e.to_state = :accepted "
        "AND e.agency_id = handoffs.to_agency_id))), sent_at)"
    ).bindparams(accepted=ACCEPTED))
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_column("handoffs", "stage_started_at")
