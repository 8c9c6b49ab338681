"""ui/tables.py: the model-backed log table that review pages use for long logs."""

from __future__ import annotations

import pytest

from kodoku_desk.ui import tables
from kodoku_desk.ui.tables import LogTable

pytestmark = pytest.mark.gui


def _rows(first: int, n: int) -> list[list]:
    return [[i, f"ケース{i:05d}", None] for i in range(first, first + n)]


def test_log_table_shows_rows_a_chunk_at_a_time_and_keeps_the_total(qtbot):
    table = LogTable(["ID", "ケース番号", "メモ"], numeric=(0,))
    qtbot.addWidget(table)
    table.fill(_rows(0, 450), case_ids=list(range(1000, 1450)), ids=list(range(450)), total=450)
    model = table.log_model
    assert model.received == 450 and model.total == 450
    assert table.rowCount() == tables.CHUNK  # the view gets the first chunk
    assert table.text(3, 1) == "ケース00003" and table.text(3, 2) == ""  # None shows empty
    assert model.canFetchMore()
    model.fetchMore()
    model.fetchMore()
    assert table.rowCount() == 450 and not model.canFetchMore()
    table.selectRow(420)
    assert table.current_case_id() == 1420 and table.current_id() == 420


def test_fetching_past_the_received_rows_asks_for_the_next_page(qtbot):
    table = LogTable(["ID", "ケース番号", "メモ"])
    qtbot.addWidget(table)
    asked: list[int] = []
    table.fill(_rows(0, 150), ids=list(range(150)), total=400)
    table.log_model.fetch_page = asked.append
    model = table.log_model
    assert table.rowCount() == 150 and model.canFetchMore()  # more in the database
    model.fetchMore()
    assert asked == [150] and model.loading and not model.canFetchMore()  # one request at a time
    model.append(_rows(150, 250), ids=list(range(150, 400)))
    assert model.received == 400 and table.rowCount() == 150 + tables.CHUNK
    assert table.text(151, 0) == "151"
    assert table.select_id(390)  # a row beyond the shown chunk is handed to the view first
    assert table.rowCount() == 400 and table.currentRow() == 390
    assert not model.canFetchMore()


def test_columns_are_measured_on_the_first_rows_only(qtbot):
    table = LogTable(["ID", "名前", "メモ"])
    qtbot.addWidget(table)
    table.show()
    rows = [[i, "短い", ""] for i in range(500)]
    rows[400][1] = "とても長い名前" * 20  # far below the sample: does not widen the column
    table.fill(rows)
    narrow = table.columnWidth(1)
    assert narrow < 150
    rows[0][1] = "とても長い名前" * 20
    other = LogTable(["ID", "名前", "メモ"])
    qtbot.addWidget(other)
    other.fill(rows)  # not on screen (a hidden tab): measured when shown
    before = other.columnWidth(1)
    other.show()
    assert other.columnWidth(1) == tables.MAX_COLUMN_WIDTH != before


def test_app_start_keeps_the_gui_threads_waits_for_the_gil_short():
    import sys

    from kodoku_desk.ui import app

    before = sys.getswitchinterval()
    try:
        app.tune_interpreter()  # what run_app does before the first window
        assert sys.getswitchinterval() <= app.GIL_SWITCH_INTERVAL_S
    finally:
        sys.setswitchinterval(before)
