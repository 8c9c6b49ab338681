"""Runs the measures: every database measure on SQLCipher and on the plain copy, in the same
process and order, and reports median, p95 and the SQLCipher / plain ratio."""

from __future__ import annotations

import gc
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kodoku_devtools.bench import processes
from kodoku_devtools.bench.measures import DB_MEASURES, Measure, find, scratch_dir
from kodoku_devtools.bench.workspaces import LOGIN, BenchWorkspaces

NOT_BUILT = "未実装"
FAILED = "失敗"
NO_DATA = "データなし"
# Measures that need generated cases (an empty period or meeting is refused by the services).
NEEDS_CASES = ("packet_pdf", "packet_docx", "packet_pdf_redacted", "report_year_pdf",
               "case_open_received")
OK = "ok"
RATIO_TARGET = 1.3


@dataclass
class Timing:
    values: list[float]  # ms (or MB for memory)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def p95(self) -> float:
        ordered = sorted(self.values)  # nearest rank: with few repeats this is the maximum
        return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]

    def summary(self) -> dict:
        return {"median": round(self.median, 2), "p95": round(self.p95, 2), "n": len(self.values)}


@dataclass
class Row:
    key: str
    label: str
    target: str
    unit: str = "ms"
    status: str = OK
    note: str = ""
    cipher: Timing | None = None
    plain: Timing | None = None
    target_value: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.cipher is None or self.plain is None or self.plain.median <= 0:
            return None
        return self.cipher.median / self.plain.median

    @property
    def meets(self) -> bool | None:
        if self.cipher is None or self.target_value is None:
            return None
        return self.cipher.median <= self.target_value

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "unit": self.unit, "status": self.status,
                "target": self.target, "note": self.note,
                "sqlcipher": self.cipher.summary() if self.cipher else None,
                "plain": self.plain.summary() if self.plain else None,
                "ratio": round(self.ratio, 3) if self.ratio is not None else None,
                "meets_target": self.meets}


@dataclass
class Report:
    cases: int
    seed: int
    repeat: int
    machine: dict
    generation: dict
    rows: list[Row] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["rows"] = [r.as_dict() for r in self.rows]
        return data


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    mem_gb = None
    try:
        mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        pass
    import sqlcipher3

    return {"nproc": os.cpu_count(), "memory_gb": mem_gb, "cpu": cpu,
            "python": platform.python_version(), "platform": platform.platform(),
            "sqlcipher": _sqlcipher_version(sqlcipher3)}


def _sqlcipher_version(module) -> str:
    conn = module.connect(":memory:")
    try:
        return conn.execute("PRAGMA cipher_version").fetchone()[0]
    finally:
        conn.close()


QUICK_MS = 50  # a measure faster than this is timed at least QUICK_REPEAT times
QUICK_REPEAT = 15


def _time_pair(measure: Measure, ws: BenchWorkspaces, repeat: int, scratch: Path
               ) -> tuple[Timing, Timing]:
    """Calls alternate SQLCipher, plain, SQLCipher, plain …: a machine whose speed drifts
    during the run (other load, CPU boost) then biases neither side of the ratio. A query of a
    few milliseconds is repeated more often: over three calls, one scheduling hiccup of the
    shared machine decides its median and its ratio. Its calls go to different samples (people),
    so it first makes one untimed pass over them: otherwise the first call per sample meets a
    cold cache on SQLCipher only (decryption), and the median mixes cold and warm calls. The cold
    case is a figure of its own in docs/PERFORMANCE.md."""
    sides = (ws.cipher, ws.plain)
    values: tuple[list[float], list[float]] = ([], [])
    warm = []
    for signed in sides:  # warm-up (imports, first pages), not counted
        fn = measure.prepare(signed, ws.samples, repeat, scratch)
        start = time.perf_counter()
        fn()
        warm.append((time.perf_counter() - start) * 1000)
    if max(warm) < QUICK_MS:
        repeat = max(repeat, QUICK_REPEAT)
        for i in range(repeat):  # one untimed pass over the same calls: each sample's pages are
            for signed in sides:  # then cached on both sides, as for the single warm-up of others
                measure.prepare(signed, ws.samples, i, scratch)()
    for i in range(repeat):
        for signed, out in zip(sides, values, strict=True):
            fn = measure.prepare(signed, ws.samples, i, scratch)
            gc.collect()
            start = time.perf_counter()
            fn()
            out.append((time.perf_counter() - start) * 1000)
    return Timing(values[0]), Timing(values[1])


def db_rows(ws: BenchWorkspaces, repeat: int, log=None) -> list[Row]:
    rows = []
    with scratch_dir() as tmp:
        scratch = Path(tmp)
        for m in DB_MEASURES:
            row = Row(m.key, m.label, m.target, target_value=m.target_ms)
            rows.append(row)
            if m.needs and find(*m.needs) is None:
                row.status = NOT_BUILT
                row.note = f"{m.needs[0]}.{m.needs[1]} がまだありません"
                continue
            if m.key in NEEDS_CASES and (not ws.cases or not ws.samples.meeting_id):
                row.status, row.note = NO_DATA, "ケースがありません（--cases 0）"
                continue
            if log:
                log(f"計測中: {m.label}")
            try:
                row.cipher, row.plain = _time_pair(m, ws, repeat, scratch)
            except Exception as exc:  # noqa: BLE001 - a broken measure is reported, not hidden
                row.status, row.note = FAILED, f"{type(exc).__name__}: {exc}"[:200]
    return rows


def unlock_row(ws: BenchWorkspaces, repeat: int) -> Row:
    """Argon2id unwrap (production cost) + open + first query, as a login does."""
    from sqlalchemy import func, select

    from kodoku_desk.models import Case
    from kodoku_desk.services.auth import sign_in
    from kodoku_desk.store.keys import ARGON2_PARAMS
    from kodoku_devtools.demo import DEMO_PASSWORD

    values = []
    for _ in range(repeat):
        start = time.perf_counter()
        signed = sign_in(ws.cipher_dir, LOGIN, DEMO_PASSWORD)
        with signed.store.read() as s:
            s.scalar(select(func.count()).select_from(Case))
        values.append((time.perf_counter() - start) * 1000)
        signed.close()
    params = ws_params(ws) or ARGON2_PARAMS
    return Row("unlock", "ロック解除（Argon2id + DBを開く + 最初の問い合わせ）", "≤ 1.0 s",
               cipher=Timing(values), target_value=1000,
               note=f"Argon2id t={params['t']} m={params['m']} KiB p={params['p']}（平文には鍵がないため比較なし）")


def ws_params(ws: BenchWorkspaces) -> dict | None:
    import json

    data = json.loads((ws.cipher_dir / "keys.json").read_text(encoding="utf-8"))
    entry = data.get("wraps", {}).get(LOGIN)
    return {k: entry[k] for k in ("t", "m", "p")} if entry and all(k in entry for k in "tmp") else None


def run(ws: BenchWorkspaces, repeat: int, log=None) -> Report:
    report = Report(ws.cases, ws.seed, repeat, machine(),
                    {"seconds": round(ws.build_seconds, 1), "reused": ws.reused, "rows": ws.counts})
    if log:
        log("計測中: 起動")
    report.rows.append(processes.startup_row(repeat))
    if log:
        log("計測中: ロック解除")
    report.rows.append(unlock_row(ws, repeat))
    ws.open()
    try:
        report.rows += db_rows(ws, repeat, log)
    finally:
        ws.close()
    if log:
        log("計測中: 画面の応答（イベントループの遅れ）とメモリ")
    report.rows += processes.gui_rows(ws)
    # The target is per query; opening a connection (keying it) is covered by the unlock target.
    queries = [r for r in report.rows if r.ratio is not None and r.key != "db_open"]
    if queries:
        worst = max(queries, key=lambda r: r.ratio)
        report.rows.append(Row("ratio_worst", "SQLCipher / 平文 の比（最大）", "≤ 1.3", unit="×",
                               cipher=Timing([worst.ratio]), target_value=RATIO_TARGET,
                               note=f"最大は「{worst.label}」（DBを開く処理を除く各問い合わせ・出力）"))
    return report
