"""CLI commands for the tools domain (registered by kodoku_desk.cli): the benchmark, which lives
in kodoku-desk-devtools (kodoku_devtools.bench) and is imported only when run."""

from __future__ import annotations

import sys


def register(sub) -> None:
    """Adds this domain's subcommands."""
    p = sub.add_parser("bench", help="ベンチマーク（生成データで SQLCipher と平文 SQLite を比較）")
    p.add_argument("--cases", type=int, default=1000, help="生成するケース数（既定 1000）")
    p.add_argument("--repeat", type=int, default=5, help="各計測の繰り返し回数（既定 5）")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--out", metavar="FILE", help="結果の保存先（省略時は標準出力）")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", metavar="DIR",
                   help="生成したワークスペースをこのフォルダに残す（同じ件数・seed なら次回は再利用）")
    p.set_defaults(handler=cmd_bench)


def _log(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def cmd_bench(args) -> int:
    import tempfile
    from pathlib import Path

    from kodoku_desk.errors import UserError
    from kodoku_desk.extras import devtools

    output, runner, workspaces = (devtools(f"bench.{m}") for m in ("output", "runner", "workspaces"))

    if args.cases < 0:
        raise UserError("--cases は 0 以上にしてください。")
    if args.repeat < 1:
        raise UserError("--repeat は 1 以上にしてください。")
    out = Path(args.out) if args.out else None
    if out is not None and not out.parent.is_dir():
        raise UserError(f"保存先のフォルダ {out.parent} がありません。")

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r生成中… {done:,}/{total:,}")

    with tempfile.TemporaryDirectory(prefix="kodoku-bench-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        _log(f"ワークスペースを生成しています（{args.cases:,} 件, seed {args.seed}）: {root}")
        try:
            ws = workspaces.build(root, args.cases, args.seed, progress)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        _log(f"\n生成 {ws.build_seconds:.1f} 秒" + ("（再利用）" if ws.reused else ""))
        report = runner.run(ws, args.repeat, _log)
    text = output.to_json(report) if args.format == "json" else output.to_table(report)
    if out is None:
        sys.stdout.write(text)
        if args.format == "json":
            sys.stdout.write("\n")
    else:
        from kodoku_desk.store.files import atomic_output

        with atomic_output(out) as fh:
            fh.write(text.encode("utf-8"))
        _log(f"結果を保存しました: {out}")
    return 0
