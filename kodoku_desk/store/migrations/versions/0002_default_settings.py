"""default settings: idle lock and hand-off overdue days

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DEFAULTS = {"idle_lock_minutes": "5", "overdue_business_days": "3"}
settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.Text))


def upgrade() -> None:
    op.bulk_insert(settings, [{"key": k, "value": v} for k, v in DEFAULTS.items()])


def downgrade() -> None:
    op.execute(settings.delete().where(settings.c.key.in_(list(DEFAULTS))))
