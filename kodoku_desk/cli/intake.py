"""CLI commands for the intake domain (registered by kodoku_desk.cli):

    kodoku-desk intake import --workspace DIR --user LOGIN FILE.json   (all-or-nothing)
    kodoku-desk intake route FILE.json [--rules RULES.json] [--format table|json]
        [--workspace DIR --user LOGIN]   (suggestions with reasons; nothing is saved)
"""

from __future__ import annotations

import json
import sys

from kodoku_desk.cli.common import add_format_arg, add_workspace_args, open_signed, print_rows


def register(sub) -> None:
    p = sub.add_parser("intake", help="「つながる」シートの取込とつなぎ先候補の確認")
    isub = p.add_subparsers(dest="intake_cmd", required=True, metavar="SUBCOMMAND")

    q = isub.add_parser("import", help="JSON のシートを取り込む（すべて取り込むか、何も取り込まない）")
    add_workspace_args(q)
    q.add_argument("file", metavar="FILE.json", help="取り込むファイル（形式: docs/IMPORT.md）")
    q.set_defaults(handler=cmd_import)

    q = isub.add_parser("route", help="シートごとのつなぎ先候補と理由を表示（保存しない）")
    q.add_argument("file", metavar="FILE.json")
    q.add_argument("--rules", metavar="RULES.json", help="試すルールファイル（既定: 同梱のルール）")
    q.add_argument("--workspace", metavar="DIR", help="機関名をこのワークスペースの機関で解決する")
    q.add_argument("--user", metavar="LOGIN", help="--workspace を使うときのログインID")
    add_format_arg(q)
    q.set_defaults(handler=cmd_route)


def cmd_import(args) -> int:
    from kodoku_desk.services.importer import import_file

    signed = open_signed(args)
    try:
        result = import_file(signed, args.file)
    finally:
        signed.close()
    for saved in result.saved:
        extra = []
        if saved.urgent_path:
            extra.append("緊急")
        if saved.multi_agency:
            extra.append("多機関協働")
        note = f"（{'・'.join(extra)}）" if extra else ""
        print(f"{saved.case_no}: シート {saved.sheet_id}、つなぎ {len(saved.handoff_ids)} 件{note}")
    print(f"{result.file} から {len(result.saved)} 件のシートを取り込みました。")
    return 0


def _reports(args):
    from kodoku_desk.errors import UserError
    from kodoku_desk.services.importer import route_file, route_file_for

    if not args.workspace:
        return route_file(args.file, args.rules)
    if not args.user:
        raise UserError("--workspace を使うときは --user も指定してください。")
    signed = open_signed(args)
    try:
        return route_file_for(signed, args.file, args.rules)
    finally:
        signed.close()


def cmd_route(args) -> int:
    from kodoku_desk.cli.common import _plain

    reports = _reports(args)
    if args.format == "json":
        out = [{
            "sheet": r.index, "person": r.person, "fields": list(r.result.fields),
            "multi_agency": r.result.multi_agency,
            "multi_agency_reason": r.result.multi_agency_reason,
            "coordinator": r.result.coordinator_name,
            "urgent": r.result.urgent, "urgent_reasons": list(r.result.urgent_reasons),
            "suggestions": [{
                "field": s.field, "agency": s.agency_name or None, "agency_id": s.agency_id,
                "reasons": list(s.reasons), "urgent": s.urgent, "alternatives": list(s.alternatives),
                "rules": list(s.rule_ids)} for s in r.result.suggestions],
        } for r in reports]
        json.dump(_plain(out), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return 0
    rows = []
    for r in reports:
        for s in r.result.suggestions:
            rows.append({"sheet": r.index, "person": r.person, "field": s.field,
                         "agency": s.agency_name or "（該当機関なし）", "reason": s.reason,
                         "urgent": "緊急" if s.urgent else ""})
        flags = []
        if r.result.urgent:
            flags.append("緊急対応: " + "、".join(r.result.urgent_reasons))
        if r.result.multi_agency:
            flags.append("多機関協働: " + r.result.multi_agency_reason)
        if flags or not r.result.suggestions:
            rows.append({"sheet": r.index, "person": r.person, "field": "—",
                         "agency": "（候補なし）" if not r.result.suggestions else "",
                         "reason": " ／ ".join(flags), "urgent": ""})
    print_rows(rows, [("sheet", "シート"), ("person", "本人"), ("field", "分野"),
                      ("agency", "つなぎ先候補"), ("reason", "理由"), ("urgent", "")], "table")
    return 0
