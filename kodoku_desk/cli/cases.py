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
    from kodoku_desk.queries.search import list_cases

    signed = open_signed(args)
    try:
        result = list_cases(signed, args.query, args.limit)
    finally:
        signed.close()
    rows = [{**_as_dict(r), "opened": to_wareki(r.opened_at.date())} for r in result.rows]
    print_rows(rows, CASE_COLUMNS, args.format)
    if args.format == "table" and result.total > len(rows):
        print(f"（全 {result.total} 件のうち {len(rows)} 件を表示。--limit で増やせます）")
    return 0


def cmd_handoff_list(args) -> int:
    from kodoku_desk.domain.dates import to_wareki
    from kodoku_desk.queries.boxes import inbox_listing

    signed = open_signed(args)
    try:
        _, found = inbox_listing(signed, args.agency, overdue_only=args.overdue)
    finally:
        signed.close()
    rows = [{**_as_dict(r), "sent": to_wareki(r.sent_at.date()), "due": to_wareki(r.due_on)}
            for r in found]
    print_rows(rows, HANDOFF_COLUMNS, args.format)
    return 0


def _as_dict(row) -> dict:
    from dataclasses import asdict

    return asdict(row)
