"""Issue 11 part 3: every history table is tamper-evident.

The attacker has the data key and a raw connection (`signed.store.engine.begin()` and SQL):
whatever they delete, edit, back-date, slip in or reorder in a chained table, `check` names the
table and the row; a truncated tail is found by the head, and a truncated-and-rewritten one by
an anchor code taken earlier. The application itself cannot change a chained row through the
ORM. Real SQLCipher workspaces throughout (the 60-case demo fixture, the saved intakes)."""

from __future__ import annotations

import importlib.util
import json
import re
from datetime import date, datetime
from pathlib import Path

import cases_data
import pytest
from sqlalchemy import insert, select, text, update

from kodoku_desk.cli import main
from kodoku_desk.domain import anchor as anchors
from kodoku_desk.errors import UserError
from kodoku_desk.models import (
    AuditEntry,
    ConsentWithdrawal,
    Handoff,
    HandoffEvent,
    HistoryLink,
    OverrideReview,
    Setting,
)
from kodoku_desk.services import audit, handoffs, history_chain, maintenance, review, uow
from kodoku_desk.services.auth import sign_in
from kodoku_desk.services.history_chain import (
    CHAINED,
    DELETED,
    EDITED,
    LABELS,
    ORDER,
    TABLES,
    TAIL,
    UNLINKED,
    AppendOnlyError,
)
from kodoku_desk.store import migrate
from kodoku_devtools.demo import DEMO_PASSWORD

world = cases_data.world
MIGRATION = (Path(__file__).resolve().parents[1] / "kodoku_desk" / "store" / "migrations"
             / "versions" / "0010_history_chain.py")

# What the attacker edits and back-dates in each chained table.
EDIT = {
    "handoff_events": "note = note || '（書き換え）'",
    "disclosures": "recipient = recipient || '（書き換え）'",
    "consents": "scope_fields = '[\"高齢\",\"障がい\",\"子ども\"]'",
    "consent_withdrawals": "reason = reason || '（書き換え）'",
    "plan_events": "comment = comment || '（書き換え）'",
    "plan_evaluations": "next_direction = next_direction || '（書き換え）'",
    "override_reviews": "comment = comment || '（書き換え）'",
    "handoff_snapshots": "sections = '[\"basic\",\"wishes\"]'",
}
BACKDATE = {
    "handoff_events": "at = datetime(at, '-3 days')",
    "disclosures": "at = datetime(at, '-3 days')",
    "consents": "given_on = date(given_on, '-7 days')",
    "consent_withdrawals": "withdrawn_on = date(withdrawn_on, '-7 days')",
    "plan_events": "at = datetime(at, '-3 days')",
    "plan_evaluations": "evaluated_on = date(evaluated_on, '-7 days')",
    "override_reviews": "at = datetime(at, '-3 days')",
    "handoff_snapshots": "at = datetime(at, '-3 days')",
}
NAMES = [model.__tablename__ for model, _ in CHAINED]


@pytest.fixture
def admin(demo):
    """The 60-case demo workspace (a copy), signed in as its admin (a supervisor too)."""
    signed = sign_in(demo, "admin", DEMO_PASSWORD)
    yield signed
    if signed.store._lock is not None:
        signed.close()


def _sql(signed, statement: str, **params) -> None:
    """Behind the application's back: a raw connection keyed with the data key."""
    with signed.store.engine.begin() as conn:
        conn.execute(text(statement), params)


def _ids(signed, name: str) -> list[int]:
    """Ids of rows nothing refers to (a deleted consent would break its withdrawal's key)."""
    sql = f"SELECT id FROM {name}"
    if name == "consents":
        sql += " WHERE id NOT IN (SELECT consent_id FROM consent_withdrawals)"
    with signed.store.engine.connect() as conn:
        return [r[0] for r in conn.execute(text(sql + " ORDER BY id"))]


def _target(signed, name: str) -> tuple[int, int]:
    """A row in the middle of the table and the next one."""
    ids = _ids(signed, name)
    assert len(ids) >= 3, f"the demo fixture needs rows in {name}"
    i = len(ids) // 2
    return ids[i], ids[i + 1]


def _swap(signed, name: str, a: int, b: int) -> None:
    _sql(signed, f"UPDATE {name} SET id = -1 WHERE id = :a", a=a)
    _sql(signed, f"UPDATE {name} SET id = :a WHERE id = :b", a=a, b=b)
    _sql(signed, f"UPDATE {name} SET id = :b WHERE id = -1", b=b)


def _the_break(report, name: str):
    assert not report.ok
    assert [b.table_name for b in report.breaks] == [name], report.messages
    brk = report.breaks[0]
    assert LABELS[name] in brk.message and f"#{brk.row_id}" in brk.message
    return brk


# --------------------------------------------------------------------------- clean chains


def test_a_generated_demo_is_chained_whole(admin):
    report = maintenance.verify_history_chain(admin)
    assert report.ok, report.messages
    assert set(report.rows) == set(NAMES) and all(report.rows[n] > 0 for n in NAMES)
    assert report.links == sum(report.rows.values())
    assert "改ざんはありません" in report.message
    with admin.store.read() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        head = s.get(Setting, history_chain.HEAD_KEY).value
    assert last.action == "verify_history" and json.loads(last.detail)["ok"] is True
    assert head == report.head_hash and report.head_position == report.links


def test_rows_the_services_insert_are_linked_in_the_same_unit_of_work(world):
    """save_intake composes consent.record_in and handoffs.send_in: their consents, hand-off
    events and disclosures are linked by the flush hook, as is a later transition's event."""
    fuki = world.staff_of(cases_data.FUKI)
    with world.north.store.read() as s:
        ids = {r.to_agency: r.id for r in handoffs.handoffs_for_case(s, world.case_8050.case_id)}
    handoffs.transition(fuki, ids[cases_data.FUKI], "acknowledge", "受け取りました")
    with world.north.store.read() as s:
        names = set(s.scalars(select(HistoryLink.table_name)))
        report = history_chain.verify(s)
    assert {"consents", "handoff_events", "disclosures"} <= names
    assert report.ok, report.messages
    assert report.links == sum(report.rows.values()) > 0


def test_a_flush_that_fails_links_nothing(admin):
    """The links are written in the row's transaction: a rolled-back write leaves neither."""
    with admin.store.read() as s:
        before = history_chain.head(s)
    with pytest.raises(RuntimeError, match="boom"), uow.write(admin) as s:
        s.add(HandoffEvent(handoff_id=s.scalar(select(Handoff.id).limit(1)), from_state="",
                           to_state="送付", actor_id=admin.actor.staff_id, note="x"))
        s.flush()
        raise RuntimeError("boom")
    with admin.store.read() as s:
        assert history_chain.head(s) == before
    assert maintenance.verify_history_chain(admin).ok


# --------------------------------------------------------------------------- tampering


@pytest.mark.parametrize("name", NAMES)
def test_a_deleted_row_is_named(admin, name):
    target, _ = _target(admin, name)
    _sql(admin, f"DELETE FROM {name} WHERE id = :i", i=target)
    brk = _the_break(maintenance.verify_history_chain(admin), name)
    assert (brk.kind, brk.row_id) == (DELETED, target) and "削除" in brk.message


@pytest.mark.parametrize("name", NAMES)
def test_an_edited_column_is_named(admin, name):
    target, _ = _target(admin, name)
    _sql(admin, f"UPDATE {name} SET {EDIT[name]} WHERE id = :i", i=target)
    brk = _the_break(maintenance.verify_history_chain(admin), name)
    assert (brk.kind, brk.row_id) == (EDITED, target) and "書き換え" in brk.message


@pytest.mark.parametrize("name", NAMES)
def test_a_back_dated_row_is_named(admin, name):
    target, _ = _target(admin, name)
    _sql(admin, f"UPDATE {name} SET {BACKDATE[name]} WHERE id = :i", i=target)
    brk = _the_break(maintenance.verify_history_chain(admin), name)
    assert (brk.kind, brk.row_id) == (EDITED, target) and "日付" in brk.message


@pytest.mark.parametrize("name", NAMES)
def test_two_rows_swapping_ids_are_found(admin, name):
    a, b = _target(admin, name)
    _swap(admin, name, a, b)
    brk = _the_break(maintenance.verify_history_chain(admin), name)
    assert (brk.kind, brk.row_id) == (EDITED, a)


@pytest.mark.parametrize("name", NAMES)
def test_two_links_swapping_places_are_found(admin, name):
    target, _ = _target(admin, name)
    with admin.store.read() as s:
        a = s.scalar(select(HistoryLink.id).where(HistoryLink.table_name == name,
                                                  HistoryLink.row_id == target))
        b = s.scalar(select(HistoryLink.id).where(HistoryLink.table_name == name,
                                                  HistoryLink.id > a).order_by(HistoryLink.id))
        rows = set(s.scalars(select(HistoryLink.row_id).where(HistoryLink.id.in_([a, b]))))
    _swap(admin, "history_links", a, b)
    brk = _the_break(maintenance.verify_history_chain(admin), name)
    assert brk.kind == ORDER and brk.row_id in rows and "並べ替え" in brk.message


@pytest.mark.parametrize("name", ["handoff_events", "disclosures", "plan_events"])
def test_a_row_slipped_in_is_named(admin, name):
    target, _ = _target(admin, name)
    cols = [c.name for c in TABLES[name].columns if c.name != "id"]
    _sql(admin, f"INSERT INTO {name} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM {name} "
                "WHERE id = :i", i=target)
    new = _ids(admin, name)[-1]
    brk = _the_break(maintenance.verify_history_chain(admin), name)
    assert (brk.kind, brk.row_id) == (UNLINKED, new) and "アプリを通さず" in brk.message


def test_a_removed_link_breaks_the_chain_and_unlinks_its_row(admin):
    target, _ = _target(admin, "disclosures")
    _sql(admin, "DELETE FROM history_links WHERE table_name = 'disclosures' AND row_id = :i",
         i=target)
    brk = _the_break(maintenance.verify_history_chain(admin), "disclosures")
    # the row has lost its link, and the link after the gap no longer follows: the lower row
    # id of the two is named (the row itself)
    assert (brk.kind, brk.row_id) == (UNLINKED, target)


def test_only_the_first_broken_row_of_each_table_is_named(admin):
    events = _ids(admin, "handoff_events")
    for i in events[5:8]:
        _sql(admin, f"UPDATE handoff_events SET {EDIT['handoff_events']} WHERE id = :i", i=i)
    consents = _ids(admin, "consents")
    _sql(admin, "DELETE FROM consents WHERE id = :i", i=consents[2])
    report = maintenance.verify_history_chain(admin)
    assert [(b.table_name, b.row_id) for b in report.breaks] == [
        ("handoff_events", events[5]), ("consents", consents[2])]


# --------------------------------------------------------------------------- tail and anchor


def _add_history(signed) -> int:
    """One more history row through the application: a supervisor's override review."""
    with signed.store.read() as s:
        reviewed = select(OverrideReview.handoff_id)
        handoff = s.scalar(select(Handoff.id).where(Handoff.consent_override.is_(True),
                                                    Handoff.id.not_in(reviewed)).limit(1))
    assert handoff is not None
    return review.review_override(signed, handoff, "確認しました（テスト）")


def test_a_truncated_tail_is_found_by_the_head_and_a_rewritten_head_by_the_anchor(admin):
    before = maintenance.check_workspace(admin, anchor=True)
    assert before.ok and before.anchor
    review_id = _add_history(admin)
    later = maintenance.check_workspace(admin, anchor=True).anchor
    with admin.store.read() as s:
        last = s.scalar(select(HistoryLink.id).order_by(HistoryLink.id.desc()))
    # truncate: the last link and its row go
    _sql(admin, "DELETE FROM override_reviews WHERE id = :i", i=review_id)
    _sql(admin, "DELETE FROM history_links WHERE id = :i", i=last)
    report = maintenance.verify_history_chain(admin)
    assert [b.kind for b in report.breaks] == [TAIL] and "末尾" in report.breaks[0].message
    # ... and rewrite the head: the chain alone no longer shows it
    with admin.store.read() as s:
        new_head = s.scalar(select(HistoryLink.hash).where(HistoryLink.id == last - 1))
    _sql(admin, "UPDATE settings SET value = :h WHERE key = 'history_head'", h=new_head)
    assert maintenance.verify_history_chain(admin).ok
    late = maintenance.check_workspace(admin, verify_anchor=later)
    assert not late.ok and not late.anchor_check.ok
    assert "履歴の連鎖" in late.anchor_check.message and "届きません" in late.anchor_check.message
    early = maintenance.check_workspace(admin, verify_anchor=before.anchor)
    assert early.ok and early.anchor_check.ok  # the part before the first code is intact


def test_a_forged_chain_passes_the_walk_but_not_the_anchor(admin):
    """Someone who edits a row and recomputes every link after it (they have the key and the
    code) leaves a consistent chain; the anchor taken before shows the rewrite."""
    code = maintenance.check_workspace(admin, anchor=True).anchor
    target, _ = _target(admin, "handoff_events")
    _sql(admin, f"UPDATE handoff_events SET {EDIT['handoff_events']} WHERE id = :i", i=target)
    with admin.store.engine.begin() as conn:
        cols = history_chain.COLUMNS["handoff_events"]
        row = conn.execute(select(*cols).where(TABLES["handoff_events"].c.id == target)).one()
        digest = history_chain.row_digest("handoff_events", row)
        start = conn.scalar(select(HistoryLink.id).where(
            HistoryLink.table_name == "handoff_events", HistoryLink.row_id == target))
        prev = conn.scalar(select(HistoryLink.hash).where(HistoryLink.id == start - 1))
        links = conn.execute(select(HistoryLink.id, HistoryLink.table_name, HistoryLink.row_id,
                                    HistoryLink.digest).where(HistoryLink.id >= start)
                             .order_by(HistoryLink.id)).all()
        for link_id, name, row_id, old in links:
            d = digest if link_id == start else old
            h = history_chain.link_hash(link_id, prev, name, row_id, d)
            conn.execute(update(HistoryLink).where(HistoryLink.id == link_id)
                         .values(digest=d, prev_hash=prev, hash=h))
            prev = h
        conn.execute(update(Setting).where(Setting.key == history_chain.HEAD_KEY)
                     .values(value=prev))
    assert maintenance.verify_history_chain(admin).ok  # the limit of a keyless chain
    report = maintenance.check_workspace(admin, verify_anchor=code)
    assert not report.anchor_check.ok and "一致しません" in report.anchor_check.message


def test_a_truncated_audit_log_with_a_rewritten_head_is_found_by_the_anchor(admin):
    code = maintenance.check_workspace(admin, anchor=True).anchor
    wanted = anchors.parse(code)
    with admin.store.read() as s:
        keep = s.scalar(select(AuditEntry.hash).where(AuditEntry.id == wanted.audit_pos - 3))
    _sql(admin, "DELETE FROM audit_log WHERE id > :i", i=wanted.audit_pos - 3)
    _sql(admin, "UPDATE settings SET value = :h WHERE key = 'audit_head'", h=keep)
    assert review.verify_audit_chain(admin).ok
    report = maintenance.check_workspace(admin, verify_anchor=code)
    assert not report.ok and not report.anchor_check.ok


def test_an_anchor_survives_later_work(admin):
    code = maintenance.check_workspace(admin, anchor=True).anchor
    _add_history(admin)
    report = maintenance.check_workspace(admin, verify_anchor=code)
    assert report.ok and "ときのまま残っています" in report.anchor_check.message


def test_an_anchor_is_made_only_of_clean_chains(admin):
    target, _ = _target(admin, "plan_events")
    _sql(admin, f"UPDATE plan_events SET {EDIT['plan_events']} WHERE id = :i", i=target)
    report = maintenance.check_workspace(admin, anchor=True)
    assert not report.ok and report.anchor is None


def test_a_bad_code_is_a_sentence(admin):
    with pytest.raises(UserError, match="形式"):
        maintenance.check_workspace(admin, verify_anchor="hello")
    code = maintenance.check_workspace(admin, anchor=True).anchor
    misread = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(UserError, match="確認文字"):
        maintenance.check_workspace(admin, verify_anchor=misread)


# --------------------------------------------------------------------------- insert only


@pytest.mark.parametrize(("model", "label"), CHAINED, ids=NAMES)
def test_the_orm_refuses_to_update_or_delete_a_chained_row(admin, model, label):
    column = next(c.name for c in history_chain.COLUMNS[model.__tablename__]
                  if c.type.python_type is str)
    with admin.store.read() as s:
        row_id = s.scalar(select(model.id).order_by(model.id))
    with pytest.raises(AppendOnlyError, match="追記だけ"), uow.write(admin) as s:
        row = s.get(model, row_id)
        setattr(row, column, getattr(row, column) + "x")
        s.flush()
    with pytest.raises(AppendOnlyError, match="削除できません"), uow.write(admin) as s:
        s.delete(s.get(model, row_id))
        s.flush()
    with pytest.raises(AppendOnlyError), uow.write(admin) as s:
        s.execute(update(model).where(model.id == row_id).values({column: "x"}))
    assert maintenance.verify_history_chain(admin).ok


def test_bulk_rows_must_be_linked_before_the_commit(admin):
    consent_id = _ids(admin, "consents")[0]  # one without a withdrawal
    row = {"consent_id": consent_id, "withdrawn_on": date.today(), "reason": "一括",
           "recorded_by": admin.actor.staff_id, "recorded_at": datetime(2026, 1, 5, 9)}
    with pytest.raises(AppendOnlyError, match="link_unlinked"), uow.write(admin) as s:
        s.execute(insert(ConsentWithdrawal.__table__), [row])
    with admin.store.read() as s:
        assert s.scalar(select(ConsentWithdrawal).where(
            ConsentWithdrawal.consent_id == consent_id)) is None
    with uow.write(admin) as s:
        s.execute(insert(ConsentWithdrawal.__table__), [row])
        assert history_chain.link_unlinked(s) == {"consent_withdrawals": 1}
    assert maintenance.verify_history_chain(admin).ok


# --------------------------------------------------------------------------- migration


def _migration():
    spec = importlib.util.spec_from_file_location("m0009", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.fast
def test_the_frozen_digests_of_migration_0009_match_todays():
    m0009 = _migration()
    values = [7, None, datetime(2025, 6, 2, 9, 30, 15, 120), date(2025, 4, 1), True,
              [{"progress": "少し", "goal": "通院"}], "夜間に家族から暴言"]
    assert m0009.row_digest("plan_evaluations", values) == \
        history_chain.row_digest("plan_evaluations", values)
    assert m0009.link_hash(3, "a" * 64, "disclosures", 9, "b" * 64) == \
        history_chain.link_hash(3, "a" * 64, "disclosures", 9, "b" * 64)
    at = datetime(2026, 1, 2, 3, 4, 5)
    assert m0009.audit_digest("0" * 64, at, "-", "migrate", "t", "1", "{}") == \
        audit._digest("0" * 64, at, "-", "migrate", "t", "1", "{}")
    assert set(TABLES) <= set(m0009.CHAINED) and m0009.HEAD_KEY == history_chain.HEAD_KEY


@pytest.mark.fast
def test_the_fast_digest_of_each_table_is_the_canonical_one():
    from sqlalchemy import JSON, Boolean, Date, DateTime, Integer

    def sample(column):
        for kind, value in ((DateTime, datetime(2025, 6, 2, 9, 30)), (Date, date(2025, 4, 1)),
                            (JSON, [{"progress": "少し", "goal": "通院"}]), (Boolean, False),
                            (Integer, 5)):
            if isinstance(column.type, kind):
                return value
        return '訂正（全角）"quoted"'

    for name, columns in history_chain.COLUMNS.items():
        row = [sample(c) for c in columns]
        assert history_chain._digester(name)(row) == history_chain.row_digest(name, row)
        row = [None if c.nullable else v for c, v in zip(columns, row, strict=True)]
        assert history_chain._digester(name)(row) == history_chain.row_digest(name, row)


def test_a_migrated_older_workspace_is_chained_and_noted_in_the_audit_log(admin, demo):
    with admin.store.engine.connect() as conn:
        counts = {n: conn.scalar(text(f"SELECT count(*) FROM {n}")) for n in NAMES}
    migrate.downgrade(admin.store.engine, "0008_review_cover")
    admin.close()
    again = sign_in(demo, "admin", DEMO_PASSWORD)  # backs up, then migrates to the head
    try:
        assert migrate.current_revision(again.store.engine) == migrate.head_revision()
        report = maintenance.check_workspace(again)
        assert report.ok, report.history.messages
        with again.store.read() as s:
            note = s.scalars(select(AuditEntry).where(AuditEntry.action == "migrate")
                             .order_by(AuditEntry.id.desc())).first()
        linked = json.loads(note.detail)["linked"]
        assert note.target_id == "0010_history_chain" and note.actor == "-"
        assert linked == counts
        assert sum(linked.values()) == report.history.links
    finally:
        again.close()


# --------------------------------------------------------------------------- the CLI


def _cli(monkeypatch, capsys, *argv) -> tuple[int, str, str]:
    monkeypatch.setenv("KODOKU_PASSWORD", DEMO_PASSWORD)
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_check_on_a_fresh_demo_is_clean_and_its_anchor_round_trips(tmp_path, monkeypatch,
                                                                         capsys):
    ws = str(tmp_path / "demo")
    rc, _, err = _cli(monkeypatch, capsys, "demo", "--workspace", ws, "--cases", "25")
    assert rc == 0, err
    rc, out, err = _cli(monkeypatch, capsys, "check", "--workspace", ws, "--user", "admin",
                        "--anchor")
    assert rc == 0, err
    assert out.count("改ざんはありません") == 2 and "履歴" in out
    code = re.search(r"照合コード: (\S+)", out)[1]
    assert anchors.parse(code).code == code
    spoken = code.lower().replace("-", " ").replace("0", "o")  # as written down from a call
    rc, out, err = _cli(monkeypatch, capsys, "check", "--workspace", ws, "--user", "super",
                        "--verify-anchor", spoken)
    assert rc == 0, err
    assert "ときのまま残っています" in out


def test_cli_check_names_each_broken_table_in_one_sentence(admin, demo, monkeypatch, capsys):
    events, consents = _target(admin, "handoff_events")[0], _target(admin, "consents")[0]
    _sql(admin, f"UPDATE handoff_events SET {BACKDATE['handoff_events']} WHERE id = :i", i=events)
    _sql(admin, "DELETE FROM consents WHERE id = :i", i=consents)
    admin.close()
    rc, out, err = _cli(monkeypatch, capsys, "check", "--workspace", str(demo), "--user", "admin")
    assert rc == 1 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("エラー: ") for line in lines)
    assert f"{LABELS['handoff_events']} #{events}" in lines[0]
    assert f"{LABELS['consents']} #{consents}" in lines[1] and "削除" in lines[1]
    assert "監査ログ" in out and "改ざんはありません" in out  # the audit chain itself is whole


def test_cli_a_bad_anchor_code_is_a_sentence_not_a_traceback(demo, monkeypatch, capsys):
    rc, _, err = _cli(monkeypatch, capsys, "check", "--workspace", str(demo), "--user", "admin",
                      "--verify-anchor", "A12-H34-XXXX")
    assert rc == 1 and err.startswith("エラー: 照合コードの形式") and "Traceback" not in err
    rc, _, err = _cli(monkeypatch, capsys, "check", "--workspace", str(demo), "--user", "admin",
                      "--verify-anchor", "A1-H1-0000-0000-0000-0000-0")
    assert rc == 1 and "エラー: " in err and "Traceback" not in err


# --------------------------------------------------------------------------- the code itself


@pytest.mark.fast
def test_an_anchor_code_reads_back_over_the_phone():
    a = anchors.anchor_for(1234, "ab" * 32, 5678, "cd" * 32)
    assert re.fullmatch(r"A1234-H5678(-[0-9A-Z]{4}){4}-[0-9A-Z]", a.code)
    assert not set(a.code) & set("ILOU")
    assert anchors.parse(a.code) == a
    assert anchors.parse(" " + a.code.lower().replace("-", "　") + " ") == a
    full_width = a.code.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHJKMNPQRSTVWXYZ-"})
    assert anchors.parse(full_width) == a


@pytest.mark.fast
def test_one_wrong_character_or_a_swap_of_neighbours_is_caught():
    a = anchors.anchor_for(31, "1" * 64, 5313, "2" * 64)
    body = a.code
    for i, ch in enumerate(body):
        if ch == "-":
            continue
        for other in anchors.ALPHABET:
            if other != ch:
                with pytest.raises(UserError):
                    anchors.parse(body[:i] + other + body[i + 1:])
    swaps = [body[:i] + body[i + 1] + body[i] + body[i + 2:] for i in range(len(body) - 1)
             if "-" not in body[i:i + 2] and body[i] != body[i + 1]]
    caught = 0
    for swapped in swaps:
        try:
            anchors.parse(swapped)
        except UserError:
            caught += 1
    assert caught >= len(swaps) - 1  # Luhn mod N misses only the swap of two specific symbols


@pytest.mark.fast
def test_the_digest_binds_positions_and_both_heads():
    base = anchors.heads_digest(10, "a" * 64, 20, "b" * 64)
    assert base != anchors.heads_digest(11, "a" * 64, 20, "b" * 64)
    assert base != anchors.heads_digest(10, "a" * 64, 21, "b" * 64)
    assert base != anchors.heads_digest(10, "c" * 64, 20, "b" * 64)
    assert base != anchors.heads_digest(10, "a" * 64, 20, "c" * 64)
    assert len(base) == anchors.DIGEST_CHARS
