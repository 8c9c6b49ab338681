"""Meeting packet and minutes export: collects the packet from the database (re-checking every
agenda case against its part's kind rule at export time), redacts where the kind or the user
asks, renders PDF or DOCX, writes the file atomically where the user chose, and records one
Disclosure row per recipient copy and case plus audit entries — all in one unit of work, so a
failed write leaves neither a file under the chosen name nor a disclosure record.

Before a redacted export the coordinator sees every replacement it will make
(`preview_redaction`: original spelling → code, with the part, case and place) and may add
terms of their own; `export_packet(..., preview=...)` then writes exactly those replacements, or
refuses when the packet changed since the preview.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kodoku_desk.domain.actor import Actor
from kodoku_desk.domain.consent import BASIS_ANONYMISED, BASIS_CONSENT, BASIS_MEETING
from kodoku_desk.domain.dates import age_on
from kodoku_desk.domain.meeting import SECRECY_REDACTED, rule_for
from kodoku_desk.errors import UserError
from kodoku_desk.exports.packet_model import (
    CasePacket,
    HandoffLine,
    MemberCopy,
    Packet,
    PartPacket,
    PersonInfo,
    PlanBlock,
)
from kodoku_desk.exports.redact import (
    ExtraTerm,
    PacketRedaction,
    Replacement,
    fold,
    vocabulary_for,
)
from kodoku_desk.models import (
    Agency,
    AgendaItem,
    Case,
    Disclosure,
    Handoff,
    HandoffEvent,
    HouseholdMember,
    MeetingPart,
    MeetingSession,
    PartMember,
    Person,
    Staff,
    now,
)
from kodoku_desk.services import access, audit, case_facts, exporting, plans, uow
from kodoku_desk.services.auth import Signed
from kodoku_desk.services.exporting import check_out_path  # noqa: F401 - the CLI checks early
from kodoku_desk.services.meetings import case_refusal, meeting_consent, member_label
from kodoku_desk.store.keys import check_password_rule

ProgressFn = Callable[[int, int], None]
FORMATS = ("pdf", "docx")
SECTIONS = ["概要", "困りごと", "世帯", "つなぎの履歴", "支援プラン"]
UNASSIGNED = "配布先未設定"


def _no_progress(done: int, total: int) -> None:
    """Default progress callback."""


@dataclass
class ExportResult:
    path: Path
    format: str
    copies: int
    cases: int
    redacted: bool
    disclosures: int
    missing_glyphs: list[str] = field(default_factory=list)  # sentences, one per character/place
    replacements: int = 0  # places the redaction replaced something
    added_terms: int = 0  # terms the coordinator added at the preview


@dataclass(frozen=True)
class RedactionPreview:
    """Every replacement a redacted packet will make, before it is written: each row is the
    original as it appears, its replacement, the kind, part, case, places and count;
    `unmatched_terms` are added terms found nowhere in the redacted parts."""

    session_id: int
    redact: bool | None
    parts: list[str]  # headings of the parts that are redacted
    rows: list[Replacement]
    extra_terms: tuple[ExtraTerm, ...] = ()
    unmatched_terms: list[str] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def count(self) -> int:
        return sum(r.count for r in self.rows)


# ----------------------------------------------------------------------------- collecting


def collect_packet(session: Session, actor: Actor, session_id: int,
                   redact: bool | None = None, today: date | None = None) -> Packet:
    """The packet as plain data. redact: None = each kind's default (支援者支援会議 redacted),
    True = every part redacted, False = none. Refuses (naming the cases and why) when any
    agenda case may no longer be in its part's packet."""
    ms = session.get(MeetingSession, session_id)
    if ms is None:
        raise UserError(f"会議 {session_id} は見つかりません。")
    today = today or date.today()
    part_rows = session.scalars(select(MeetingPart).where(MeetingPart.session_id == ms.id)
                                .order_by(MeetingPart.seq, MeetingPart.id)).all()
    parts: list[PartPacket] = []
    problems: list[str] = []
    for part in part_rows:
        rule = rule_for(part.kind)
        redacted = rule.redact_default if redact is None else redact
        notice = rule.secrecy_notice
        if redacted and rule.basis != BASIS_MEETING:
            notice = SECRECY_REDACTED  # an anonymised case study: say so, not "personal data"
        pp = PartPacket(part.id, part.seq, part.kind, part.title, rule.legal_frame, rule.basis,
                        notice, redacted)
        items = session.scalars(select(AgendaItem).where(AgendaItem.part_id == part.id)
                                .order_by(AgendaItem.seq, AgendaItem.id)).all()
        for item in items:
            case = session.get(Case, item.case_id)
            why = case_refusal(session, part.kind, case, export_redacted=redacted,
                               case_id=item.case_id)
            if why or case is None:  # case_refusal names a missing case too
                problems.append(f"{pp.heading}: {why}")
                continue
            pp.cases.append(case_packet(session, case, today))
        pp.members = [member_label(session, m) for m in _members(session, part.id)]
        parts.append(pp)
    if problems:
        raise UserError("会議資料を出力できません。" + " ".join(problems))
    if not any(p.cases for p in parts):
        raise UserError(f"会議「{ms.title}」には議題のケースがありません。議題を追加してから出力してください。")
    packet = Packet(ms.id, ms.title, ms.held_on, ms.start_time, ms.end_time, ms.place, ms.chair,
                    parts, member_copies(session, part_rows), now(), actor.display_name)
    if packet.redacted:
        # What redaction leaves as written: the members, not the subject of the meeting.
        packet.keep_names = sorted({*session.scalars(select(Agency.name)),
                                    *(m for p in parts for m in p.members)})
        packet.staff_names = sorted(set(session.scalars(select(Staff.display_name))))
    return packet


def recheck_agenda(session: Session, packet: Packet) -> None:
    """The kind rule once more for every case in the packet (cheap: no content is read)."""
    problems = []
    for part in packet.parts:
        for case in part.cases:
            why = case_refusal(session, part.kind, session.get(Case, case.case_id),
                               export_redacted=part.redacted, case_id=case.case_id)
            if why:
                problems.append(f"{part.heading}: {why}")
    if problems:
        raise UserError("会議資料を出力できません。" + " ".join(problems))


def _members(session: Session, part_id: int) -> list[PartMember]:
    return list(session.scalars(select(PartMember).where(PartMember.part_id == part_id)
                                .order_by(PartMember.id)))


def member_copies(session: Session, parts: Sequence[MeetingPart]) -> list[MemberCopy]:
    """One numbered copy per distinct recipient, holding only the parts they are a member of.
    Parts without members go to one copy marked 配布先未設定."""
    copies: dict[tuple, MemberCopy] = {}
    for part in parts:
        members = _members(session, part.id)
        if not members:
            key: tuple = ("unassigned",)
            copies.setdefault(key, MemberCopy(0, UNASSIGNED, [])).part_ids.append(part.id)
            continue
        for m in members:
            key = ("staff", m.staff_id) if m.staff_id else ("ext", m.external_name,
                                                             m.external_affiliation) \
                if m.external_name else ("agency", m.agency_id)
            agency_id = m.agency_id
            if m.staff_id:
                agency_id = session.get_one(Staff, m.staff_id).agency_id  # a foreign key
            copy = copies.setdefault(key, MemberCopy(0, member_label(session, m), [], agency_id))
            if part.id not in copy.part_ids:
                copy.part_ids.append(part.id)
    out = list(copies.values())
    for i, c in enumerate(out, 1):
        c.number = i
    return out


def person_info(p: Person, today: date, relation: str = "本人",
                flags: list[str] | None = None) -> PersonInfo:
    return PersonInfo(key=f"p{p.id}", name=p.name, kana=p.kana, sex=p.sex,
                      birth_date=p.birth_date, age=age_on(p.birth_date, today),
                      address=p.address, phone=p.phone, relation=relation,
                      flags=list(flags or []))


def case_packet(session: Session, case: Case, today: date) -> CasePacket:
    sheet = plans.latest_sheet(session, case.id)
    answers = dict(sheet.answers) if sheet else {}
    household = session.scalars(select(HouseholdMember).where(HouseholdMember.case_id == case.id)
                                .order_by(HouseholdMember.id)).all()
    owner = session.get(Agency, case.owner_agency_id)
    consent, why = meeting_consent(session, case.id)
    person = person_info(case.person, today)
    mobile = str(answers.get("phone_mobile") or "")
    if mobile:
        person.phone = "／".join(x for x in (person.phone, f"携帯 {mobile}") if x)
    return CasePacket(
        case_id=case.id, case_no=case.case_no,
        person=person,
        household=[person_info(m.person, today, m.relation or "家族", m.flags) for m in household],
        urgency=case.urgency, urgent_path=case.urgent_path, fields=list(case.fields),
        opened_on=case.opened_at.date() if case.opened_at else None,
        owner_agency=owner.name if owner else "",
        consent=plans.consent_text(session, case.id) + ("" if consent else f"（{why}）"),
        worries_by_field=case_facts.worries_by_field(
            case_facts.worries_with_other(list(sheet.worries), answers) if sheet else [],
            sheet.most_pressing if sheet else ""),
        hearings=case_facts.hearings(answers),
        wishes=case_facts.person_wish(answers),
        assessment=case_facts.assessment(answers),
        notes=case_facts.notes(answers),
        handoffs=handoff_lines(session, case.id),
        plan=plan_block(session, case, today),
        visitor=_visitor(case.id, answers),
    )


def _visitor(case_id: int, answers: dict) -> PersonInfo | None:
    """来談者 (part A) when someone other than the person came: shown and redacted like a person."""
    name = str(answers.get("visitor_name") or "").strip()
    if not name:
        return None
    return PersonInfo(key=f"visitor{case_id}", name=name,
                      relation=str(answers.get("visitor_relation") or "来談者"),
                      phone=str(answers.get("visitor_contact") or ""))


def handoff_lines(session: Session, case_id: int) -> list[HandoffLine]:
    names = dict(session.execute(select(Agency.id, Agency.name)).all())
    lines = []
    for h in session.scalars(select(Handoff).where(Handoff.case_id == case_id)
                             .order_by(Handoff.sent_at, Handoff.id)):
        last = session.scalar(select(HandoffEvent).where(HandoffEvent.handoff_id == h.id)
                              .order_by(HandoffEvent.at.desc(), HandoffEvent.id.desc()).limit(1))
        lines.append(HandoffLine(
            sent_on=h.sent_at.date(), from_agency=names.get(h.from_agency_id, ""),
            to_agency=names.get(h.to_agency_id, ""), state=h.state, reason=h.reason,
            request=h.request, basis=h.basis,
            last_on=last.at.date() if last else None,
            last_note=(last.note + (f"（代替案: {last.alternative}）" if last.alternative else ""))
            if last else ""))
    return lines


def plan_block(session: Session, case: Case, today: date) -> PlanBlock:
    """The case's current plan (latest version), or a draft made from the case if none."""
    plan = plans.plan_for_case(session, case.id)
    if plan is None:
        data, status, version, approval = plans.clean_data(plans.draft_data(session, case, today)), \
            "案", None, ""
    else:
        latest = plans.latest_version(session, plan.id)
        data, status, version, approval = dict(latest.data), plan.status, latest.version, \
            plan.approval
    fields = [(label, plans.render_value(key, data.get(key)))
              for key, label, kind in plans.PLAN_FIELDS if kind not in ("issues", "roles")]
    return PlanBlock(status, version, approval, fields, list(data.get("issues") or []),
                     list(data.get("roles") or []))


# ----------------------------------------------------------------------------- exporting


def _basis(session: Session, part: PartPacket, case_id: int) -> tuple[str, str]:
    """The disclosure basis of one case in one part's packet, with its reason."""
    reason = f"{part.kind}の会議資料" + ("（匿名化）" if part.redacted else "")
    if part.basis == BASIS_MEETING:
        return BASIS_MEETING, reason
    consent, _ = meeting_consent(session, case_id)
    if consent is not None:
        return BASIS_CONSENT, reason
    # Only reachable for redacted parts (the kind rule refused everything else).
    return BASIS_ANONYMISED, reason + "：氏名・住所・電話番号・生年月日を符号化し個人を特定できない形で提供"


def _disclose(session: Session, actor: Actor, packet: Packet) -> int:
    count = 0
    for copy in packet.copies:
        for part in packet.parts_for(copy):
            for case in part.cases:
                basis, reason = _basis(session, part, case.case_id)
                session.add(Disclosure(
                    case_id=case.case_id, actor_id=actor.staff_id, from_agency_id=actor.agency_id,
                    to_agency_id=copy.agency_id, recipient=copy.recipient,
                    sections=SECTIONS + (["匿名化"] if part.redacted else []), basis=basis,
                    basis_reason=reason, channel="packet", meeting_part_id=part.part_id,
                    copy_no=copy.number))
                count += 1
    return count


def render(packet: Packet, fmt: str, *, password: str | None, strict_glyphs: bool,
           progress: ProgressFn) -> tuple[bytes, list[str]]:
    if fmt == "pdf":
        from kodoku_desk.exports.packet_pdf import render_pdf

        data, ts = render_pdf(packet, password=password, strict_glyphs=strict_glyphs,
                              progress=progress)
        return data, [m.message() for m in ts.missing]
    if fmt == "docx":
        if password:
            raise UserError("DOCX にはパスワードを設定できません。パスワード付きにするには PDF で出力してください。")
        from kodoku_desk.exports.packet_docx import render_docx

        return render_docx(packet, progress=progress), []
    raise UserError(f"出力形式「{fmt}」には対応していません（pdf または docx）。", field="format")


def _redaction(signed: Signed, packet: Packet,
               extra_terms: Sequence[ExtraTerm]) -> PacketRedaction | None:
    """The redaction of the packet's redacted parts, with the workspace's word list; None when
    no part is redacted."""
    redacted_ids = {p.part_id for p in packet.parts if p.redacted}
    if not redacted_ids:
        return None
    return PacketRedaction(packet, redacted_ids, extra_terms=extra_terms,
                           vocabulary=vocabulary_for(signed.folder))


def same_term(a: str, b: str) -> bool:
    """Two spellings the redaction treats as one (width, kana and spaces aside)."""
    return fold(a) == fold(b)


def _terms(extra_terms: Iterable[ExtraTerm | str]) -> tuple[ExtraTerm, ...]:
    terms = tuple(t if isinstance(t, ExtraTerm) else ExtraTerm(str(t)) for t in extra_terms)
    for t in terms:
        if len(t.text.strip()) > 100:
            raise UserError("追加する語句は100文字以内にしてください。", field="term")
    return tuple(t for t in terms if t.text.strip())


def preview_redaction(signed: Signed, session_id: int, *, redact: bool | None = None,
                      extra_terms: Iterable[ExtraTerm | str] = ()) -> RedactionPreview:
    """Every replacement the redacted packet will make (nothing is written or recorded): the
    coordinator checks it, adds terms (ExtraTerm(text, third_party)), and exports with it."""
    actor = signed.actor
    access.require(signed, actor.is_coordinator, "会議資料の出力")
    terms = _terms(extra_terms)
    with uow.read(signed) as s:
        packet = collect_packet(s, actor, session_id, redact)
    redaction = _redaction(signed, packet, terms)
    parts = [p.heading for p in packet.parts if p.redacted]
    if redaction is None:
        return RedactionPreview(session_id, redact, parts, [], terms, [t.text for t in terms])
    return RedactionPreview(session_id, redact, parts, redaction.replacements,
                            redaction.extra_terms, redaction.unmatched_terms,
                            redaction.fingerprint)


def export_packet(signed: Signed, session_id: int, fmt: str, out: Path | str, *,
                  redact: bool | None = None, password: str | None = None,
                  strict_glyphs: bool = False, extra_terms: Iterable[ExtraTerm | str] = (),
                  preview: RedactionPreview | None = None,
                  progress: ProgressFn = _no_progress) -> ExportResult:
    """Writes the meeting packet (pdf|docx) to `out`. See the module docstring for guarantees.
    With `preview` (from preview_redaction) the redaction uses its added terms and must make
    exactly its replacements, or the export is refused with a sentence."""
    actor = signed.actor
    access.require(signed, actor.is_coordinator, "会議資料の出力")
    fmt = (fmt or "").lower()
    if fmt not in FORMATS:
        raise UserError(f"出力形式「{fmt}」には対応していません（pdf または docx）。", field="format")
    path = exporting.check_out_path(out, fmt)
    if password is not None and fmt == "pdf":
        check_password_rule(password)  # the same rule as account passwords: a packet is as sensitive
    terms = _terms(extra_terms or (preview.extra_terms if preview else ()))
    if preview is not None and redact != preview.redact:
        raise UserError("匿名化の確認と出力で、匿名化の設定が違います。もう一度確認してから出力してください。")
    with uow.read(signed) as s:
        packet = collect_packet(s, actor, session_id, redact)
    redacted_ids = {p.part_id for p in packet.parts if p.redacted}
    redaction = _redaction(signed, packet, terms)
    if preview is not None and (redaction.fingerprint if redaction else "") != preview.fingerprint:
        raise UserError("匿名化の確認の後に会議資料の内容が変わりました。"
                        "もう一度置き換えを確認してから出力してください。")
    if redaction is not None:
        packet = redaction.packet
    data, missing = render(packet, fmt, password=password, strict_glyphs=strict_glyphs,
                           progress=progress)
    replaced = redaction.count if redaction else 0
    def record(s: Session) -> int:
        # Re-check inside the writing transaction: consent may have been withdrawn meanwhile.
        recheck_agenda(s, packet)
        count = _disclose(s, actor, packet)
        detail = {"what": "packet", "format": fmt, "file": path.name,
                  "copies": len(packet.copies), "cases": packet.case_count,
                  "redacted_parts": sorted(redacted_ids), "password": bool(password),
                  "missing_glyphs": missing}
        if redaction is not None:  # counts only: never the names themselves
            detail.update(replacements=replaced, added_terms=len(terms),
                          third_parties=redaction.third_party_count,
                          previewed=preview is not None)
        audit.record(s, actor, "export", "meeting", session_id, detail)
        return count

    count = exporting.export_bytes(signed, path, data, record)
    return ExportResult(path, fmt, len(packet.copies), packet.case_count, bool(redacted_ids),
                        count, missing, replaced, len(terms) if redaction else 0)


def export_minutes(signed: Signed, session_id: int, out: Path | str, *,
                   progress: ProgressFn = _no_progress) -> Path:
    """議事録 as DOCX: each part's members, agenda and recorded decisions."""
    from kodoku_desk.exports.minutes_docx import render_minutes
    from kodoku_desk.queries.meeting_views import session_decisions, session_view

    actor = signed.actor
    access.require(signed, actor.is_coordinator, "議事録の出力")
    path = exporting.check_out_path(out, "docx")
    with uow.read(signed) as s:
        view = session_view(s, session_id)
        decisions = session_decisions(s, session_id)
    data = render_minutes(view, decisions, progress=progress)
    def record(s: Session) -> int:
        audit.record(s, actor, "export", "meeting", session_id,
                     {"what": "minutes", "format": "docx", "file": path.name,
                      "decisions": len(decisions)})
        return 0

    exporting.export_bytes(signed, path, data, record)
    return path
