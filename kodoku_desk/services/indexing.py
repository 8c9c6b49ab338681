"""Keeping the search indexes (store.search_index) in step with what the services write.

Called inside the writer's unit of work, after its flush: the index row and the data it
describes are committed, or rolled back, together. Writers: services.intake (people, cases,
sheets), kodoku_devtools.synthetic (its bulk path), migration 0006_search_index (existing rows)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from kodoku_desk.domain.text import case_notes_text, case_search_text
from kodoku_desk.models import Case, Person, Sheet
from kodoku_desk.store import search_index


def person_row(p: Person) -> tuple[int, str, str, str]:
    return (p.id, p.name_key or "", p.kana_key or "", p.phone_key or "")


def index_people(session: Session, people: Iterable[Person]) -> None:
    """The people's current keys into the index (insert or replace)."""
    search_index.put_people(session, [person_row(p) for p in people if p.id is not None])


def index_cases(session: Session, case_ids: Iterable[int]) -> None:
    """Recompute the cases' index rows from the database: Case.search_text and the notes of
    every sheet of the case (insert or replace)."""
    ids = sorted(set(case_ids))
    if not ids:
        return
    keys = dict(session.execute(select(Case.id, Case.search_text).where(Case.id.in_(ids))).all())
    sheets: dict[int, list] = {}
    for case_id, worries, answers in session.execute(
            select(Sheet.case_id, Sheet.worries, Sheet.answers)
            .where(Sheet.case_id.in_(ids)).order_by(Sheet.id)):
        sheets.setdefault(case_id, []).append((worries, answers))
    search_index.put_cases(session, [(i, keys[i] or "", case_notes_text(sheets.get(i, ())))
                                     for i in ids if i in keys])


def refresh_person(session: Session, person: Person) -> None:
    """After a person's name, ふりがな or phone changed: their index row, and the search text of
    the cases they are the subject of (Case.search_text is built from them)."""
    index_people(session, [person])
    cases = list(session.scalars(select(Case).where(Case.person_id == person.id)))
    for case in cases:
        case.search_text = case_search_text(case.case_no, person.name, person.kana, person.phone)
    session.flush()
    index_cases(session, [c.id for c in cases])


__all__ = ["index_cases", "index_people", "person_row", "refresh_person"]
