"""Hand-offs (つなぎ, docs/DOMAIN.md §5–§6): sending with the consent gate, the one state machine,
inbox/outbox queries and what a receiving agency may see.

The events are the truth; Handoff.state / version / acknowledged_at / closed_at are a cache kept
in step by `transition`, the only function that changes a hand-off's state. `version` is an
optimistic lock: two windows answering the same hand-off cannot both win. Handoff.stage_started_at
(when the current stage began: domain.handoff.restarts_stage) is kept by every function here that
writes an event, and by sharing.end_for_withdrawal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from kodoku_desk.domain import consent as consent_rules
from kodoku_desk.domain import handoff as rules
from kodoku_desk.domain.actor import Actor
from kodoku_desk.domain.consent import HANDOFF_BASES
from kodoku_desk.domain.handoff import (
    ACTION_LABELS,
    ACTIONS,
    CLOSED_STATES,
    INBOX_BUCKETS,
    OPEN_STATES,
    OUTBOX_BUCKETS,
    STAGES,
    TRANSITIONS,
    Limits,
    allowed_actions,
)
from kodoku_desk.domain.template import check_text, load_template
from kodoku_desk.errors import ConflictError, UserError
from kodoku_desk.models import (
    Agency,
    Case,
    Disclosure,
    Handoff,
    HandoffEvent,
    HandoffSnapshot,
    Person,
    Sheet,
    now,
)
from kodoku_desk.models.handoffs import (
    ACCEPTED,
    ACKNOWLEDGED,
    BASIS_CONSENT,
    SENT,
    WITHDRAWN,
    ack_days_between,
)
from kodoku_desk.services import access, audit, sharing, uow
from kodoku_desk.services import consent as consent_service
from kodoku_desk.services.admin import get_setting, get_settings
from kodoku_desk.services.auth import Signed
from kodoku_desk.store.dialect import day_start

# The rules themselves (states, steps, who, notes, buckets, overdue) are domain.handoff's;
# their names are re-exported here for the screens and commands that list them.


@dataclass(frozen=True)
class TransitionResult:
    handoff_id: int
    state: str
    version: int
    event_id: int


def transition_in(session: Session, actor: Actor, handoff_id: int, action: str, note: str = "",
                  alternative: str = "", expected_version: int | None = None,
                  at: datetime | None = None) -> TransitionResult:
    """One step of the state machine inside the caller's unit of work."""
    target = rules.target_of(action)
    note = check_text(note, "メモ", "note")
    alternative = check_text(alternative, "代わりの提案", "alternative")
    h = session.get(Handoff, handoff_id)
    if h is None:
        raise UserError(f"つなぎ（番号 {handoff_id}）は見つかりません。")
    if expected_version is not None and h.version != expected_version:
        raise ConflictError(_conflict_message(h))
    who = rules.who_may(h.state, target)
    if not rules.is_party(who, actor.agency_id, h.from_agency_id, h.to_agency_id):
        raise access.denied(f"つなぎの「{target}」", rules.refusal_message(who, target),
                            target_type="handoff", target_id=h.id)
    rules.check_note(target, note, alternative)
    at = at or now()
    values: dict = {"state": target, "version": h.version + 1}
    if target == ACKNOWLEDGED:
        values["acknowledged_at"] = at
        values["ack_days"] = ack_days_between(h.sent_at, at)  # kept with acknowledged_at
    if target in CLOSED_STATES:
        values["closed_at"] = at
    if rules.restarts_stage(h.state, target):
        values["stage_started_at"] = at
    # The WHERE on version makes the step atomic on any database, not only under SQLite's lock.
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed as Result.
    done = cast("CursorResult[Any]", session.execute(
        update(Handoff).where(Handoff.id == h.id, Handoff.version == h.version)
        .values(**values).execution_options(synchronize_session=False)))
    if done.rowcount != 1:
        session.refresh(h)
        raise ConflictError(_conflict_message(h))
    event = HandoffEvent(handoff_id=h.id, from_state=h.state, to_state=target,
                         actor_id=actor.staff_id, agency_id=actor.agency_id, at=at, note=note,
                         alternative=alternative)
    session.add(event)
    session.flush()
    session.refresh(h)
    audit.record(session, actor, "handoff_" + rules.ACTION_CODES[target], "handoff", h.id,
                 {"case_id": h.case_id, "from": event.from_state, "to": target})
    return TransitionResult(h.id, h.state, h.version, event.id)


def _conflict_message(h: Handoff) -> str:
    return (f"このつなぎは別の画面で先に更新されました（いまの状態: {h.state}）。"
            "画面を更新して内容を確かめてから、もう一度操作してください。")


def transition(signed: Signed, handoff_id: int, action: str, note: str = "",
               alternative: str = "", expected_version: int | None = None) -> TransitionResult:
    """Move a hand-off one step (受理 / 対応中 / 完了 / 返送 / 取下げ), appending one event.

    expected_version: the Handoff.version the user was looking at; a stale one raises
    ConflictError and nothing is written."""
    with uow.write(signed) as s:
        return transition_in(s, signed.actor, handoff_id, action, note, alternative,
                             expected_version)


# --- sending -------------------------------------------------------------------------------------

@dataclass
class SendInput:
    to_agency_id: int
    reason: str = ""
    request: str = ""
    share: list[str] | None = None
    basis: str = BASIS_CONSENT
    basis_reason: str = ""


def check_share(share: Iterable[str] | None, template_version: str | None = None) -> list[str]:
    template = load_template(template_version)
    share = list(dict.fromkeys(share or []))
    if not share:
        raise UserError("共有範囲（相手に見せる項目グループ）を一つ以上選んでください。", field="share")
    for key in share:
        template.section(key)  # raises for an unknown section
    return [k for k in template.section_keys() if k in share]


def _gate(session: Session, case_id: int, agency: Agency, basis: str,
          basis_reason: str) -> consent_rules.Gate:
    covered = consent_service.covers(session, case_id, agency)
    return consent_rules.handoff_gate(basis, basis_reason, covered, agency.name)


def _check_onward_share(session: Session, actor: Actor, case_id: int, share: list[str],
                        sheet: Sheet | None) -> None:
    """A receiving agency passing a case on may share only what was shared with it."""
    allowed = sharing.shared_sections(session, actor, case_id)
    if allowed is None:
        return
    extra = [k for k in share if k not in allowed]
    if extra:
        labels = load_template(sheet.template_version if sheet else None).section_labels()
        names = "・".join(labels.get(k, k) for k in extra)
        raise UserError(f"共有を受けていない項目（{names}）は、ほかの機関へ共有できません。",
                        field="share")


def send_in(session: Session, actor: Actor, case_id: int, data: SendInput,
            sheet_id: int | None = None, from_agency_id: int | None = None,
            at: datetime | None = None) -> Handoff:
    """Send one hand-off inside the caller's unit of work: the consent gate, the hand-off, its
    first event, and one disclosure record."""
    case = session.get(Case, case_id)
    if case is None:
        raise UserError(f"ケース {case_id} は見つかりません。")
    to = session.get(Agency, data.to_agency_id) if data.to_agency_id else None
    if to is None or not to.active:
        what = f"（番号 {data.to_agency_id}）" if data.to_agency_id else "が選ばれていません。"
        raise UserError(f"つなぎ先の機関{what}" + ("は登録されていないか、無効です。"
                                                   if data.to_agency_id else ""), field="to")
    from_agency_id = from_agency_id or actor.agency_id
    if from_agency_id is None:
        raise UserError("所属機関のない職員はつなぎを送れません。")
    if to.id == from_agency_id:
        raise UserError("自分の機関にはつなぎを送れません。", field="to")
    reason = check_text(data.reason, "つなぐ理由", "reason")
    request = check_text(data.request, "依頼内容", "request")
    if not reason:
        raise UserError(f"「{to.name}」へつなぐ理由を書いてください。", field="reason")
    sheet = session.get(Sheet, sheet_id) if sheet_id else None
    share = check_share(data.share, sheet.template_version if sheet else None)
    _check_onward_share(session, actor, case_id, share, sheet)
    basis_reason = check_text(data.basis_reason, "根拠の理由", "basis_reason")
    gate = _gate(session, case_id, to, data.basis, basis_reason)
    basis, basis_reason, override = gate.basis, gate.reason, gate.override
    at = at or now()
    due = rules.due_on(at.date(), get_setting(session, "overdue_business_days"))
    h = Handoff(case_id=case_id, sheet_id=sheet_id, from_agency_id=from_agency_id,
                to_agency_id=to.id, reason=reason, request=request, share=share, basis=basis,
                basis_reason=basis_reason, consent_override=override, state=SENT, version=1,
                sent_at=at, due_on=due, stage_started_at=at, created_by=actor.staff_id)
    session.add(h)
    session.flush()
    session.add(HandoffEvent(handoff_id=h.id, from_state="", to_state=SENT,
                             actor_id=actor.staff_id, agency_id=from_agency_id, at=at,
                             note=request))
    snap = sharing.take_in(session, actor, h, sheet, share, at)
    _disclose(session, actor, h, snap, to, basis, basis_reason, at)
    audit.record(session, actor, "handoff_send", "handoff", h.id,
                 {"case_id": case_id, "to": to.name, "basis": basis, "override": override,
                  "share": share, "snapshot": snap.sha256})
    return h


def _disclose(session: Session, actor: Actor, h: Handoff, snap: HandoffSnapshot, to: Agency,
              basis: str, basis_reason: str, at: datetime) -> Disclosure:
    """The 提供記録 of one snapshot: it names the snapshot and its content hash."""
    row = Disclosure(at=at, case_id=h.case_id, actor_id=actor.staff_id,
                     from_agency_id=h.from_agency_id, to_agency_id=to.id, recipient=to.name,
                     sections=list(snap.sections), basis=basis, basis_reason=basis_reason,
                     channel="handoff", handoff_id=h.id, snapshot_id=snap.id,
                     content_hash=snap.sha256)
    session.add(row)
    session.flush()
    return row


def add_share_in(session: Session, actor: Actor, handoff_id: int, share: list[str],
                 sheet_id: int | None = None, basis: str | None = None,
                 basis_reason: str | None = None, at: datetime | None = None) -> HandoffSnapshot:
    """追加提供 on an open hand-off: more sections, or a later sheet, pass the consent/basis gate
    again and are frozen into a new snapshot with its own 提供記録."""
    h = session.get(Handoff, handoff_id)
    if h is None:
        raise UserError(f"つなぎ（番号 {handoff_id}）は見つかりません。")
    if actor.agency_id != h.from_agency_id:
        raise access.denied("追加提供", "追加提供ができるのは、つなぎを送った機関の職員だけです。",
                            target_type="handoff", target_id=h.id)
    rules.check_additional_share(h.state, h.consent_ended_at is not None)
    if sheet_id is None:
        sheet_id = _latest_sheet_id(session, h.case_id)
    sheet = session.get(Sheet, sheet_id) if sheet_id else None
    if sheet is None or sheet.case_id != h.case_id:
        raise UserError(f"シート（番号 {sheet_id}）はこのケースのシートではありません。", field="sheet")
    chosen = check_share(share, sheet.template_version)
    _check_onward_share(session, actor, h.case_id, chosen, sheet)
    to = session.get_one(Agency, h.to_agency_id)  # handoffs.to_agency_id is a foreign key
    reason = check_text(h.basis_reason if basis_reason is None else basis_reason, "根拠の理由",
                        "basis_reason")
    gate = _gate(session, h.case_id, to, basis or h.basis, reason)
    at = at or now()
    snap = sharing.take_in(session, actor, h, sheet, chosen, at)
    _disclose(session, actor, h, snap, to, gate.basis, gate.reason, at)
    labels = load_template(sheet.template_version).section_labels()
    session.add(HandoffEvent(handoff_id=h.id, from_state=h.state, to_state=h.state,
                             actor_id=actor.staff_id, agency_id=actor.agency_id, at=at,
                             note="追加提供: " + "・".join(labels.get(k, k) for k in chosen),
                             kind=rules.EVENT_ADDITIONAL_SHARE))
    if rules.restarts_stage(h.state, h.state, by_receiver=False):  # the sender's, not an update
        h.stage_started_at = at
    session.flush()
    audit.record(session, actor, "handoff_add_share", "handoff", h.id,
                 {"case_id": h.case_id, "sheet_id": sheet.id, "share": chosen,
                  "basis": gate.basis, "override": gate.override, "snapshot": snap.sha256})
    return snap


def add_share(signed: Signed, handoff_id: int, share: list[str], sheet_id: int | None = None,
              basis: str | None = None, basis_reason: str | None = None) -> int:
    """追加提供 (see add_share_in). Returns the new snapshot's id."""
    access.require(signed, signed.actor.is_intake, "追加提供")
    with uow.write(signed) as s:
        return add_share_in(s, signed.actor, handoff_id, share, sheet_id, basis, basis_reason).id


def record_progress_in(session: Session, actor: Actor, handoff_id: int, note: str,
                       expected_version: int | None = None, at: datetime | None = None) -> int:
    """経過: the receiving agency writes how the work goes on a 対応中 hand-off, without moving
    its state; it is an update, so the 更新期限 is counted again from it. Returns the event id."""
    note = check_text(note, "経過", "note")
    h = session.get(Handoff, handoff_id)
    if h is None:
        raise UserError(f"つなぎ（番号 {handoff_id}）は見つかりません。")
    if expected_version is not None and h.version != expected_version:
        raise ConflictError(_conflict_message(h))
    if not rules.is_party(rules.RECEIVER, actor.agency_id, h.from_agency_id, h.to_agency_id):
        raise access.denied("つなぎの経過の記録", "経過を記録できるのは、つなぎを受けた機関の職員だけです。",
                            target_type="handoff", target_id=h.id)
    rules.check_progress(h.state, note)
    at = at or now()
    event = HandoffEvent(handoff_id=h.id, from_state=h.state, to_state=h.state,
                         actor_id=actor.staff_id, agency_id=actor.agency_id, at=at, note=note,
                         kind=rules.EVENT_PROGRESS)
    session.add(event)
    if rules.restarts_stage(h.state, h.state):
        h.stage_started_at = at
    session.flush()
    audit.record(session, actor, "handoff_progress", "handoff", h.id, {"case_id": h.case_id})
    return event.id


def record_progress(signed: Signed, handoff_id: int, note: str,
                    expected_version: int | None = None) -> int:
    """経過を記録 (see record_progress_in)."""
    with uow.write(signed) as s:
        return record_progress_in(s, signed.actor, handoff_id, note, expected_version)


def _latest_sheet_id(session: Session, case_id: int) -> int | None:
    return session.scalar(select(Sheet.id).where(Sheet.case_id == case_id)
                          .order_by(Sheet.received_at.desc(), Sheet.id.desc()).limit(1))


def send(signed: Signed, case_id: int, to_agency_id: int, reason: str, request: str = "",
         share: list[str] | None = None, basis: str = BASIS_CONSENT, basis_reason: str = "",
         sheet_id: int | None = None) -> int:
    """Send a hand-off from the actor's agency. Returns its id."""
    access.require(signed, signed.actor.is_intake, "つなぎの送付")
    with uow.write(signed) as s:
        from kodoku_desk.services.access import check_visible

        check_visible(s, signed.actor, case_id)
        if sheet_id is None:
            sheet_id = _latest_sheet_id(s, case_id)
        data = SendInput(to_agency_id, reason, request, share, basis, basis_reason)
        return send_in(s, signed.actor, case_id, data, sheet_id).id


def send_named(signed: Signed, case_no: str, to_agency: str, reason: str, share: list[str],
               request: str = "", sheet_id: int | None = None, basis: str = BASIS_CONSENT,
               basis_reason: str = "") -> int:
    """send(), with the case and the agency named as a user types them (scripts, the CLI)."""
    from kodoku_desk.services.admin import agency_by_name

    access.require(signed, signed.actor.is_intake, "つなぎの送付")
    with uow.write(signed) as s:
        case_id = access.visible_case_id(s, signed.actor, case_no)
        to = agency_by_name(s, to_agency, field="to")
        if sheet_id is None:
            sheet_id = _latest_sheet_id(s, case_id)
        data = SendInput(to.id, reason, request, share, basis, basis_reason)
        return send_in(s, signed.actor, case_id, data, sheet_id).id


# --- queries --------------------------------------------------------------------------------------

def stage_limits(session: Session) -> Limits:
    """The business days each stage may take: the workspace settings domain.handoff.STAGES names
    (read in one statement: every list and count of overdue hand-offs asks)."""
    keys = [stage.setting for stage in STAGES.values()]
    values = get_settings(session, keys)
    days = {state: values[stage.setting] for state, stage in STAGES.items()}
    return Limits(acknowledge=days[SENT], start=days[ACKNOWLEDGED], update=days[ACCEPTED])


def stage_overdue_clause(state: str, limits: Limits, today: date | None = None):
    """domain.handoff.is_overdue for one stage as SQL. 送付: past the due day fixed at sending;
    受理 / 対応中: the stage began before domain.handoff.overdue_before (a range of the stage's
    start, which the indexes on (…, state, stage_started_at) answer)."""
    today = today or date.today()
    if state == SENT:
        return and_(Handoff.state == SENT, Handoff.due_on < today)
    cutoff = day_start(rules.overdue_before(today, limits.days(state)))
    return and_(Handoff.state == state, Handoff.stage_started_at < cutoff)


def overdue_clause(limits: Limits, today: date | None = None,
                   states: Iterable[str] | None = None):
    """domain.handoff.is_overdue as SQL: in an open stage past that stage's deadline (or only the
    given stages). Every list, count, filter and figure of overdue hand-offs uses this clause or
    its parts, stage_overdue_clause."""
    return or_(*(stage_overdue_clause(s, limits, today) for s in (states or rules.AWAITING_ANSWER)))


def overdue_counts(session: Session, agency_id: int | None = None, today: date | None = None, *,
                   sent_by: int | None = None, limits: Limits | None = None,
                   where: Iterable = ()) -> dict[str, int]:
    """Overdue hand-offs per stage (domain.handoff.AWAITING_ANSWER order) received by
    `agency_id` (or sent by `sent_by`, or satisfying `where`): one statement, one index range
    count per stage."""
    limits = limits or stage_limits(session)
    scope = list(where)
    if agency_id is not None:
        scope.append(Handoff.to_agency_id == agency_id)
    if sent_by is not None:
        scope.append(Handoff.from_agency_id == sent_by)
    counts = [select(func.count()).select_from(Handoff)
              .where(stage_overdue_clause(state, limits, today), *scope).scalar_subquery()
              for state in rules.AWAITING_ANSWER]
    row = session.execute(select(*counts)).one()
    return {state: int(n or 0) for state, n in zip(rules.AWAITING_ANSWER, row, strict=True)}


def overdue_count(session: Session, agency_id: int | None = None, today: date | None = None, *,
                  sent_by: int | None = None) -> int:
    """Overdue hand-offs received by `agency_id` (or sent by `sent_by`), over every stage."""
    return sum(overdue_counts(session, agency_id, today, sent_by=sent_by).values())


def inbox_counts(session: Session, agency_id: int) -> dict[str, int]:
    """{未受理, 対応中, 返送, 完了} for one receiving agency: one GROUP BY on (to_agency_id, state)."""
    rows = session.execute(select(Handoff.state, func.count()).where(
        Handoff.to_agency_id == agency_id).group_by(Handoff.state)).all()
    by_state = dict(rows)
    return {bucket: sum(by_state.get(s, 0) for s in states)
            for bucket, states in INBOX_BUCKETS.items()}


@dataclass(frozen=True)
class HandoffRow:
    id: int
    case_id: int
    case_no: str
    person_name: str
    from_agency_id: int
    from_agency: str
    to_agency_id: int
    to_agency: str
    state: str
    version: int
    reason: str
    request: str
    share: list[str]
    basis: str
    basis_reason: str
    consent_override: bool
    sent_at: datetime
    due_on: date
    acknowledged_at: datetime | None
    closed_at: datetime | None
    overdue: bool
    last_note: str
    last_alternative: str
    last_event_at: datetime | None
    last_event_state: str
    access_ended: bool = False  # 返送・取下げ or a consent withdrawal ended the receiver's access
    deadline: date | None = None  # the current stage's deadline (None when closed)
    overdue_label: str = ""  # which deadline it missed: 受理期限超過 / 対応開始期限超過 / 更新なし N営業日


def _rows_query():
    src, dst = aliased(Agency), aliased(Agency)
    return (select(Handoff, Case.case_no, Person.name, src.name, dst.name)
            .join(Case, Case.id == Handoff.case_id)
            .join(Person, Person.id == Case.person_id)
            .join(src, src.id == Handoff.from_agency_id)
            .join(dst, dst.id == Handoff.to_agency_id))


def _last_events(session: Session, ids: list[int]) -> dict[int, HandoffEvent]:
    if not ids:
        return {}
    latest = (select(func.max(HandoffEvent.id)).where(HandoffEvent.handoff_id.in_(ids))
              .group_by(HandoffEvent.handoff_id))
    return {e.handoff_id: e for e in session.scalars(
        select(HandoffEvent).where(HandoffEvent.id.in_(latest)))}


STUB_NAME = "（提供終了）"


def _to_rows(session: Session, results, today: date, *, as_receiver: bool = False
             ) -> list[HandoffRow]:
    """as_receiver: rows for the receiving agency's inbox, where a hand-off whose access ended
    is a stub (case number, dates, its own answer; no name)."""
    results = list(results)
    last = _last_events(session, [r[0].id for r in results])
    limits = stage_limits(session)
    rows = []
    for h, case_no, person, src, dst in results:
        e = last.get(h.id)
        ended = not rules.grants_access(h.state, h.consent_ended_at is not None)
        stub = ended and as_receiver  # what the sender wrote can identify the person too
        deadline = rules.stage_deadline(h.state, h.due_on, h.stage_started_at, limits)
        late = rules.overdue_status(h.state, h.due_on, h.stage_started_at, limits, today)
        rows.append(HandoffRow(
            h.id, h.case_id, case_no, STUB_NAME if stub else person,
            h.from_agency_id, src, h.to_agency_id, dst, h.state,
            h.version, "" if stub else h.reason, "" if stub else h.request, list(h.share),
            h.basis, h.basis_reason,
            h.consent_override, h.sent_at, h.due_on, h.acknowledged_at, h.closed_at,
            late is not None, e.note if e else "",
            e.alternative if e else "", e.at if e else None, e.to_state if e else "", ended,
            deadline, late.label if late else ""))
    return rows


def inbox(session: Session, agency_id: int, bucket: str | None = None, *,
          overdue_only: bool = False, limit: int = 200, offset: int = 0,
          today: date | None = None) -> list[HandoffRow]:
    """Hand-offs sent TO the agency, oldest unanswered first within a bucket."""
    today = today or date.today()
    q = _rows_query().where(Handoff.to_agency_id == agency_id)
    states = rules.bucket_states(bucket, INBOX_BUCKETS)
    q = q.where(Handoff.state.in_(states)) if states else q.where(Handoff.state != WITHDRAWN)
    if overdue_only:
        q = q.where(overdue_clause(stage_limits(session), today))
    q = q.order_by(Handoff.sent_at.desc(), Handoff.id.desc()).limit(limit).offset(offset)
    return _to_rows(session, session.execute(q), today, as_receiver=True)


def outbox(session: Session, agency_id: int, bucket: str | None = None, *,
           overdue_only: bool = False, limit: int = 200, offset: int = 0,
           today: date | None = None) -> list[HandoffRow]:
    """Hand-offs sent FROM the agency with the latest answer (closed loop)."""
    today = today or date.today()
    q = _rows_query().where(Handoff.from_agency_id == agency_id)
    states = rules.bucket_states(bucket, OUTBOX_BUCKETS)
    if states:
        q = q.where(Handoff.state.in_(states))
    if overdue_only:
        q = q.where(overdue_clause(stage_limits(session), today))
    q = q.order_by(Handoff.sent_at.desc(), Handoff.id.desc()).limit(limit).offset(offset)
    return _to_rows(session, session.execute(q), today)


def handoffs_for_case(session: Session, case_id: int, today: date | None = None) -> list[HandoffRow]:
    q = _rows_query().where(Handoff.case_id == case_id).order_by(Handoff.sent_at, Handoff.id)
    return _to_rows(session, session.execute(q), today or date.today())


def get_row(session: Session, handoff_id: int, today: date | None = None) -> HandoffRow:
    rows = _to_rows(session, session.execute(_rows_query().where(Handoff.id == handoff_id)),
                    today or date.today())
    if not rows:
        raise UserError(f"つなぎ（番号 {handoff_id}）は見つかりません。")
    return rows[0]


@dataclass(frozen=True)
class EventRow:
    id: int
    handoff_id: int
    from_state: str
    to_state: str
    actor_id: int
    actor_name: str
    agency_id: int | None
    agency_name: str
    at: datetime
    note: str
    alternative: str
    kind: str = ""  # "" for a step; 追加提供 / 同意撤回 (domain.handoff)


def events(session: Session, handoff_ids: Iterable[int]) -> list[EventRow]:
    """The timeline of the given hand-offs, oldest first."""
    from kodoku_desk.models import Staff

    ids = list(handoff_ids)
    if not ids:
        return []
    q = (select(HandoffEvent, Staff.display_name, Agency.name)
         .join(Staff, Staff.id == HandoffEvent.actor_id)
         .outerjoin(Agency, Agency.id == HandoffEvent.agency_id)
         .where(HandoffEvent.handoff_id.in_(ids)).order_by(HandoffEvent.at, HandoffEvent.id))
    return [EventRow(e.id, e.handoff_id, e.from_state, e.to_state, e.actor_id, who, e.agency_id,
                     agency or "", e.at, e.note, e.alternative, e.kind)
            for e, who, agency in session.execute(q)]


def derived_state(session: Session, handoff_id: int) -> str:
    """The state the events say (to check the cache against)."""
    last = session.scalar(select(HandoffEvent.to_state).where(HandoffEvent.handoff_id == handoff_id)
                          .order_by(HandoffEvent.id.desc()).limit(1))
    return last or ""


__all__ = [
    "ACTIONS", "ACTION_LABELS", "CLOSED_STATES", "HANDOFF_BASES", "INBOX_BUCKETS", "OPEN_STATES",
    "OUTBOX_BUCKETS", "TRANSITIONS", "EventRow", "HandoffRow", "SendInput", "TransitionResult",
    "add_share", "add_share_in", "send_named", "allowed_actions", "check_share", "derived_state", "events",
    "get_row", "handoffs_for_case", "inbox", "inbox_counts", "outbox", "overdue_clause",
    "overdue_count", "overdue_counts", "record_progress", "record_progress_in", "send", "send_in",
    "stage_limits", "stage_overdue_clause", "transition", "transition_in",
]
