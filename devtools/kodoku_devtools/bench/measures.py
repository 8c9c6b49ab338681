"""What the benchmark times, each through the application's own service functions.

A measure whose feature module has not landed yet is reported as 未実装 (never faked): its
`needs` names the module and function it waits for."""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from kodoku_desk.services.auth import Signed
from kodoku_devtools.bench.workspaces import Samples

# A prepared call: (signed, samples, repeat index, scratch folder) → the thing to time.
Prepare = Callable[[Signed, Samples, int, Path], Callable[[], object]]


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    target: str  # from the table ("" when the issue sets none)
    target_ms: float | None
    prepare: Prepare
    needs: tuple[str, str] | None = None  # (module, function) that must exist


def find(module: str, name: str):
    """The function if its module has landed, else None."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise
    return getattr(mod, name, None)


def _person(samples: Samples, i: int) -> dict:
    return samples.people[i % len(samples.people)] if samples.people else {
        "name": "山田", "kana": "やまだ", "phone": "084-900", "case_id": 0, "case_no": ""}


def _family(text: str) -> str:
    return text.split()[0] if text.split() else text


# --- case search (services/search.py, the "cases" helper) -------------------------------------

SEARCH = ("kodoku_desk.queries.search", "search_cases")


def _case_search(kind: str) -> Prepare:
    def prepare(signed, samples, i, scratch):
        search_cases = find(*SEARCH)
        p = _person(samples, i)
        query = {"name": p["name"], "kana": p["kana"], "phone": p["phone"][-9:],
                 "text": _family(p["name"])}[kind]
        return lambda: search_cases(signed, query)
    return prepare


# --- people search at intake (services/intake.py) ----------------------------------------------

def _people_search(kind: str) -> Prepare:
    def prepare(signed, samples, i, scratch):
        from kodoku_desk.services.intake import find_people

        p = _person(samples, i)
        if kind == "phone":
            return lambda: find_people(signed, phone=p["phone"])
        query = p["name"] if kind == "name" else p["kana"]
        return lambda: find_people(signed, query)
    return prepare


# --- the rest ----------------------------------------------------------------------------------

CASEVIEW = ("kodoku_desk.queries.caseview", "load_case_view")


def _open_case(signed, samples, i, scratch):
    """The case with the most hand-offs (30): issue 3's "opening a case with 30 hand-offs"."""
    case_view = find(*CASEVIEW)
    case_id = samples.heavy_case_id or _person(samples, i)["case_id"]
    return lambda: case_view(signed, case_id)


def _open_received_case(signed, samples, i, scratch):
    """A receiving agency opens a case handed to it: what its snapshots disclosed, never the
    live record (issue 11). Prepared untimed: a hand-off that still grants access and a 受付
    worker of its receiving agency."""
    from sqlalchemy import func, select

    from kodoku_desk.domain.actor import Actor
    from kodoku_desk.models import Handoff, HandoffSnapshot, Staff
    from kodoku_desk.services.auth import Signed

    case_view = find(*CASEVIEW)
    with signed.store.read() as s:
        granting = (select(Handoff.case_id, Handoff.to_agency_id)
                    .join(HandoffSnapshot, HandoffSnapshot.handoff_id == Handoff.id)
                    .where(Handoff.state.not_in(("返送", "取下げ")),
                           Handoff.consent_ended_at.is_(None)))
        total = s.scalar(select(func.count()).select_from(granting.subquery())) or 0
        found = s.execute(granting.order_by(Handoff.id).offset((i * 7) % max(total, 1))
                          .limit(1)).first()
        if found is None:
            raise LookupError("提供中のつなぎがありません（件数が少なすぎます）")
        for staff in s.scalars(select(Staff).where(Staff.agency_id == found.to_agency_id,
                                                   Staff.active.is_(True)).order_by(Staff.id)):
            s.refresh(staff, ["agency"])
            actor = Actor.of(staff)
            if not actor.sees_all_cases:
                receiver = Signed(signed.store, actor)
                return lambda: case_view(receiver, found.case_id)
    raise LookupError("受け手の機関に受付職員がいません")


def _inbox(signed, samples, i, scratch):
    from kodoku_desk.services.handoffs import inbox_counts, overdue_count

    def run():
        with signed.store.read() as s:
            return inbox_counts(s, samples.inbox_agency_id), overdue_count(s, samples.inbox_agency_id)
    return run


def _dashboard(signed, samples, i, scratch):
    from kodoku_desk.queries.dashboard import dashboard

    return lambda: dashboard(signed)


def _packet(fmt: str, redact: bool | None = None) -> Prepare:
    """The 30-case packet; redact=True: every part redacted (codes, third parties, masks)."""
    def prepare(signed, samples, i, scratch):
        from kodoku_desk.services.meeting_packets import export_packet

        out = scratch / f"packet-{i}{'-redacted' if redact else ''}.{fmt}"
        return lambda: export_packet(signed, samples.meeting_id, fmt, out, redact=redact)
    return prepare


def _year() -> tuple[date, date]:
    today = date.today()
    return today - timedelta(days=364), today


def _report(signed, samples, i, scratch):
    from kodoku_desk.queries.stats import report

    start, end = _year()
    return lambda: report(signed, start, end, allow_empty=True)


def _report_pdf(signed, samples, i, scratch):
    from kodoku_desk.queries.stats import export_report

    start, end = _year()
    return lambda: export_report(signed, start, end, "pdf", scratch / f"report-{i}.pdf")


def _first_query(signed, samples, i, scratch):
    """Open a new engine on the file and run the first query (key set per connection)."""
    from sqlalchemy import text

    from kodoku_desk.store.engine import make_engine

    path = signed.store.db_path
    key = signed.store._data_key or None  # the plain copy has no key

    def run():
        engine = make_engine(path, key)
        try:
            with engine.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM cases")).scalar()
        finally:
            engine.dispose()
    return run


DB_MEASURES: tuple[Measure, ...] = (
    Measure("db_open", "DBを開いて最初の問い合わせ", "", None, _first_query),
    Measure("search_name", "ケース検索（氏名）", "中央値 ≤ 100 ms", 100, _case_search("name"), SEARCH),
    Measure("search_kana", "ケース検索（ふりがな）", "中央値 ≤ 100 ms", 100, _case_search("kana"), SEARCH),
    Measure("search_phone", "ケース検索（電話）", "中央値 ≤ 100 ms", 100, _case_search("phone"), SEARCH),
    Measure("search_text", "ケース検索（自由語）", "中央値 ≤ 100 ms", 100, _case_search("text"), SEARCH),
    Measure("people_name", "本人検索・受付（氏名）", "中央値 ≤ 100 ms", 100, _people_search("name")),
    Measure("people_kana", "本人検索・受付（ふりがな）", "中央値 ≤ 100 ms", 100, _people_search("kana")),
    Measure("people_phone", "本人検索・受付（電話）", "中央値 ≤ 100 ms", 100, _people_search("phone")),
    Measure("case_open", "ケースを開く（つなぎ30件のケース）", "≤ 150 ms", 150, _open_case, CASEVIEW),
    Measure("case_open_received", "受けたケースを開く（提供内容のみ）", "≤ 50 ms", 50,
            _open_received_case, CASEVIEW),
    Measure("inbox_counts", "受信箱の件数", "≤ 50 ms", 50, _inbox),
    Measure("dashboard", "ダッシュボード集計", "≤ 1 s", 1000, _dashboard),
    Measure("packet_pdf", "会議資料 30件 PDF", "≤ 3 s", 3000, _packet("pdf")),
    Measure("packet_docx", "会議資料 30件 DOCX", "≤ 3 s", 3000, _packet("docx")),
    Measure("packet_pdf_redacted", "会議資料 30件 PDF（匿名化）", "≤ 2 s", 2000,
            _packet("pdf", redact=True)),
    Measure("report_year", "統計 1年分（集計）", "≤ 10 s", 10_000, _report),
    Measure("report_year_pdf", "統計 1年分（PDF）", "≤ 10 s", 10_000, _report_pdf),
)


def scratch_dir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="kodoku-bench-")
