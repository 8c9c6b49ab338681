"""Background operations, after Anki's QueryOp/CollectionOp: the work runs on a thread pool,
its result (or error) comes back on the GUI thread. The GUI thread never waits on the database
or on an export."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from kodoku_desk.errors import UserError

ProgressFn = Callable[[int, int], None]


class Cancelled(Exception):
    """Raised inside a worker when the user pressed 中止."""


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(int, int)


class _Task(QRunnable):
    def __init__(self, fn: Callable[..., Any], wants_progress: bool, op: Operation) -> None:
        super().__init__()
        self.fn, self.wants_progress, self.op = fn, wants_progress, op
        self.signals = _Signals()

    def _progress(self, done: int, total: int) -> None:
        if self.op.cancel_requested:
            raise Cancelled()
        self.signals.progress.emit(done, total)

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn(self._progress) if self.wants_progress else self.fn()
        except BaseException as exc:  # noqa: BLE001 - delivered to the GUI thread
            exc.__kodoku_trace__ = traceback.format_exc()  # for developers; never shown to users
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


class Operation(QObject):
    """One running piece of work. Keep a reference until it finishes (the runner does)."""

    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cancel_requested = False

    def cancel(self) -> None:
        self.cancel_requested = True


# While a worker runs Python, the GUI thread waits for the GIL each time Qt calls into Python
# (a slot, a model's data(), any virtual method of a widget made in Python: hundreds of calls
# to paint a dialog). CPython lets a waiting thread in only after the switch interval, 5 ms by
# default: painting the export's progress dialog during a packet export took 250 ms that way.
# At 0.5 ms the same waits add up to a few milliseconds; the workers lose little.
GIL_SWITCH_INTERVAL_S = 0.0005


class Runner(QObject):
    """Runs callables off the GUI thread. `active` counts operations still running."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if sys.getswitchinterval() > GIL_SWITCH_INTERVAL_S:
            sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._running: set[Operation] = set()

    @property
    def active(self) -> int:
        return len(self._running)

    def run(
        self,
        fn: Callable[..., Any],
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        *,
        parent: QWidget | None = None,
        progress_label: str | None = None,
        wants_progress: bool = False,
    ) -> Operation:
        """Run fn() (or fn(progress) when wants_progress) in the background.

        progress_label shows a modal progress dialog with a 中止 button after a short delay."""
        op = Operation(self)
        task = _Task(fn, wants_progress or progress_label is not None, op)
        dialog = self._progress_dialog(parent, progress_label, op) if progress_label else None

        def finish() -> None:
            if dialog is not None:
                dialog.reset()
                dialog.deleteLater()
            self._running.discard(op)
            if not self._running:
                self.busy_changed.emit(False)
            op.finished.emit()

        def succeeded(result: Any) -> None:
            finish()
            if on_success is not None:
                on_success(result)

        def failed(exc: BaseException) -> None:
            finish()
            if isinstance(exc, Cancelled):
                return
            (on_failure or (lambda e: show_error(parent, e)))(exc)

        task.signals.done.connect(succeeded)
        task.signals.failed.connect(failed)
        if dialog is not None:
            task.signals.progress.connect(lambda d, t: (dialog.setMaximum(max(t, 1)), dialog.setValue(d)))
        if not self._running:
            self.busy_changed.emit(True)
        self._running.add(op)
        op._task = task  # keep the signals object alive until delivery
        self.pool.start(task)
        return op

    @staticmethod
    def _progress_dialog(parent: QWidget | None, label: str, op: Operation) -> QProgressDialog:
        dialog = QProgressDialog(label, "中止", 0, 0, parent)
        dialog.setWindowTitle("処理中")
        dialog.setMinimumDuration(400)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(op.cancel)
        return dialog

    def wait_idle(self, msecs: int = 30000) -> bool:
        """For tests and shutdown: wait for the pool (the GUI must process signals after)."""
        return self.pool.waitForDone(msecs)


def error_text(exc: BaseException) -> str:
    if isinstance(exc, UserError):
        return exc.message
    return ("予期しないエラーが発生しました。操作は保存されていません。"
            f"繰り返し起きる場合は管理者に連絡してください（{type(exc).__name__}）。")


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    QMessageBox.warning(parent, "kodoku-desk", error_text(exc))
