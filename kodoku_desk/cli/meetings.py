"""CLI commands for the meetings domain: `meeting list`, `meeting minutes`, `packet`, and the
sheet printouts `sheet blank` / `sheet print`."""

from __future__ import annotations

import os
import sys

from kodoku_desk.cli.common import add_format_arg, add_workspace_args, open_signed, print_rows
from kodoku_desk.errors import UserError


def register(sub) -> None:
    p = sub.add_parser("meeting", help="会議")
    msub = p.add_subparsers(dest="meeting_cmd", required=True)
    q = msub.add_parser("list", help="会議の一覧（部の種類・議題数）")
    add_workspace_args(q)
    add_format_arg(q)
    q.add_argument("--since", metavar="DATE", help="この日以降の会議（和暦可）")
    q.set_defaults(handler=cmd_meeting_list)

    q = msub.add_parser("minutes", help="議事録を DOCX に出力")
    add_workspace_args(q)
    q.add_argument("--meeting", required=True, type=int, metavar="ID")
    q.add_argument("--out", required=True, metavar="PATH")
    q.set_defaults(handler=cmd_minutes)

    p = sub.add_parser("packet", help="会議資料を PDF または DOCX に出力")
    add_workspace_args(p)
    p.add_argument("--meeting", required=True, type=int, metavar="ID")
    p.add_argument("--format", choices=("pdf", "docx"), required=True)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--redact", action="store_true", default=None,
                       help="すべての部を匿名化（省略時は会議の種類に従う: 支援者支援会議は匿名化）")
    group.add_argument("--no-redact", dest="redact", action="store_false",
                       help="どの部も匿名化しない（支援者支援会議では同意のあるケースのみ）")
    p.add_argument("--password-env", metavar="VAR",
                   help="PDF を開くパスワードを読む環境変数の名前")
    p.add_argument("--out", required=True, metavar="PATH", help="出力先のファイル")
    p.set_defaults(handler=cmd_packet)

    p = sub.add_parser("sheet", help="「つながる」シートの印刷（PDF）")
    ssub = p.add_subparsers(dest="sheet_cmd", required=True)
    q = ssub.add_parser("blank", help="相談者が紙に書く白紙の相談者記入欄（A4）")
    q.add_argument("--version", metavar="V", help="シート様式の版（省略時は現行）")
    q.add_argument("--out", required=True, metavar="PATH")
    q.set_defaults(handler=cmd_sheet_blank)
    q = ssub.add_parser("print", help="保存されたシートを印刷（共有された項目のみ）")
    add_workspace_args(q)
    q.add_argument("--sheet", required=True, type=int, metavar="ID")
    q.add_argument("--out", required=True, metavar="PATH")
    q.set_defaults(handler=cmd_sheet_print)


def cmd_meeting_list(args) -> int:
    from kodoku_desk.domain.dates import parse_date
    from kodoku_desk.queries import meeting_views

    since = parse_date(args.since, field="since") if args.since else None
    signed = open_signed(args)
    try:
        rows = meeting_views.list_sessions(signed, since=since)
    finally:
        signed.close()
    print_rows(rows, [("id", "ID"), ("held_on_wareki", "開催日"), ("title", "会議名"),
                      ("kinds", "部"), ("place", "会場"), ("cases", "議題"),
                      ("members", "構成員")], args.format)
    return 0


def _password(args) -> str | None:
    if not args.password_env:
        return None
    value = os.environ.get(args.password_env)
    if not value:
        raise UserError(f"環境変数 {args.password_env} にパスワードが設定されていません。")
    if args.format != "pdf":
        raise UserError("パスワードを設定できるのは PDF だけです。--format pdf を指定してください。")
    return value


def cmd_packet(args) -> int:
    from kodoku_desk.services import meeting_packets

    password = _password(args)  # a missing variable is a sentence before any password prompt
    meeting_packets.check_out_path(args.out, args.format)
    signed = open_signed(args)
    try:
        result = meeting_packets.export_packet(signed, args.meeting, args.format, args.out,
                                               redact=args.redact, password=password)
    finally:
        signed.close()
    _report_glyphs(result.missing_glyphs)
    print(f"{result.path} に出力しました（写し {result.copies} 部、議題 {result.cases} 件"
          f"{'、匿名化あり' if result.redacted else ''}{'、パスワード付き' if password else ''}）。"
          f"提供記録 {result.disclosures} 件を記録しました。")
    return 0


def cmd_minutes(args) -> int:
    from kodoku_desk.services import meeting_packets

    meeting_packets.check_out_path(args.out, "docx")
    signed = open_signed(args)
    try:
        path = meeting_packets.export_minutes(signed, args.meeting, args.out)
    finally:
        signed.close()
    print(f"{path} に議事録を出力しました。")
    return 0


def _report_glyphs(sentences: list[str]) -> None:
    for sentence in sentences:
        sys.stderr.write(f"注意: {sentence}\n")


def cmd_sheet_blank(args) -> int:
    from kodoku_desk.services.sheet_print import print_blank_part_a

    result = print_blank_part_a(args.out, args.version)
    _report_glyphs(result.missing_glyphs)
    print(f"{result.path} に白紙の相談者記入欄を出力しました。")
    return 0


def cmd_sheet_print(args) -> int:
    from kodoku_desk.services import meeting_packets
    from kodoku_desk.services.sheet_print import print_sheet

    meeting_packets.check_out_path(args.out, "pdf")
    signed = open_signed(args)
    try:
        result = print_sheet(signed, args.sheet, args.out)
    finally:
        signed.close()
    _report_glyphs(result.missing_glyphs)
    print(f"{result.path} にシートを出力しました。")
    return 0
