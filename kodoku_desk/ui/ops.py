"""Background operations, after Anki's QueryOp/CollectionOp: the work runs on a thread pool,
its result (or error) comes back on the GUI thread. The GUI thread never waits on the database
or on an export.

Two shapes, chosen by what the work does, not by where it is called from:

- `runner.query(fn, on_success)`: reads. Nothing is announced.
- `runner.write(fn, on_success)`: anything that commits (a mutation, and also an audited read
  such as opening a case or exporting a packet). fn runs inside `uow.collect_changes()` in the
  worker; on the GUI thread the runner then emits `changes.changed(Change)` once, with every
  kind of row the operation committed, before on_success. Views subscribe to the kinds they
  show (`change & (Change.CASE | Change.HANDOFF)`); nobody emits by hand."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from kodoku_desk.domain.changes import Change
from kodoku_desk.errors import UserError

ProgressFn = Callable[[int, int], None]
Callback = Callable[[Any], object]  # what a callback returns is not used


class Cancelled(Exception):
    """Raised inside a worker when the user pressed 中止."""


class Changes(QObject):
    """What a write committed, once per operation: `changed(Change)` (a union of kinds, never
    Change.NONE). Emitted only by Runner.write; every open view listens here."""

    changed = Signal(object)


class _Signals(QObject):
    done = Signal(object, object)    # result, Change
    failed = Signal(object, object)  # exception, Change committed before it (usually NONE)
    aborted = Signal()               # a BaseException that is not an Exception: re-raised
    progress = Signal(int, int)


class _Task(QRunnable):
    """One call of fn on a pool thread. `collect`: inside uow.collect_changes() (writes)."""

    def __init__(self, fn: Callable[..., Any], wants_progress: bool, op: Operation,
                 collect: bool = False) -> None:
        super().__init__()
        self.fn, self.wants_progress, self.op, self.collect = fn, wants_progress, op, collect
        self.signals = _Signals()
        self.committed = Change.NONE

    def _progress(self, done: int, total: int) -> None:
        if self.op.cancel_requested:
            raise Cancelled()
        self.signals.progress.emit(done, total)

    def _call(self) -> Any:
        args = (self._progress,) if self.wants_progress else ()
        if not self.collect:
            return self.fn(*args)
        # Imported here, on the worker thread: the services load off the GUI thread.
        from kodoku_desk.services.uow import collect_changes

        with collect_changes() as box:
            try:
                return self.fn(*args)
            finally:
                self.committed = box[0]

    @Slot()
    def run(self) -> None:
        try:
            result = self._call()
        except Exception as exc:  # noqa: BLE001 - delivered to the GUI thread
            # For developers; never shown to users. Any exception type, so set dynamically.
            setattr(exc, "__kodoku_trace__", traceback.format_exc())  # noqa: B010
            self.signals.failed.emit(exc, self.committed)
        except BaseException:
            # KeyboardInterrupt, SystemExit…: not an error of the operation. The GUI thread
            # tidies up (progress dialog, busy state); the exception goes on up.
            self.signals.aborted.emit()
            raise
        else:
            self.signals.done.emit(result, self.committed)


class Operation(QObject):
    """One running piece of work. Keep a reference until it finishes (the runner does)."""

    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cancel_requested = False
        self._task: _Task | None = None  # kept alive by the runner until its signals are delivered

    def cancel(self) -> None:
        self.cancel_requested = True




class Runner(QObject):
    """Runs callables off the GUI thread. `active` counts operations still running; `changes`
    carries what the writes committed to every view."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self.changes = Changes(self)
        self._running: set[Operation] = set()

    @property
    def active(self) -> int:
        return len(self._running)

    def query(self, fn: Callable[..., Any], on_success: Callback | None = None,
              on_failure: Callable[[BaseException], None] | None = None, *,
              parent: QWidget | None = None, progress_label: str | None = None,
              wants_progress: bool = False) -> Operation:
        """Read in the background: fn() (or fn(progress)), then on_success(result) here.
        fn must not commit anything (use write for that, audited reads included)."""
        return self._start(fn, on_success, on_failure, False, parent, progress_label,
                           wants_progress)

    def write(self, fn: Callable[..., Any], on_success: Callback | None = None,
              on_failure: Callable[[BaseException], None] | None = None, *,
              parent: QWidget | None = None, progress_label: str | None = None,
              wants_progress: bool = False) -> Operation:
        """Commit in the background; then `changes.changed(kinds)` once, then on_success.

        A failed write normally committed nothing (its unit of work rolled back). If some
        earlier unit of work in fn did commit, its kinds are announced before on_failure."""
        return self._start(fn, on_success, on_failure, True, parent, progress_label,
                           wants_progress)

    def _start(self, fn: Callable[..., Any], on_success: Callback | None,
               on_failure: Callable[[BaseException], None] | None, collect: bool,
               parent: QWidget | None, progress_label: str | None,
               wants_progress: bool) -> Operation:
        """progress_label shows a modal progress dialog with a 中止 button after a short delay
        (fn then gets a progress callback)."""
        op = Operation(self)
        task = _Task(fn, wants_progress or progress_label is not None, op, collect)
        dialog = self._progress_dialog(parent, progress_label, op) if progress_label else None

        def finish() -> None:
            if dialog is not None:
                dialog.reset()
                dialog.deleteLater()
            self._running.discard(op)
            if not self._running:
                self.busy_changed.emit(False)
            op.finished.emit()

        def announce(change: Change) -> None:
            if change:  # Change.NONE is falsy: nothing committed, nothing to say
                self.changes.changed.emit(change)

        def succeeded(result: Any, change: Change) -> None:
            finish()
            announce(change)
            if on_success is not None:
                on_success(result)

        def failed(exc: BaseException, change: Change) -> None:
            finish()
            announce(change)
            if isinstance(exc, Cancelled):
                return
            (on_failure or (lambda e: show_error(parent, e)))(exc)

        task.signals.done.connect(succeeded)
        task.signals.failed.connect(failed)
        task.signals.aborted.connect(finish)
        if dialog is not None:
            def show_progress(done: int, total: int) -> None:
                dialog.setMaximum(max(total, 1))
                dialog.setValue(done)

            task.signals.progress.connect(show_progress)
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


class Latest:
    """Only the answer to the newest request under a name is shown: two pool threads may
    finish out of order, and a slow answer to an older request must not replace a newer one."""

    def __init__(self) -> None:
        self._tickets: dict[str, int] = {}

    def guard(self, name: str, on_success: Callback,
              on_failure: Callable[[BaseException], None] | None = None
              ) -> tuple[Callback, Callable[[BaseException], None] | None]:
        ticket = self._tickets.get(name, 0) + 1
        self._tickets[name] = ticket

        def shown(result: Any) -> None:
            if self._tickets[name] == ticket:
                on_success(result)

        def failed(exc: BaseException) -> None:
            if self._tickets[name] == ticket and on_failure is not None:
                on_failure(exc)

        return shown, (failed if on_failure is not None else None)


def error_text(exc: BaseException) -> str:
    if isinstance(exc, UserError):
        return exc.message
    return ("予期しないエラーが発生しました。操作は保存されていません。"
            f"繰り返し起きる場合は管理者に連絡してください（{type(exc).__name__}）。")


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    QMessageBox.warning(parent, "kodoku-desk", error_text(exc))
