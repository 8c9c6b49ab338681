"""The house rules, checked on the source (docs/ARCHITECTURE.md):
- nothing outside kodoku_desk/ui imports Qt;
- only store/, services/ and queries/ open a unit of work or build SQL: the UI, the CLI, the
  exports and the pure rules (domain/) never do; models/ declare tables and nothing more;
- domain/ is pure: no session, no database, no Qt, no services.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast

PACKAGE = Path(__file__).resolve().parents[1] / "kodoku_desk"
SQL_BUILDERS = {"select", "insert", "update", "delete", "text", "func", "and_", "or_", "exists",
                "union", "literal_column"}
UNIT_OF_WORK = {"read", "write"}  # store.read() / store.write() / uow.read() / uow.write()


def modules(*parts: str) -> list[Path]:
    return sorted(p for part in parts for p in (PACKAGE / part).rglob("*.py"))


def imports(tree: ast.AST) -> list[tuple[str, list[str]]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, [a.name for a in node.names]))
    return out


def opens_unit_of_work(tree: ast.AST) -> list[int]:
    """Lines calling <something>.store.read()/write() or uow.read()/write()."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in UNIT_OF_WORK:
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name in ("store", "uow"):
                lines.append(node.lineno)
    return lines


def _rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


@pytest.mark.parametrize("path", modules("ui", "cli", "exports", "domain"), ids=_rel)
def test_no_sql_and_no_unit_of_work_outside_store_services_queries(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    sql = [m for m, _ in imports(tree) if m == "sqlalchemy" or m.startswith("sqlalchemy.")]
    assert not sql, f"{_rel(path)} imports {sql}: SQL belongs in store/, services/ or queries/"
    lines = opens_unit_of_work(tree)
    assert not lines, f"{_rel(path)} opens a unit of work at lines {lines}: call a service"


@pytest.mark.parametrize("path", modules("models"), ids=_rel)
def test_models_declare_tables_and_build_no_queries(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    built = [n for m, names in imports(tree) if m.startswith("sqlalchemy") for n in names
             if n in SQL_BUILDERS]
    assert not built, f"{_rel(path)} imports query builders {built}"
    assert not opens_unit_of_work(tree)


@pytest.mark.parametrize("path", modules("domain"), ids=_rel)
def test_domain_is_pure(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = [m for m, _ in imports(tree)
           if m.startswith(("kodoku_desk.services", "kodoku_desk.queries", "kodoku_desk.store",
                            "kodoku_desk.models", "kodoku_desk.ui", "kodoku_desk.exports",
                            "PySide6", "sqlalchemy", "sqlcipher3"))]
    assert not bad, f"{_rel(path)} imports {bad}: the rules must run without a database"


@pytest.mark.parametrize("path", [p for p in modules("") if "ui" not in p.relative_to(PACKAGE).parts],
                         ids=_rel)
def test_nothing_outside_ui_imports_qt(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    qt = [m for m, _ in imports(tree) if m.startswith(("PySide6", "shiboken6"))]
    assert not qt, f"{_rel(path)} imports {qt}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "store" / "migrations" / "versions").glob("*.py")),
                         ids=_rel)
def test_a_migration_never_imports_live_code(path):
    """A migration must do the same thing in a year as today: what it needs is frozen in it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    live = [m for m, _ in imports(tree) if m.startswith("kodoku_desk")]
    assert not live, f"{_rel(path)} imports {live}"


def test_the_frozen_notes_text_of_migration_0006_matches_todays_rule():
    """Today the frozen copy and the live rule still agree (they may drift later, on purpose)."""
    import importlib.util

    from kodoku_desk.domain.text import case_notes_text

    path = PACKAGE / "store" / "migrations" / "versions" / "0006_search_index.py"
    spec = importlib.util.spec_from_file_location("m0006", path)
    m0006 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m0006)
    sheets = [(["介護", "ｶﾀｶﾅ"], {"wishes": "ヤマダ　090-1234-5678", "date": "2025-04-01",
                                "list": ["a|b", "福山"]})]
    assert m0006.case_notes_text(sheets) == case_notes_text(sheets)


@pytest.mark.parametrize("path", modules("exports"), ids=_rel)
def test_exports_render_from_domain_and_query_types_only(path):
    """exports/ renders what queries/ read: no use case of services/ (no import loop with them)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = [m for m, _ in imports(tree) if m.startswith(("kodoku_desk.services", "kodoku_desk.ui"))]
    assert not bad, f"{_rel(path)} imports {bad}"
