"""Issue 4 §4: the statistics report — every count equals one computed here from the cases,
sheets and hand-off events the test created; the PDF and CSV read back with real tools; the
CLI's bad input gets sentences and writes nothing."""

from __future__ import annotations

import csv
import random
import shutil
import statistics
import subprocess
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from kodoku_desk.domain import dates
from kodoku_desk.errors import UserError
from kodoku_desk.models import AuditEntry
from kodoku_desk.queries import stats
from tests.test_foundation import cli
from tests.test_review import PW, TODAY, add_case, add_handoff, make_org, sign

FROM, TO = date(2024, 6, 1), date(2025, 5, 31)
DISCOVERIES = ["本人", "家族", "民生委員・児童委員", "交流館", ""]
WORRIES = ["介護", "収入・生活費", "借金", "子育て", "本人や家族のひきこもり", "孤独・さみしさ・話し相手がいない"]
FIELD_SETS = [(), ("高齢",), ("障がい",), ("高齢", "生活困窮"), ("子ども", "生活困窮", "障がい")]


def build_world(signed, seed: int = 21, n: int = 70):
    org = make_org(signed)
    rng = random.Random(seed)
    cases, handoffs = [], []
    with signed.store.write() as s:
        for i in range(n):
            opened = datetime(2024, 3, 1) + timedelta(days=rng.randrange(0, 500),
                                                      hours=rng.randrange(8, 18))
            birth = None if rng.random() < 0.15 else date(1930, 1, 1) + timedelta(
                days=rng.randrange(0, 365 * 90))
            info = dict(block=rng.choice(["北部ブロック", "南部ブロック", None]),
                        fields=rng.choice(FIELD_SETS), discovery=rng.choice(DISCOVERIES),
                        birth=birth, worries=tuple(rng.sample(WORRIES, rng.randrange(0, 4))))
            cid = add_case(s, org, f"S-{i:03d}", opened, **info)
            cases.append(dict(info, opened=opened))
            for _ in range(rng.randrange(0, 3)):
                sent = opened + timedelta(days=rng.randrange(0, 20), hours=rng.randrange(0, 4))
                roll = rng.random()
                steps = ()
                if roll < 0.6:
                    steps = (("受理", sent + timedelta(hours=rng.randrange(2, 24 * 10)), "", ""),)
                elif roll < 0.75:
                    steps = (("返送", sent + timedelta(days=rng.randrange(1, 8)), "対象外", "他課"),)
                handoffs.append(add_handoff(s, org, cid, "福祉総務課",
                                            rng.choice(["障がい福祉課", "こども家庭センター",
                                                        "自立相談支援機関"]), sent, steps))
    return org, cases, handoffs


def _band(birth: date | None) -> str:
    if birth is None:
        return "不明"
    age = dates.age_on(birth, TO)
    return [label for label, low in stats.AGE_BANDS if age >= low][-1]


def test_report_counts_equal_counts_from_the_events(signed):
    _, cases, handoffs = build_world(signed)
    start, end = datetime.combine(FROM, datetime.min.time()), \
        datetime.combine(TO + timedelta(days=1), datetime.min.time())

    def within(t):
        return t is not None and start <= t < end

    r = stats.report(signed, FROM, TO, today=TODAY)
    period_cases = [c for c in cases if within(c["opened"])]
    assert r.cases == len(period_cases) and r.intakes == len(period_cases)
    assert dict(r.by_field) == dict(Counter(f for c in period_cases for f in c["fields"]))
    assert dict(r.by_discovery) == dict(Counter(c["discovery"] or "未記入" for c in period_cases))
    blocks = Counter(c["block"] or "ブロック未設定" for c in period_cases)
    assert {k: v for k, v in r.by_block if v} == dict(blocks)
    ages = Counter(_band(c["birth"]) for c in period_cases)
    assert {k: v for k, v in r.by_age if v} == dict(ages)
    assert dict(r.by_worry) == dict(Counter(w for c in period_cases for w in c["worries"]))
    assert r.multi_field_cases == sum(len(c["fields"]) >= 2 for c in period_cases)

    assert r.sent == sum(within(h.sent_at) for h in handoffs)
    assert r.acknowledged == sum(within(h.acknowledged_at) for h in handoffs)
    assert r.returned == sum(within(h.returned_at) for h in handoffs)
    as_of = min(TO, TODAY)

    def late(h) -> bool:
        answered = h.acknowledged_at or h.closed_at
        return (answered is None and h.due_on < as_of) or \
            (answered is not None and answered.date() > h.due_on)

    assert r.overdue == sum(within(h.sent_at) and late(h) for h in handoffs)
    waits = [(h.acknowledged_at - h.sent_at).total_seconds() / 86400 for h in handoffs
             if h.acknowledged_at and within(h.sent_at)]
    assert r.median_ack_days == round(statistics.median(waits), 1)

    assert [m.month for m in r.monthly][0] == "2024-06" and len(r.monthly) == 12
    by_month = {m.month: m for m in r.monthly}
    assert {k: m.cases for k, m in by_month.items() if m.cases} == \
        dict(Counter(c["opened"].strftime("%Y-%m") for c in period_cases))
    assert {k: m.sent for k, m in by_month.items() if m.sent} == \
        dict(Counter(h.sent_at.strftime("%Y-%m") for h in handoffs if within(h.sent_at)))
    assert {k: m.returned for k, m in by_month.items() if m.returned} == \
        dict(Counter(h.returned_at.strftime("%Y-%m") for h in handoffs if within(h.returned_at)))


def test_agency_filter_and_bad_periods(signed):
    _, cases, handoffs = build_world(signed, seed=5, n=30)
    r = stats.report(signed, FROM, TO, agency="障がい福祉課", today=TODAY)
    start = datetime.combine(FROM, datetime.min.time())
    end = datetime.combine(TO + timedelta(days=1), datetime.min.time())
    assert r.sent == sum(start <= h.sent_at < end and h.to_agency == "障がい福祉課"
                         for h in handoffs)
    assert r.cases == 0  # every case was taken in by 北部地域包括支援センター
    with pytest.raises(UserError, match="登録されていません"):
        stats.report(signed, FROM, TO, agency="火星支所")
    with pytest.raises(UserError, match="より前"):
        stats.report(signed, TO, FROM)
    with pytest.raises(UserError, match="受付もつなぎもありません"):
        stats.report(signed, date(2010, 4, 1), date(2011, 3, 31))
    empty = stats.report(signed, date(2010, 4, 1), date(2011, 3, 31), allow_empty=True)
    assert empty.is_empty and len(empty.monthly) == 12


def _pdftotext(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_report_pdf_and_csv_through_the_cli(signed, ws_dir, tmp_path):
    build_world(signed)
    with signed.store.read() as s:
        expected = stats.build_report(s, FROM, TO)
    signed.close()
    pdf = tmp_path / "統計報告.pdf"
    out = cli("report", "--workspace", str(ws_dir), "--user", "boss", "--from", "令和6年6月1日",
              "--to", "R7.5.31", "--format", "pdf", "--out", str(pdf), password=PW)
    assert out.returncode == 0, out.stderr
    assert "統計報告を出力しました" in out.stdout
    body = _pdftotext(pdf)
    assert "統計報告" in body and "令和6年6月1日" in body
    flat = "".join(body.split())  # pdftotext's spacing varies with alignment; compare without
    assert f"新規ケース数{expected.cases:,}件" in flat
    assert f"つなぎ送付{expected.sent:,}件" in flat
    assert f"つなぎ受理期限に遅れた{expected.overdue:,}件" in flat
    assert f"合計{sum(expected.overdue_now.values()):,}件" in flat  # 期限超過中, per stage
    assert f"受理までの日数（中央値）{expected.median_ack_days:.1f}日" in flat
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    font_lines = fonts.splitlines()[2:]
    assert font_lines and all("IPAexGothic" in line for line in font_lines), fonts
    assert all(line.split()[-5] == "yes" for line in font_lines), fonts  # every font embedded

    csv_path = tmp_path / "統計報告.csv"
    out = cli("report", "--workspace", str(ws_dir), "--user", "boss", "--from", "2024-06-01",
              "--to", "2025-05-31", "--format", "csv", "--out", str(csv_path), password=PW)
    assert out.returncode == 0, out.stderr
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["区分", "項目", "件数・値"]
    table = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert table[("概要", "新規ケース数")] == str(expected.cases)
    assert table[("つなぎ", "返送")] == str(expected.returned)
    assert table[("つなぎ", "受理期限に遅れた")] == str(expected.overdue)
    for field_name, n in expected.by_field:
        assert table[("分野別ケース", field_name)] == str(n)


def test_report_cli_bad_input_is_a_sentence_and_writes_nothing(signed, ws_dir, tmp_path):
    build_world(signed, seed=3, n=20)
    signed.close()
    out_path = tmp_path / "r.pdf"

    def run(*extra, user="boss"):
        return cli("report", "--workspace", str(ws_dir), "--user", user, "--out", str(out_path),
                   *extra, password=PW)

    cases = [
        (run("--from", "2025-05-31", "--to", "2024-06-01"), "より前"),
        (run("--from", "令和元年4月1日", "--to", "2025-05-31"), "令和になる前"),
        (run("--from", "2010-04-01", "--to", "2011-03-31"), "受付もつなぎもありません"),
        (run("--from", "2024-06-01", "--to", "2025-05-31", "--agency", "火星支所"), "登録されていません"),
        (run("--from", "2024-06-01", "--to", "2025-05-31", user="worker"), "権限がありません"),
    ]
    for out, phrase in cases:
        assert out.returncode == 1, out.stdout
        assert phrase in out.stderr and "Traceback" not in out.stderr, out.stderr
        assert not out_path.exists()
    bad_dir = cli("report", "--workspace", str(ws_dir), "--user", "boss", "--from", "2024-06-01",
                  "--to", "2025-05-31", "--out", str(tmp_path / "nowhere" / "r.pdf"), password=PW)
    assert bad_dir.returncode == 1 and "フォルダ" in bad_dir.stderr
    assert list(tmp_path.glob("**/*.part")) == []
    boss = sign(ws_dir, "boss")
    with boss.store.read() as s:
        denied = s.scalars(select(AuditEntry).where(AuditEntry.action == "access_denied")).all()
    assert [e.actor for e in denied] == ["worker"]
    boss.close()


def test_audit_and_disclosure_export_cli(signed, ws_dir, tmp_path):
    make_org(signed)
    signed.close()
    path = tmp_path / "audit.csv"
    out = cli("audit", "export", "--workspace", str(ws_dir), "--user", "boss", "--out", str(path),
              password=PW)
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(path.read_bytes().decode("utf-8-sig").splitlines()))
    assert rows[0][:5] == ["記録ID", "日時", "ログインID", "氏名", "操作"]
    assert any(r[2] == "boss" and r[5] == "login" for r in rows[1:])
    path2 = tmp_path / "disc.csv"
    out = cli("disclosures", "export", "--workspace", str(ws_dir), "--user", "boss",
              "--from", "R7.4.1", "--to", "R8.3.31", "--out", str(path2), password=PW)
    assert out.returncode == 0, out.stderr
    assert path2.read_bytes().startswith("\ufeff記録ID,提供日時".encode())
    out = cli("disclosures", "export", "--workspace", str(ws_dir), "--user", "worker",
              "--out", str(tmp_path / "x.csv"), password=PW)
    assert out.returncode == 1 and "権限" in out.stderr and not (tmp_path / "x.csv").exists()
    out = cli("audit", "export", "--workspace", str(ws_dir), "--user", "boss", "--from",
              "2025-02-30", "--out", str(tmp_path / "y.csv"), password=PW)
    assert out.returncode == 1 and "存在しない日付" in out.stderr


def test_monthly_trend_and_medians_with_an_agency_and_a_period_cut_mid_month(signed):
    """The monthly trend is counted as one range per month, cut at the period's ends; with an
    agency chosen every hand-off figure is scoped to hand-offs it sent or received."""
    _, cases, handoffs = build_world(signed, seed=8, n=80)
    lo, hi = date(2024, 6, 15), date(2025, 6, 14)
    start, end = datetime.combine(lo, datetime.min.time()), \
        datetime.combine(hi + timedelta(days=1), datetime.min.time())

    def within(t):
        return t is not None and start <= t < end

    def per_month(times) -> dict:
        return dict(Counter(t.strftime("%Y-%m") for t in times if within(t)))

    for agency in (None, "障がい福祉課"):
        mine = [h for h in handoffs if agency is None or agency in (h.to_agency, h.from_agency)]
        r = stats.report(signed, lo, hi, agency=agency, today=TODAY)
        months = {m.month: m for m in r.monthly}
        assert list(months)[0] == "2024-06" and list(months)[-1] == "2025-06"
        assert {k: m.sent for k, m in months.items() if m.sent} == \
            per_month(h.sent_at for h in mine)
        assert {k: m.acknowledged for k, m in months.items() if m.acknowledged} == \
            per_month(h.acknowledged_at for h in mine)
        assert {k: m.returned for k, m in months.items() if m.returned} == \
            per_month(h.returned_at for h in mine)
        assert r.returned == sum(within(h.returned_at) for h in mine)
        assert r.acknowledged == sum(within(h.acknowledged_at) for h in mine)
        if agency is None:
            assert {k: m.intakes for k, m in months.items() if m.intakes} == \
                per_month(c["opened"] for c in cases)
        waits = defaultdict(list)
        for h in handoffs:
            if h.acknowledged_at and within(h.sent_at) and agency in (None, h.to_agency):
                waits[h.to_agency].append((h.acknowledged_at - h.sent_at).total_seconds() / 86400)
        assert {m.agency: (m.median_days, m.acknowledged) for m in r.median_by_agency} == \
            {a: (round(statistics.median(v), 1), len(v)) for a, v in waits.items()}
        everything = [w for v in waits.values() for w in v]
        assert r.median_ack_days == round(statistics.median(everything), 1)
