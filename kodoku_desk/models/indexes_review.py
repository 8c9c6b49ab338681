"""Indexes for the supervisor dashboard and the statistics report (issue 4).

Each serves one aggregate so it can be answered from the index alone at 100,000 cases and
1,000,000 hand-off events. Created by migration 0003_review; declared here so that
metadata.create_all and Alembic autogenerate agree with the migration."""

from __future__ import annotations

from sqlalchemy import Index

from kodoku_desk.models.cases import Case
from kodoku_desk.models.handoffs import Handoff, HandoffEvent
from kodoku_desk.models.plans import Plan

# Open hand-offs per receiving agency with their waiting time.
Index("ix_handoffs_state_to_sent", Handoff.state, Handoff.to_agency_id, Handoff.sent_at)
# Hand-offs per field per month; median days to acknowledge per agency (covering).
Index("ix_handoffs_sent_to_ack", Handoff.sent_at, Handoff.to_agency_id, Handoff.acknowledged_at)
# Acknowledged in a period (statistics).
Index("ix_handoffs_acknowledged_at", Handoff.acknowledged_at)
# Consent overrides awaiting review, oldest first.
Index("ix_handoffs_override_sent", Handoff.consent_override, Handoff.sent_at)
# Returned hand-offs, newest first; returns in a period.
Index("ix_handoff_events_to_state_at", HandoffEvent.to_state, HandoffEvent.at)
# Plans awaiting approval.
Index("ix_plans_approval", Plan.approval)
# Intakes per block in a period (covering).
Index("ix_cases_opened_block", Case.opened_at, Case.block_id)

REVIEW_INDEXES = (
    ("ix_handoffs_state_to_sent", "handoffs", ["state", "to_agency_id", "sent_at"]),
    ("ix_handoffs_sent_to_ack", "handoffs", ["sent_at", "to_agency_id", "acknowledged_at"]),
    ("ix_handoffs_acknowledged_at", "handoffs", ["acknowledged_at"]),
    ("ix_handoffs_override_sent", "handoffs", ["consent_override", "sent_at"]),
    ("ix_handoff_events_to_state_at", "handoff_events", ["to_state", "at"]),
    ("ix_plans_approval", "plans", ["approval"]),
    ("ix_cases_opened_block", "cases", ["opened_at", "block_id"]),
)
