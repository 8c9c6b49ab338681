"""GUI responsiveness probe (issue 5): a 10 ms timer on the GUI thread measures how late each
tick arrives while a scripted session runs the way the app runs it — every database and export
step through ui.ops.Runner, the pages of the navigation built and refreshed on the GUI thread.
The worst lateness is the longest time the GUI thread was blocked.

Run by `kodoku-desk bench` in its own process (QT_QPA_PLATFORM=offscreen):
    python -m kodoku_devtools.gui.lagprobe --workspace DIR --login LOGIN --args JSON
with the password in KODOKU_PASSWORD. Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel

from kodoku_desk.ui.app import tune_interpreter
from kodoku_desk.ui.fonts import install_fonts
from kodoku_desk.ui.language import install_japanese
from kodoku_desk.ui.ops import Runner

INTERVAL_MS = 10
IDLE_BETWEEN_STEPS_MS = 150  # a user's pause between actions: lets pages finish refreshing


def _where(frame) -> str:
    """The innermost frames of our own code (or the innermost frame) of a stack."""
    ours = []
    while frame is not None:
        code = frame.f_code
        if "kodoku_desk" in code.co_filename and "lagprobe" not in code.co_filename:
            ours.append(f"{Path(code.co_filename).name}:{frame.f_lineno} {code.co_name}")
        frame = frame.f_back
    return " < ".join(ours[:3]) or "Qt の描画・レイアウト（Python の外）"


class _Watchdog(threading.Thread):
    """Looks at the GUI thread's stack while a tick is overdue, to say where a stall is."""

    def __init__(self, probe: LagProbe) -> None:
        super().__init__(daemon=True)
        self.probe = probe
        self.gui_ident = threading.get_ident()
        self.running = True

    def run(self) -> None:
        while self.running:
            time.sleep(0.02)
            overdue = time.perf_counter() - self.probe._last - self.probe.interval
            if overdue > 0.05:
                frame = sys._current_frames().get(self.gui_ident)
                self.probe.where_now = _where(frame) if frame is not None else ""


class LagProbe(QObject):
    """Counts how late a 10 ms timer fires: lateness = gap between ticks - interval."""

    def __init__(self, interval_ms: int = INTERVAL_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval = interval_ms / 1000
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.worst = 0.0
        self.worst_during = ""
        self.label = ""
        self.ticks = 0
        self.late_over_50ms = 0
        self.stalls: list[tuple[float, str, str]] = []  # (ms, step, where) of stalls > 50 ms
        self.where_now = ""
        self._last = 0.0

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start(int(self.interval * 1000))
        self.watchdog = _Watchdog(self)
        self.watchdog.start()

    def stop(self) -> None:
        self.timer.stop()
        self.watchdog.running = False

    def _tick(self) -> None:
        now = time.perf_counter()
        late = now - self._last - self.interval
        self._last = now
        self.ticks += 1
        if late > 0.05:
            self.late_over_50ms += 1
            self.stalls.append((round(late * 1000, 1), self.label, self.where_now))
        self.where_now = ""
        if late > self.worst:
            self.worst, self.worst_during = late, self.label


@dataclass
class StepResult:
    name: str
    ms: float = 0.0
    ok: bool = True
    note: str = ""


@dataclass
class Session:
    """The scripted session: steps run one after the other through the Runner."""

    app: QApplication
    probe: LagProbe
    runner: Runner
    steps: list[tuple[str, Callable[[], Callable[[], object]], Callable[[object], None] | None]]
    results: list[StepResult] = field(default_factory=list)
    index: int = 0

    def start(self) -> None:
        self.probe.start()
        QTimer.singleShot(IDLE_BETWEEN_STEPS_MS, self._next)

    def _next(self) -> None:
        if self.index >= len(self.steps):
            QTimer.singleShot(IDLE_BETWEEN_STEPS_MS, self.app.quit)
            return
        name, make, after = self.steps[self.index]
        self.index += 1
        self.probe.label = name
        result = StepResult(name)
        self.results.append(result)
        started = time.perf_counter()
        try:
            work = make()
        except Exception as exc:  # noqa: BLE001 - a missing feature is reported, not fatal
            result.ok, result.note = False, f"{type(exc).__name__}: {exc}"[:200]
            QTimer.singleShot(IDLE_BETWEEN_STEPS_MS, self._next)
            return
        if work is None:  # the step ran on the GUI thread
            result.ms = (time.perf_counter() - started) * 1000
            QTimer.singleShot(IDLE_BETWEEN_STEPS_MS, self._next)
            return

        def done(value: object) -> None:
            result.ms = (time.perf_counter() - started) * 1000
            if after is not None:
                try:
                    after(value)
                except Exception as exc:  # noqa: BLE001 - reported; the session goes on
                    result.ok, result.note = False, f"{type(exc).__name__}: {exc}"[:200]
            self.probe.label = f"{name}（後の画面更新）"
            QTimer.singleShot(IDLE_BETWEEN_STEPS_MS, self._next)

        def failed(exc: BaseException) -> None:
            result.ms = (time.perf_counter() - started) * 1000
            result.ok, result.note = False, f"{type(exc).__name__}: {exc}"[:200]
            QTimer.singleShot(IDLE_BETWEEN_STEPS_MS, self._next)

        # A write, as the app runs it: what it changed reaches the open views once.
        self.runner.write(work, done, failed, progress_label=f"{name}…"
                          if name == "会議資料の出力" else None)


def _find(module: str, name: str):
    """The object if its module has landed; an import error inside an existing module is a
    real failure and is raised."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise


class _Shell:
    """The app's own main window (ui.main_window.MainWindow) after login; its pages are opened
    one by one on the GUI thread, as a user clicks through the navigation."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.ctx = None
        self.window = None
        self.built: list[str] = []
        self.missing: list[str] = []
        self.broken: list[str] = []

    def start(self, signed) -> None:
        from kodoku_desk.ui.context import AppContext
        from kodoku_desk.ui.main_window import MainWindow

        self.ctx = AppContext(signed=signed, runner=self.runner)
        self.window = MainWindow(self.ctx)
        self.window.resize(1280, 860)
        self.window.show()

    def page_steps(self, actor) -> list:
        """One step per page of the navigation. Like the app (main_window.visible_pages), a
        page's module is only looked up here and imported when the page is first opened, so
        its import is measured in the step that opens it."""
        from kodoku_desk.ui.pages.registry import PAGES

        steps = []
        for spec in PAGES:
            if not spec.allowed(actor):
                continue
            module = spec.target.partition(":")[0]
            try:
                present = importlib.util.find_spec(module) is not None
            except ModuleNotFoundError:
                present = False
            if not present:
                self.missing.append(spec.key)
                continue
            steps.append((f"画面「{spec.title}」", self._opener(spec.key), None))
        return steps

    def _opener(self, key: str):
        def open_page():
            page = self.window.show_page(key)
            if page is None or isinstance(page, QLabel):  # the window's "could not open"
                self.broken.append(f"{key}: {page.text() if page is not None else '表示できません'}")
            else:
                self.built.append(key)
            return None  # GUI-thread work only; its data comes through the Runner
        return open_page

    def open_case(self, case_id: int) -> None:
        self.window.open_case(case_id)



def scripted_steps(shell: _Shell, folder: Path, login: str, password: str, args: dict,
                   state: dict) -> list:
    """login, search, open a case, send a hand-off, export a packet."""
    from kodoku_desk.services import handoffs
    from kodoku_desk.services.auth import sign_in
    from kodoku_desk.services.meeting_packets import export_packet

    search_cases = _find("kodoku_desk.queries.search", "search_cases")
    case_view = _find("kodoku_desk.queries.caseview", "load_case_view")

    def login_step():
        return lambda: sign_in(folder, login, password)

    def after_login(signed) -> None:
        state["signed"] = signed
        shell.start(signed)
        steps[1:1] = shell.page_steps(signed.actor)

    def search_step():
        signed = state["signed"]
        if search_cases is not None:
            return lambda: search_cases(signed, args["query"])
        from kodoku_desk.services.intake import find_people
        return lambda: find_people(signed, args["query"])

    def open_step():
        signed = state["signed"]
        if case_view is not None:
            return lambda: case_view(signed, args["case_id"])
        from kodoku_desk.queries.review_handoffs import case_timeline
        from kodoku_desk.services.access import get_case_for

        return lambda: (get_case_for(signed, args["case_id"]), case_timeline(signed, args["case_id"]))

    def send_step():
        signed = state["signed"]
        return lambda: handoffs.send(signed, args["send_case_id"], args["send_agency_id"],
                                     "ベンチマーク: 支援の検討をお願いします。", "面談の調整",
                                     share=["basic", "worries"])

    def packet_step():
        signed = state["signed"]
        out = Path(args["out_dir"]) / "lagprobe-packet.pdf"
        return lambda progress: export_packet(signed, args["meeting_id"], "pdf", out,
                                              progress=progress)

    steps = [("ログイン", login_step, after_login),
            ("検索", search_step, None),
            ("ケースを開く", open_step, None),
            ("ケース画面", lambda: shell.open_case(args["case_id"]), None),
            ("つなぎの送付", send_step, None),
            ("会議資料の出力", packet_step, None)]
    return steps


def run_session(folder: Path, login: str, password: str, args: dict) -> dict:
    app = QApplication.instance() or QApplication([])
    tune_interpreter()  # as the app does at start (ui.app.run_app)
    install_japanese(app)
    install_fonts(app)
    runner = Runner()
    shell = _Shell(runner)
    state: dict = {}
    probe = LagProbe()
    session = Session(app, probe, runner, scripted_steps(shell, folder, login, password, args, state))
    session.start()
    app.exec()
    probe.stop()
    runner.wait_idle()
    if "signed" in state:
        state["signed"].close()
    return {
        "worst_stall_ms": round(probe.worst * 1000, 1),
        "worst_during": probe.worst_during,
        "ticks": probe.ticks,
        "stalls_over_50ms": probe.late_over_50ms,
        "stalls": sorted(probe.stalls, reverse=True)[:10],
        "steps": [r.__dict__ for r in session.results],
        "pages_built": shell.built,
        "pages_missing": shell.missing,
        "pages_broken": shell.broken,
        "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="lagprobe")
    p.add_argument("--workspace", required=True)
    p.add_argument("--login", required=True)
    p.add_argument("--args", required=True, help="JSON: query, case_id, send_case_id, …")
    ns = p.parse_args(argv)
    password = os.environ.get("KODOKU_PASSWORD", "")
    result = run_session(Path(ns.workspace), ns.login, password, json.loads(ns.args))
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
