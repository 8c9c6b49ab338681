"""The benchmark's report as a table (for people) or JSON (for tools and docs)."""

from __future__ import annotations

import json
import unicodedata

from kodoku_devtools.bench.runner import OK, Report, Row, Timing

HEADS = ("項目", "SQLCipher 中央値", "p95", "平文 中央値", "p95", "比", "目標", "判定", "備考")


def to_json(report: Report) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=1)


def _value(t: Timing | None, unit: str, which: str) -> str:
    if t is None:
        return "—"
    v = t.median if which == "median" else t.p95
    if unit == "ms":
        return f"{v:,.1f} ms" if v < 10_000 else f"{v / 1000:,.1f} s"
    if unit == "×":
        return f"{v:.2f}"
    return f"{v:,.0f} {unit}"


def _cells(row: Row) -> list[str]:
    if row.status != OK and row.cipher is None:
        return [row.label, row.status, "", "", "", "", row.target, "", row.note]
    verdict = {True: "○", False: "×", None: ""}[row.meets]
    if row.status != OK:
        verdict = row.status
    ratio = f"{row.ratio:.2f}" if row.ratio is not None else ""
    return [row.label, _value(row.cipher, row.unit, "median"), _value(row.cipher, row.unit, "p95"),
            _value(row.plain, row.unit, "median") if row.plain else "",
            _value(row.plain, row.unit, "p95") if row.plain else "", ratio, row.target, verdict,
            row.note]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def to_table(report: Report) -> str:
    m = report.machine
    gen = report.generation
    lines = [
        f"kodoku-desk bench: {report.cases:,} 件 (seed {report.seed}), 繰り返し {report.repeat} 回",
        f"マシン: {m['nproc']} コア, {m['memory_gb']} GB, {m['cpu']}, Python {m['python']}, "
        f"SQLCipher {m['sqlcipher']}",
        f"生成: {gen['seconds']} 秒" + ("（既存を再利用）" if gen["reused"] else "") + " — "
        + ", ".join(f"{k} {v:,}" for k, v in gen["rows"].items()),
        "",
    ]
    rows = [list(HEADS)] + [_cells(r) for r in report.rows]
    widths = [max(_width(r[i]) for r in rows) for i in range(len(HEADS) - 1)]
    for i, r in enumerate(rows):
        cells = [c + " " * (w - _width(c)) for c, w in zip(r[:-1], widths, strict=True)]
        lines.append("  ".join(cells + [r[-1]]).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  ----")
    return "\n".join(lines) + "\n"
