"""CLI commands for hand-offs and consent, for scripting (registered by kodoku_desk.cli); the same
services as the screens, so the same gates, gate sentences and audit entries:

    kodoku-desk handoff list --workspace DIR --user LOGIN [--agency NAME] [--overdue]
    kodoku-desk handoff send --case NO --to AGENCY --reason TEXT --share KEY,... [--request TEXT]
        [--sheet N] [--basis BASIS --basis-reason TEXT]
    kodoku-desk handoff answer ID --state 受理|対応中|完了|返送|取下げ [--note TEXT] [--alternative TEXT]
    kodoku-desk handoff add-share ID --share KEY,... [--sheet N] [--basis BASIS --basis-reason TEXT]
    kodoku-desk consent withdraw --case NO [--date DATE] [--reason TEXT]
"""

from __future__ import annotations

from kodoku_desk.cli.common import add_format_arg, add_workspace_args, open_signed, print_rows

HANDOFF_COLUMNS = (("id", "番号"), ("case_no", "ケース番号"), ("person_name", "氏名"),
                   ("from_agency", "送付元"), ("to_agency", "送付先"), ("state", "状態"),
                   ("sent", "送付日"), ("due", "受理期限"), ("stage_due", "いまの期限"),
                   ("overdue_label", "期限超過"),
                   ("last_note", "最新のメモ"))


def _share(text: str) -> list[str]:
    return [k.strip() for k in (text or "").replace("、", ",").split(",") if k.strip()]


def _basis_args(q) -> None:
    q.add_argument("--basis", metavar="BASIS",
                   help="提供の根拠（既定: 本人同意。ほか 法令に基づく通告・生命・身体の保護）")
    q.add_argument("--basis-reason", default="", metavar="TEXT", help="本人同意以外の根拠の理由")


def register(sub) -> None:
    p = sub.add_parser("handoff", help="つなぎの一覧・送付・応答・追加提供")
    hsub = p.add_subparsers(dest="handoff_cmd", required=True, metavar="SUBCOMMAND")
    q = hsub.add_parser("list", help="機関が受けたつなぎ（受信箱）の一覧")
    add_workspace_args(q)
    q.add_argument("--agency", metavar="NAME", help="機関名（既定: ログインした職員の機関）")
    q.add_argument("--overdue", action="store_true",
                   help="期限を過ぎたものだけ（受理期限・対応開始期限・対応中の更新期限）")
    add_format_arg(q)
    q.set_defaults(handler=cmd_handoff_list)

    q = hsub.add_parser("send", help="つなぎを送る（同意または根拠の確認、提供記録つき）")
    add_workspace_args(q)
    q.add_argument("--case", required=True, metavar="NO", help="ケース番号")
    q.add_argument("--to", required=True, metavar="AGENCY", help="つなぎ先の機関名")
    q.add_argument("--reason", required=True, metavar="TEXT", help="つなぐ理由")
    q.add_argument("--request", default="", metavar="TEXT", help="依頼内容")
    q.add_argument("--share", required=True, metavar="KEY,...",
                   help="共有する項目グループ（例: basic,worries,household）")
    q.add_argument("--sheet", type=int, metavar="N", help="シート番号（既定: ケースの最新のシート）")
    _basis_args(q)
    q.set_defaults(handler=cmd_handoff_send)

    q = hsub.add_parser("answer", help="つなぎに応答する（受理・対応中・完了・返送、送った側は取下げ）")
    add_workspace_args(q)
    q.add_argument("id", type=int, metavar="ID", help="つなぎの番号")
    q.add_argument("--state", required=True, metavar="STATE", help="受理・対応中・完了・返送・取下げ")
    q.add_argument("--note", default="", metavar="TEXT", help="メモ（返送・完了・取下げでは必須）")
    q.add_argument("--alternative", default="", metavar="TEXT", help="返送するときの代わりのつなぎ先")
    q.set_defaults(handler=cmd_handoff_answer)

    q = hsub.add_parser("add-share", help="送付済みのつなぎに追加提供する（項目や後のシート）")
    add_workspace_args(q)
    q.add_argument("id", type=int, metavar="ID", help="つなぎの番号")
    q.add_argument("--share", required=True, metavar="KEY,...")
    q.add_argument("--sheet", type=int, metavar="N", help="シート番号（既定: ケースの最新のシート）")
    _basis_args(q)
    q.set_defaults(handler=cmd_handoff_add_share)

    p = sub.add_parser("consent", help="本人同意")
    csub = p.add_subparsers(dest="consent_cmd", required=True, metavar="SUBCOMMAND")
    q = csub.add_parser("withdraw", help="本人の同意の撤回を記録する（以後の提供を止める）")
    add_workspace_args(q)
    q.add_argument("--case", required=True, metavar="NO", help="ケース番号")
    q.add_argument("--date", metavar="DATE", help="撤回日（既定: 今日。和暦可）")
    q.add_argument("--reason", default="", metavar="TEXT", help="撤回の理由")
    q.set_defaults(handler=cmd_consent_withdraw)


def cmd_handoff_list(args) -> int:
    from kodoku_desk.domain.dates import to_wareki
    from kodoku_desk.queries.boxes import inbox_listing

    signed = open_signed(args)
    try:
        _, found = inbox_listing(signed, args.agency, overdue_only=args.overdue)
    finally:
        signed.close()
    rows = [{**_as_dict(r), "sent": to_wareki(r.sent_at.date()), "due": to_wareki(r.due_on),
             "stage_due": to_wareki(r.deadline)}
            for r in found]
    print_rows(rows, HANDOFF_COLUMNS, args.format)
    return 0


def cmd_handoff_send(args) -> int:
    from kodoku_desk.domain.consent import BASIS_CONSENT
    from kodoku_desk.services import handoffs

    signed = open_signed(args)
    try:
        hid = handoffs.send_named(signed, args.case, args.to, args.reason, _share(args.share),
                                  args.request, args.sheet, args.basis or BASIS_CONSENT,
                                  args.basis_reason)
    finally:
        signed.close()
    print(f"つなぎ {hid} を送りました（{args.case} → {args.to}）。")
    return 0


def cmd_handoff_answer(args) -> int:
    from kodoku_desk.services import handoffs

    signed = open_signed(args)
    try:
        result = handoffs.transition(signed, args.id, args.state, args.note, args.alternative)
    finally:
        signed.close()
    print(f"つなぎ {result.handoff_id} を「{result.state}」にしました。")
    return 0


def cmd_handoff_add_share(args) -> int:
    from kodoku_desk.services import handoffs

    signed = open_signed(args)
    try:
        snap = handoffs.add_share(signed, args.id, _share(args.share), args.sheet, args.basis,
                                  args.basis_reason or None)
    finally:
        signed.close()
    print(f"つなぎ {args.id} に追加提供しました（提供内容 {snap}）。")
    return 0


def cmd_consent_withdraw(args) -> int:
    from kodoku_desk.domain.dates import parse_date
    from kodoku_desk.services import consent

    on = parse_date(args.date, field="date")  # a bad date is a sentence before the password
    signed = open_signed(args)
    try:
        ids = consent.withdraw_for_case_no(signed, args.case, on, args.reason)
    finally:
        signed.close()
    print(f"{args.case} の同意 {len(ids)} 件の撤回を記録しました。以後、本人同意による提供はできません。")
    return 0


def _as_dict(row) -> dict:
    from dataclasses import asdict

    return asdict(row)
