"""What kinds of records a write changed, so open views refresh exactly when they must
(Anki's OpChanges idea). The unit of work (services.uow) derives the kinds from the rows it
flushed; the GUI runner emits them once per operation; views subscribe to kinds by name."""

from __future__ import annotations

import enum


class Change(enum.Flag):
    NONE = 0
    CASE = enum.auto()         # people, cases, sheets, household, routing decisions, attachments
    HANDOFF = enum.auto()      # hand-offs and their events
    CONSENT = enum.auto()      # consents and withdrawals
    DISCLOSURE = enum.auto()   # 提供記録
    OVERRIDE_REVIEW = enum.auto()  # supervisor reviews of consent overrides
    PLAN = enum.auto()         # plans, versions, events, evaluations
    MEETING = enum.auto()      # sessions, parts, members, agendas, decisions
    ORG = enum.auto()          # blocks and agencies
    STAFF = enum.auto()        # staff accounts
    SETTINGS = enum.auto()     # workspace settings
    AUDIT = enum.auto()        # the audit log (almost every operation appends to it)

    def touches(self, kinds: Change) -> bool:
        return bool(self & kinds)
