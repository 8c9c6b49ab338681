"""services.exporting: the one path by which a file leaves the workspace. The file appears under
its name only together with its records (audit entry, 提供記録), never one without the other."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kodoku_desk.errors import UserError, WorkspaceError
from kodoku_desk.models import AuditEntry
from kodoku_desk.services import audit, exporting


@pytest.fixture
def out_dir(tmp_path):
    folder = tmp_path / "out"  # beside the workspace folder
    folder.mkdir()
    return folder


def exports(signed) -> int:
    with signed.store.read() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.action == "export")) or 0


def _record(signed):
    def record(s):
        audit.record(s, signed.actor, "export", "test", "", {"file": "out.csv"})
        return "recorded"
    return record


def test_a_complete_export_is_recorded_and_named(signed, out_dir):
    out = out_dir / "out.csv"
    assert exporting.export_bytes(signed, out, b"a,b\r\n", _record(signed)) == "recorded"
    assert out.read_bytes() == b"a,b\r\n"
    assert exports(signed) == 1
    assert [p.name for p in out_dir.iterdir()] == ["out.csv"]  # no temporary left


def test_a_failed_write_records_nothing_and_leaves_nothing(signed, out_dir):
    def write(fh):
        fh.write(b"half")
        raise UserError("途中で失敗しました。")

    with pytest.raises(UserError):
        exporting.export_file(signed, out_dir / "out.csv", write, _record(signed))
    assert list(out_dir.iterdir()) == [] and exports(signed) == 0


def test_a_failed_record_leaves_no_file(signed, out_dir):
    def record(s):
        audit.record(s, signed.actor, "export", "test", "", {})
        raise UserError("同意が撤回されたため出力できません。")

    with pytest.raises(UserError, match="撤回"):
        exporting.export_bytes(signed, out_dir / "out.csv", b"data", record)
    assert list(out_dir.iterdir()) == [] and exports(signed) == 0


def test_an_existing_file_is_replaced_only_by_a_complete_export(signed, out_dir):
    out = out_dir / "out.csv"
    out.write_bytes(b"old")
    with pytest.raises(UserError):
        exporting.export_bytes(signed, out, b"new", lambda s: (_ for _ in ()).throw(
            UserError("記録できません。")))
    assert out.read_bytes() == b"old"


@pytest.mark.parametrize(("name", "message"), [
    ("missing/out.csv", "がありません"),
    ("out.pdf", "拡張子を .csv"),
    ("", "フォルダです"),
])
def test_the_chosen_path_is_checked_with_a_sentence(tmp_path, name, message):
    with pytest.raises((UserError, WorkspaceError), match=message):
        exporting.check_out_path(tmp_path / name, "csv")
