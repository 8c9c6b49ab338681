"""The one path by which anything leaves the encrypted workspace as a file the user chose: a
meeting packet, minutes, a printed sheet, a log or a report.

The file is written under a temporary name in the chosen folder; then, in ONE unit of work,
what the export discloses is recorded (the audit entry, and 提供記録 where personal data goes to
someone) and the file is given its name. A failed write records nothing; a refused or failed
record leaves no file; a failed commit removes the file again."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

from sqlalchemy.orm import Session

from kodoku_desk.errors import UserError, WorkspaceError
from kodoku_desk.services import uow
from kodoku_desk.services.auth import Signed
from kodoku_desk.store.files import staged_output

T = TypeVar("T")


def check_out_path(out: Path | str, fmt: str) -> Path:
    """The file the user chose: a file name (not a folder) with the format's extension, in a
    folder that exists and can be written to. A sentence for anything else."""
    path = Path(out).expanduser()
    if path.is_dir():
        raise UserError(f"{path} はフォルダです。保存するファイル名を指定してください。", field="out")
    if path.suffix.lower() != f".{fmt}":
        raise UserError(f"保存するファイル名の拡張子を .{fmt} にしてください（{path.name}）。", field="out")
    if not path.parent.exists():
        raise WorkspaceError(f"保存先のフォルダ {path.parent} がありません。", field="out")
    if not path.parent.is_dir():
        raise WorkspaceError(f"{path.parent} はフォルダではないため、書き込めません。", field="out")
    if not os.access(path.parent, os.W_OK):
        raise WorkspaceError(f"保存先のフォルダ {path.parent} に書き込めません（権限がありません）。",
                             field="out")
    return path


def export_file(signed: Signed, path: Path, write: Callable[[IO[bytes]], object],
                record: Callable[[Session], T]) -> T:
    """Write with `write(file)`, then record with `record(session)` and publish the file in the
    same unit of work. Returns what `record` returns."""
    with staged_output(path) as staged:
        write(staged.file)
        staged.finish()
        try:
            with uow.write(signed) as s:
                result = record(s)
                s.flush()
                staged.publish()
        except BaseException:
            if staged.published:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            raise
    return result


def export_bytes(signed: Signed, path: Path, data: bytes, record: Callable[[Session], T]) -> T:
    return export_file(signed, path, lambda fh: fh.write(data), record)


def audited(signed: Signed, action: str, target_type: str, target_id: object,
            detail: dict) -> Callable[[Session], None]:
    """A `record` that writes one audit entry (for exports that disclose to no one named)."""
    from kodoku_desk.services import audit

    def record(s: Session) -> None:
        audit.record(s, signed.actor, action, target_type, target_id, detail)

    return record
