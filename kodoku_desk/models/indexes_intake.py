"""Indexes for the intake domain's lists (issue 3), created by migration 0004_intake.

Declared here so metadata and the migration agree. Measured with 300,000 hand-offs:
an agency's outbox page fell from ~0.9 s (sort of every hand-off it ever sent) to a few ms;
overdue counts per agency are answered from the index alone."""

from __future__ import annotations

from sqlalchemy import Index

from kodoku_desk.models.handoffs import Handoff

# Outbox: hand-offs an agency sent, newest first.
Index("ix_handoffs_from_sent", Handoff.from_agency_id, Handoff.sent_at)
# Inbox tabs and overdue counts per receiving agency.
Index("ix_handoffs_to_state_due", Handoff.to_agency_id, Handoff.state, Handoff.due_on)

# Overdue counts per receiving agency for 受理 and 対応中 (migration 0011_overdue_stages): the
# stage's start is a range of this index, as the due day of 送付 is of ix_handoffs_to_state_due.
Index("ix_handoffs_to_state_stage", Handoff.to_agency_id, Handoff.state, Handoff.stage_started_at)

INTAKE_INDEXES = (
    ("ix_handoffs_from_sent", "handoffs", ["from_agency_id", "sent_at"]),
    ("ix_handoffs_to_state_due", "handoffs", ["to_agency_id", "state", "due_on"]),
)

OVERDUE_STAGE_INBOX_INDEXES = (
    ("ix_handoffs_to_state_stage", "handoffs", ["to_agency_id", "state", "stage_started_at"]),
)
