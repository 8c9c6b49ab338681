"""CLI commands for cases (registered by kodoku_desk.cli):

    kodoku-desk case list --workspace DIR --user LOGIN [--query TEXT] [--limit N]
        [--format table|json]          (the query is normalised like the GUI search)
    kodoku-desk case show NO --workspace DIR --user LOGIN [--format table|json]
        (exactly what the user may see; a receiving agency's content with its source snapshots)
Hand-off commands: kodoku_desk/cli/handoffs.py.
"""

from __future__ import annotations

from kodoku_desk.cli.common import add_format_arg, add_workspace_args, open_signed, print_rows

CASE_COLUMNS = (("case_no", "ケース番号"), ("person_name", "氏名"), ("kana", "ふりがな"),
                ("owner_agency", "受付機関"), ("block", "ブロック"), ("status_label", "状態"),
                ("urgency", "緊急度"), ("urgent_path", "緊急"), ("multi_agency", "多機関協働"),
                ("fields", "分野"), ("opened", "受付日"))


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

    q = csub.add_parser("show", help="ケースを、見てよい範囲でそのまま表示（提供元の提供内容つき）")
    add_workspace_args(q)
    q.add_argument("case_no", metavar="NO", help="ケース番号")
    add_format_arg(q)
    q.set_defaults(handler=cmd_case_show)


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


def cmd_case_show(args) -> int:
    import json
    import sys

    from kodoku_desk.cli.common import _plain
    from kodoku_desk.queries.caseview import case_report

    signed = open_signed(args)
    try:
        view, sources = case_report(signed, args.case_no)
    finally:
        signed.close()
    if args.format == "json":
        out = {**_plain(view), "provided_by_snapshots": _plain(sources)}
        json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return 0
    for line in _case_lines(view, sources):
        print(line)
    return 0


def _case_lines(view, sources) -> list[str]:
    from kodoku_desk.domain.dates import to_wareki

    p = view.person
    lines = [f"ケース {view.case_no}（{view.status_label}）　受付機関: {view.owner_agency}",
             f"本人: {p.name}（{p.kana}）" + (f"　{to_wareki(p.birth_date)}生" if p.birth_date else "")]
    if p.address or p.phone:
        lines.append(f"住所・電話: {p.address}　{p.phone}".rstrip())
    if sources is not None:
        lines.append("提供を受けた内容（あなたの機関へのつなぎの提供内容のみ）:")
        for s in sources:
            kind = "送付時" if s.seq == 1 else f"追加提供 {s.seq - 1}"
            lines.append(f"  つなぎ {s.handoff_id} {kind} {to_wareki(s.at.date())}"
                         f"　シート {s.sheet_id}　{'・'.join(s.sections)}　SHA-256 {s.sha256[:16]}…")
    for m in view.household:
        lines.append(f"世帯: {m.relation} {m.name}" + (f"（{m.age}歳）" if m.age is not None else ""))
    for sheet in view.sheets:
        lines.append(f"シート {sheet.id}　{to_wareki(sheet.received_at.date())}　{sheet.agency}")
        if sheet.worries:
            lines.append(f"  困りごと: {'・'.join(sheet.worries)}")
        for section in sheet.sections:
            for a in section.answers:
                lines.append(f"  [{section.label}] {a.label}: {a.value}")
        if sheet.hidden_sections:
            lines.append(f"  （提供されていない項目: {'・'.join(sheet.hidden_sections)}）")
    for h in view.handoffs:
        lines.append(f"つなぎ {h.id}: {h.from_agency} → {h.to_agency}　{h.state}")
    return lines


def _as_dict(row) -> dict:
    from dataclasses import asdict

    return asdict(row)
