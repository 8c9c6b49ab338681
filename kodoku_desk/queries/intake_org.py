"""What the intake screen needs of the organisation, in one background read: the active agencies
as routing sees them, the active blocks, the worker's own agency and block, and the workspace's
routing rules. Built from services.admin and domain.routing; no SQL of its own."""

from __future__ import annotations

from dataclasses import dataclass

from kodoku_desk.domain import routing
from kodoku_desk.services import admin, uow
from kodoku_desk.services.auth import Signed


@dataclass(frozen=True)
class OrgData:
    agencies: list[routing.AgencyRef]
    blocks: list[tuple[int, str]]  # (id, name), active blocks only
    own_agency_id: int | None
    own_block_id: int | None
    rules: routing.RoutingRules


def intake_org(signed: Signed) -> OrgData:
    with uow.read(signed) as s:
        blocks = [(b.id, b.name, b.active) for b in admin.list_blocks(s)]
        rows = admin.list_agencies(s, include_inactive=False)
    block_ids = {name: block_id for block_id, name, _active in blocks}  # names are unique
    agencies = [routing.AgencyRef(a.id, a.name, tuple(a.fields), block_ids.get(a.block), a.active)
                for a in rows]
    own = next((a for a in agencies if a.id == signed.actor.agency_id), None)
    return OrgData(agencies, [(block_id, name) for block_id, name, active in blocks if active],
                   signed.actor.agency_id, own.block_id if own else None,
                   routing.rules_for(signed.folder))
