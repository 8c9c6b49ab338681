"""The developer tools (kodoku-desk-devtools, devtools/) apart from the product: `kodoku-desk demo`,
`kodoku-desk bench` and the first-run demo button with and without them installed; Qt and the
tools stay where they belong."""

from __future__ import annotations

import ast
import functools
import sys
from pathlib import Path

import pytest

import kodoku_desk
import kodoku_devtools
from kodoku_desk.cli import main
from kodoku_desk.extras import DEVTOOLS_MISSING, DevtoolsMissing, devtools, devtools_installed

PRODUCT = Path(kodoku_desk.__file__).parent
DEVTOOLS = Path(kodoku_devtools.__file__).parent


@pytest.fixture
def without_devtools(monkeypatch):
    """As on an installation of the product alone: importing kodoku_devtools fails."""
    for name in [n for n in sys.modules if n == "kodoku_devtools" or n.startswith("kodoku_devtools.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "kodoku_devtools", None)


@pytest.fixture
def runner(qtbot):
    from kodoku_desk.ui.ops import Runner

    r = Runner()
    yield r
    r.wait_idle()


def test_the_message_is_one_line_naming_the_distribution_and_the_remedy():
    assert "\n" not in DEVTOOLS_MISSING and DEVTOOLS_MISSING.endswith("。")
    assert "kodoku-desk-devtools" in DEVTOOLS_MISSING and "make run" in DEVTOOLS_MISSING


def test_demo_cli_without_devtools_says_so_and_creates_nothing(without_devtools, tmp_path, capsys):
    assert not devtools_installed()
    folder = tmp_path / "ws"
    assert main(["demo", "--workspace", str(folder), "--cases", "5"]) == 1
    out = capsys.readouterr()
    assert out.err == f"エラー: {DEVTOOLS_MISSING}\n"
    assert out.out == ""
    assert not folder.exists()


def test_bench_cli_without_devtools_says_so_and_generates_nothing(without_devtools, tmp_path,
                                                                  capsys):
    keep = tmp_path / "keep"
    assert main(["bench", "--cases", "50", "--keep", str(keep)]) == 1
    out = capsys.readouterr()
    assert out.err == f"エラー: {DEVTOOLS_MISSING}\n"
    assert out.out == ""
    assert not keep.exists()


def test_demo_cli_with_devtools_creates_the_demo_organisation(tmp_path, capsys, monkeypatch):
    from kodoku_desk.services.auth import sign_in
    from kodoku_devtools.demo import DEMO_PASSWORD

    assert devtools_installed()
    folder = tmp_path / "ws"
    assert main(["demo", "--workspace", str(folder), "--cases", "0"]) == 0
    out = capsys.readouterr().out
    assert f"共通パスワード: {DEMO_PASSWORD}" in out and "これは生成データです" in out
    signed = sign_in(folder, "coord", DEMO_PASSWORD)
    try:
        assert signed.actor.display_name == "連携 花子"
    finally:
        signed.close()


def test_a_module_missing_inside_installed_devtools_is_not_reported_as_not_installed():
    with pytest.raises(ModuleNotFoundError) as err:
        devtools("no_such_module")
    assert not isinstance(err.value, DevtoolsMissing)
    assert err.value.name == "kodoku_devtools.no_such_module"


def test_first_run_without_devtools_disables_the_demo_and_says_why(without_devtools, qtbot,
                                                                   runner, tmp_path):
    from gui_helpers import wait_runner

    from kodoku_desk.ui.firstrun import FirstRunDialog

    dialog = FirstRunDialog(runner)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.demo_button.isEnabled()
    assert dialog.demo_note.text() == DEVTOOLS_MISSING
    assert dialog.new_button.isEnabled()
    # Called anyway (not through the disabled button): the same sentence, no folder made.
    dialog.create_demo(tmp_path / "demo-ws")
    wait_runner(qtbot, runner)
    assert dialog.error.text() == DEVTOOLS_MISSING
    assert dialog.signed is None and not (tmp_path / "demo-ws").exists()
    assert not dialog.demo_button.isEnabled() and dialog.new_button.isEnabled()


def test_first_run_with_devtools_offers_the_demo(qtbot, runner):
    from kodoku_desk.ui.firstrun import FirstRunDialog

    dialog = FirstRunDialog(runner)
    qtbot.addWidget(dialog)
    assert dialog.demo_button.isEnabled()
    assert dialog.demo_note.text() != DEVTOOLS_MISSING


@functools.cache
def _imports(path: Path) -> tuple[str, ...]:
    """Every module a file imports (absolute imports, wherever the statement is)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append(node.module)
    return tuple(found)


def _root(module: str) -> str:
    return module.split(".")[0]


def test_qt_only_in_the_product_ui_and_the_devtools_gui():
    allowed = [PRODUCT / "ui", DEVTOOLS / "gui"]
    offenders = []
    for package in (PRODUCT, DEVTOOLS):
        for path in package.rglob("*.py"):
            if any(path.is_relative_to(a) for a in allowed):
                continue
            offenders += [f"{path}: {m}" for m in _imports(path)
                          if _root(m) in ("PySide6", "shiboken6")]
    assert offenders == []


def test_the_product_never_imports_devtools_by_name():
    """Only kodoku_desk.extras reaches kodoku_devtools (by importlib, when a tool is used)."""
    offenders = [f"{path}: {m}" for path in PRODUCT.rglob("*.py") for m in _imports(path)
                 if _root(m) == "kodoku_devtools"]
    assert offenders == []
    assert not (PRODUCT / "bench").exists()
    for name in ("demo", "meetings_demo", "synthetic", "synthetic_vocab"):
        assert not (PRODUCT / "services" / f"{name}.py").exists(), name
