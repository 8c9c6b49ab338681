"""Supervisor review actions (docs/DOMAIN.md §6): marking a consent override reviewed, verifying
the audit chain, and exporting the review logs as files. The logs themselves are read models in
queries/ (handoff_log, disclosure_log, access_log, review_common)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kodoku_desk.domain.template import check_text
from kodoku_desk.errors import UserError
from kodoku_desk.models import (
    Handoff,
    OverrideReview,
)
from kodoku_desk.queries.review_access import AccessFilter, query_access
from kodoku_desk.queries.review_common import (
    EXPORT_LIMIT,
    PDF_LIMIT,
    _log,
    agency_names,
    block_names,
    resolve_agency,
    target_label,
)
from kodoku_desk.queries.review_disclosures import DisclosureFilter, query_disclosures
from kodoku_desk.queries.review_handoffs import (
    HandoffFilter,
    HandoffLogRow,
    count_handoffs,
    iter_handoffs,
    query_handoffs,
    validate_filter,
)
from kodoku_desk.services import access, audit, exporting, uow
from kodoku_desk.services.auth import Signed

# --------------------------------------------------------------------------- override review


def review_override(signed: Signed, handoff_id: int, comment: str) -> int:
    """A supervisor marks a consent override reviewed, with a comment. Logged; returns the id."""
    access.require_supervisor(signed, "同意外提供の確認")
    comment = check_text(comment, "確認のコメント", "comment")
    if not comment:
        raise UserError("確認のコメントを入力してください（判断の理由など）。", field="comment")
    with uow.write(signed) as s:
        handoff = s.get(Handoff, handoff_id)
        if handoff is None:
            raise UserError(f"つなぎ #{handoff_id} は見つかりません。")
        if not handoff.consent_override:
            raise UserError(f"つなぎ #{handoff_id} は本人同意の範囲内の提供で、確認の対象ではありません。")
        if s.scalar(select(OverrideReview.id).where(OverrideReview.handoff_id == handoff_id)):
            raise UserError(f"つなぎ #{handoff_id} はすでに確認済みです。")
        review = OverrideReview(handoff_id=handoff_id, reviewer_id=signed.actor.staff_id,
                                comment=comment)
        s.add(review)
        s.flush()
        audit.record(s, signed.actor, "override_review", "handoff", handoff_id,
                     {"case_id": handoff.case_id, "basis": handoff.basis, "comment": comment})
        return review.id


def override_reviews(session: Session, handoff_id: int) -> list[OverrideReview]:
    return list(session.scalars(select(OverrideReview).where(OverrideReview.handoff_id == handoff_id)))

def verify_audit_chain(signed: Signed) -> audit.ChainReport:
    """Walk the whole chain; the report names the first broken entry. The check is logged
    after the walk, so it never hides the entry it found."""
    access.require_supervisor(signed, "監査ログの検証")
    with uow.read(signed) as s:
        report = audit.verify_chain(s)
    _log(signed, "verify_chain", "audit_log", report.broken_id or "",
         {"ok": report.ok, "checked": report.checked})
    return report


# --------------------------------------------------------------------------- exports


HANDOFF_CSV_HEADER = ["つなぎID", "ケース番号", "ブロック", "送付日時", "送付元", "送付先", "状態",
                      "受理期限", "受理日時", "終了日時", "提供の根拠", "同意外提供", "期限超過（営業日）",
                      "返送理由", "返送時の提案先", "超過した期限"]


def _dt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def handoff_csv_row(r: HandoffLogRow) -> list:
    return [r.id, r.case_no, r.block, _dt(r.sent_at), r.from_agency, r.to_agency, r.state,
            r.due_on.isoformat(), _dt(r.acknowledged_at), _dt(r.closed_at), r.basis,
            "あり" if r.consent_override else "", r.overdue_days or "", r.return_reason,
            r.return_alternative, r.overdue_label]


def export_handoff_log(signed: Signed, flt: HandoffFilter, path: Path | str, fmt: str,
                       today: date | None = None) -> int:
    """Write the filtered log as CSV (any size, streamed) or PDF (up to PDF_LIMIT rows) where
    the user chose; returns the row count."""
    from kodoku_desk.exports import csv_export, report_pdf

    access.require_supervisor(signed, "つなぎ履歴の出力")
    if fmt not in ("csv", "pdf"):
        raise UserError("出力形式は csv か pdf を選んでください。", field="format")
    validate_filter(flt)
    path = exporting.check_out_path(path, fmt)
    today = today or date.today()
    found: dict = {}

    def write(fh) -> None:
        with uow.read(signed) as s:
            found["total"] = total = count_handoffs(s, flt, today)
            if fmt == "pdf" and total > PDF_LIMIT:
                raise UserError(f"条件に合うつなぎが {total:,} 件あります。PDF は {PDF_LIMIT:,} 件までです。"
                                "条件を絞るか、CSV で出力してください。", field="format")
            if fmt == "csv":
                csv_export.write_rows(fh, HANDOFF_CSV_HEADER,
                                      (handoff_csv_row(r) for r in iter_handoffs(s, flt, today)))
                found["filter"] = flt.describe(agency_names(s), block_names(s))
            else:
                log = query_handoffs(s, flt, limit=PDF_LIMIT, today=today)
                fh.write(report_pdf.render_handoff_log_pdf(log, today, signed.actor.display_name))
                found["filter"] = log.filter_text

    def record(s: Session) -> None:
        audit.record(s, signed.actor, "export", "handoff_log", "",
                     {"format": fmt, "rows": found["total"], "file": path.name,
                      "filter": found["filter"]})

    exporting.export_file(signed, path, write, record)
    return found["total"]


DISCLOSURE_CSV_HEADER = ["記録ID", "提供日時", "ケース番号", "提供した職員", "提供元機関", "提供先機関",
                         "受領者", "提供した項目", "提供の根拠", "根拠の理由", "経路", "つなぎID", "部数番号"]


def export_disclosures(signed: Signed, flt: DisclosureFilter, path: Path | str,
                       to_agency: str | None = None) -> int:
    """The disclosure log as CSV; `to_agency` names the recipient agency (as typed)."""
    from dataclasses import replace

    from kodoku_desk.exports import csv_export

    access.require_supervisor(signed, "提供記録の出力")
    path = exporting.check_out_path(path, "csv")
    with uow.read(signed) as s:
        if to_agency:
            flt = replace(flt, to_agency_id=resolve_agency(s, to_agency))
        rows, _ = query_disclosures(s, flt, limit=EXPORT_LIMIT)
    data = csv_export.csv_bytes(DISCLOSURE_CSV_HEADER, [
        [r.id, _dt(r.at), r.case_no, r.actor, r.from_agency, r.to_agency, r.recipient,
         "・".join(r.sections), r.basis, r.basis_reason, r.channel, r.handoff_id or "",
         r.copy_no or ""] for r in rows])
    exporting.export_bytes(signed, path, data, exporting.audited(
        signed, "export", "disclosures", "", {"rows": len(rows), "file": path.name}))
    return len(rows)


ACCESS_CSV_HEADER = ["記録ID", "日時", "ログインID", "氏名", "操作", "操作（コード）", "対象の種類",
                     "対象ID", "詳細"]


def export_access_log(signed: Signed, flt: AccessFilter, path: Path | str) -> int:
    from kodoku_desk.exports import csv_export

    access.require_supervisor(signed, "閲覧・出力履歴の出力")
    path = exporting.check_out_path(path, "csv")
    with uow.read(signed) as s:
        rows, _ = query_access(s, flt, limit=EXPORT_LIMIT)
    data = csv_export.csv_bytes(ACCESS_CSV_HEADER, [
        [r.id, _dt(r.at), r.actor, r.actor_name, r.action_label, r.action,
         target_label(r.target_type), r.target_id, r.detail] for r in rows])
    exporting.export_bytes(signed, path, data, exporting.audited(
        signed, "export", "audit_log", "", {"rows": len(rows), "file": path.name}))
    return len(rows)
