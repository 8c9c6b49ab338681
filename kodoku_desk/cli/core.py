"""Workspace commands: init, demo, check, passwd, recovery, backup, agency/staff lists."""

from __future__ import annotations

import sys
import time

from kodoku_desk.cli.common import (
    add_format_arg,
    add_workspace_args,
    open_signed,
    print_rows,
    read_password,
)


def register(sub) -> None:
    p = sub.add_parser("init", help="新しいワークスペースを作成")
    add_workspace_args(p, user=False)
    p.add_argument("--admin", required=True, metavar="LOGIN", help="管理者のログインID")
    p.add_argument("--name", default="", help="管理者の氏名")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("demo", help="デモ用ワークスペースを作成（生成データ）")
    add_workspace_args(p, user=False)
    p.add_argument("--cases", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("check", help="暗号化DBの整合性と、監査ログ・履歴の改ざん検査")
    add_workspace_args(p)
    anchor = p.add_mutually_exclusive_group()
    anchor.add_argument("--anchor", action="store_true",
                        help="検査のあと、月次の紙の記録用に現在の照合コードを表示")
    anchor.add_argument("--verify-anchor", metavar="CODE",
                        help="紙に記録した照合コードの時点までの記録がそのまま残っているか確かめる")
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("passwd", help="自分のパスワードを変更")
    add_workspace_args(p)
    p.set_defaults(handler=cmd_passwd)

    p = sub.add_parser("recovery", help="回復キー（パスワードを忘れたとき用）の作成と利用")
    rsub = p.add_subparsers(dest="recovery_cmd", required=True)
    q = rsub.add_parser("create", help="新しい回復キーを作成して一度だけ表示")
    add_workspace_args(q)
    q.set_defaults(handler=cmd_recovery_create)
    q = rsub.add_parser("reset", help="回復キーで職員のパスワードを再設定")
    add_workspace_args(q, user=False)
    q.add_argument("--login", required=True, help="再設定する職員のログインID")
    q.set_defaults(handler=cmd_recovery_reset)

    p = sub.add_parser("backup", help="暗号化されたままのバックアップを作成")
    add_workspace_args(p)
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("agency", help="機関")
    asub = p.add_subparsers(dest="agency_cmd", required=True)
    q = asub.add_parser("list", help="機関の一覧")
    add_workspace_args(q)
    add_format_arg(q)
    q.set_defaults(handler=cmd_agency_list)

    p = sub.add_parser("staff", help="職員")
    ssub = p.add_subparsers(dest="staff_cmd", required=True)
    q = ssub.add_parser("list", help="職員の一覧")
    add_workspace_args(q)
    add_format_arg(q)
    q.set_defaults(handler=cmd_staff_list)


def cmd_init(args) -> int:
    from kodoku_desk.services.auth import create_workspace

    password = read_password("管理者のパスワード（10文字以上）: ", confirm=True)
    signed = create_workspace(args.workspace, args.admin, args.name or args.admin, password)
    signed.close()
    print(f"ワークスペースを作成しました: {args.workspace}（管理者: {args.admin}）")
    return 0


def cmd_demo(args) -> int:
    from kodoku_desk.extras import devtools

    demo = devtools("demo")  # in kodoku-desk-devtools, not in the product
    if args.cases < 0:
        sys.stderr.write("エラー: --cases は0以上にしてください。\n")
        return 1
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r生成中… {done}/{total}")

    signed, logins = demo.create_demo(args.workspace, cases=args.cases, seed=args.seed, progress=progress)
    signed.close()
    elapsed = time.perf_counter() - started
    print(f"\nデモ用ワークスペースを作成しました: {args.workspace}（{args.cases}件, {elapsed:.1f}秒）")
    print("これは生成データです。実在の人物ではありません。")
    print(f"共通パスワード: {demo.DEMO_PASSWORD}")
    print_rows(logins, [("login", "ログインID"), ("display_name", "氏名"), ("agency", "機関"),
                        ("roles", "役割")], "table")
    return 0


def cmd_check(args) -> int:
    from kodoku_desk.services.maintenance import check_workspace

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r履歴を検査中… {done}/{total}")

    signed = open_signed(args)
    try:
        report = check_workspace(signed, progress, anchor=args.anchor,
                                 verify_anchor=args.verify_anchor)
    finally:
        signed.close()
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    if report.integrity_problems:
        sys.stderr.write("エラー: データベースの整合性検査で問題が見つかりました: "
                         + "; ".join(report.integrity_problems[:5]) + "\n")
        return 1
    print("整合性: 問題なし。")
    errors = []
    if report.chain.ok:
        print(report.chain.message)
    else:
        errors.append(report.chain.message)
    if report.history.ok:
        print(report.history.message)
    else:
        errors += report.history.messages  # one sentence per broken table
    if report.anchor_check is not None:
        if report.anchor_check.ok:
            print(report.anchor_check.message)
        else:
            errors.append(report.anchor_check.message)
    for message in errors:
        sys.stderr.write(f"エラー: {message}\n")
    if errors:
        return 1
    if report.anchor:
        print(f"照合コード: {report.anchor}")
        print("（日付とともに紙の記録に書き写してください。次の検査で --verify-anchor に渡すと、"
              "この時点までの記録がそのまま残っていることを確かめられます。）")
    return 0


def cmd_passwd(args) -> int:
    from kodoku_desk.services.auth import change_password

    signed = open_signed(args)
    try:
        new = read_password("新しいパスワード（10文字以上）: ", env="KODOKU_NEW_PASSWORD", confirm=True)
        change_password(signed, read_password(), new)
    finally:
        signed.close()
    print("パスワードを変更しました。")
    return 0


def cmd_recovery_create(args) -> int:
    from kodoku_desk.services.auth import create_recovery_code

    signed = open_signed(args)
    try:
        code = create_recovery_code(signed)
    finally:
        signed.close()
    print("回復キー（この一度しか表示しません。印刷して金庫などに保管してください）:")
    print(code)
    return 0


def cmd_recovery_reset(args) -> int:
    from kodoku_desk.services.auth import reset_with_recovery

    code = read_password("回復キー: ", env="KODOKU_RECOVERY_CODE")
    new = read_password("新しいパスワード（10文字以上）: ", env="KODOKU_NEW_PASSWORD", confirm=True)
    reset_with_recovery(args.workspace, code, args.login, new)
    print(f"{args.login} のパスワードを再設定しました。")
    return 0


def cmd_backup(args) -> int:
    from kodoku_desk.services.maintenance import backup_workspace

    signed = open_signed(args)
    try:
        path = backup_workspace(signed)
    finally:
        signed.close()
    print(f"バックアップを作成しました（暗号化されたまま）: {path}")
    return 0


def cmd_agency_list(args) -> int:
    from kodoku_desk.services import admin

    signed = open_signed(args)
    try:
        rows = admin.agencies(signed)
    finally:
        signed.close()
    print_rows(rows, [("id", "ID"), ("name", "機関名"), ("fields", "分野"), ("block", "ブロック"),
                      ("operation", "運営"), ("active", "有効")], args.format)
    return 0


def cmd_staff_list(args) -> int:
    from kodoku_desk.services import admin

    signed = open_signed(args)
    try:
        rows = admin.staff_accounts(signed)
    finally:
        signed.close()
    print_rows(rows, [("id", "ID"), ("login", "ログインID"), ("display_name", "氏名"),
                      ("agency", "機関"), ("roles", "役割"), ("active", "有効")], args.format)
    return 0
