"""Indexes for the case and people searches (issue 3), created by migrations 0005_search and
0006_search_index.

Case.search_text is matched with LIKE '%…%', which no B-tree can seek; but an index on the
column alone is a narrow copy of it, so finding the matching ids scans the index (a few MB)
instead of the whole cases table. Measured at 100,000 cases: ~30 ms instead of ~110 ms. Since
0006 it serves only queries of one or two characters: longer ones are answered by the trigram
full-text tables people_fts and case_fts (kodoku_desk/store/search_index.py; FTS5 virtual tables
are not part of the metadata, the migration creates them)."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from kodoku_desk.models.base import Base
from kodoku_desk.models.cases import Case, Person
from kodoku_desk.models.handoffs import Handoff

Index("ix_cases_search_text", Case.search_text)
# The intake search by birth date alone (0006).
Index("ix_people_birth_date", Person.birth_date)
# Access scope, "was this case handed to my agency?", asked for each candidate case (0006).
Index("ix_handoffs_case_to", Handoff.case_id, Handoff.to_agency_id)

# Queries of one or two characters (山田, 林) produce no trigram: they are answered from this
# table of every two-character window of each person's name_key and kana_key (the last
# character paired with GRAM_END), one row per (window, person): a 2-character query is one
# seek, a 1-character one a range. Kept in step with the people by store.search_index (0006).
people_grams = Table(
    "people_grams", Base.metadata,
    Column("gram", String(2), primary_key=True),
    Column("person_id", Integer, primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,
)

SEARCH_INDEXES = (
    ("ix_cases_search_text", "cases", ["search_text"]),
    ("ix_people_birth_date", "people", ["birth_date"]),
    ("ix_handoffs_case_to", "handoffs", ["case_id", "to_agency_id"]),
)
