"""What the inbox and outbox screens load in one background call: the bucket counts and the
rows of the chosen bucket. The buckets, the overdue rule and the rows themselves are the
hand-off domain's (services.handoffs); this module only composes them for a screen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kodoku_desk.models import Agency, Handoff
from kodoku_desk.services import access, handoffs, uow
from kodoku_desk.services.auth import Signed


@dataclass(frozen=True)
class BoxData:
    agency_id: int
    agency_name: str
    counts: dict[str, int]  # bucket → count, in the domain's bucket order
    overdue: int  # over every stage
    rows: list[handoffs.HandoffRow]
    overdue_by_stage: dict[str, int] = field(default_factory=dict)  # stage (state) → count


def inbox_data(signed: Signed, agency_id: int | None = None, bucket: str | None = "未受理", *,
               overdue_only: bool = False, today: date | None = None) -> BoxData:
    with uow.read(signed) as s:
        agency = access.check_box_agency(s, signed.actor, agency_id)
        counts = handoffs.inbox_counts(s, agency.id)
        overdue = handoffs.overdue_counts(s, agency.id, today)
        rows = handoffs.inbox(s, agency.id, bucket, overdue_only=overdue_only, today=today)
        return BoxData(agency.id, agency.name, counts, sum(overdue.values()), rows, overdue)


def outbox_counts(session: Session, agency_id: int) -> dict[str, int]:
    """Per OUTBOX_BUCKETS for hand-offs sent FROM the agency: one GROUP BY."""
    by_state = dict(session.execute(select(Handoff.state, func.count()).where(
        Handoff.from_agency_id == agency_id).group_by(Handoff.state)).all())
    return {bucket: sum(by_state.get(state, 0) for state in states)
            for bucket, states in handoffs.OUTBOX_BUCKETS.items()}


def outbox_data(signed: Signed, agency_id: int | None = None, bucket: str | None = None, *,
                overdue_only: bool = False, today: date | None = None) -> BoxData:
    with uow.read(signed) as s:
        agency = access.check_box_agency(s, signed.actor, agency_id)
        counts = outbox_counts(s, agency.id)
        rows = handoffs.outbox(s, agency.id, bucket, overdue_only=overdue_only, today=today)
        overdue = handoffs.overdue_counts(s, today=today, sent_by=agency.id)
        return BoxData(agency.id, agency.name, counts, sum(overdue.values()), rows, overdue)


def agencies(signed: Signed) -> list[tuple[int, str]]:
    """Agencies whose boxes the actor may open (all for coordinators and above)."""
    with uow.read(signed) as s:
        q = select(Agency.id, Agency.name).order_by(Agency.name)
        if not signed.actor.sees_all_cases:
            q = q.where(Agency.id == signed.actor.agency_id)
        return [(i, n) for i, n in s.execute(q)]


def inbox_listing(signed: Signed, agency_name: str | None = None, *, overdue_only: bool = False,
                  limit: int = 10_000, today: date | None = None) -> tuple[Agency, list]:
    """An agency's inbox for `kodoku-desk handoff list` (default: the actor's own agency), by
    the same access rule as the inbox screen; the listing is audited."""
    from kodoku_desk.services import admin, audit

    with uow.write(signed) as s:
        agency_id = admin.agency_id_by_name(s, agency_name)
        agency = access.check_box_agency(s, signed.actor, agency_id)
        rows = handoffs.inbox(s, agency.id, overdue_only=overdue_only, limit=limit, today=today)
        audit.record(s, signed.actor, "list_handoffs", "agency", agency.id,
                     {"overdue": overdue_only, "count": len(rows)})
        return agency, rows
