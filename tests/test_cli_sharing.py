"""The scripting commands of issue 11 (§6) run the same services as the screens: handoff send /
answer / add-share, consent withdraw, case show — exit codes 0/1/2, a sentence on bad input."""

from __future__ import annotations

import json

import cases_data
import pytest
from cases_data import FUKI, JIRITSU
from sqlalchemy import select

from kodoku_desk.cli import main
from kodoku_desk.models import Handoff, HandoffSnapshot
from kodoku_desk.services.auth import sign_in
from kodoku_devtools.demo import DEMO_PASSWORD

world = cases_data.world


def _login_of(w, agency: str) -> str:
    return w.staff_of(agency).actor.login


@pytest.fixture
def cli(world, monkeypatch, capsys):
    """Run a command as `user`; the world's own session is closed first (one program at a time)."""
    logins = {"north": "u01", "fuki": _login_of(world, FUKI), "jiritsu": _login_of(world, JIRITSU)}
    world.north.close()
    monkeypatch.setenv("KODOKU_PASSWORD", DEMO_PASSWORD)

    def run(user: str, *argv: str) -> tuple[int, str, str]:
        words = list(argv)  # command words first, then --workspace/--user, then the rest
        cut = next((i for i, a in enumerate(words) if a.startswith("-") or a[:1].isdigit()),
                   len(words))
        cmd = [*words[:cut], "--workspace", str(world.folder), "--user", logins[user], *words[cut:]]
        rc = main(cmd)
        out = capsys.readouterr()
        return rc, out.out, out.err

    return run


def _read(world, fn):
    signed = sign_in(world.folder, "admin", DEMO_PASSWORD)
    try:
        with signed.store.read() as s:
            return fn(s)
    finally:
        signed.close()


def test_send_answer_and_add_share_from_the_command_line(world, cli):
    no = world.case_8050.case_no
    rc, out, err = cli("north", "handoff", "send", "--case", no, "--to", "生活福祉課",
                       "--reason", "生活保護の相談", "--share", "basic,hearing_living",
                       "--basis", "法令に基づく通告", "--basis-reason", "テスト")
    assert rc == 0, err
    hid = int(out.split()[1])
    rc, out, err = cli("north", "handoff", "add-share", str(hid), "--share", "wishes")
    assert rc == 0, err
    snaps = _read(world, lambda s: [(x.seq, x.sections) for x in s.scalars(
        select(HandoffSnapshot).where(HandoffSnapshot.handoff_id == hid)
        .order_by(HandoffSnapshot.seq))])
    assert snaps == [(1, ["basic", "hearing_living"]), (2, ["wishes"])]
    fuki_id = world.case_8050.handoff_ids[0]
    rc, out, err = cli("fuki", "handoff", "answer", str(fuki_id), "--state", "受理")
    assert rc == 0 and "受理" in out, err
    rc, out, err = cli("fuki", "handoff", "answer", str(fuki_id), "--state", "返送",
                       "--note", "対象外")
    assert rc == 1 and "代わりにつなぐ" in err and "Traceback" not in err
    assert _read(world, lambda s: s.get(Handoff, fuki_id).state) == "受理"


@pytest.mark.parametrize(("argv", "message"), [
    (("handoff", "send", "--case", "NO-SUCH", "--to", "生活福祉課", "--reason", "x",
      "--share", "basic"), "見つかりません"),
    (("handoff", "send", "--case", "{no}", "--to", "宇宙局", "--reason", "x",
      "--share", "basic"), "登録されていません"),
    (("handoff", "send", "--case", "{no}", "--to", "生活福祉課", "--reason", "x",
      "--share", "宇宙"), "宇宙"),
    (("handoff", "add-share", "999999", "--share", "basic"), "見つかりません"),
    (("consent", "withdraw", "--case", "{no}", "--date", "R7.13.1"), "R7.13.1"),
    (("consent", "withdraw", "--case", "{no}", "--date", "R99.1.1"), "未来の日付"),
])
def test_bad_input_is_a_sentence(world, cli, argv, message):
    argv = tuple(a.format(no=world.case_8050.case_no) for a in argv)
    rc, _, err = cli("north", *argv)
    assert rc == 1 and message in err and err.startswith("エラー: ") and "Traceback" not in err


def test_consent_withdraw_then_case_show_for_the_receiver(world, cli):
    no = world.case_8050.case_no
    rc, out, err = cli("jiritsu", "case", "show", no, "--format", "json")
    assert rc == 0, err
    shown = json.loads(out)
    assert shown["person"]["name"] == "福山 トメ"
    assert [s["sections"] for s in shown["provided_by_snapshots"]] == [["basic", "hearing_living"]]
    assert "息子の将来" not in out  # wishes were not provided to 自立相談支援機関
    rc, out, _ = cli("north", "case", "show", no, "--format", "json")
    assert rc == 0 and json.loads(out)["provided_by_snapshots"] is None
    rc, out, err = cli("north", "consent", "withdraw", "--case", no, "--reason", "本人の申し出")
    assert rc == 0 and "1 件" in out, err
    rc, _, err = cli("jiritsu", "case", "show", no)
    assert rc == 1 and "権限" in err
    rc, _, err = cli("north", "consent", "withdraw", "--case", no)
    assert rc == 1 and "有効な同意がありません" in err
    rc, _, err = cli("north", "handoff", "send", "--case", no, "--to", FUKI, "--reason", "再度",
                     "--share", "basic")
    assert rc == 1 and "同意の範囲に入っていません" in err


def test_case_show_table_names_the_source_snapshot(world, cli):
    rc, out, err = cli("fuki", "case", "show", world.case_8050.case_no)
    assert rc == 0, err
    assert "提供を受けた内容" in out and "送付時" in out and "SHA-256" in out
    assert "提供されていない項目" in out
