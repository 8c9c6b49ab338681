"""CLI commands for supervisors and auditors: the period report, the access-log export and the
disclosure-log export. Supervisors and admins only; a refusal is logged by the service."""

from __future__ import annotations

from kodoku_desk.cli.common import add_workspace_args, open_signed


def _period_args(p, required: bool) -> None:
    hint = "（和暦可: 令和7年4月1日, R7.4.1, 2025-04-01）"
    p.add_argument("--from", dest="date_from", required=required, metavar="DATE",
                   help="期間の始まり" + hint)
    p.add_argument("--to", dest="date_to", required=required, metavar="DATE",
                   help="期間の終わり" + hint)


def register(sub) -> None:
    p = sub.add_parser("report", help="統計報告（期間・PDF または CSV）")
    add_workspace_args(p)
    _period_args(p, required=True)
    p.add_argument("--format", choices=("pdf", "csv"), default="pdf",
                   help="pdf: グラフ付きの報告書 / csv: Excel で開ける表（UTF-8 BOM 付き）")
    p.add_argument("--agency", metavar="NAME", help="この機関の受付・つなぎに限る")
    p.add_argument("--out", required=True, metavar="PATH", help="出力先のファイル")
    p.set_defaults(handler=cmd_report)

    p = sub.add_parser("audit", help="監査ログ（閲覧・出力・印刷の履歴）")
    asub = p.add_subparsers(dest="audit_cmd", required=True)
    q = asub.add_parser("export", help="監査ログを CSV（UTF-8 BOM 付き）に出力")
    add_workspace_args(q)
    _period_args(q, required=False)
    q.add_argument("--actor", metavar="LOGIN", help="この職員の操作に限る")
    q.add_argument("--case", metavar="CASE_NO", help="このケースについての記録に限る（閲覧・印刷など）")
    q.add_argument("--out", required=True, metavar="PATH")
    q.set_defaults(handler=cmd_audit_export)

    p = sub.add_parser("disclosures", help="提供記録")
    dsub = p.add_subparsers(dest="disclosures_cmd", required=True)
    q = dsub.add_parser("export", help="提供記録を CSV（UTF-8 BOM 付き）に出力")
    add_workspace_args(q)
    _period_args(q, required=False)
    q.add_argument("--agency", metavar="NAME", help="この提供先の機関に限る")
    q.add_argument("--basis", metavar="BASIS", help="提供の根拠（本人同意・支援会議 など）に限る")
    q.add_argument("--out", required=True, metavar="PATH")
    q.set_defaults(handler=cmd_disclosures_export)


def _dates(args):
    from kodoku_desk.domain.dates import parse_date
    from kodoku_desk.queries.review_common import check_period

    date_from = parse_date(args.date_from, field="from")
    date_to = parse_date(args.date_to, field="to")
    check_period(date_from, date_to)
    return date_from, date_to


def cmd_report(args) -> int:
    from kodoku_desk.queries import stats

    date_from, date_to = _dates(args)  # a bad date is a sentence before any password prompt
    signed = open_signed(args)
    try:
        r = stats.export_report(signed, date_from, date_to, args.format, args.out, args.agency)
    finally:
        signed.close()
    print(f"統計報告を出力しました: {args.out}（{r.period_text()}、新規ケース {r.cases:,} 件、"
          f"つなぎ送付 {r.sent:,} 件）")
    return 0


def cmd_audit_export(args) -> int:
    from kodoku_desk.queries import review_access
    from kodoku_desk.services import review

    date_from, date_to = _dates(args)
    signed = open_signed(args)
    try:
        n = review.export_access_log(
            signed, review_access.AccessFilter(date_from=date_from, date_to=date_to, actor=args.actor,
                                        case_no=args.case),
            args.out)
    finally:
        signed.close()
    print(f"監査ログ {n:,} 件を出力しました: {args.out}")
    return 0


def cmd_disclosures_export(args) -> int:
    from kodoku_desk.queries import review_disclosures
    from kodoku_desk.services import review

    date_from, date_to = _dates(args)
    signed = open_signed(args)
    try:
        flt = review_disclosures.DisclosureFilter(date_from=date_from, date_to=date_to,
                                      basis=args.basis or None)
        n = review.export_disclosures(signed, flt, args.out, to_agency=args.agency)
    finally:
        signed.close()
    print(f"提供記録 {n:,} 件を出力しました: {args.out}")
    return 0
