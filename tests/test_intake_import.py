"""`kodoku-desk intake import` (all-or-nothing; messages name file, record and field) and
`kodoku-desk intake route` (nothing saved)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from workspace_templates import copy_workspace

from kodoku_desk.cli import main
from kodoku_desk.domain.text import hidden_char
from kodoku_desk.models import Case, Consent, Disclosure, Handoff, Person, Sheet
from kodoku_desk.services.auth import sign_in
from kodoku_devtools.demo import DEMO_PASSWORD

GOOD = {
    "received_at": "令和7年4月1日", "agency": "北部地域包括支援センター", "worker": "u01",
    "method": "来所",
    "person": {"name": "福山 トメ", "kana": "ふくやま とめ", "birth_date": "昭和18年5月1日",
               "sex": "女性", "address": "福山市北町1-1", "phone": "084-900-0001"},
    "household": [{"relation": "長男", "name": "福山 一郎", "kana": "ふくやま いちろう",
                   "birth_date": "1972-03-03", "flags": ["ひきこもり"]}],
    "worries": ["介護", "本人や家族のひきこもり", "収入・生活費"],
    "most_pressing": "本人や家族のひきこもり", "wishes": "息子の将来が心配", "notes": "紹介",
    "urgency": "高",
    "consent": {"given": True, "scope": ["健康", "生活困窮"], "method": "署名", "date": "R7.4.1"},
    "handoffs": [
        {"to": "健康推進課「ふきのとう」", "reason": "長男のひきこもり", "request": "訪問",
         "share": ["basic", "worries", "household"]},
        {"to": "高齢者支援課", "reason": "介護放棄のおそれ", "request": "確認",
         "share": ["basic", "hearing_care"], "basis": "法令に基づく通告",
         "basis_reason": "高齢者虐待防止法 第7条"},
    ],
}
SECOND = {"agency": "自立相談支援機関", "worker": "近藤 雅之", "method": "電話",
          "person": {"name": "尾道 健", "kana": "おのみち けん", "birth_date": "1985-07-07"},
          "worries": ["借金", "仕事探し・就職"], "urgency": "中"}


@pytest.fixture
def ws(org_template, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "ws"
    copy_workspace(org_template, folder)
    monkeypatch.setenv("KODOKU_PASSWORD", DEMO_PASSWORD)
    return folder


def write(tmp_path: Path, sheets, name="sheets.json") -> Path:
    path = tmp_path / name
    body = sheets if isinstance(sheets, str) else json.dumps({"sheets": sheets}, ensure_ascii=False)
    path.write_text(body, encoding="utf-8")
    return path


def run(ws: Path, path: Path, user: str = "admin") -> int:
    return main(["intake", "import", "--workspace", str(ws), "--user", user, str(path)])


def counts(ws: Path) -> tuple[int, ...]:
    s = sign_in(ws, "admin", DEMO_PASSWORD)
    try:
        with s.store.read() as ss:
            return tuple(ss.scalar(select(func.count()).select_from(m))
                         for m in (Case, Person, Sheet, Handoff, Consent, Disclosure))
    finally:
        s.close()


def test_import_two_sheets(ws, tmp_path, capsys):
    assert run(ws, write(tmp_path, [GOOD, SECOND])) == 0
    out = capsys.readouterr().out
    assert "2025-000001" in out and "2 件のシートを取り込みました" in out and "多機関協働" in out
    assert counts(ws) == (2, 3, 2, 2, 1, 2)
    s = sign_in(ws, "admin", DEMO_PASSWORD)
    try:
        with s.store.read() as ss:
            override = ss.scalar(select(Handoff).where(Handoff.consent_override.is_(True)))
            assert override.basis == "法令に基づく通告"
            sheet = ss.scalar(select(Sheet).order_by(Sheet.id))
            assert sheet.answers == {"wishes": "息子の将来が心配", "notes": "紹介"}
            assert sheet.received_at.date().isoformat() == "2025-04-01"
            numbers = sorted(ss.scalars(select(Case.case_no)))
            assert numbers[0] == "2025-000001" and numbers[1].endswith("-000001")
    finally:
        s.close()


def _bad(**change):
    record = copy.deepcopy(GOOD)
    for path, value in change.items():
        target = record
        keys = path.split("__")
        for k in keys[:-1]:
            target = target[int(k)] if k.isdigit() else target[k]
        target[keys[-1]] = value
    return record


BAD = [
    (_bad(colour="青"), "シート 2", "キー「colour」は使えません"),
    (_bad(person={"name": "x", "age": 3}), "person.age", "キー「age」"),
    (_bad(worries=["宇宙人"]), "worries", "困りごと「宇宙人」"),
    (_bad(handoffs__0__to="火星相談所"), "handoffs[0].to", "機関「火星相談所」は登録されていません"),
    (_bad(agency="火星相談所"), "項目 agency", "火星相談所"),
    (_bad(person__birth_date="令和元年4月1日"), "person.birth_date", "令和になる前"),
    (_bad(consent__date="2025-02-30"), "consent.date", "存在しない日付"),
    (_bad(handoffs__1__basis=None, handoffs__1__basis_reason=None), "handoffs[1].basis",
     "同意の範囲に入っていません"),
    (_bad(handoffs__1__basis_reason=""), "handoffs[1].basis_reason", "理由を書いてください"),
    (_bad(wishes="たすけて\u0007"), "wishes", "制御文字"),
    (_bad(person__name="山田\u202eこなは"), "person.name", "「氏名」に表示できない制御文字（U+202E）"),
    (_bad(person__kana="\ufeffふくやま"), "person.kana", "（U+FEFF）"),
    (_bad(household__0__name="福山\u009b一郎"), "household[0].name", "（U+009B）"),
    (_bad(handoffs__0__reason="長男の\u0085ひきこもり"), "handoffs[0].reason", "（U+0085）"),
    (_bad(handoffs__0__request="\u2066訪問\u2069"), "handoffs[0].request", "（U+2066）"),
    (_bad(notes="紹介\u200b"), "notes", "（U+200B）"),
    (_bad(person={"name": "x", "\u202eega": 3}), "項目 person:", "キーに表示できない制御文字（U+202E）"),
    (_bad(notes="あ" * 3_500_000), "notes", "長すぎます"),
    (_bad(household__0__flags=["元気"]), "household[0].flags", "元気"),
    (_bad(handoffs__0__share=["secret"]), "handoffs[0].share", "secret"),
    (_bad(worker="nobody"), "worker", "nobody"),
]


@pytest.mark.parametrize("record, where, what", BAD)
def test_bad_record_refused_naming_file_record_field(ws, tmp_path, capsys, record, where, what):
    before = counts(ws)
    path = write(tmp_path, [GOOD, record], "bad-input.json")
    assert run(ws, path) == 1
    err = capsys.readouterr().err
    assert err.startswith("エラー: bad-input.json: シート 2")
    assert hidden_char(err) is None  # a hidden character is named, never echoed
    assert where in err and what in err, err
    assert "Traceback" not in err
    assert counts(ws) == before  # the good first record was not saved either


def test_trojan_source_name_refused_with_one_sentence(ws, tmp_path, capsys):
    before = counts(ws)
    path = write(tmp_path, [_bad(person__name="福山 \u202eメト")], "rlo.json")
    assert run(ws, path) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "エラー: rlo.json: シート 1・項目 person.name: 「氏名」に表示できない制御文字（U+202E）が"
        "含まれています。取り除いてから入力してください。"], err
    assert counts(ws) == before


@pytest.mark.parametrize("body, what", [
    ('{"sheets": [ {"person": ', "JSON として読めません"),
    ('[1, 2]', "{\"sheets\": [ ... ]}"),
    ('{"sheets": [], "extra": 1}', "キー「extra」"),
    ('{"sheets": []}', "空です"),
    ('{"sheets": ["x"]}', "シート 1"),
])
def test_malformed_files(ws, tmp_path, capsys, body, what):
    assert run(ws, write(tmp_path, body, "broken.json")) == 1
    err = capsys.readouterr().err
    assert "broken.json" in err and what in err
    assert counts(ws)[0] == 0


def test_missing_file(ws, tmp_path, capsys):
    assert run(ws, tmp_path / "nothing.json") == 1
    assert "nothing.json: ファイルが見つかりません" in capsys.readouterr().err


def test_attachments(ws, tmp_path, capsys):
    (tmp_path / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    (tmp_path / "fake.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    with open(tmp_path / "huge.pdf", "wb") as fh:
        fh.write(b"%PDF-1.4\n")
        fh.truncate(50 * 1024 * 1024)
    good = _bad(attachments=[{"file": "ok.png"}], consent__attachment="ok.png")
    for name, what in (("fake.pdf", "名前と中身の種類が合いません"), ("huge.pdf", "大きすぎます")):
        record = _bad(attachments=[{"file": name}])
        assert run(ws, write(tmp_path, [good, record], "att.json")) == 1
        err = capsys.readouterr().err
        assert "att.json: シート 2" in err and "attachments[0].file" in err and what in err
        assert counts(ws)[0] == 0
    assert run(ws, write(tmp_path, [good], "att.json")) == 0


def test_import_for_another_agency_needs_permission(ws, tmp_path, capsys):
    assert run(ws, write(tmp_path, [SECOND]), user="u01") == 1
    assert "権限" in capsys.readouterr().err


def test_route_prints_reasons_and_saves_nothing(ws, tmp_path, capsys):
    dv = {"person": {"name": "鞆 さくら", "birth_date": "1990-01-01"}, "worries": ["DV・虐待"],
          "household": [{"relation": "長女", "birth_date": "2018-01-01"}]}
    path = write(tmp_path, [GOOD, dv])
    assert main(["intake", "route", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["fields"] == ["高齢", "生活困窮", "健康"] and out[0]["multi_agency"]
    assert any("世帯にひきこもり" in r for s in out[0]["suggestions"] for r in s["reasons"])
    assert out[1]["urgent"] and out[1]["suggestions"][0]["agency"] == "こども家庭センター"
    assert main(["intake", "route", str(path)]) == 0
    table = capsys.readouterr().out
    assert "緊急対応" in table and "ふきのとう" in table
    assert main(["intake", "route", str(path), "--workspace", str(ws), "--user", "u01",
                 "--format", "json"]) == 0
    resolved = json.loads(capsys.readouterr().out)
    assert resolved[0]["suggestions"][0]["agency"] == "北部地域包括支援センター"
    assert counts(ws)[0] == 0


def test_route_with_broken_rules(tmp_path, capsys):
    rules = tmp_path / "rules.json"
    rules.write_text('{"rules": [}', encoding="utf-8")
    assert main(["intake", "route", str(write(tmp_path, [GOOD])), "--rules", str(rules)]) == 1
    assert "rules.json の 1 行" in capsys.readouterr().err
