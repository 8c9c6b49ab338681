"""review_cover: covering indexes for the statistics report's passes over cases and sheets and
the dashboard's intakes per block; drops ix_cases_deleted

Revision ID: 0008_review_cover
Revises: 0007_review_speed (chained, not branched: tests/test_foundation.py expects one head)

ix_cases_deleted (made by the first version of 0007_review_speed) is dropped where it exists:
without statistics SQLite took `deleted IS 0` as a selective equality and read every case
through it instead of the period's range.
"""

from alembic import op

revision = "0008_review_cover"
down_revision = "0007_review_speed"
branch_labels = None
depends_on = None

# Kept in step with kodoku_desk/models/indexes_review.py (REVIEW_COVER_INDEXES); a migration must
# not import models.
INDEXES = (
    ("ix_cases_block_opened", "cases", ["block_id", "opened_at", "deleted"]),
    ("ix_cases_stats_cover", "cases",
     ["opened_at", "deleted", "block_id", "discovery", "owner_agency_id", "person_id"]),
)


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_cases_deleted")
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    if op.get_bind().dialect.name == "postgresql":  # a JSON column is no b-tree key there
        op.create_index("ix_sheets_received_worries", "sheets", ["received_at", "agency_id"],
                        unique=False, postgresql_include=["worries"])
    else:
        op.create_index("ix_sheets_received_worries", "sheets",
                        ["received_at", "agency_id", "worries"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sheets_received_worries", table_name="sheets")
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
