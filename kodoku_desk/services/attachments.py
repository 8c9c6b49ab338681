"""Scanned pages (signed consent, the paper part A): PDF, PNG or JPEG, stored inside the encrypted
database — never as a file on disk. The content is sniffed: a file that is not what its name says
is refused."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kodoku_desk.domain.actor import Actor
from kodoku_desk.errors import UserError
from kodoku_desk.models import Attachment, Case, Sheet
from kodoku_desk.services import access, audit, uow
from kodoku_desk.services.auth import Signed
from kodoku_desk.store.files import read_regular

MAX_BYTES = 20 * 1024 * 1024
KINDS = {"scan": "スキャン", "consent": "同意書"}
# extension → (mime, magic prefix)
TYPES: dict[str, tuple[str, bytes]] = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
}


@dataclass(frozen=True)
class AttachmentInput:
    filename: str
    data: bytes
    kind: str = "scan"


@dataclass(frozen=True)
class AttachmentRow:
    id: int
    case_id: int
    sheet_id: int | None
    kind: str
    filename: str
    mime: str
    size: int
    sha256: str
    created_at: object


def sniff(filename: str, data: bytes) -> str:
    """The MIME type, after checking the bytes match the name's type. Raises UserError."""
    name = Path(filename).name
    ext = Path(name).suffix.lower()
    if ext not in TYPES:
        raise UserError(f"「{name}」は添付できない種類です。PDF・PNG・JPEG を選んでください。",
                        field="attachment")
    if len(data) > MAX_BYTES:
        raise UserError(f"「{name}」は大きすぎます（{len(data) / 1024 / 1024:.1f} MB）。"
                        f"{MAX_BYTES // 1024 // 1024} MB 以内にしてください。", field="attachment")
    if not data:
        raise UserError(f"「{name}」は空のファイルです。", field="attachment")
    mime, magic = TYPES[ext]
    if not data.startswith(magic):
        actual = next((m for m, g in TYPES.values() if data.startswith(g)), None)
        said = f"中身は {actual} です" if actual else "中身が PDF・PNG・JPEG のどれでもありません"
        raise UserError(f"「{name}」は名前と中身の種類が合いません（{said}）。", field="attachment")
    return mime


def read_file(path: Path | str, within: Path | str | None = None) -> AttachmentInput:
    """Read a file chosen by the user (the intake page's choosers, an import's attachment
    paths): anything but a regular file is refused before it is opened, an oversized one before
    it is read; with `within`, the file must lie inside that folder (symbolic links followed)."""
    path = Path(path)
    try:
        return AttachmentInput(path.name, read_regular(path, within, MAX_BYTES))
    except UserError as err:
        raise UserError(err.message, field="attachment") from None


def add_in(session: Session, actor: Actor, case_id: int, item: AttachmentInput,
           sheet_id: int | None = None) -> Attachment:
    mime = sniff(item.filename, item.data)
    if item.kind not in KINDS:
        raise UserError(f"添付の種類「{item.kind}」はありません。", field="attachment")
    row = Attachment(case_id=case_id, sheet_id=sheet_id, kind=item.kind,
                     filename=Path(item.filename).name[:255], mime=mime, size=len(item.data),
                     sha256=hashlib.sha256(item.data).hexdigest(), data=item.data,
                     created_by=actor.staff_id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "attachment_add", "case", case_id,
                 {"attachment_id": row.id, "filename": row.filename, "size": row.size,
                  "sha256": row.sha256})
    return row


def add(signed: Signed, case_id: int, item: AttachmentInput, sheet_id: int | None = None) -> int:
    access.require(signed, signed.actor.is_intake, "添付ファイルの追加")
    sniff(item.filename, item.data)  # refuse before taking the write lock
    with uow.write(signed) as s:
        from kodoku_desk.services.access import check_visible

        check_visible(s, signed.actor, case_id)
        if sheet_id is not None:
            sheet = s.get(Sheet, sheet_id)
            if sheet is None or sheet.case_id != case_id:
                raise UserError("添付先のシートがこのケースにありません。", field="sheet")
        return add_in(s, signed.actor, case_id, item, sheet_id).id


def list_for_case(session: Session, case_id: int) -> list[AttachmentRow]:
    q = (select(Attachment.id, Attachment.case_id, Attachment.sheet_id, Attachment.kind,
                Attachment.filename, Attachment.mime, Attachment.size, Attachment.sha256,
                Attachment.created_at)
         .where(Attachment.case_id == case_id).order_by(Attachment.id))
    return [AttachmentRow(*r) for r in session.execute(q)]


def content(signed: Signed, attachment_id: int) -> tuple[str, str, bytes]:
    """(filename, mime, bytes) for viewing; the view is audited and scope-checked."""
    with uow.write(signed) as s:
        row = s.get(Attachment, attachment_id)
        if row is None or s.get(Case, row.case_id) is None:
            raise UserError("その添付ファイルは見つかりません。")
        from kodoku_desk.services.access import check_visible

        check_visible(s, signed.actor, row.case_id)
        audit.record(s, signed.actor, "view_attachment", "case", row.case_id,
                     {"attachment_id": attachment_id})
        return row.filename, row.mime, row.data


__all__ = ["MAX_BYTES", "AttachmentInput", "AttachmentRow", "add", "add_in", "content",
           "list_for_case", "read_file", "sniff"]
