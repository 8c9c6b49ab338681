"""CLI commands for case and hand-off lists (registered by kodoku_desk.cli):

    kodoku-desk case list --workspace DIR --user LOGIN [--query TEXT] [--limit N]
        [--format table|json]          (the query is normalised like the GUI search)
    kodoku-desk handoff list --workspace DIR --user LOGIN [--agency NAME] [--overdue]
        [--format table|json]          (default agency: the user's own; its inbox)
"""

from __future__ import annotations

from kodoku_desk.cli.common import add_format_arg, add_workspace_args, open_signed, print_rows

CASE_COLUMNS = (("case_no", "ケース番号"), ("person_name", "氏名"), ("kana", "ふりがな"),
                ("owner_agency", "受付機関"), ("block", "ブロック"), ("status_label", "状態"),
                ("urgency", "緊急度"), ("urgent_path", "緊急"), ("multi_agency", "多機関協働"),
                ("fields", "分野"), ("opened", "受付日"))
HANDOFF_COLUMNS = (("id", "番号"), ("case_no", "ケース番号"), ("person_name", "氏名"),
                   ("from_agency", "送付元"), ("to_agency", "送付先"), ("state", "状態"),
                   ("sent", "送付日"), ("due", "受理期限"), ("overdue", "期限超過"),
                   ("last_note", "最新のメモ"))


def register(sub) -> None:
    p = sub.add_parser("case", help="ケースの一覧・検索")
    csub = p.add_subparsers(dest="case_cmd", required=True, metavar="SUBCOMMAND")
    q = csub.add_parser("list", help="見られるケースの一覧（--query で氏名・ふりがな・電話・番号を検索）")
    add_workspace_args(q)
    q.add_argument("--query", default="", metavar="TEXT",
                   help="検索語（全角半角・ひらがなカタカナ・空白・電話のハイフンを区別しない）")
    q.add_argument("--limit", type=int, default=100, metavar="N", help="最大件数（既定 100、上限 1000）")
    add_format_arg(q)
    q.set_defaults(handler=cmd_case_list)

    p = sub.add_parser("handoff", help="つなぎの一覧")
    hsub = p.add_subparsers(dest="handoff_cmd", required=True, metavar="SUBCOMMAND")
    q = hsub.add_parser("list", help="機関が受けたつなぎ（受信箱）の一覧")
    add_workspace_args(q)
    q.add_argument("--agency", metavar="NAME", help="機関名（既定: ログインした職員の機関）")
    q.add_argument("--overdue", action="store_true", help="受理期限を過ぎた未受理のものだけ")
    add_format_arg(q)
    q.set_defaults(handler=cmd_handoff_list)


def cmd_case_list(args) -> int:
    from kodoku_desk.domain.dates import to_wareki
    from kodoku_desk.queries.search import search_in
    from kodoku_desk.services import audit

    signed = open_signed(args)
    try:
        with signed.store.write() as s:  # a listing printed to a terminal is logged
            result = search_in(s, signed.actor, args.query, limit=args.limit)
            audit.record(s, signed.actor, "list_cases", "case", "",
                         {"query": args.query, "count": len(result.rows)})
    finally:
        signed.close()
    rows = [{**_as_dict(r), "opened": to_wareki(r.opened_at.date())} for r in result.rows]
    print_rows(rows, CASE_COLUMNS, args.format)
    if args.format == "table" and result.total > len(rows):
        print(f"（全 {result.total} 件のうち {len(rows)} 件を表示。--limit で増やせます）")
    return 0


def cmd_handoff_list(args) -> int:
    signed = open_signed(args)
    try:
        rows = _handoff_rows(signed, args.agency, args.overdue)
    finally:
        signed.close()
    print_rows(rows, HANDOFF_COLUMNS, args.format)
    return 0


def _handoff_rows(signed, agency_name: str | None, overdue: bool) -> list[dict]:
    from kodoku_desk.domain.dates import to_wareki
    from kodoku_desk.errors import UserError
    from kodoku_desk.queries.search import agency_by_name
    from kodoku_desk.services import audit
    from kodoku_desk.services.handoffs import inbox

    actor = signed.actor
    with signed.store.write() as s:
        if agency_name:
            agency = agency_by_name(s, agency_name)
        elif actor.agency_id is not None:
            agency = None
        else:
            raise UserError("所属機関のない職員です。--agency で機関名を指定してください。")
        agency_id = agency.id if agency is not None else actor.agency_id
        if agency_id != actor.agency_id and not actor.sees_all_cases:
            raise UserError("他の機関の受信箱は見られません（コーディネーター・確認担当・管理者のみ）。")
        rows = inbox(s, agency_id, overdue_only=overdue, limit=10_000)
        audit.record(s, actor, "list_handoffs", "agency", agency_id,
                     {"overdue": overdue, "count": len(rows)})
    return [{**_as_dict(r), "sent": to_wareki(r.sent_at.date()), "due": to_wareki(r.due_on)}
            for r in rows]


def _as_dict(row) -> dict:
    from dataclasses import asdict

    return asdict(row)
