"""`kodoku-desk bench` at a tiny size: every row has figures or says 未実装; valid JSON; the
plain copy holds the same rows as the encrypted workspace. No timing is asserted."""

from __future__ import annotations

import json
import sqlite3

from sqlalchemy import func, select

from kodoku_desk.cli import main
from kodoku_desk.models import Case, Person
from kodoku_devtools.bench import output, workspaces
from kodoku_devtools.bench.measures import DB_MEASURES
from kodoku_devtools.bench.runner import NOT_BUILT, OK, Report, Row, Timing

EXPECTED = {m.key for m in DB_MEASURES} | {"startup", "unlock", "gui_stall", "peak_memory"}


def test_bench_smoke_every_row_has_numbers_or_not_built(tmp_path, capsys):
    out = tmp_path / "bench.json"
    keep = tmp_path / "keep"
    code = main(["bench", "--cases", "12", "--repeat", "1", "--format", "json", "--out", str(out),
                 "--keep", str(keep)])
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    rows = {r["key"]: r for r in report["rows"]}
    assert set(rows) >= EXPECTED
    for key in EXPECTED:
        row = rows[key]
        if row["status"] == NOT_BUILT:
            assert row["note"] and row["sqlcipher"] is None, key
            continue
        assert row["status"] == OK, (key, row["note"])
        assert row["sqlcipher"]["median"] >= 0 and row["sqlcipher"]["n"] >= 1, key
    for m in DB_MEASURES:  # every database measure ran on both files, with the ratio beside it
        row = rows[m.key]
        if row["status"] == OK:
            assert row["plain"] is not None and row["ratio"] is not None, m.key
    assert rows["gui_stall"]["status"] == OK
    assert rows["peak_memory"]["unit"] == "MB"
    assert report["cases"] == 12 and report["machine"]["nproc"] >= 1
    assert report["generation"]["rows"]["cases"] == 12

    # The plain copy: same rows, readable by the stdlib sqlite3; the workspace is not.
    plain = sqlite3.connect(keep / "plain" / "workspace.kdk")
    try:
        assert plain.execute("SELECT count(*) FROM cases").fetchone()[0] == 12
        people = plain.execute("SELECT count(*) FROM people").fetchone()[0]
    finally:
        plain.close()
    ws = workspaces.build(keep, 12, 1)  # reused, not generated again
    assert ws.reused
    ws.open()
    try:
        with ws.cipher.store.read() as s:
            assert s.scalar(select(func.count()).select_from(Case)) == 12
            # (the GUI session sent one hand-off on the workspace after the copy was made)
            assert s.scalar(select(func.count()).select_from(Person)) == people
        with ws.plain.store.read() as s:
            assert s.scalar(select(func.count()).select_from(Case)) == 12
    finally:
        ws.close()
    raw = (keep / "workspace" / "workspace.kdk").read_bytes()[:16]
    assert raw != b"SQLite format 3\x00"


def test_table_output_names_not_built_rows():
    report = Report(10, 1, 2, {"nproc": 2, "memory_gb": 4.0, "cpu": "x", "python": "3",
                               "sqlcipher": "4"}, {"seconds": 1.0, "reused": False,
                                                   "rows": {"cases": 10}})
    report.rows = [
        Row("inbox_counts", "受信箱の件数", "≤ 50 ms", cipher=Timing([2.0, 3.0]),
            plain=Timing([2.0, 2.5]), target_value=50),
        Row("case_open", "ケースを開く（画面のデータ）", "≤ 150 ms", status=NOT_BUILT,
            note="kodoku_desk.queries.caseview.case_view がまだありません"),
    ]
    text = output.to_table(report)
    assert "未実装" in text and "caseview" in text and "受信箱の件数" in text
    assert "1.11" in text  # the ratio 2.5 / 2.25
    data = json.loads(output.to_json(report))
    assert data["rows"][0]["ratio"] == round(2.5 / 2.25, 3)
    assert data["rows"][1]["sqlcipher"] is None


def test_bench_refuses_bad_sizes(capsys):
    assert main(["bench", "--cases", "-1"]) == 1
    assert "--cases" in capsys.readouterr().err
    assert main(["bench", "--repeat", "0"]) == 1
