"""Japanese dates: 和暦 and 西暦 input and display, and business days (weekends and public
holidays excluded, via jpholiday)."""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from datetime import date, timedelta

import jpholiday

from kodoku_desk.errors import UserError

# (name, short, first day) newest first.
ERAS = (
    ("令和", "R", date(2019, 5, 1)),
    ("平成", "H", date(1989, 1, 8)),
    ("昭和", "S", date(1926, 12, 25)),
    ("大正", "T", date(1912, 7, 30)),
    ("明治", "M", date(1868, 1, 25)),
)
_ERA_BY_KEY = {k: e for e in ERAS for k in (e[0], e[1], e[1].lower())}
_WAREKI = re.compile(
    r"^(令和|平成|昭和|大正|明治|[RHSTMrhstm])\s*\.?\s*(元|\d{1,2})\s*(?:年|[./-])\s*(\d{1,2})\s*(?:月|[./-])\s*(\d{1,2})\s*日?$"
)
_SEIREKI = re.compile(r"^(\d{4})\s*(?:年|[./-])\s*(\d{1,2})\s*(?:月|[./-])\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _make(y: int, m: int, d: int, original: str) -> date:
    try:
        return date(y, m, d)
    except ValueError as exc:
        raise UserError(f"「{original}」は存在しない日付です。") from exc


def parse_date(text: str | None, *, field: str | None = None) -> date | None:
    """Accepts 「令和7年4月1日」「R7.4.1」「2025-04-01」「2025/4/1」 and full-width digits.
    Empty input → None. Anything else raises UserError with a sentence for the field."""
    if text is None:
        return None
    original = text.strip()
    s = unicodedata.normalize("NFKC", original).replace(" ", "")
    if not s:
        return None
    try:
        if m := _WAREKI.match(s):
            name, short, start = _ERA_BY_KEY[m.group(1)]
            year_in_era = 1 if m.group(2) == "元" else int(m.group(2))
            if year_in_era < 1:
                raise UserError(f"「{original}」の年が正しくありません。")
            d = _make(start.year + year_in_era - 1, int(m.group(3)), int(m.group(4)), original)
            if d < start:
                raise UserError(f"「{original}」は{name}になる前の日付です（{name}は{to_wareki(start)}から）。")
            following = [e for e in ERAS if e[2] > start]
            if following:
                nxt = min(following, key=lambda e: e[2])
                if d >= nxt[2]:
                    last = to_wareki(nxt[2] - timedelta(days=1))
                    raise UserError(f"「{original}」は{nxt[0]}の日付です（{name}は{last}まで）。")
            return d
        if m := _SEIREKI.match(s) or _COMPACT.match(s):
            return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)), original)
    except UserError as err:
        raise UserError(err.message, field=field) from None
    raise UserError(
        f"「{original}」を日付として読めません。「令和7年4月1日」「R7.4.1」「2025-04-01」のように入力してください。",
        field=field,
    )


def era_of(d: date) -> tuple[str, str, int]:
    for name, short, start in ERAS:
        if d >= start:
            return name, short, d.year - start.year + 1
    raise ValueError("明治より前の日付は和暦で表せません")


def to_wareki(d: date | None) -> str:
    """令和7年4月1日 (元年 for the first year)."""
    if d is None:
        return ""
    name, _, year = era_of(d)
    return f"{name}{'元' if year == 1 else year}年{d.month}月{d.day}日"


def to_both(d: date | None) -> str:
    """令和7年4月1日（2025-04-01）: the form used on screens and printouts."""
    return f"{to_wareki(d)}（{d.isoformat()}）" if d else ""


def age_on(birth: date | None, on: date) -> int | None:
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --- business days -------------------------------------------------------------------------------
# Weekends, public holidays (jpholiday) and 年末年始 are not business days. Each year's holidays
# and a running count of its business days are computed once: jpholiday's per-day check costs
# ~0.3 ms, too slow for a list of a thousand overdue hand-offs.


def _year_end(d: date) -> bool:
    """Municipal offices close 29 Dec – 3 Jan (行政機関の休日に関する法律)."""
    return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)


@functools.lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(d for d, _ in jpholiday.year_holidays(year))


def is_business_day(d: date) -> bool:
    return d.weekday() < 5 and d not in _holidays(d.year) and not _year_end(d)


@functools.lru_cache(maxsize=64)
def _cumulative(year: int) -> tuple[int, ...]:
    """Business days from 1 January up to and including each day of the year."""
    counts, running, d = [], 0, date(year, 1, 1)
    while d.year == year:
        running += is_business_day(d)
        counts.append(running)
        d += timedelta(days=1)
    return tuple(counts)


def add_business_days(start: date, days: int) -> date:
    """The day `days` business days after `start` (the due day of a hand-off): the first day
    whose running count of business days reaches the start's count + `days`, found by bisection
    in each year's running count (the dashboard computes hundreds of deadlines per view)."""
    if days <= 0:
        return start
    year = start.year
    counts = _cumulative(year)
    target = counts[start.timetuple().tm_yday - 1] + days
    while counts[-1] < target:
        target -= counts[-1]
        year += 1
        counts = _cumulative(year)
    return date(year, 1, 1) + timedelta(days=bisect.bisect_left(counts, target))


def business_days_between(start: date, end: date) -> int:
    """Business days after `start` up to and including `end` (0 when end is not later)."""
    if end <= start:
        return 0
    upto_end = _cumulative(end.year)[end.timetuple().tm_yday - 1]
    upto_start = _cumulative(start.year)[start.timetuple().tm_yday - 1]
    whole_years = sum(_cumulative(y)[-1] for y in range(start.year, end.year))
    return whole_years + upto_end - upto_start
