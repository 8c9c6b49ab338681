"""One change notification per write, none per read (issue "One rule in one place", the UI part):
the runner's two shapes against a real workspace, views that reload for the kinds they show and
not for others (opening a case writes an audit entry: no view may reload on that forever), a
non-Exception from a worker that is not swallowed, and the architecture rules of kodoku_desk/ui
checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import cases_data
import pytest
from cases_data import FUKI, OTHER
from gui_helpers import wait_runner
from PySide6.QtWidgets import QDialog

from kodoku_desk.domain.changes import Change
from kodoku_desk.domain.consent import BASIS_VITAL
from kodoku_desk.errors import UserError
from kodoku_desk.queries.search import search_cases
from kodoku_desk.services import handoffs
from kodoku_desk.ui import ops
from kodoku_desk.ui.context import AppContext
from kodoku_desk.ui.ops import Runner

pytestmark = pytest.mark.gui

world = cases_data.world

UI = Path(__file__).resolve().parents[1] / "kodoku_desk" / "ui"
LEAVING = {"lagprobe.py", "startprobe.py"}  # moving to devtools/; not the app's UI


def heard_kinds(heard: list[Change]) -> list[Change]:
    return list(heard)


@pytest.fixture
def make_ctx(qtbot):
    made = []

    def make(signed) -> tuple[AppContext, list[Change]]:
        """A context and the list of every change notification it receives."""
        ctx = AppContext(signed, Runner())
        made.append(ctx.runner)
        heard: list[Change] = []
        ctx.changes.changed.connect(heard.append)
        return ctx, heard

    yield make
    for runner in made:
        runner.wait_idle()


def _open_case_page(qtbot, ctx, case_id):
    from kodoku_desk.ui.pages.cases import CaseListPage

    page = CaseListPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 760)
    page.show()
    page.refresh()
    wait_runner(qtbot, ctx.runner)
    page.open_case(case_id)
    wait_runner(qtbot, ctx.runner)
    return page


# --- the runner's two shapes ----------------------------------------------------------------------

def test_sending_a_handoff_announces_its_kinds_once_and_the_view_reloads_once(
        qtbot, world, make_ctx, monkeypatch):
    from kodoku_desk.ui.pages import caseview_widget

    ctx, heard = make_ctx(world.north)
    page = _open_case_page(qtbot, ctx, world.case_8050.case_id)
    view = page.case_view
    assert view.view is not None and view.handoff_model.rowCount() == 2
    # Opening the case wrote its audit entry, and nothing reloaded because of it.
    assert heard_kinds(heard) == [Change.AUDIT] and ctx.runner.active == 0
    heard.clear()

    def fill_and_send(dialog: caseview_widget.SendDialog) -> int:
        wait_runner(qtbot, ctx.runner)  # the agencies for the picker
        dialog.agency_box.setCurrentIndex(dialog.agency_box.findText(OTHER))
        dialog.reason_edit.setPlainText("障がい者手帳の相談")
        dialog.basis_box.setCurrentText(BASIS_VITAL)
        dialog.basis_reason.setText("食事がとれていない")
        dialog.submit()
        wait_runner(qtbot, ctx.runner)
        assert dialog.result() == QDialog.DialogCode.Accepted, dialog.error.text()
        return dialog.result()

    monkeypatch.setattr(caseview_widget.SendDialog, "exec", fill_and_send)
    view._send_dialog()
    wait_runner(qtbot, ctx.runner)
    # One notification for the send (the hand-off, its 提供記録 and its audit entry), then the
    # case view's reload, which only wrote the audit entry of looking at the case again.
    assert heard_kinds(heard) == [Change.HANDOFF | Change.DISCLOSURE | Change.AUDIT, Change.AUDIT]
    assert view.handoff_model.rowCount() == 3
    assert ctx.runner.active == 0


def test_a_write_runs_in_the_worker_and_announces_before_on_success(qtbot, world, make_ctx):
    import threading

    fuki = world.staff_of(FUKI)
    ctx, heard = make_ctx(fuki)
    with fuki.store.read() as s:
        handoff_id = next(r.id for r in handoffs.handoffs_for_case(s, world.case_8050.case_id)
                          if r.to_agency == FUKI)
    order: list[object] = []
    ctx.changes.changed.connect(lambda change: order.append(("changed", change)))
    threads: list[bool] = []

    def acknowledge():
        threads.append(threading.current_thread() is threading.main_thread())
        return handoffs.transition(fuki, handoff_id, "acknowledge")

    ctx.runner.write(acknowledge, lambda _r: order.append("on_success"))
    wait_runner(qtbot, ctx.runner)
    assert threads == [False]
    assert [o if o == "on_success" else o[0] for o in order] == ["changed", "on_success"]
    assert heard_kinds(heard) == [Change.HANDOFF | Change.AUDIT]


def test_a_read_announces_nothing(qtbot, world, make_ctx):
    ctx, heard = make_ctx(world.north)
    results = []
    ctx.runner.query(lambda: search_cases(world.north, ""), results.append)
    wait_runner(qtbot, ctx.runner)
    assert results and results[0].total == 1
    assert heard == []


def test_a_refused_write_announces_only_its_refusal_and_reports_the_sentence(qtbot, world, make_ctx):
    ctx, heard = make_ctx(world.north)
    failures: list[BaseException] = []
    with world.north.store.read() as s:
        handoff_id = handoffs.handoffs_for_case(s, world.case_8050.case_id)[0].id
    # The sender may not acknowledge its own hand-off: the state machine refuses.
    ctx.runner.write(lambda: handoffs.transition(world.north, handoff_id, "acknowledge"),
                     lambda _r: pytest.fail("refused work succeeded"), failures.append)
    wait_runner(qtbot, ctx.runner)
    assert len(failures) == 1 and isinstance(failures[0], UserError)
    assert heard == [Change.AUDIT]  # the refusal itself is in the audit log


def test_an_audit_entry_is_not_a_settings_change(qtbot, world, make_ctx):
    from kodoku_desk.queries.caseview import load_case_view

    ctx, heard = make_ctx(world.north)
    ctx.runner.write(lambda: load_case_view(world.north, world.case_8050.case_id))
    wait_runner(qtbot, ctx.runner)
    assert heard == [Change.AUDIT]


# --- what a worker may not swallow ----------------------------------------------------------------

@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit])
def test_a_non_exception_in_a_worker_is_raised_again(qtbot, error):
    """Run on this thread: SystemExit escaping a pool thread would end the test process."""
    def stopped():
        raise error()

    failed, aborted = [], []
    task = ops._Task(stopped, False, ops.Operation(), collect=True)
    task.signals.failed.connect(lambda exc, change: failed.append(exc))
    task.signals.aborted.connect(lambda: aborted.append(True))
    with pytest.raises(error):
        task.run()
    assert failed == [] and aborted == [True]


def test_an_exception_in_a_worker_is_delivered_not_raised(qtbot):
    failed = []
    task = ops._Task(lambda: 1 / 0, False, ops.Operation())
    task.signals.failed.connect(lambda exc, change: failed.append((exc, change)))
    task.run()
    ((exc, change),) = failed
    assert isinstance(exc, ZeroDivisionError) and change == Change.NONE
    assert "ZeroDivisionError" in exc.__kodoku_trace__


def test_the_runner_tidies_up_after_a_keyboard_interrupt_in_the_pool(qtbot):
    """The interrupt goes on to the interpreter (here: the excepthook pytest-qt watches) and
    the runner is not left busy for ever."""
    runner = Runner()

    def interrupted():
        raise KeyboardInterrupt

    with qtbot.capture_exceptions() as caught:
        runner.write(interrupted, lambda _r: pytest.fail("on_success after an interrupt"),
                     lambda _e: pytest.fail("an interrupt is not an operation's failure"))
        runner.wait_idle()
        wait_runner(qtbot, runner)
    assert any(issubclass(kind, KeyboardInterrupt) for kind, _value, _tb in caught)
    assert runner.active == 0


# --- views subscribe to the kinds they show -------------------------------------------------------

def test_the_inbox_reloads_for_handoffs_and_not_for_the_audit_log(qtbot, world, make_ctx):
    from kodoku_desk.ui.pages.handoffs import InboxPage

    ctx, _heard = make_ctx(world.staff_of(FUKI))
    inbox = InboxPage(ctx)
    qtbot.addWidget(inbox)
    inbox.show()
    inbox.refresh()
    wait_runner(qtbot, ctx.runner)
    for irrelevant in (Change.AUDIT, Change.SETTINGS, Change.PLAN | Change.MEETING):
        ctx.changes.changed.emit(irrelevant)
        assert ctx.runner.active == 0, irrelevant
    ctx.changes.changed.emit(Change.HANDOFF | Change.AUDIT)
    assert ctx.runner.active == 1  # the box is loading again
    wait_runner(qtbot, ctx.runner)
    inbox.hide()
    ctx.changes.changed.emit(Change.HANDOFF)
    assert ctx.runner.active == 0  # hidden: it reloads when it is shown (refresh)


def test_the_case_view_reloads_for_a_plan_but_not_for_its_own_audit_entry(qtbot, world, make_ctx):
    ctx, heard = make_ctx(world.north)
    page = _open_case_page(qtbot, ctx, world.case_8050.case_id)
    heard.clear()
    ctx.changes.changed.emit(Change.AUDIT)
    assert ctx.runner.active == 0
    ctx.changes.changed.emit(Change.PLAN)  # the 支援プラン count is on the view
    assert ctx.runner.active == 1
    wait_runner(qtbot, ctx.runner)
    assert page.case_view.view.id == world.case_8050.case_id
    # Two emitted here, and the one reload's audit entry.
    assert heard_kinds(heard) == [Change.AUDIT, Change.PLAN, Change.AUDIT]


def test_the_plans_page_reloads_a_plan_changed_elsewhere_when_shown_again(qtbot, world, make_ctx):
    from kodoku_desk.services import plans
    from kodoku_desk.ui.pages.plans import PlansPage

    coordinator = world.staff_of("福祉総務課")  # the demo's admin: also a coordinator
    assert coordinator.actor.is_coordinator
    ctx, _heard = make_ctx(coordinator)
    plan_id = plans.create_plan(coordinator, world.case_8050.case_id)
    page = PlansPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    page.open_plan(plan_id)
    wait_runner(qtbot, ctx.runner)
    assert page.view.version == 1
    page.hide()
    data = dict(page.view.data, long_term_goal="就労")
    ctx.runner.write(lambda: plans.save_version(coordinator, plan_id, data, ""))
    wait_runner(qtbot, ctx.runner)
    assert page.view.version == 1  # hidden: nothing loaded
    page.show()
    page.refresh()  # what the main window does when the page is shown
    wait_runner(qtbot, ctx.runner)
    assert page.view.version == 2


# --- the architecture, checked on the source ------------------------------------------------------

def _modules(root: Path):
    for path in sorted(root.rglob("*.py")):
        if path.name not in LEAVING:
            yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else "?"


def _called(tree: ast.AST) -> list[tuple[str, str, int]]:
    """(receiver, method, line) for every method call: `self.ctx.store.read()` gives
    ("self.ctx.store", "read", line)."""
    return [(_dotted(node.func.value), node.func.attr, node.lineno) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)]


def test_ui_builds_no_sql_and_opens_no_unit_of_work():
    found = []
    for path, tree in _modules(UI):
        found += [f"{path.name}: import {m}" for m in _imports(tree)
                  if m == "sqlalchemy" or m.startswith("sqlalchemy.")
                  or (m == "kodoku_desk.services.uow" and path.name != "ops.py")]
        found += [f"{path.name}:{line}: store.{method}(" for receiver, method, line in _called(tree)
                  if receiver.split(".")[-1] == "store" and method in ("read", "write")]
    assert found == []


def test_only_the_runner_announces_changes_and_every_call_is_a_query_or_a_write():
    found = []
    for path, tree in _modules(UI):
        for receiver, method, line in _called(tree):
            if receiver.endswith("changes.changed") and method == "emit" and path.name != "ops.py":
                found.append(f"{path.name}:{line}: changes.changed.emit")
            if receiver.split(".")[-1] == "runner" and method == "run":
                found.append(f"{path.name}:{line}: runner.run")
    assert found == []


def test_nothing_outside_the_ui_imports_qt():
    root = UI.parent
    found = [f"{path.relative_to(root)}: {m}"
             for sub in sorted(p for p in root.iterdir() if p.is_dir() and p.name != "ui")
             for path, tree in _modules(sub)
             for m in _imports(tree) if m.split(".")[0] in ("PySide6", "shiboken6")]
    assert found == []
