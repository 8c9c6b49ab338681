"""SQLAlchemy 2 typed models, one module per aggregate. Import from here."""

from kodoku_desk.models import (  # noqa: F401 - per-domain indexes, declared for metadata
    indexes_intake,  # 0004_intake
    indexes_review,  # 0003_review
    indexes_search,  # 0005_search
)
from kodoku_desk.models.audit import AuditEntry, Disclosure
from kodoku_desk.models.base import Base, now
from kodoku_desk.models.cases import (
    Attachment,
    Case,
    CaseField,
    HouseholdMember,
    Person,
    RoutingDecision,
    Sheet,
)
from kodoku_desk.models.handoffs import (
    Consent,
    ConsentWithdrawal,
    Handoff,
    HandoffEvent,
    HandoffSnapshot,
    OverrideReview,
)
from kodoku_desk.models.history import HistoryLink
from kodoku_desk.models.org import Agency, Block, Setting, Staff
from kodoku_desk.models.plans import (
    AgendaItem,
    MeetingDecision,
    MeetingPart,
    MeetingSession,
    PartMember,
    Plan,
    PlanEvaluation,
    PlanEvent,
    PlanVersion,
)

__all__ = [
    "Agency", "AgendaItem", "Attachment", "AuditEntry", "Base", "Block", "Case", "CaseField",
    "Consent", "ConsentWithdrawal", "Disclosure", "Handoff", "HandoffEvent", "HandoffSnapshot",
    "HistoryLink", "HouseholdMember",
    "MeetingDecision", "MeetingPart", "MeetingSession", "OverrideReview", "PartMember", "Person",
    "Plan", "PlanEvaluation", "PlanEvent", "PlanVersion", "RoutingDecision", "Setting", "Sheet",
    "Staff", "now",
]
