"""Routing suggestions from the rules file (docs/DOMAIN.md §4): pure function tests, rule-file errors."""

from __future__ import annotations

import json
from datetime import date

import pytest

from kodoku_desk.domain.routing import (
    AgencyRef,
    load_rules,
    routing_input,
    suggest,
)
from kodoku_desk.errors import UserError
from kodoku_devtools.demo import BLOCKS, _agency_rows

ON = date(2025, 4, 1)


@pytest.fixture(scope="module")
def agencies() -> list[AgencyRef]:
    """The demo organisation as plain references: block i has id i + 1."""
    rows = [AgencyRef(i + 1, name, tuple(fields), None if block is None else block + 1)
            for i, (name, fields, block, _) in enumerate(_agency_rows())]
    rows.append(AgencyRef(100, "福祉総務課", ("行政",)))
    return rows


def by_field(result):
    return {s.field: s for s in result.suggestions}


def test_8050_household_goes_to_elderly_fukinotou_and_hardship(agencies):
    data = routing_input(["介護", "本人や家族のひきこもり", "収入・生活費"], date(1943, 5, 1),
                         [("長男", date(1972, 3, 3), ["ひきこもり"])], on=ON, block_id=2)
    result = suggest(data, agencies)
    fields = by_field(result)
    assert set(fields) == {"高齢", "健康", "生活困窮"}
    # The 地域包括 of the person's block (block 2 = 東部).
    assert fields["高齢"].agency_name == "東部地域包括支援センター"
    assert fields["健康"].agency_name == "健康推進課「ふきのとう」"
    assert "世帯にひきこもりの状態の方がいる" in fields["健康"].reasons
    assert "困りごと「本人や家族のひきこもり」" in fields["健康"].reasons
    assert fields["生活困窮"].agency_name == "自立相談支援機関"
    assert fields["生活困窮"].alternatives == ("生活福祉課",)
    assert result.multi_agency
    assert "3 分野" in result.multi_agency_reason
    assert result.coordinator_name == "福祉総務課"
    assert not result.urgent


def test_elderly_member_needing_care_is_a_household_signal(agencies):
    data = routing_input(["収入・生活費"], date(1970, 1, 1),
                         [("母", date(1940, 1, 1), ["要介護"])], on=ON, block_id=4)
    fields = by_field(suggest(data, agencies))
    assert fields["高齢"].reasons == ("世帯に65歳以上で要介護の方がいる",)
    assert fields["高齢"].agency_name == "西部地域包括支援センター"


def test_young_carer(agencies):
    data = routing_input(["介護", "孤独・さみしさ・話し相手がいない"], date(2009, 6, 1),
                         [("祖母", date(1938, 2, 2), ["要介護"])], on=ON, block_id=1)
    result = suggest(data, agencies)
    fields = by_field(result)
    assert "18歳未満の本人が家族の介護を担っている（ヤングケアラー）" in fields["子ども"].reasons
    assert fields["子ども"].agency_name == "こども家庭センター"
    assert fields["高齢"].agency_name == "北部地域包括支援センター"
    assert fields["参加支援"].agency_name == "北部交流館"
    assert result.multi_agency


def test_dv_with_a_child_is_urgent_and_goes_to_child_and_spouse_services(agencies):
    data = routing_input(["DV・虐待"], date(1990, 1, 1),
                         [("長女", date(2018, 1, 1), []), ("夫", date(1988, 1, 1), ["就労"])],
                         on=ON)
    result = suggest(data, agencies)
    names = {s.agency_name: s for s in result.suggestions}
    assert names["こども家庭センター"].urgent
    assert "児童相談所" in names["こども家庭センター"].alternatives
    assert "DV・虐待の訴えがあり、18歳未満の世帯員がいる" in names["こども家庭センター"].reasons
    assert names["配偶者暴力相談支援センター"].urgent
    assert result.urgent
    assert "困りごと「DV・虐待」" in result.urgent_reasons
    # Only one DV fallback: the specific rules matched, so the generic one stays quiet.
    assert "abuse_any" not in {r for s in result.suggestions for r in s.rule_ids}
    # 行政 (the DV centre) does not count as a field of its own for 多機関協働.
    assert not result.multi_agency


def test_dv_alone_still_goes_somewhere(agencies):
    result = suggest(routing_input(["DV・虐待"], None, [], on=ON), agencies)
    assert [s.agency_name for s in result.suggestions] == ["配偶者暴力相談支援センター"]
    assert result.urgent


def test_suicidal_feelings_are_urgent(agencies):
    result = suggest(routing_input(["こころの不調・死にたい気持ち"], date(1985, 1, 1), [], on=ON),
                     agencies)
    (s,) = result.suggestions
    assert s.agency_name == "健康推進課（こころの相談・自殺対策）" and s.urgent
    assert result.urgent_reasons == ("困りごと「こころの不調・死にたい気持ち」",)


def test_child_member_by_flag_without_birth_date(agencies):
    data = routing_input(["子育て"], date(1990, 1, 1), [("長男", None, ["18歳未満"])], on=ON)
    fields = by_field(suggest(data, agencies))
    assert set(fields["子ども"].reasons) == {"困りごと「子育て」", "18歳未満の世帯員がいる"}


def test_no_worries_no_suggestions(agencies):
    result = suggest(routing_input([], None, [], on=ON), agencies)
    assert result.suggestions == () and not result.multi_agency and not result.urgent


def test_missing_agency_still_suggests_the_field():
    result = suggest(routing_input(["借金"], None, [], on=ON), [AgencyRef(1, "どこか", ("高齢",))])
    (s,) = result.suggestions
    assert s.field == "生活困窮" and s.agency_id is None


def test_without_workspace_destinations_are_named_by_the_rules():
    result = suggest(routing_input(["介護"], None, [], on=ON), None)
    assert result.suggestions[0].agency_name == "地域包括支援センター（本人のブロック）"


def test_inactive_agency_is_skipped(agencies):
    live = [a if a.name != "自立相談支援機関" else AgencyRef(a.id, a.name, a.fields, None, False)
            for a in agencies]
    s = by_field(suggest(routing_input(["借金"], None, [], on=ON), live))["生活困窮"]
    assert s.agency_name == "生活福祉課"


def test_edited_rules_file_is_used(tmp_path, agencies):
    rules = {"rules": [{"id": "loan", "field": "生活困窮", "when": {"worries_any": ["借金"]},
                        "reason": "借金の相談", "to": [{"name": "生活福祉課"}]}]}
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules, ensure_ascii=False), encoding="utf-8")
    result = suggest(routing_input(["借金", "介護"], None, [], on=ON), agencies, load_rules(path))
    assert [(s.agency_name, s.reason) for s in result.suggestions] == [("生活福祉課", "借金の相談")]


@pytest.mark.parametrize("body, expected", [
    ('{"rules": [', "1 行"),
    ('{"rule": []}', "\"rules\" の一覧"),
    ('{"rules": [{"id": "x", "field": "宇宙", "when": {"worries_any": ["介護"]}, "to": [{"name": "a"}]}]}',
     "分野「宇宙」"),
    ('{"rules": [{"id": "x", "field": "高齢", "when": {"worries_any": ["ねむい"]}, "to": [{"name": "a"}]}]}',
     "困りごと「ねむい」"),
    ('{"rules": [{"id": "x", "field": "高齢", "when": {"colour": 1}, "to": [{"name": "a"}]}]}', "when"),
    ('{"rules": [{"id": "x", "field": "高齢", "when": {"worries_any": ["介護"]}}]}', "to（つなぎ先の候補）"),
    ('{"rules": [{"id": "x", "field": "高齢", "when": {"worries_any": ["介護"]}, "to": [{"name": "a"}]},'
     ' {"id": "x", "field": "高齢", "when": {"worries_any": ["介護"]}, "to": [{"name": "a"}]}]}', "重複"),
    ('{"rules": [{"id": "x", "field": "高齢", "when": {"worries_any": ["介護"], "unless_matched": ["y"]},'
     ' "to": [{"name": "a"}]}]}', "未知のルール「y」"),
])
def test_broken_rules_file_gets_a_clear_message(tmp_path, body, expected):
    path = tmp_path / "rules.json"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(UserError) as err:
        load_rules(path)
    assert "rules.json" in err.value.message and expected in err.value.message


def test_default_rules_file_loads_and_blocks_match_demo():
    assert len(load_rules().rules) >= 15
    assert len(BLOCKS) == 5
