"""The disclosure log (提供記録): who disclosed which sections of which case to whom, when,
and on what basis."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import Session

from kodoku_desk.errors import UserError
from kodoku_desk.models import (
    Case,
    Disclosure,
)
from kodoku_desk.models.handoffs import BASES
from kodoku_desk.queries.review_common import (
    CHANNEL_LABELS,
    DEFAULT_LIMIT,
    _log,
    agency_names,
    check_period,
    name_of,
    staff_names,
)
from kodoku_desk.services import access, uow
from kodoku_desk.services.auth import Signed
from kodoku_desk.store.dialect import day_start

# --------------------------------------------------------------------------- disclosure log


@dataclass(frozen=True)
class DisclosureFilter:
    date_from: date | None = None
    date_to: date | None = None
    to_agency_id: int | None = None
    basis: str | None = None
    channel: str | None = None
    case_id: int | None = None
    case_no: str | None = None


@dataclass(frozen=True)
class DisclosureRow:
    id: int
    at: datetime
    case_id: int
    case_no: str
    actor: str
    from_agency: str
    to_agency: str
    recipient: str
    sections: list[str]
    basis: str
    basis_reason: str
    channel: str
    handoff_id: int | None
    copy_no: int | None




@functools.lru_cache(maxsize=1)
def _section_labels() -> dict[str, str]:
    """Sheet section keys → their Japanese titles (current template), for readable logs."""
    from kodoku_desk.domain import template

    try:
        return dict(template.load_template().section_labels())
    except (UserError, OSError, ValueError, KeyError):
        return {}  # the log still shows the keys


def section_label(key: str) -> str:
    return _section_labels().get(key, key)


def query_disclosures(session: Session, flt: DisclosureFilter, *, limit: int = DEFAULT_LIMIT,
                      offset: int = 0) -> tuple[list[DisclosureRow], int]:
    check_period(flt.date_from, flt.date_to)
    if flt.basis and flt.basis not in BASES:
        raise UserError(f"根拠「{flt.basis}」はありません。選べるのは {'・'.join(BASES)} です。",
                        field="basis")
    conds = []
    if flt.date_from:
        conds.append(Disclosure.at >= day_start(flt.date_from))
    if flt.date_to:
        conds.append(Disclosure.at < day_start(flt.date_to + timedelta(days=1)))
    if flt.to_agency_id:
        conds.append(Disclosure.to_agency_id == flt.to_agency_id)
    if flt.basis:
        conds.append(Disclosure.basis == flt.basis)
    if flt.channel:
        conds.append(Disclosure.channel == flt.channel)
    if flt.case_id:
        conds.append(Disclosure.case_id == flt.case_id)
    if flt.case_no and flt.case_no.strip():
        conds.append(Case.case_no == flt.case_no.strip())
    base = (select(Disclosure, Case.case_no).join(Case, Case.id == Disclosure.case_id)
            .where(and_(true(), *conds)))
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    agencies, staff = agency_names(session), staff_names(session)
    q = base.order_by(Disclosure.at.desc(), Disclosure.id.desc()).limit(limit).offset(offset)
    rows = [DisclosureRow(
        id=d.id, at=d.at, case_id=d.case_id, case_no=case_no, actor=staff.get(d.actor_id, ""),
        from_agency=name_of(agencies, d.from_agency_id), to_agency=name_of(agencies, d.to_agency_id),
        recipient=d.recipient, sections=[section_label(k) for k in d.sections or []],
        basis=d.basis,
        basis_reason=d.basis_reason, channel=CHANNEL_LABELS.get(d.channel, d.channel),
        handoff_id=d.handoff_id, copy_no=d.copy_no,
    ) for d, case_no in session.execute(q)]
    return rows, int(total or 0)


def disclosure_log(signed: Signed, flt: DisclosureFilter, *, limit: int = DEFAULT_LIMIT,
                   offset: int = 0) -> tuple[list[DisclosureRow], int]:
    access.require_supervisor(signed, "提供記録の閲覧")
    check_period(flt.date_from, flt.date_to)
    with uow.read(signed) as s:
        rows, total = query_disclosures(s, flt, limit=limit, offset=offset)
    _log(signed, "view_disclosures", detail={"rows": len(rows), "offset": offset})
    return rows, total
