"""Case search for the case list and `kodoku-desk case list`.

The query is normalised exactly like the stored Case.search_text (services.text): width,
hiragana/katakana, spaces and phone hyphens do not matter. It matches the case number, name,
ふりがな and phone (any part of them: the last four digits of a phone), and the words of the
case's sheets (相談内容, 困りごと, 聞き取り, 見立て, 備考 …), always from an index: the trigram
full-text tables and the two-character name windows of store.search_index, kept in step by the
services that write those fields (services.indexing). Access scope is the one rule in
services.cases.scope_clause, so a 受付 worker never finds another agency's case unless it was
handed to their agency, and never finds a case by words of a sheet they may not read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from sqlalchemy import String, and_, cast, exists, func, or_, select, true, union
from sqlalchemy.orm import Session, aliased

from kodoku_desk.domain.actor import Actor
from kodoku_desk.domain.text import phone_key, search_key
from kodoku_desk.errors import UserError
from kodoku_desk.models import Agency, Block, Case, CaseField, Handoff, HandoffSnapshot, Person
from kodoku_desk.models.cases import CASE_STATUS_LABELS, CASE_STATUSES, URGENCIES
from kodoku_desk.services import uow
from kodoku_desk.services.access import scope_clause
from kodoku_desk.services.auth import Signed
from kodoku_desk.store import search_index
from kodoku_desk.store.dialect import unindexed

MAX_LIMIT = 1000
# Above this many matching cases a page is found by walking the newest cases (search_in).
MANY_MATCHES = 2000
# Up to this many matches, the page and the count look each match up by id.
FEW_MATCHES = 500
# A phone fragment shorter than this would match too much of every number.
MIN_PHONE_DIGITS = 4
# A search word longer than this is a paste by mistake (a name is at most 100 characters).
MAX_QUERY = 200


@dataclass(frozen=True)
class CaseFilters:
    """The case list's filters; None / empty means "any"."""

    agency_id: int | None = None  # owned by, or handed to, this agency
    field: str | None = None
    block_id: int | None = None
    status: str | None = None  # open / closed
    urgency: str | None = None  # one of URGENCIES, or "緊急" for the urgent path
    date_from: date | None = None  # opened on or after
    date_to: date | None = None  # opened on or before


URGENT_PATH = "緊急"


@dataclass(frozen=True)
class CaseRow:
    id: int
    case_no: str
    person_name: str
    kana: str
    birth_date: date | None
    owner_agency: str
    block: str
    status: str
    status_label: str
    urgency: str
    urgent_path: bool
    multi_agency: bool
    fields: list[str]
    opened_at: datetime


@dataclass(frozen=True)
class SearchResult:
    rows: list[CaseRow]
    total: int
    limit: int
    offset: int
    filters: CaseFilters = field(default_factory=CaseFilters)


def query_terms(query: str) -> list[str]:
    """The normalised forms a query is looked up by: search_key(), and the bare digits when the
    query looks like (part of) a phone number typed with hyphens, spaces or brackets."""
    key = search_key(query)
    if not key:
        return []
    if len(key) > MAX_QUERY:
        raise UserError(f"検索語が長すぎます（{MAX_QUERY}文字まで）。短くして検索してください。",
                        field="query")
    digits = phone_key(query)
    if len(digits) >= MIN_PHONE_DIGITS and digits != key:
        return [key, digits]
    return [key]


def matching_cases(session: Session, actor: Actor, query: str):
    """SELECT cases.id of the cases whose search keys (case number, name, ふりがな, phone) or
    sheet notes contain the query, answered from indexes only; None for an empty query.

    3 characters and more: the trigram full-text index (store.search_index) over keys and notes.
    Two (山田, 介護): the name and ふりがな of the case's person from their two-character windows
    (people_grams), and the notes through the trigrams that start with the two characters.
    One (林): names only. A case number or a phone number needs 3 characters or digits.
    Notes count only where the actor sees the whole sheet: their own agency's cases, or every
    case for those who see all. A receiving agency sees only the sections shared with it, so a
    word in an unshared section must not reveal the case (its name and phone still find it)."""
    terms = query_terms(query)
    if not terms:
        return None
    long = [t for t in terms if search_index.indexable(t)]
    notes = list(long)
    parts = []
    for term in terms:
        if not search_index.indexable(term):
            parts.append(select(Case.id).where(
                Case.person_id.in_(search_index.people_ids_short(term))))
            if len(term) == 2:
                notes += search_index.trigrams_starting(session, term)
    if long and notes == long and actor.sees_all_cases:  # one MATCH over both columns
        parts.append(search_index.case_ids(("keys", "notes"), long))
        notes = []
    elif long:
        words = [t for t in long if not t.isdigit()]
        digits = [t for t in long if t.isdigit()]
        if words:
            parts.append(search_index.case_ids(("keys",), words))
        if digits:  # a phone number finds a received case only if its phone was provided
            parts.append(select(Case.id).where(
                Case.id.in_(search_index.case_ids(("keys",), digits)), phone_visible(actor)))
    if notes and actor.sees_all_cases:
        parts.append(search_index.case_ids(("notes",), notes))
    elif notes and actor.agency_id is not None:
        parts.append(select(Case.id).where(Case.id.in_(search_index.case_ids(("notes",), notes)),
                                           Case.owner_agency_id == actor.agency_id))
    return parts[0] if len(parts) == 1 else union(*parts)


def phone_visible(actor: Actor):
    """The person's phone is the actor's to search by: its own agency's case, or a case handed
    to it with ご本人について (the section that carries the phone) while access lasts."""
    from kodoku_desk.services.access import granting_clause

    if actor.sees_all_cases:
        return true()
    # The JSON list is stored as text: '"basic"' marks the section key exactly.
    handed = exists().where(HandoffSnapshot.handoff_id == Handoff.id, Handoff.case_id == Case.id,
                            granting_clause(actor.agency_id),
                            cast(HandoffSnapshot.sections, String).contains('"basic"'))
    return or_(Case.owner_agency_id == actor.agency_id, handed)


def _check_filters(f: CaseFilters) -> None:
    if f.status and f.status not in CASE_STATUSES:
        raise UserError(f"状態「{f.status}」はありません。選べるのは open（対応中）・closed（終結）です。",
                        field="status")
    if f.urgency and f.urgency not in (*URGENCIES, URGENT_PATH):
        raise UserError(f"緊急度「{f.urgency}」はありません。選べるのは {'・'.join(URGENCIES)}・"
                        f"{URGENT_PATH} です。", field="urgency")
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise UserError("期間の開始日が終了日より後になっています。", field="date_from")


def filter_clauses(f: CaseFilters) -> list:
    out = []
    if f.agency_id is not None:
        handed = exists().where(Handoff.case_id == Case.id, Handoff.to_agency_id == f.agency_id)
        out.append(or_(Case.owner_agency_id == f.agency_id, handed))
    if f.field:
        out.append(exists().where(CaseField.case_id == Case.id, CaseField.field == f.field))
    if f.block_id is not None:
        out.append(Case.block_id == f.block_id)
    if f.status:
        out.append(Case.status == f.status)
    if f.urgency == URGENT_PATH:
        out.append(Case.urgent_path.is_(True))
    elif f.urgency:
        out.append(Case.urgency == f.urgency)
    if f.date_from:
        out.append(Case.opened_at >= datetime.combine(f.date_from, time.min))
    if f.date_to:
        out.append(Case.opened_at < datetime.combine(f.date_to + timedelta(days=1), time.min))
    return out


def search_in(session: Session, actor: Actor, query: str = "", filters: CaseFilters | None = None,
              *, limit: int = 100, offset: int = 0, with_total: bool = True) -> SearchResult:
    """Cases the actor may see that match the query and filters, newest first."""
    filters = filters or CaseFilters()
    _check_filters(filters)
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    # `IS NOT true`, not `= false`: an index on the flag alone (ix_cases_deleted) must never
    # tempt the planner to fetch every case and sort it instead of walking opened_at.
    where = [Case.deleted.is_not(True), scope_clause(actor), *filter_clauses(filters)]
    page_where = where
    matching = matching_cases(session, actor, query)
    if matching is not None:
        # The match set is read from the indexes once; up to MANY_MATCHES ids are handed to
        # the page and count queries as a list, so neither evaluates the indexes again.
        ids = list(session.scalars(matching.limit(MANY_MATCHES + 1)))
        if len(ids) <= FEW_MATCHES:
            where = page_where = [*where, Case.id.in_(search_index.id_list(ids))]
        elif len(ids) <= MANY_MATCHES:
            # Hundreds of matches (山田): probing the list while walking the newest cases, and
            # counting over a narrow index, reads the same few pages for every query; looking
            # up each match by id reads a different page of the cases table for each, which
            # SQLCipher must decrypt whenever it is not in the cache yet (2-character name at
            # 100,000 cases, cold cache: ~117 → ~83 ms; warm: ~25 → ~38 ms).
            probe = unindexed(Case.id).in_(search_index.id_list(ids))
            where = page_where = [*where, probe]
        else:
            where = [*where, Case.id.in_(matching)]
            # A broad query (084, 2025, ひきこもり): walking the newest cases and keeping those
            # in the match set finds a page without looking up and sorting every match
            # (store.dialect.unindexed). Probing the full-text index once per case instead is
            # slower when the matches are old cases: 2025 → 2 s.
            page_where = [*where[:-1], unindexed(Case.id).in_(matching)]
    # The page's ids first (cases alone), then the 100 rows with their names: joining people,
    # agencies and blocks for every match before sorting would cost a lookup per match.
    ids = list(session.scalars(select(Case.id).where(and_(*page_where))
                               .order_by(Case.opened_at.desc(), Case.id.desc())
                               .limit(limit).offset(offset)))
    rows = _rows(session, ids)
    total = len(rows) + offset
    if with_total and (len(rows) == limit or offset):
        total = session.scalar(select(func.count()).select_from(Case).where(and_(*where))) or 0
    return SearchResult(rows, total, limit, offset, filters)


def _rows(session: Session, ids: list[int]) -> list[CaseRow]:
    if not ids:
        return []
    owner = aliased(Agency)
    # Columns, not Case entities: a page of plain rows, no ORM identity bookkeeping.
    q = (select(*_CASE_COLUMNS, Person.name, Person.kana, Person.birth_date, owner.name,
                Block.name)
         .join(Person, Person.id == Case.person_id)
         .join(owner, owner.id == Case.owner_agency_id)
         .outerjoin(Block, Block.id == Case.block_id)
         .where(Case.id.in_(ids))
         .order_by(Case.opened_at.desc(), Case.id.desc()))
    return [_row(SimpleNamespace(**dict(zip(_CASE_KEYS, r[:len(_CASE_KEYS)], strict=True))),
                 *r[len(_CASE_KEYS):]) for r in session.execute(q)]


_CASE_KEYS = ("id", "case_no", "status", "urgency", "urgent_path", "multi_agency", "fields",
              "opened_at")
_CASE_COLUMNS = tuple(getattr(Case, k) for k in _CASE_KEYS)


def _row(c, name: str, kana: str, birth: date | None, agency: str, block: str | None) -> CaseRow:
    return CaseRow(c.id, c.case_no, name, kana, birth, agency, block or "", c.status,
                   CASE_STATUS_LABELS.get(c.status, c.status), c.urgency, c.urgent_path,
                   c.multi_agency, list(c.fields or []), c.opened_at)


def list_cases(signed: Signed, query: str = "", limit: int = 100) -> SearchResult:
    """The case list printed by `kodoku-desk case list`: the same search, and the listing is
    audited (it leaves the app as text on a terminal)."""
    from kodoku_desk.services import audit

    with uow.write(signed) as s:
        result = search_in(s, signed.actor, query, limit=limit)
        audit.record(s, signed.actor, "list_cases", "case", "",
                     {"query": query, "count": len(result.rows)})
        return result


def open_cases(session: Session, actor: Actor, query: str = "", limit: int = 100) -> list[CaseRow]:
    """The pickers' search (plans, meeting agendas): open cases matching the query exactly as
    the case list finds them, newest first."""
    return search_in(session, actor, query, CaseFilters(status="open"), limit=limit,
                     with_total=False).rows


def search_cases(signed: Signed, query: str = "", *, agency_id: int | None = None,
                 field: str | None = None, block_id: int | None = None, status: str | None = None,
                 urgency: str | None = None, date_from: date | None = None,
                 date_to: date | None = None, limit: int = 100, offset: int = 0) -> SearchResult:
    """The case list search in its own read session (the GUI runs it through ctx.runner)."""
    filters = CaseFilters(agency_id, field, block_id, status, urgency, date_from, date_to)
    with uow.read(signed) as s:
        return search_in(s, signed.actor, query, filters, limit=limit, offset=offset)


@dataclass(frozen=True)
class FilterChoices:
    """What the case list's filter boxes offer."""

    agencies: list[tuple[int, str]]
    blocks: list[tuple[int, str]]
    fields: list[str]
    urgencies: list[str]
    statuses: list[tuple[str, str]]


def filter_choices(signed: Signed) -> FilterChoices:
    from kodoku_desk.models.org import FIELDS

    with uow.read(signed) as s:
        agencies = [(a.id, a.name) for a in s.scalars(
            select(Agency).where(Agency.active.is_(True)).order_by(Agency.name))]
        blocks = [(b.id, b.name) for b in s.scalars(select(Block).order_by(Block.id))]
    return FilterChoices(agencies, blocks, list(FIELDS), [*URGENCIES, URGENT_PATH],
                         list(CASE_STATUS_LABELS.items()))
