"""Small SQL building blocks for the review and statistics queries.

Date arithmetic is the one place where SQLite and PostgreSQL differ; each construct compiles
per dialect so the queries themselves stay portable (docs/ARCHITECTURE.md: a municipality may move to
PostgreSQL on its closed network)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Date, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class date_of(FunctionElement):  # noqa: N801 - reads like the SQL function it stands for
    """The calendar date of a DATETIME column."""

    type = Date()
    inherit_cache = True
    name = "date_of"


@compiles(date_of)
def _date_of_default(element, compiler, **kw) -> str:
    (arg,) = list(element.clauses)
    return f"CAST({compiler.process(arg, **kw)} AS DATE)"


@compiles(date_of, "sqlite")
def _date_of_sqlite(element, compiler, **kw) -> str:
    (arg,) = list(element.clauses)
    return f"date({compiler.process(arg, **kw)})"


class days_between(FunctionElement):  # noqa: N801
    """Fractional days from the first DATETIME to the second."""

    type = Float()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between_default(element, compiler, **kw) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(julianday({end}) - julianday({start}))"


def day_start(d: date) -> datetime:
    """Midnight at the start of `d`: periods are [from 00:00, day after `to` 00:00)."""
    return datetime.combine(d, time.min)


def unindexed(column):
    """The column as an expression no index can serve (`column + 0`): a planner hint that
    works on SQLite and PostgreSQL alike. Filtering on it makes the planner walk another index
    (the newest cases by opened_at) and probe this condition per row, instead of driving the
    query from this column's index."""
    from sqlalchemy import literal_column

    return column + literal_column("0")
