"""Case search: normalisation (width, kana, spaces, full-width digits, phone hyphens), filters,
access scope, and the `case list` / `handoff list` CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta

import cases_data
import pytest
from cases_data import FUKI, JIRITSU, NORTH, OTHER, SOUTH
from intake_data import agency_id

from kodoku_desk.cli import main
from kodoku_desk.errors import UserError
from kodoku_desk.services import handoffs
from kodoku_desk.services.demo import DEMO_PASSWORD
from kodoku_desk.services.search import search_cases

# The shared fixtures (an organisation, two saved intakes).
org_template = cases_data.org_template
world = cases_data.world


def _nos(result) -> set[str]:
    return {r.case_no for r in result.rows}


@pytest.mark.parametrize("query", [
    "ﾌｸﾔﾏ ﾄﾒ", "フクヤマ　トメ", "ふくやまとめ", "ふくやま　 とめ", "福山トメ", "福山 とめ",
    "ﾄﾒ", "084-900-0001", "０８４−９００−０００１", "０８４９０００００１", "9000001",
])
def test_query_is_normalised_like_the_stored_keys(world, query):
    result = search_cases(world.north, query)
    assert _nos(result) == {world.case_8050.case_no}


def test_case_number_and_empty_and_wildcards(world):
    assert _nos(search_cases(world.north, world.case_8050.case_no)) == {world.case_8050.case_no}
    assert search_cases(world.north, "%").rows == []
    assert search_cases(world.north, "_").rows == []
    assert search_cases(world.north, "該当なしの名前").total == 0


def test_phone_matches_whatever_the_hyphenation(world):
    for query in ("0849-00-0001", "(084) 900 0001", "tel 084-900-0001"):
        assert _nos(search_cases(world.north, query)) == {world.case_8050.case_no}, query
    assert search_cases(world.north, "084-900-0002").total == 0


def test_scope_intake_worker_sees_own_and_handed_cases_only(world):
    north = _nos(search_cases(world.north))
    assert world.case_8050.case_no in north
    assert world.case_south.case_no not in north
    assert search_cases(world.north, "やまだはなこ").total == 0  # exists, but not visible
    south = _nos(search_cases(world.staff_of(SOUTH)))
    assert south == {world.case_south.case_no}
    # ふきのとう received a hand-off of the 8050 case and so finds it; 障がい福祉課 did not.
    assert _nos(search_cases(world.staff_of(FUKI), "ふくやま")) == {world.case_8050.case_no}
    assert search_cases(world.staff_of(OTHER), "ふくやま").total == 0


def test_coordinator_sees_every_case(world, tmp_path):
    from sqlalchemy import select

    from kodoku_desk.models import Staff
    from kodoku_desk.services.auth import Signed
    from kodoku_desk.services.context import Actor

    with world.north.store.read() as s:
        staff = s.scalar(select(Staff).where(Staff.login == "coord"))
        s.refresh(staff, ["agency"])
        coord = Signed(world.north.store, Actor.of(staff))
    assert _nos(search_cases(coord)) == {world.case_8050.case_no, world.case_south.case_no}


def test_filters(world):
    s = world.north
    no = world.case_8050.case_no
    assert _nos(search_cases(s, field="高齢")) == {no}
    assert search_cases(s, field="子ども").total == 0
    assert _nos(search_cases(s, urgency="高")) == {no}
    assert search_cases(s, urgency="低").total == 0
    assert _nos(search_cases(s, status="open")) == {no}
    assert search_cases(s, status="closed").total == 0
    # agency: owned by, or handed to, that agency
    assert _nos(search_cases(s, agency_id=agency_id(s, FUKI))) == {no}
    assert _nos(search_cases(s, agency_id=agency_id(s, NORTH))) == {no}
    assert search_cases(s, agency_id=agency_id(s, OTHER)).total == 0
    today = date.today()
    assert _nos(search_cases(s, date_from=today - timedelta(days=1), date_to=today)) == {no}
    assert search_cases(s, date_from=today + timedelta(days=1)).total == 0
    assert search_cases(s, date_to=today - timedelta(days=1)).total == 0
    view = search_cases(s)
    assert view.rows[0].block  # the agency's block
    block_id = _block_id(s, view.rows[0].block)
    assert _nos(search_cases(s, block_id=block_id)) == {no}


def _block_id(signed, name):
    from sqlalchemy import select

    from kodoku_desk.models import Block

    with signed.store.read() as s:
        return s.scalar(select(Block.id).where(Block.name == name))


def test_bad_filters_get_a_sentence(world):
    with pytest.raises(UserError, match="期間"):
        search_cases(world.north, date_from=date(2025, 5, 1), date_to=date(2025, 4, 1))
    with pytest.raises(UserError, match="緊急度"):
        search_cases(world.north, urgency="すごく高い")
    with pytest.raises(UserError, match="状態"):
        search_cases(world.north, status="gone")


def test_paging_and_total(world):
    coord_rows = search_cases(world.staff_of(SOUTH), limit=1)
    assert coord_rows.total == 1 and len(coord_rows.rows) == 1
    assert search_cases(world.north, limit=1, offset=5).rows == []


def test_urgent_path_filter(world):
    from kodoku_desk.services.search import URGENT_PATH

    assert search_cases(world.north, urgency=URGENT_PATH).total == 0


# --- CLI ---------------------------------------------------------------------------------------

def _cli(monkeypatch, capsys, *argv) -> tuple[int, str, str]:
    monkeypatch.setenv("KODOKU_PASSWORD", DEMO_PASSWORD)
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_case_list_normalises_the_query(world, monkeypatch, capsys):
    world.north.close()
    ws = str(world.folder)
    rc, out, _ = _cli(monkeypatch, capsys, "case", "list", "--workspace", ws, "--user", "u01",
                      "--query", "ﾌｸﾔﾏ　ﾄﾒ", "--format", "json")
    assert rc == 0
    rows = json.loads(out)
    assert [r["case_no"] for r in rows] == [world.case_8050.case_no]
    assert rows[0]["multi_agency"] is True
    rc, out, _ = _cli(monkeypatch, capsys, "case", "list", "--workspace", ws, "--user", "u01")
    assert rc == 0 and "福山 トメ" in out and "山田 花子" not in out and "（1件）" in out


def test_cli_handoff_list(world, monkeypatch, capsys):
    fuki = world.staff_of(FUKI)
    h = handoffs.handoffs_for_case
    with world.north.store.read() as s:
        ids = {r.to_agency: r.id for r in h(s, world.case_8050.case_id)}
    handoffs.transition(fuki, ids[FUKI], "acknowledge")
    world.north.close()
    ws = str(world.folder)
    rc, out, _ = _cli(monkeypatch, capsys, "handoff", "list", "--workspace", ws, "--user", "u01",
                      "--agency", JIRITSU, "--format", "json")
    assert rc == 1  # a 受付 worker may not open another agency's inbox
    rc, out, _ = _cli(monkeypatch, capsys, "handoff", "list", "--workspace", ws, "--user", "coord",
                      "--agency", JIRITSU, "--format", "json")
    assert rc == 0
    rows = json.loads(out)
    assert [(r["case_no"], r["state"]) for r in rows] == [(world.case_8050.case_no, "送付")]
    rc, out, _ = _cli(monkeypatch, capsys, "handoff", "list", "--workspace", ws, "--user", "coord",
                      "--agency", FUKI)
    assert rc == 0 and "受理" in out and "福山 トメ" in out
    rc, out, _ = _cli(monkeypatch, capsys, "handoff", "list", "--workspace", ws, "--user", "coord",
                      "--agency", JIRITSU, "--overdue", "--format", "json")
    assert rc == 0 and json.loads(out) == []  # sent today: not overdue
    rc, out, err = _cli(monkeypatch, capsys, "handoff", "list", "--workspace", ws, "--user",
                        "coord", "--agency", "存在しない機関")
    assert rc == 1 and "存在しない機関" in err and "登録されていません" in err
