"""The content of a meeting packet as plain data: services/meeting_packets.py fills it from the
database, exports/redact.py may replace identifying details, and the PDF and DOCX renderers
turn the same object into pages. No database access here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass
class PersonInfo:
    key: str  # stable identity inside one packet (used for redaction codes)
    name: str
    kana: str = ""
    sex: str = ""
    birth_date: date | None = None
    age: int | None = None
    address: str = ""
    phone: str = ""
    relation: str = "本人"
    flags: list[str] = field(default_factory=list)
    # Set by redaction: shown instead of the birth date / exact age.
    age_text: str = ""
    birth_text: str = ""


@dataclass
class HandoffLine:
    sent_on: date
    from_agency: str
    to_agency: str
    state: str
    reason: str
    request: str
    basis: str
    last_on: date | None = None
    last_note: str = ""


@dataclass
class PlanBlock:
    status: str
    version: int | None  # None: a draft made for this packet, not yet saved
    approval: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # (見出し, text)
    issues: list[dict] = field(default_factory=list)
    roles: list[dict] = field(default_factory=list)


@dataclass
class CasePacket:
    case_id: int
    case_no: str
    person: PersonInfo
    household: list[PersonInfo] = field(default_factory=list)
    urgency: str = ""
    urgent_path: bool = False
    fields: list[str] = field(default_factory=list)
    opened_on: date | None = None
    owner_agency: str = ""
    consent: str = ""
    worries_by_field: list[tuple[str, list[str]]] = field(default_factory=list)
    hearings: list[tuple[str, str]] = field(default_factory=list)
    wishes: str = ""
    assessment: str = ""
    notes: str = ""
    handoffs: list[HandoffLine] = field(default_factory=list)
    plan: PlanBlock | None = None
    visitor: PersonInfo | None = None  # 来談者 when not the person (name, relation, contact)

    def people(self) -> list[PersonInfo]:
        """The person and the household: the rows of the household table."""
        return [self.person, *self.household]

    def everyone(self) -> list[PersonInfo]:
        """Everyone named in the case, for redaction."""
        return self.people() + ([self.visitor] if self.visitor else [])


@dataclass
class PartPacket:
    part_id: int
    seq: int
    kind: str
    title: str
    legal_frame: str
    basis: str
    secrecy_notice: str
    redacted: bool
    members: list[str] = field(default_factory=list)
    cases: list[CasePacket] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"第{self.seq}部　{self.kind}" + (f"（{self.title}）" if self.title else "")


@dataclass
class MemberCopy:
    number: int
    recipient: str
    part_ids: list[int]
    agency_id: int | None = None


@dataclass
class Packet:
    session_id: int
    title: str
    held_on: date
    start_time: str
    end_time: str
    place: str
    chair: str
    parts: list[PartPacket]
    copies: list[MemberCopy]
    generated_at: datetime
    generated_by: str
    # Agency names and member labels, and staff names: redaction leaves them as written (they
    # are the members, not the subject).
    keep_names: list[str] = field(default_factory=list)
    staff_names: list[str] = field(default_factory=list)

    @property
    def redacted(self) -> bool:
        return any(p.redacted for p in self.parts)

    def parts_for(self, copy: MemberCopy) -> list[PartPacket]:
        return [p for p in self.parts if p.part_id in copy.part_ids]

    @property
    def case_count(self) -> int:
        return sum(len(p.cases) for p in self.parts)
