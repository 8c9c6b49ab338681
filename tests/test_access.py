"""Every gated use case refuses with a sentence AND leaves the refusal in the audit log, however
the refusal happened (a role check before the work, a scope check inside a unit of work that is
then rolled back). Then the same for every CLI command, run as a 受付 worker.

World (tests/cases_data.py): u01 is a 受付 worker of 北部地域包括支援センター, owner of the 8050
case; the 南部 case belongs to another agency and was handed to nobody in the north."""

from __future__ import annotations

import json
from datetime import date

import cases_data
import pytest
from cases_data import JIRITSU, SOUTH
from sqlalchemy import func, select

from kodoku_desk.cli import main
from kodoku_desk.errors import AccessDenied
from kodoku_desk.models import AuditEntry, Consent, Handoff, Sheet
from kodoku_desk.queries import (
    boxes,
    caseview,
    dashboard,
    meeting_views,
    pickers,
    review_access,
    review_disclosures,
    review_handoffs,
    stats,
)
from kodoku_desk.services import (
    access,
    admin,
    attachments,
    auth,
    consent,
    handoffs,
    maintenance,
    meeting_packets,
    plans,
    review,
    sheet_print,
)
from kodoku_devtools.demo import DEMO_PASSWORD

world = cases_data.world

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def refusals(signed) -> list[AuditEntry]:
    with signed.store.read() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "access_denied")
                              .order_by(AuditEntry.id)))


def count(signed, model) -> int:
    with signed.store.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def south_ids(w) -> dict:
    with w.north.store.read() as s:
        sheet = s.scalar(select(Sheet.id).where(Sheet.case_id == w.case_south.case_id))
        consent_id = s.scalar(select(Consent.id).where(Consent.case_id == w.case_south.case_id))
    return {"case": w.case_south.case_id, "sheet": sheet, "consent": consent_id}


def _attachment_of_south(w) -> int:
    south = w.staff_of(SOUTH)
    return attachments.add(south, w.case_south.case_id,
                           attachments.AttachmentInput("scan.png", PNG))


# (what, call(world, ids, tmp_path)) — each made by u01, who may not do it.
GATED = {
    "send a hand-off on another agency's case": lambda w, i, t: handoffs.send(
        w.north, i["case"], i["jiritsu"], "相談のため"),
    "record a consent on another agency's case": lambda w, i, t: consent.record(
        w.north, i["case"], consent.ConsentInput(scope_fields=["高齢"], given_on=date.today())),
    "withdraw another agency's consent": lambda w, i, t: consent.withdraw(
        w.north, i["consent"], reason="本人の申し出"),
    "attach a file to another agency's case": lambda w, i, t: attachments.add(
        w.north, i["case"], attachments.AttachmentInput("scan.png", PNG)),
    "open another agency's attachment": lambda w, i, t: attachments.content(
        w.north, _attachment_of_south(w)),
    "open another agency's case": lambda w, i, t: access.get_case_for(w.north, i["case"]),
    "load another agency's case view": lambda w, i, t: caseview.load_case_view(
        w.north, i["case"]),
    "print another agency's sheet": lambda w, i, t: sheet_print.print_sheet(
        w.north, i["sheet"], t / "sheet.pdf"),
    "open another agency's inbox": lambda w, i, t: boxes.inbox_data(w.north, i["jiritsu"]),
    "list another agency's inbox": lambda w, i, t: boxes.inbox_listing(w.north, JIRITSU),
    "acknowledge a hand-off it sent itself": lambda w, i, t: handoffs.transition(
        w.north, w.case_8050.handoff_ids[0], "acknowledge"),
    "record progress on a hand-off it sent itself": lambda w, i, t: handoffs.record_progress(
        w.north, w.case_8050.handoff_ids[0], "経過"),
    "create a plan": lambda w, i, t: plans.create_plan(w.north, w.case_8050.case_id),
    "list plans": lambda w, i, t: plans.list_plans(w.north),
    "pick cases for a plan": lambda w, i, t: pickers.case_choices(w.north, ""),
    "list meetings": lambda w, i, t: meeting_views.list_sessions(w.north),
    "export a meeting packet": lambda w, i, t: meeting_packets.export_packet(
        w.north, 1, "pdf", t / "packet.pdf"),
    "read the hand-off log": lambda w, i, t: review_handoffs.handoff_log(w.north, review_handoffs.HandoffFilter()),
    "read the disclosure log": lambda w, i, t: review_disclosures.disclosure_log(
        w.north, review_disclosures.DisclosureFilter()),
    "read the access log": lambda w, i, t: review_access.access_log(w.north, review_access.AccessFilter()),
    "verify the audit chain": lambda w, i, t: review.verify_audit_chain(w.north),
    "review a consent override": lambda w, i, t: review.review_override(
        w.north, w.case_8050.handoff_ids[0], "確認しました"),
    "export the disclosure log": lambda w, i, t: review.export_disclosures(
        w.north, review_disclosures.DisclosureFilter(), t / "d.csv"),
    "open the dashboard": lambda w, i, t: dashboard.dashboard(w.north),
    "run the statistics report": lambda w, i, t: stats.report(
        w.north, date(2025, 4, 1), date.today()),
    "create a block": lambda w, i, t: admin.create_block(w.north, "新ブロック"),
    "register an agency": lambda w, i, t: admin.save_agency(w.north, "新しい機関", ["高齢"]),
    "deactivate an agency": lambda w, i, t: admin.set_agency_active(w.north, i["jiritsu"], False),
    "register staff": lambda w, i, t: admin.create_staff(
        w.north, "newbie", "新人", JIRITSU, ["intake"], "password-123456"),
    "list staff accounts": lambda w, i, t: admin.staff_accounts(w.north),
    "change a setting": lambda w, i, t: admin.set_setting(w.north, "idle_lock_minutes", 10),
    "set another account's password": lambda w, i, t: auth.set_password(
        w.north, "admin", "password-123456"),
    "create a recovery code": lambda w, i, t: auth.create_recovery_code(w.north),
    "check the workspace": lambda w, i, t: maintenance.check_workspace(w.north),
    "verify the history chain": lambda w, i, t: maintenance.verify_history_chain(w.north),
    "check and make an anchor code": lambda w, i, t: maintenance.check_workspace(
        w.north, anchor=True),
    "check an anchor code": lambda w, i, t: maintenance.check_workspace(
        w.north, verify_anchor="A1-H1-0000-0000-0000-0000-0"),
    "back up the workspace": lambda w, i, t: maintenance.backup_workspace(w.north),
}


@pytest.mark.parametrize("what", list(GATED))
def test_every_refusal_is_in_the_audit_log(world, tmp_path, what):
    ids = south_ids(world)
    with world.north.store.read() as s:
        from kodoku_desk.models import Agency

        ids["jiritsu"] = s.scalar(select(Agency.id).where(Agency.name == JIRITSU))
    before = refusals(world.north)
    handoffs_before = count(world.north, Handoff)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(AccessDenied) as err:
        GATED[what](world, ids, out_dir)
    assert err.value.message.endswith("。")  # a sentence, shown as it is
    after = refusals(world.north)
    assert len(after) == len(before) + 1, "the refusal must survive the rolled-back work"
    entry = after[-1]
    assert entry.actor == "u01"
    assert err.value.message in json.loads(entry.detail)["message"]
    assert count(world.north, Handoff) == handoffs_before  # nothing half-done
    assert not list(out_dir.iterdir())  # and no file written


def test_a_refused_send_inside_the_unit_of_work_writes_nothing_but_the_refusal(world):
    """The refusal is found inside the writer's unit of work (case scope), after the role check
    passed: the work is rolled back, the refusal is committed on its own."""
    ids = south_ids(world)
    with world.north.store.read() as s:
        audit_before = s.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(AccessDenied):
        handoffs.send(world.north, ids["case"], world.case_8050.handoff_ids[0], "x")
    with world.north.store.read() as s:
        new = list(s.scalars(select(AuditEntry).where(AuditEntry.id > audit_before)))
    assert [e.action for e in new] == ["access_denied"]
    assert new[0].target_type == "case" and new[0].target_id == str(ids["case"])


def test_a_refusal_inside_an_outer_unit_of_work_is_written_once_after_it(world):
    from kodoku_desk.services import uow

    ids = south_ids(world)
    before = len(refusals(world.north))
    with pytest.raises(AccessDenied), uow.write(world.north) as s:
        access.check_visible(s, world.north.actor, ids["case"])
    assert len(refusals(world.north)) == before + 1


# --------------------------------------------------------------------------- the CLI


def _cli(monkeypatch, capsys, *argv) -> tuple[int, str, str]:
    monkeypatch.setenv("KODOKU_PASSWORD", DEMO_PASSWORD)
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


# Commands a 受付 worker may not run: (command words, options after --workspace/--user).
CLI_REFUSED = {
    "staff list": ("staff list", []),
    "check": ("check", []),
    "check --anchor": ("check", ["--anchor"]),
    "check --verify-anchor": ("check", ["--verify-anchor", "A1-H1-0000-0000-0000-0000-0"]),
    "backup": ("backup", []),
    "recovery create": ("recovery create", []),
    "handoff list of another agency": ("handoff list", ["--agency", JIRITSU]),
    "report": ("report", ["--from", "R7.4.1", "--to", "R7.6.30", "--format", "csv",
                          "--out", "{tmp}/r.csv"]),
    "audit export": ("audit export", ["--out", "{tmp}/a.csv"]),
    "disclosures export": ("disclosures export", ["--out", "{tmp}/d.csv"]),
    "meeting list": ("meeting list", []),
    "meeting minutes": ("meeting minutes", ["--meeting", "1", "--out", "{tmp}/m.docx"]),
    "packet": ("packet", ["--meeting", "1", "--format", "pdf", "--out", "{tmp}/p.pdf"]),
    "sheet print of another agency's case": ("sheet print", ["--sheet", "{south_sheet}",
                                                             "--out", "{tmp}/s.pdf"]),
}


def _command(world, name: str, tmp_path) -> list[str]:
    words, options = CLI_REFUSED[name]
    fill = {"tmp": str(tmp_path), "south_sheet": str(south_ids(world)["sheet"])}
    return [*words.split(), "--workspace", str(world.folder), "--user", "u01",
            *[a.format(**fill) for a in options]]


@pytest.mark.parametrize("name", list(CLI_REFUSED))
def test_cli_refuses_a_reception_worker_with_a_sentence_and_audits_it(world, monkeypatch,
                                                                       capsys, tmp_path, name):
    before = len(refusals(world.north))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    argv = _command(world, name, out_dir)  # before closing: it reads the workspace
    world.north.close()
    rc, out, err = _cli(monkeypatch, capsys, *argv)
    assert rc == 1, (out, err)
    assert err.startswith("エラー: ") and "Traceback" not in err
    assert "権限" in err or "見られません" in err
    assert not list(out_dir.iterdir())
    from kodoku_desk.services.auth import sign_in

    again = sign_in(world.folder, "admin", DEMO_PASSWORD)
    try:
        assert len(refusals(again)) == before + 1
    finally:
        again.close()


def test_cli_staff_list_shows_accounts_to_an_admin_only(world, monkeypatch, capsys):
    world.north.close()
    ws = str(world.folder)
    rc, out, _ = _cli(monkeypatch, capsys, "staff", "list", "--workspace", ws, "--user", "admin",
                      "--format", "json")
    assert rc == 0 and any(r["login"] == "u01" for r in json.loads(out))


def test_cli_lists_a_reception_worker_may_see(world, monkeypatch, capsys):
    """The same worker may list agencies, their own cases and their own inbox."""
    world.north.close()
    ws = ["--workspace", str(world.folder), "--user", "u01", "--format", "json"]
    rc, out, _ = _cli(monkeypatch, capsys, "agency", "list", *ws)
    assert rc == 0 and any(r["name"] == JIRITSU for r in json.loads(out))
    rc, out, _ = _cli(monkeypatch, capsys, "case", "list", *ws)
    assert rc == 0
    assert [r["case_no"] for r in json.loads(out)] == [world.case_8050.case_no]
    rc, out, _ = _cli(monkeypatch, capsys, "handoff", "list", *ws)
    assert rc == 0 and json.loads(out) == []
