"""Measures that need a fresh process: start-up to the first dialog, and the GUI session with
the event-loop lag probe (whose process also gives the app's peak memory)."""

from __future__ import annotations

import importlib.util
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kodoku_devtools.bench.workspaces import LOGIN, BenchWorkspaces

START_TIMEOUT_S = 60
LAG_TIMEOUT_S = 600

# The start-up child is kodoku_devtools/gui/startprobe.py (Qt stays inside gui/): it runs the real
# entry point and prints "SHOWN <class>" when the first top-level window is exposed.
STARTUP_MODULE = "kodoku_devtools.gui.startprobe"


def _child_env(home: Path) -> dict:
    """Offscreen Qt and a throw-away home: the app's settings of the person running the
    benchmark are neither read nor changed."""
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"))
    env.pop("KODOKU_PASSWORD", None)
    # Measure the app as a user's machine runs it: with bytecode cached (pip compiles it at
    # install; `make run` writes it on first start). A shell that forbids writing it would make
    # every page compile its modules from source on first opening.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _compile_app() -> None:
    """Bytecode for every module of the app, as an installed copy has it."""
    import compileall

    import kodoku_desk

    compileall.compile_dir(str(Path(kodoku_desk.__file__).parent), quiet=1)


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def startup_row(repeat: int):
    from kodoku_devtools.bench.runner import FAILED, NOT_BUILT, Row, Timing

    row = Row("startup", "起動からログイン画面まで（新しいプロセス）", "≤ 1.5 s", target_value=1500)
    if not _has("kodoku_desk.ui.app"):
        row.status, row.note = NOT_BUILT, "kodoku_desk.ui.app.run_app がまだありません"
        return row
    values, shown = [], ""
    with tempfile.TemporaryDirectory(prefix="kodoku-bench-home-") as home:
        env = _child_env(Path(home))
        for _ in range(repeat + 1):  # the first run warms the OS file cache; not counted
            start = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", STARTUP_MODULE], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=env, text=True)
            try:
                ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT_S)
                line = proc.stdout.readline() if ready else ""
                elapsed = (time.perf_counter() - start) * 1000
            finally:
                proc.kill()
                _, err = proc.communicate(timeout=START_TIMEOUT_S)
            if not line.startswith("SHOWN"):
                row.status = FAILED
                row.note = ("画面が表示されませんでした: " + (err.strip().splitlines() or ["?"])[-1])[:200]
                return row
            shown = line.split()[1]
            values.append(elapsed)
    row.cipher = Timing(values[1:])
    row.note = f"最初に表示された画面: {shown}"
    return row


def gui_rows(ws: BenchWorkspaces) -> list:
    """The scripted GUI session in its own process: worst stall and peak memory."""
    from kodoku_devtools.bench.runner import FAILED, NO_DATA, Row, Timing
    from kodoku_devtools.demo import DEMO_PASSWORD

    stall = Row("gui_stall", "GUIスレッドの最長停止（操作の流れ）", "≤ 100 ms", target_value=100)
    memory = Row("peak_memory", "アプリのピークメモリ（ワークスペースを開いた状態）", "≤ 500 MB",
                 unit="MB", target_value=500)
    if not ws.samples.people or not ws.samples.meeting_id:
        for row in (stall, memory):
            row.status, row.note = NO_DATA, "ケースがありません（--cases 0）"
        return [stall, memory]
    person = ws.samples.people[len(ws.samples.people) // 2]
    _compile_app()
    with tempfile.TemporaryDirectory(prefix="kodoku-bench-gui-") as tmp:
        args = {"query": person["kana"], "case_id": ws.samples.heavy_case_id or person["case_id"],
                "send_case_id": ws.samples.send_case_id, "send_agency_id": ws.samples.send_agency_id,
                "meeting_id": ws.samples.meeting_id, "out_dir": tmp}
        env = _child_env(Path(tmp))
        env["KODOKU_PASSWORD"] = DEMO_PASSWORD
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "kodoku_devtools.gui.lagprobe", "--workspace", str(ws.cipher_dir),
                 "--login", LOGIN, "--args", json.dumps(args)],
                capture_output=True, text=True, env=env, timeout=LAG_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            for row in (stall, memory):
                row.status, row.note = FAILED, f"{LAG_TIMEOUT_S} 秒で終わりませんでした"
            return [stall, memory]
    if proc.returncode != 0 or not proc.stdout.strip():
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        for row in (stall, memory):
            row.status, row.note = FAILED, tail[:200]
        return [stall, memory]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    stall.cipher = Timing([result["worst_stall_ms"]])
    steps = "、".join(f"{s['name']} {s['ms']:.0f} ms" + ("" if s["ok"] else f"（失敗: {s['note']}）")
                     for s in result["steps"])
    where = "；".join(f"{ms:.0f} ms 「{step}」 {at}" for ms, step, at in result["stalls"][:3])
    stall.note = (f"最長は「{result['worst_during']}」の間。50 ms 超の停止 {result['stalls_over_50ms']} 回"
                  f"（上位: {where}）。手順: {steps}。"
                  f"画面: {len(result['pages_built'])} ページ"
                  + (f"（未実装: {', '.join(result['pages_missing'])}）" if result["pages_missing"] else "")
                  + (f"（開けない: {'; '.join(result['pages_broken'])}）" if result.get("pages_broken") else ""))
    memory.cipher = Timing([result["maxrss_mb"]])
    memory.note = "lag probe の GUI プロセス（ログイン→検索→ケース→つなぎ→資料出力の後）の ru_maxrss"
    if not all(s["ok"] for s in result["steps"]):
        stall.status = FAILED
    return [stall, memory]
