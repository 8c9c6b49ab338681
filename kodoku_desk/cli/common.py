"""Shared CLI plumbing: passwords, opening a workspace, output formats, error handling."""

from __future__ import annotations

import getpass
import json
import os
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import date, datetime

from kodoku_desk.errors import UserError

PASSWORD_ENV = "KODOKU_PASSWORD"


def add_workspace_args(p, user: bool = True) -> None:
    p.add_argument("--workspace", required=True, metavar="DIR", help="ワークスペースのフォルダ")
    if user:
        p.add_argument("--user", required=True, metavar="LOGIN", help="ログインID")


def add_format_arg(p) -> None:
    p.add_argument("--format", choices=("table", "json"), default="table")


def read_password(prompt: str = "パスワード: ", *, env: str = PASSWORD_ENV, confirm: bool = False) -> str:
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin or not sys.stdin.isatty():
        raise UserError(f"パスワードを入力できません。対話端末で実行するか、環境変数 {env} に設定してください。")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("もう一度: ") != first:
        raise UserError("2回入力したパスワードが一致しません。")
    return first


def open_signed(args):
    from kodoku_desk.services.auth import check_workspace_folder, sign_in

    check_workspace_folder(args.workspace)  # "not a workspace" before asking for a password
    return sign_in(args.workspace, args.user, read_password())


def _plain(value):
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def print_rows(rows: Sequence, columns: Sequence[tuple[str, str]], fmt: str) -> None:
    """rows: dataclasses or dicts; columns: (key, 見出し). json prints every key."""
    plain = [_plain(r) for r in rows]
    if fmt == "json":
        json.dump(plain, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    cells = [[_cell(r.get(k)) for k, _ in columns] for r in plain]
    heads = [h for _, h in columns]
    widths = [max([_width(h)] + [_width(c[i]) for c in cells]) for i, h in enumerate(heads)]
    print("  ".join(_pad(h, w) for h, w in zip(heads, widths, strict=False)).rstrip())
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print("  ".join(_pad(v, w) for v, w in zip(c, widths, strict=False)).rstrip())
    print(f"（{len(rows)}件）")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "○" if value else "×"
    if isinstance(value, list):
        return "・".join(str(v) for v in value)
    return str(value).replace("\n", " ")


def fail(message: str) -> int:
    sys.stderr.write(f"エラー: {message}\n")
    return 1


def run_guarded(handler: Callable, args) -> int:
    """No traceback reaches a user: known errors print their sentence; others a short notice."""
    try:
        return int(handler(args) or 0)
    except UserError as err:
        return fail(err.message)
    except KeyboardInterrupt:
        return fail("中断しました。")
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - the last guard before the user's terminal
        if os.environ.get("KODOKU_DEBUG"):
            raise
        return fail(f"予期しないエラーが発生しました（{type(exc).__name__}）。"
                    "KODOKU_DEBUG=1 を付けて再実行すると詳細が表示されます。")
