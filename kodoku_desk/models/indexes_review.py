"""Indexes for the supervisor dashboard and the statistics report (issue 4).

Each serves one aggregate so it can be answered from the index alone at 100,000 cases and
1,000,000 hand-off events. Created by migrations 0003_review, 0007_review_speed and
0008_review_cover; declared here so that metadata.create_all and Alembic autogenerate agree with
the migrations."""

from __future__ import annotations

from sqlalchemy import Index

from kodoku_desk.models.cases import Case, Sheet
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

# Migration 0007_review_speed (issue 5: the review pages at 100,000 cases).
# The hand-off log: a state (or 返送 / the 送付 part of overdue) walked newest first, every other
# filter column in the index so that the count and the page's ids are read from the index alone.
LOG_COVER = ("state", "sent_at", "to_agency_id", "from_agency_id", "due_on", "consent_override",
             "case_id")
Index("ix_handoffs_log", *(getattr(Handoff, c) for c in LOG_COVER))
# Overdue (送付 and due before today): the same columns, reached by the due-date range.
OVERDUE_COVER = ("state", "due_on", "sent_at", "to_agency_id", "from_agency_id",
                 "consent_override", "case_id")
Index("ix_handoffs_overdue", *(getattr(Handoff, c) for c in OVERDUE_COVER))
# Medians of days to acknowledge: per receiving agency, and overall (ORDER BY … OFFSET n/2).
Index("ix_handoffs_to_ack_days", Handoff.to_agency_id, Handoff.ack_days, Handoff.sent_at)
Index("ix_handoffs_ack_days", Handoff.ack_days, Handoff.sent_at, Handoff.to_agency_id)

# Migration 0008_review_cover. Intakes per block in a period: one index range per block.
Index("ix_cases_block_opened", Case.block_id, Case.opened_at, Case.deleted)
# The report's pass over the period's cases, read from the index instead of the wide rows.
CASE_STATS_COVER = ("opened_at", "deleted", "block_id", "discovery", "owner_agency_id",
                    "person_id")
Index("ix_cases_stats_cover", *(getattr(Case, c) for c in CASE_STATS_COVER))
# The report's worries per sheet received in the period, without reading the sheets' answers.
# A JSON column cannot be a PostgreSQL b-tree key: there it is an INCLUDE column.
Index("ix_sheets_received_worries", Sheet.received_at, Sheet.agency_id, Sheet.worries
      ).ddl_if(dialect="sqlite")
Index("ix_sheets_received_worries", Sheet.received_at, Sheet.agency_id,
      postgresql_include=["worries"]).ddl_if(dialect="postgresql")

# Migration 0011_overdue_stages. Overdue in 受理 and 対応中 (the stage started before a cut-off):
# the columns of ix_handoffs_overdue, reached by the stage's start (dashboard counts and list,
# the hand-off log's overdue filter, the report's counts per stage).
STAGE_COVER = ("state", "stage_started_at", "sent_at", "to_agency_id", "from_agency_id",
               "consent_override", "case_id")
Index("ix_handoffs_stage_overdue", *(getattr(Handoff, c) for c in STAGE_COVER))

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

REVIEW_SPEED_INDEXES = (
    ("ix_handoffs_log", "handoffs", list(LOG_COVER)),
    ("ix_handoffs_overdue", "handoffs", list(OVERDUE_COVER)),
    ("ix_handoffs_to_ack_days", "handoffs", ["to_agency_id", "ack_days", "sent_at"]),
    ("ix_handoffs_ack_days", "handoffs", ["ack_days", "sent_at", "to_agency_id"]),
)

REVIEW_COVER_INDEXES = (
    ("ix_cases_block_opened", "cases", ["block_id", "opened_at", "deleted"]),
    ("ix_cases_stats_cover", "cases", list(CASE_STATS_COVER)),
    ("ix_sheets_received_worries", "sheets", ["received_at", "agency_id", "worries"]),
)

OVERDUE_STAGE_INDEXES = (
    ("ix_handoffs_stage_overdue", "handoffs", list(STAGE_COVER)),
)
