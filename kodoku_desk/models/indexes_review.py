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
# Everything about hand-offs sent in a period, answered from the index alone: per field per
# month, sent / overdue counts, agency scope.
SENT_COVER = ("sent_at", "to_agency_id", "from_agency_id", "acknowledged_at", "closed_at", "due_on")
Index("ix_handoffs_sent_cover", *(getattr(Handoff, c) for c in SENT_COVER))
# Median days to acknowledge per agency: the window's partitions come in index order.
Index("ix_handoffs_to_sent_ack", Handoff.to_agency_id, Handoff.sent_at, Handoff.acknowledged_at)
# Acknowledged in a period (statistics).
Index("ix_handoffs_acknowledged_at", Handoff.acknowledged_at)
# Consent overrides awaiting review, oldest first.
Index("ix_handoffs_override_sent", Handoff.consent_override, Handoff.sent_at)
# Returned hand-offs, newest first; returns in a period.
Index("ix_handoff_events_to_state_at", HandoffEvent.to_state, HandoffEvent.at)
# Plans awaiting approval.
Index("ix_plans_approval", Plan.approval)
# Intakes per block in a period (covering, deleted cases excluded).
Index("ix_cases_opened_cover", Case.opened_at, Case.block_id, Case.deleted)

REVIEW_INDEXES = (
    ("ix_handoffs_state_to_sent", "handoffs", ["state", "to_agency_id", "sent_at"]),
    ("ix_handoffs_sent_cover", "handoffs", list(SENT_COVER)),
    ("ix_handoffs_to_sent_ack", "handoffs", ["to_agency_id", "sent_at", "acknowledged_at"]),
    ("ix_handoffs_acknowledged_at", "handoffs", ["acknowledged_at"]),
    ("ix_handoffs_override_sent", "handoffs", ["consent_override", "sent_at"]),
    ("ix_handoff_events_to_state_at", "handoff_events", ["to_state", "at"]),
    ("ix_plans_approval", "plans", ["approval"]),
    ("ix_cases_opened_cover", "cases", ["opened_at", "block_id", "deleted"]),
)
