"""Issue 2: encrypted workspace, key wrapping, audit chain, access scope, CLI basics."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from sqlalchemy import select, text

from kodoku_desk.errors import AuthError, UserError, WorkspaceError
from kodoku_desk.models import Agency, AuditEntry, Case, Person
from kodoku_desk.services import admin, audit, auth
from kodoku_desk.store import migrate
from kodoku_desk.store.workspace import DB_NAME, read_auth_state
from tests.conftest import ADMIN_PASSWORD

SECRET_NAME = "秘密野花子"
SECRET_KANA = "ひみつのはなこ"
SECRET_NOTE = "ZQXJ-unique-note-夜間に家族から暴言"


def cli(*args: str, password: str | None = ADMIN_PASSWORD, env_extra: dict | None = None):
    env = {k: v for k, v in os.environ.items() if k != "KODOKU_PASSWORD"}
    if password is not None:
        env["KODOKU_PASSWORD"] = password
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "kodoku_desk", *args], capture_output=True,
                          text=True, env=env, stdin=subprocess.DEVNULL, timeout=120)


def _add_case(signed, name=SECRET_NAME, kana=SECRET_KANA, note=SECRET_NOTE, agency_id=None):
    with signed.store.write() as s:
        p = Person(name=name, kana=kana, address=note)
        s.add(p)
        s.flush()
        c = Case(case_no=f"T-{p.id}", person_id=p.id, owner_agency_id=agency_id or signed.actor.agency_id,
                 search_text=note)
        s.add(c)
        s.flush()
        return c.id


def test_client_data_never_plaintext_on_disk(signed, ws_dir):
    _add_case(signed)
    files = [ws_dir / DB_NAME, ws_dir / f"{DB_NAME}-wal", ws_dir / f"{DB_NAME}-shm"]
    assert files[1].exists(), "WAL mode should be on"
    blobs = b"".join(f.read_bytes() for f in files if f.exists())
    for secret in (SECRET_NAME, SECRET_KANA, SECRET_NOTE):
        assert secret.encode("utf-8") not in blobs
    for p in ws_dir.iterdir():  # nothing else in the folder carries it either
        if p.is_file():
            assert SECRET_NAME.encode() not in p.read_bytes(), p.name
    assert not (ws_dir / DB_NAME).read_bytes().startswith(b"SQLite format 3")
    signed.close()
    blobs = b"".join(f.read_bytes() for f in files if f.exists())
    assert SECRET_NAME.encode("utf-8") not in blobs
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(ws_dir / DB_NAME).execute("select * from sqlite_master").fetchall()


def test_wrong_password_is_refused_and_logged(signed, ws_dir):
    signed.close()
    with pytest.raises(AuthError, match="ログインIDまたはパスワードが違います"):
        auth.sign_in(ws_dir, "admin", "not-the-password")
    with pytest.raises(AuthError, match="ログインIDまたはパスワードが違います"):
        auth.sign_in(ws_dir, "nobody", "not-the-password")
    assert read_auth_state(ws_dir)["admin"]["failures"] == 1
    s = auth.sign_in(ws_dir, "admin", ADMIN_PASSWORD)
    with s.store.read() as ss:
        failed = ss.scalars(select(AuditEntry).where(AuditEntry.action == "login_failed")).all()
    assert sorted(e.actor for e in failed) == ["admin", "nobody"]
    assert "admin" not in read_auth_state(ws_dir)
    s.close()


def test_repeated_failures_grow_the_delay(signed, ws_dir):
    signed.close()
    waits: list[float] = []
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.sign_in(ws_dir, "admin", "wrong-wrong", sleep=waits.append)
    assert waits == [2.0, 4.0]  # after three free attempts: 2 s, then 4 s
    assert auth.failure_delay(20) == auth.MAX_DELAY_S


def test_password_change_and_recovery(signed, ws_dir):
    case_id = _add_case(signed)
    auth.change_password(signed, ADMIN_PASSWORD, "brand-new-password")
    with pytest.raises(AuthError, match="現在のパスワード"):
        auth.change_password(signed, "wrong-old-pass", "another-password")
    with pytest.raises(AuthError, match="10文字以上"):
        auth.change_password(signed, "brand-new-password", "short")
    code = auth.create_recovery_code(signed)
    signed.close()
    with pytest.raises(AuthError):
        auth.sign_in(ws_dir, "admin", ADMIN_PASSWORD)
    s = auth.sign_in(ws_dir, "admin", "brand-new-password")
    with s.store.read() as ss:
        assert ss.get(Case, case_id).person.name == SECRET_NAME
    s.close()
    with pytest.raises(AuthError, match="回復キーが違います"):
        auth.reset_with_recovery(ws_dir, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF", "admin", "forgot-reset-1")
    auth.reset_with_recovery(ws_dir, code.lower(), "admin", "forgot-reset-1")
    s = auth.sign_in(ws_dir, "admin", "forgot-reset-1")
    with s.store.read() as ss:
        assert ss.get(Case, case_id).person.name == SECRET_NAME
    s.close()


def test_short_or_empty_password_refused_at_creation(tmp_path):
    for bad in ("", "   ", "short"):
        with pytest.raises(AuthError, match="10文字以上|空白"):
            auth.create_workspace(tmp_path / f"w{len(bad)}", "admin", "A", bad)
        assert not (tmp_path / f"w{len(bad)}" / DB_NAME).exists()


def test_bad_folders_get_sentences(tmp_path, signed, ws_dir):
    with pytest.raises(WorkspaceError, match="ワークスペースではありません"):
        auth.sign_in(tmp_path, "admin", ADMIN_PASSWORD)
    with pytest.raises(WorkspaceError, match="別のウィンドウ"):
        auth.sign_in(ws_dir, "admin", ADMIN_PASSWORD)  # still open in `signed`
    signed.close()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "keys.json").write_bytes((ws_dir / "keys.json").read_bytes())
    (broken / DB_NAME).write_bytes((ws_dir / DB_NAME).read_bytes()[:5000])
    with pytest.raises(WorkspaceError, match="壊れている"):
        auth.sign_in(broken, "admin", ADMIN_PASSWORD)


def test_audit_tamper_detected_and_named(signed, ws_dir):
    _add_case(signed)
    with signed.store.write() as s:
        for i in range(5):
            audit.record(s, signed.actor, "view_case", "case", i)
    with signed.store.read() as s:
        assert audit.verify_chain(s).ok
        target = s.scalars(select(AuditEntry.id).order_by(AuditEntry.id).offset(3)).first()
    with signed.store.engine.begin() as conn:  # behind the application's back
        conn.execute(text("UPDATE audit_log SET detail = 'x' WHERE id = :i"), {"i": target})
    with signed.store.read() as s:
        report = audit.verify_chain(s)
    assert not report.ok and report.broken_id == target and f"#{target}" in report.message
    with signed.store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": target})
    with signed.store.read() as s:
        assert audit.verify_chain(s).broken_id == target + 1
    signed.close()
    result = cli("check", "--workspace", str(ws_dir), "--user", "admin")
    assert result.returncode == 1
    assert "監査ログ" in result.stderr and "Traceback" not in result.stderr


def test_check_cli_healthy_and_wrong_password(signed, ws_dir):
    signed.close()
    ok = cli("check", "--workspace", str(ws_dir), "--user", "admin")
    assert ok.returncode == 0, ok.stderr
    assert "改ざんはありません" in ok.stdout
    bad = cli("check", "--workspace", str(ws_dir), "--user", "admin", password="wrong-password")
    assert bad.returncode == 1
    assert "ログインIDまたはパスワードが違います" in bad.stderr
    assert "Traceback" not in bad.stderr
    usage = cli("check", "--workspace", str(ws_dir))
    assert usage.returncode == 2


def test_intake_worker_sees_only_own_agency(signed):
    from kodoku_desk.services import access as case_service

    a = admin.save_agency(signed, "A地域包括支援センター", ["高齢"])
    b = admin.save_agency(signed, "B障がい相談支援", ["障がい"])
    admin.create_staff(signed, "worker_a", "受付 A", "A地域包括支援センター", ["intake"],
                       "worker-a-password")
    case_a = _add_case(signed, name="甲野一郎", agency_id=a)
    case_b = _add_case(signed, name="乙野二郎", agency_id=b)
    folder = signed.folder
    signed.close()
    wa = auth.sign_in(folder, "worker_a", "worker-a-password")
    with wa.store.read() as s:
        visible = {c.id for c in case_service.visible_cases(s, wa.actor)}
    assert case_a in visible and case_b not in visible
    with pytest.raises(UserError):
        case_service.get_case_for(wa, case_b)
    wa.close()


def test_deactivated_staff_cannot_sign_in(signed):
    admin.create_staff(signed, "temp", "臨時 職員", "福祉総務課", ["intake"], "temp-password-1")
    with signed.store.read() as s:
        staff_id = next(r.id for r in admin.list_staff(s) if r.login == "temp")
    admin.deactivate_staff(signed, staff_id)
    folder = signed.folder
    signed.close()
    with pytest.raises(AuthError):
        auth.sign_in(folder, "temp", "temp-password-1")


def test_admin_only_and_bad_agency_input(signed):
    with pytest.raises(UserError, match="分野"):
        admin.save_agency(signed, "変な機関", ["宇宙"])
    with pytest.raises(UserError, match="機関名"):
        admin.save_agency(signed, "  ", ["高齢"])
    admin.create_staff(signed, "plain", "一般 職員", "福祉総務課", ["intake"], "plain-password-1")
    folder = signed.folder
    signed.close()
    plain = auth.sign_in(folder, "plain", "plain-password-1")
    with pytest.raises(UserError, match="権限がありません"):
        admin.save_agency(plain, "新機関", ["高齢"])
    with plain.store.read() as s:
        assert s.scalar(select(Agency).where(Agency.name == "新機関")) is None
    plain.close()


def test_older_workspace_is_backed_up_then_migrated(signed, ws_dir):
    migrate.downgrade(signed.store.engine, "0001")
    assert migrate.current_revision(signed.store.engine) == "0001"
    signed.close()
    s = auth.sign_in(ws_dir, "admin", ADMIN_PASSWORD)
    assert migrate.current_revision(s.store.engine) == migrate.head_revision()
    with s.store.read() as ss:
        assert admin.get_setting(ss, "overdue_business_days") == 3
    s.close()
    backups = list((ws_dir / "backups").glob("*before-migrate-0001*.kdk"))
    assert len(backups) == 1
    assert not backups[0].read_bytes().startswith(b"SQLite format 3")


def test_agency_and_staff_list_cli(signed, ws_dir):
    signed.close()
    out = cli("staff", "list", "--workspace", str(ws_dir), "--user", "admin", "--format", "json")
    assert out.returncode == 0, out.stderr
    import json

    rows = json.loads(out.stdout)
    assert rows[0]["login"] == "admin" and rows[0]["agency"] == "福祉総務課"
    out = cli("agency", "list", "--workspace", str(ws_dir), "--user", "admin")
    assert "福祉総務課" in out.stdout


def test_init_cli_refuses_short_password(tmp_path):
    out = cli("init", "--workspace", str(tmp_path / "x"), "--admin", "boss", password="short")
    assert out.returncode == 1 and "10文字以上" in out.stderr
    assert not (tmp_path / "x" / DB_NAME).exists()


def test_not_a_workspace_cli(tmp_path):
    out = cli("check", "--workspace", str(tmp_path), "--user", "admin")
    assert out.returncode == 1 and "ワークスペースではありません" in out.stderr
