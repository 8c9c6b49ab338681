"""Support plans: drafting from a case, versions and comparison, lifecycle, approval, evaluation."""

from __future__ import annotations

from datetime import date

import pytest
from meetings_data import YAMADA, make_case, setup_org
from sqlalchemy import func, select
from workspace_templates import Template, keep, open_copy

from kodoku_desk.domain.actor import Actor
from kodoku_desk.errors import AccessDenied, UserError
from kodoku_desk.models import AuditEntry, Plan, PlanEvent, PlanVersion
from kodoku_desk.services import plans
from kodoku_desk.services.auth import Signed


@pytest.fixture(scope="session")
def plans_template(admin_template, tmp_path_factory) -> tuple[Template, int]:
    """The organisation of meetings_data and the case of 山田 太郎, built once."""
    signed = open_copy(admin_template, tmp_path_factory.mktemp("tpl-plans") / "ws")
    setup_org(signed)
    case_id = make_case(signed, YAMADA, 1)
    return keep(signed), case_id


@pytest.fixture
def world(plans_template, ws_dir):
    template, case_id = plans_template
    signed = open_copy(template, ws_dir)
    yield signed, case_id
    if signed.store._lock is not None:
        signed.close()


def as_user(signed: Signed, login: str) -> Signed:
    from kodoku_desk.models import Staff

    with signed.store.read() as s:
        staff = s.scalar(select(Staff).where(Staff.login == login))
        s.refresh(staff, ["agency"])
        return Signed(signed.store, Actor.of(staff))


def test_draft_takes_wishes_household_issues_and_roles_of_accepted_handoffs(world):
    signed, case_id = world
    data = plans.draft_for_case(signed, case_id)
    assert "母の山田花子の介護" in data["person_wish"]
    assert "母（" in data["household"] and "要介護" in data["household"]
    fields = [row["field"] for row in data["issues"]]
    assert fields == ["高齢", "生活困窮"]
    assert "母は要介護2" in data["issues"][0]["issue"]
    assert "◎介護" in data["issues"][0]["issue"]
    # 対応中 and 完了 hand-offs get a row; the one still 送付 does not.
    assert [r["agency"] for r in data["roles"]] == ["北部地域包括支援センター", "自立相談支援機関"]
    assert "会議での共有を含む" in data["consent"]


def test_every_save_is_a_new_version_and_compares_with_the_previous(world):
    signed, case_id = world
    plan_id = plans.create_plan(signed, case_id)
    data = plans.get_plan(signed, plan_id).data
    data["policy"] = "介護サービスの利用と本人の就労支援を並行して進める。"
    data["short_term_goals"] = ["母がデイサービスを週2回利用する", "本人がハローワークに登録する"]
    assert plans.save_version(signed, plan_id, data, "方針を記入") == 2
    data["roles"].append({"what": "就労相談", "agency": "自立相談支援機関", "person": "相談員",
                          "frequency": "月2回", "period": "6か月"})
    assert plans.save_version(signed, plan_id, data) == 3

    changes = plans.compare_with_previous(signed, plan_id, 2)
    assert {c.label for c in changes} == {"総合的な支援の方針", "短期目標"}
    policy = next(c for c in changes if c.key == "policy")
    assert policy.before == "" and policy.after.startswith("介護サービス")
    changes3 = plans.compare_with_previous(signed, plan_id, 3)
    assert [c.key for c in changes3] == ["roles"]
    assert "就労相談" in changes3[0].after and "就労相談" not in changes3[0].before

    view = plans.get_plan(signed, plan_id)
    assert [v.version for v in view.versions] == [1, 2, 3]
    assert plans.version_data(signed, plan_id, 1)["policy"] == ""
    with pytest.raises(UserError, match="変更がない"):
        plans.save_version(signed, plan_id, data)
    with pytest.raises(UserError, match="第9版はありません"):
        plans.compare_with_previous(signed, plan_id, 9)


def test_bad_plan_content_is_refused_by_field(world):
    signed, case_id = world
    plan_id = plans.create_plan(signed, case_id)
    data = plans.get_plan(signed, plan_id).data
    with pytest.raises(UserError, match="存在しない日付"):
        plans.save_version(signed, plan_id, {**data, "monitoring_on": "令和7年2月30日"})
    with pytest.raises(UserError, match="不明な項目"):
        plans.save_version(signed, plan_id, {**data, "secret": "x"})
    assert plans.get_plan(signed, plan_id).version == 1


def test_lifecycle_refuses_skipped_steps_with_a_sentence(world):
    signed, case_id = world
    plan_id = plans.create_plan(signed, case_id)
    with pytest.raises(UserError) as err:
        plans.change_status(signed, plan_id, "実施中")
    assert "「案」から「実施中」に変更することはできません" in err.value.message
    assert "「会議提出」「中断」" in err.value.message
    assert plans.change_status(signed, plan_id, "会議提出") == "会議提出"
    assert plans.change_status(signed, plan_id, "合意") == "合意"
    with pytest.raises(UserError, match="監督者の承認がない"):
        plans.change_status(signed, plan_id, "実施中")
    with pytest.raises(UserError, match="状態ではありません"):
        plans.change_status(signed, plan_id, "完了")


def test_approval_flow_request_return_approve_and_only_supervisors_approve(world):
    signed, case_id = world
    plan_id = plans.create_plan(signed, case_id)
    plans.change_status(signed, plan_id, "会議提出")
    plans.change_status(signed, plan_id, "合意")
    coord, boss = as_user(signed, "coord"), as_user(signed, "super")

    with pytest.raises(UserError, match="申請されていない"):
        plans.approve(boss, plan_id)
    plans.request_approval(coord, plan_id, "合意内容の承認をお願いします")
    with pytest.raises(UserError, match="すでに承認を申請中"):
        plans.request_approval(coord, plan_id)
    with pytest.raises(AccessDenied):
        plans.approve(coord, plan_id)
    with pytest.raises(UserError, match="理由"):
        plans.return_plan(boss, plan_id, "  ")
    plans.return_plan(boss, plan_id, "短期目標を具体的に")
    assert plans.get_plan(signed, plan_id).approval == "差戻し"

    data = plans.get_plan(coord, plan_id).data
    data["short_term_goals"] = ["4月中にデイサービスの見学"]
    plans.save_version(coord, plan_id, data)
    plans.request_approval(coord, plan_id)
    plans.approve(boss, plan_id, "承認します")
    assert plans.change_status(coord, plan_id, "実施中") == "実施中"

    view = plans.get_plan(signed, plan_id)
    kinds = [e.kind for e in view.events]
    assert kinds.count("承認申請") == 2 and "差戻し" in kinds and "承認" in kinds
    returned = next(e for e in view.events if e.kind == "差戻し")
    assert "短期目標を具体的に" in returned.comment and returned.actor == "監督 一郎"


def test_saving_after_approval_withdraws_it(world):
    signed, case_id = world
    plan_id = plans.create_plan(signed, case_id)
    plans.change_status(signed, plan_id, "会議提出")
    plans.change_status(signed, plan_id, "合意")
    plans.request_approval(signed, plan_id)
    plans.approve(signed, plan_id)
    data = plans.get_plan(signed, plan_id).data
    data["policy"] = "承認後に書き換えた方針"
    plans.save_version(signed, plan_id, data)
    view = plans.get_plan(signed, plan_id)
    assert view.approval == ""
    assert view.events[-1].kind == "承認取消（編集）"
    with pytest.raises(UserError, match="承認がない"):
        plans.change_status(signed, plan_id, "実施中")


def test_evaluation_records_progress_per_goal_and_moves_to_evaluation(world):
    signed, case_id = world
    plan_id = plans.create_plan(signed, case_id)
    data = plans.get_plan(signed, plan_id).data
    data["long_term_goal"] = "母子が地域で安心して暮らす"
    data["short_term_goals"] = ["デイサービス週2回"]
    plans.save_version(signed, plan_id, data)
    with pytest.raises(UserError, match="評価できません"):
        plans.add_evaluation(signed, plan_id, "R7.7.1", [{"goal": "x", "progress": "y"}], "")
    for status in ("会議提出", "合意"):
        plans.change_status(signed, plan_id, status)
    plans.request_approval(signed, plan_id)
    plans.approve(signed, plan_id)
    plans.change_status(signed, plan_id, "実施中")

    goals = plans.goals_of(plans.get_plan(signed, plan_id).data)
    assert goals == ["母子が地域で安心して暮らす", "デイサービス週2回"]
    plans.add_evaluation(signed, plan_id, "令和7年7月1日",
                         [{"goal": goals[0], "progress": "一部達成"},
                          {"goal": goals[1], "progress": "週1回利用中"}], "週2回に増やす")
    view = plans.get_plan(signed, plan_id)
    assert view.status == "評価"
    ev = view.evaluations[0]
    assert ev.evaluated_on == date(2025, 7, 1) and ev.version == 2
    assert ev.progress[1] == {"goal": "デイサービス週2回", "progress": "週1回利用中"}
    assert plans.change_status(signed, plan_id, "見守り継続") == "見守り継続"
    assert plans.change_status(signed, plan_id, "終結") == "終結"
    with pytest.raises(UserError, match="これ以上状態を変更できません"):
        plans.change_status(signed, plan_id, "実施中")


def test_plan_actions_are_audited_and_intake_staff_are_refused(world):
    signed, case_id = world
    plan_id = plans.create_plan(signed, case_id)
    plans.change_status(signed, plan_id, "会議提出")
    with signed.store.read() as s:
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "plan")).all()
        assert {"create", "plan_status"} <= set(actions)
        assert s.scalar(select(func.count()).select_from(PlanVersion)) == 1
        assert s.scalar(select(func.count()).select_from(PlanEvent)) == 2
    from kodoku_desk.models import Staff

    with signed.store.write() as s:
        s.add(Staff(login="uketsuke", display_name="受付 三郎", agency_id=signed.actor.agency_id,
                    roles=["intake"]))
    with pytest.raises(AccessDenied):
        plans.create_plan(as_user(signed, "uketsuke"), case_id)
    assert [r.id for r in plans.list_plans(signed)] == [plan_id]


def test_a_case_has_one_running_plan_at_a_time(world):
    signed, case_id = world
    first = plans.create_plan(signed, case_id)
    with pytest.raises(UserError, match="進行中の支援プラン（状態: 案）"):
        plans.create_plan(signed, case_id)
    with signed.store.read() as s:
        assert s.scalar(select(func.count()).select_from(Plan).where(Plan.case_id == case_id)) == 1
    plans.change_status(signed, first, "中断")
    second = plans.create_plan(signed, case_id)  # after the first ended, a new one may start
    assert second != first
