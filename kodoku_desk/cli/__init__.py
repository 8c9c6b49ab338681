"""`kodoku-desk`: with no arguments opens the app; subcommands run the same services headless.

Exit codes: 0 success, 1 a user-facing error (one sentence on stderr), 2 usage."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from kodoku_desk.cli import cases, core, handoffs, intake, meetings, review, tools
from kodoku_desk.cli.common import run_guarded

# Each domain module adds its own subcommands; their heavy imports happen inside the handlers.
MODULES = (core, intake, cases, handoffs, meetings, review, tools)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # usage errors: exit 2 with a Japanese hint
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: 使い方が正しくありません: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kodoku-desk", description="「つながる」シート 相談記録アプリ")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    for module in MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        from kodoku_desk.ui.app import run_app  # the GUI: imported only when wanted

        return run_app()
    args = build_parser().parse_args(argv)
    if not getattr(args, "handler", None):
        build_parser().print_help(sys.stderr)
        return 2
    return run_guarded(args.handler, args)
