"""search: a narrow index on cases.search_text for the case search's id scan

Revision ID: 0005_search
Revises: 0004_intake (chained, not branched: tests/test_foundation.py expects one head)
"""

from alembic import op

revision = "0005_search"
down_revision = "0004_intake"
branch_labels = None
depends_on = None

# Kept in step with kodoku_desk/models/indexes_search.py (a migration must not import models).
INDEXES = (("ix_cases_search_text", "cases", ["search_text"]),)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
