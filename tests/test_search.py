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
from kodoku_desk.queries.search import search_cases
from kodoku_desk.services import handoffs
from kodoku_devtools.demo import DEMO_PASSWORD

# The shared fixtures (an organisation, two saved intakes).
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

    from kodoku_desk.domain.actor import Actor
    from kodoku_desk.models import Staff
    from kodoku_desk.services.auth import Signed

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
    from kodoku_desk.queries.search import URGENT_PATH

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


# --- the search indexes (issue 5: trigram full text, two-character names, sheet notes) ---------

@pytest.mark.parametrize("query", ["福山", "ふく", "ﾌｸ", "とめ", "トメ", "福", "め"])
def test_one_and_two_character_names_are_found(world, query):
    # Too short for a trigram: answered from the two-character windows of the person's keys.
    assert world.case_8050.case_no in _nos(search_cases(world.north, query))


@pytest.mark.parametrize("query", ["0001", "０００１", "900-0001", "９００ー０００１", "900 0001",
                                   "(084)900-0001", "9000001"])
def test_phone_in_any_form_and_its_last_four_digits(world, query):
    assert _nos(search_cases(world.north, query)) == {world.case_8050.case_no}


def _coordinator(world):
    from sqlalchemy import select

    from kodoku_desk.domain.actor import Actor
    from kodoku_desk.models import Staff
    from kodoku_desk.services.auth import Signed

    with world.north.store.read() as s:
        staff = s.scalar(select(Staff).where(Staff.login == "coord"))
        s.refresh(staff, ["agency"])
        return Signed(world.north.store, Actor.of(staff))


@pytest.mark.parametrize("query", ["息子の将来", "8050世帯", "８０５０世帯", "年金のみ", "ヒキコモリ",
                                   "ﾋｷｺﾓﾘ", "要介護２"])
def test_free_text_finds_words_of_the_sheet(world, query):
    assert _nos(search_cases(world.north, query)) == {world.case_8050.case_no}
    assert world.case_8050.case_no in _nos(search_cases(_coordinator(world), query))


def test_free_text_respects_scope(world):
    # Both households wrote 収入・生活費 on their sheet: each 受付 worker finds only their own.
    assert _nos(search_cases(world.north, "収入・生活費")) == {world.case_8050.case_no}
    south = world.staff_of(SOUTH)
    assert _nos(search_cases(south, "収入・生活費")) == {world.case_south.case_no}
    assert _nos(search_cases(_coordinator(world), "収入・生活費")) == {
        world.case_8050.case_no, world.case_south.case_no}
    # the south sheet was written from the same answers: its worker finds only their own case
    assert _nos(search_cases(south, "息子の将来")) == {world.case_south.case_no}
    assert search_cases(world.staff_of(OTHER), "8050世帯").total == 0
    # ふきのとう received the 8050 case with basic/worries/household only: its name finds the
    # case, but words written in sections not shared with them must not reveal it.
    fuki = world.staff_of(FUKI)
    assert _nos(search_cases(fuki, "福山トメ")) == {world.case_8050.case_no}
    assert search_cases(fuki, "息子の将来").total == 0
    assert search_cases(fuki, "8050世帯").total == 0


@pytest.mark.parametrize("query", ['"', '福山"', '"福山', 'ふくやま"とめ', "AND", "ふくやま OR とめ",
                                   "NEAR(ふくやま)", "*", "ふくやま*", "{keys}:福山", "^ふくやま",
                                   "keys:ふくやま", "(084", "-", "''", "\\", "ふく%", "ふく_ま"])
def test_query_syntax_characters_are_only_text(world, query):
    result = search_cases(world.north, query)  # never raises: every query is a quoted phrase
    assert world.case_south.case_no not in _nos(result)


def test_index_follows_a_new_sheet_and_a_filled_in_phone(world):
    from intake_data import household_8050

    from kodoku_desk.services import intake
    from kodoku_desk.services.intake import PersonInput

    north = world.north
    assert search_cases(north, "ゴミ屋敷").total == 0
    # A person recorded without a phone number …
    first = intake.save_intake(north, household_8050(
        north, handoffs=[], person=PersonInput(name="備後 次郎", kana="びんご じろう")))
    assert _nos(search_cases(north, "びんご")) == {first.case_no}
    assert search_cases(north, "0845557777").total == 0
    # … a second sheet on the same case, through the intake service, with the phone given now.
    data = household_8050(north, handoffs=[], case_id=first.case_id,
                          person=PersonInput(person_id=first.person_id, phone="084-555-7777"),
                          answers={"notes": "自宅がゴミ屋敷の状態。"}, household=[])
    intake.save_intake(north, data)
    assert _nos(search_cases(north, "ゴミ屋敷")) == {first.case_no}
    assert _nos(search_cases(north, "7777")) == {first.case_no}
    assert _nos(search_cases(north, "084-555-7777")) == {first.case_no}
    found = intake.find_people(north, phone="5557777")
    assert [m.person_id for m in found] == [first.person_id]
    assert [m.person_id for m in intake.find_people(north, "びんご")] == [first.person_id]


def test_migration_fills_the_index_for_existing_rows(world):
    from sqlalchemy import text

    from kodoku_desk.store import migrate

    engine = world.north.store.engine
    migrate.downgrade(engine, "0005_search")  # drops the indexes: as a workspace before 0006
    with engine.connect() as conn:
        names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
    assert "case_fts" not in names and "people_grams" not in names
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert _nos(search_cases(world.north, "息子の将来")) == {world.case_8050.case_no}
    assert _nos(search_cases(world.north, "福山")) == {world.case_8050.case_no}
    assert _nos(search_cases(world.north, "0001")) == {world.case_8050.case_no}
    with engine.connect() as conn:
        people = conn.execute(text("SELECT count(*) FROM people")).scalar()
        assert conn.execute(text("SELECT count(*) FROM people_fts")).scalar() == people
        assert conn.execute(text("SELECT count(*) FROM case_fts")).scalar() == 2


def test_generated_workspace_is_indexed(tmp_path):
    from sqlalchemy import select, text

    from kodoku_desk.domain.text import search_key
    from kodoku_desk.models import Case, Person, Sheet
    from kodoku_devtools.demo import create_demo

    signed, _ = create_demo(tmp_path / "ws", cases=40, seed=3)
    try:
        with signed.store.read() as s:
            case = s.scalar(select(Case).order_by(Case.id.desc()).limit(1))
            person = s.get(Person, case.person_id)
            sheet = s.scalar(select(Sheet).where(Sheet.case_id == case.id))
            people = s.scalar(select(text("count(*) FROM people")))
            assert s.scalar(select(text("count(*) FROM people_fts"))) == people
        family = person.name.split()[0]
        assert case.case_no in _nos(search_cases(signed, family, limit=1000))
        assert case.case_no in _nos(search_cases(signed, person.phone[-4:], limit=1000))
        words = search_key(sheet.answers["assessment"])[:6]
        assert case.case_no in _nos(search_cases(signed, words, limit=1000))
    finally:
        signed.close()


@pytest.mark.parametrize("query", ["介護", "年金", "世帯", "将来"])
def test_two_character_words_of_the_sheet(world, query):
    # No trigram of their own: found through the indexed trigrams that start with them.
    assert world.case_8050.case_no in _nos(search_cases(world.north, query))
    assert world.case_8050.case_no not in _nos(search_cases(world.staff_of(OTHER), query))
    assert world.case_8050.case_no not in _nos(search_cases(world.staff_of(FUKI), query))


@pytest.mark.parametrize("few, many", [(0, 2000), (0, 0)])
@pytest.mark.parametrize("query", ["", "福山", "ふくやまとめ", "0001", "介護", "収入・生活費", "め"])
def test_broad_query_plans_give_the_same_page(world, monkeypatch, query, few, many):
    from kodoku_desk.queries import search

    coord = _coordinator(world)
    expected = [(r.case_no, r.opened_at) for r in search_cases(coord, query).rows]
    monkeypatch.setattr(search, "FEW_MATCHES", few)  # every query takes the probing plan …
    monkeypatch.setattr(search, "MANY_MATCHES", many)  # … or the broad-query plan
    result = search_cases(coord, query)
    assert [(r.case_no, r.opened_at) for r in result.rows] == expected
    assert result.total == len(expected)


def test_an_overlong_query_gets_a_sentence(world):
    with pytest.raises(UserError, match="検索語が長すぎます"):
        search_cases(world.north, "あ" * 201)
    from kodoku_desk.services import intake

    with pytest.raises(UserError, match="長すぎます"):
        intake.find_people(world.north, "あ" * 201)
