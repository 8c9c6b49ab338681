"""Read-only tables over rows received from a background query, cheap on the GUI thread.

A QTableWidget makes one item object per cell and `resizeColumnsToContents` asks every row for
its size: for a log of a thousand rows that is several hundred milliseconds of GUI thread. Here
the view asks a model only for the cells on screen, the model hands rows to the view a chunk at
a time (canFetchMore/fetchMore, so a scroll to the end shows the next chunk and, when the query
was cut, asks for the next page), and column widths are measured on the header and the first
rows only (fit_columns)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

CHUNK = 200  # rows handed to the view at a time
SAMPLE_ROWS = 40  # rows measured for the column widths
MAX_COLUMN_WIDTH = 320
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

Index = QModelIndex | QPersistentModelIndex


def fit_columns(view: QTableView, *, sample: int = SAMPLE_ROWS, max_width: int = MAX_COLUMN_WIDTH,
                skip: Sequence[int] = ()) -> None:
    """Size each column to its header and the text of its first `sample` rows, at most
    max_width (instead of resizeColumnsToContents, which measures every row of a hidden view).
    Columns in `skip` keep their resize mode (e.g. a stretched text column)."""
    model = view.model()
    if model is None:
        return
    metrics = view.fontMetrics()
    header_metrics = view.horizontalHeader().fontMetrics()
    rows = min(model.rowCount(), sample)
    padding = 18  # cell margins and the grid line
    header = view.horizontalHeader()
    for col in range(model.columnCount()):
        if col in skip or header.isSectionHidden(col):
            continue
        title = model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        width = header_metrics.horizontalAdvance(str(title or "")) + padding + 8
        for row in range(rows):
            text = model.data(model.index(row, col), Qt.ItemDataRole.DisplayRole)
            if text:
                # Two-line cells are measured by their longest line.
                longest = max(str(text).split("\n"), key=len)
                width = max(width, metrics.horizontalAdvance(longest) + padding)
        header.resizeSection(col, min(width, max_width))


class LogModel(QAbstractTableModel):
    """Cells (any values, shown with str()) for rows received from the database; each row may
    carry a case id and a record id. The view gets CHUNK rows at a time; when the query behind
    the rows was cut at a limit (`total` > rows received), `fetch_page(received)` is called to
    ask for the next page, whose rows come back through `append`."""

    def __init__(self, headers: Sequence[str], numeric: Sequence[int] = (),
                 parent: Any = None) -> None:
        super().__init__(parent)
        self.headers = list(headers)
        self.numeric = frozenset(numeric)
        self.cells: list[Sequence[Any]] = []
        self.case_ids: list[int | None] = []
        self.ids: list[int | None] = []
        self.shown = 0
        self.total = 0
        self.fetch_page: Callable[[int], None] | None = None
        self.loading = False

    # --- filling ------------------------------------------------------------------------
    def set_rows(self, cells: Sequence[Sequence[Any]], case_ids: Sequence[int | None] = (),
                 ids: Sequence[int | None] = (), total: int | None = None) -> None:
        self.beginResetModel()
        self.cells, self.case_ids, self.ids = [], [], []
        self._add(cells, case_ids, ids)
        self.total = len(self.cells) if total is None else max(total, len(self.cells))
        self.shown = min(len(self.cells), CHUNK)
        self.loading = False
        self.endResetModel()

    def append(self, cells: Sequence[Sequence[Any]], case_ids: Sequence[int | None] = (),
               ids: Sequence[int | None] = ()) -> None:
        """The next page of the query; its first chunk is shown at once."""
        self.loading = False
        self._add(cells, case_ids, ids)
        self.total = max(self.total, len(self.cells))
        self._show_more()

    def _add(self, cells, case_ids, ids) -> None:
        n = len(cells)
        self.cells.extend(cells)
        self.case_ids.extend(list(case_ids)[:n] + [None] * (n - len(case_ids)))
        self.ids.extend(list(ids)[:n] + [None] * (n - len(ids)))

    @property
    def received(self) -> int:
        return len(self.cells)

    def has_more_pages(self) -> bool:
        return self.received < self.total and self.fetch_page is not None

    def _show_more(self) -> None:
        end = min(self.received, self.shown + CHUNK)
        if end > self.shown:
            self.beginInsertRows(QModelIndex(), self.shown, end - 1)
            self.shown = end
            self.endInsertRows()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: N802, B008
        if parent.isValid():
            return False
        return self.shown < self.received or (self.has_more_pages() and not self.loading)

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: N802, B008
        if parent.isValid():
            return
        if self.shown < self.received:
            self._show_more()
        elif self.has_more_pages() and not self.loading:
            self.loading = True
            self.fetch_page(self.received)  # type: ignore[misc]

    def show_up_to(self, row: int) -> None:
        """Hand the view every received row up to `row` (to select one further down)."""
        while self.shown <= row < self.received:
            self._show_more()

    # --- reading ------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self.shown

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            row = self.cells[index.row()]
            c = index.column()
            value = row[c] if c < len(row) else None
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.numeric:
            return _RIGHT
        return None

    def text(self, row: int, column: int) -> str:
        return self.data(self.index(row, column))

    def row_of_id(self, record_id: int) -> int:
        try:
            return self.ids.index(record_id)
        except ValueError:
            return -1


class LogTable(QTableView):
    """A read-only, row-selecting table over a LogModel; `stretch` is the column that takes the
    spare width (default the last)."""

    def __init__(self, headers: Sequence[str], parent: QWidget | None = None, *,
                 stretch: int | None = None, numeric: Sequence[int] = ()) -> None:
        super().__init__(parent)
        self.log_model = LogModel(headers, numeric, self)
        self.setModel(self.log_model)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(24)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        self.stretch = len(headers) - 1 if stretch is None else stretch
        if self.stretch == len(headers) - 1:
            header.setStretchLastSection(True)
        else:  # a text column in the middle takes the spare width
            header.setSectionResizeMode(self.stretch, QHeaderView.ResizeMode.Stretch)
        self._fitted = False

    def fill(self, rows: Sequence[Sequence[Any]], case_ids: Sequence[int | None] = (),
             ids: Sequence[int | None] = (), total: int | None = None) -> None:
        """Show these rows (already in display order). Columns are measured on the first fill
        that has rows, so the widths do not jump on every search — and only once the table is
        on screen (a table on a hidden tab is measured when its tab is opened)."""
        self.log_model.set_rows(rows, case_ids, ids, total)
        if self.isVisible():
            self._fit_once()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._fit_once()

    def _fit_once(self) -> None:
        if not self._fitted and self.log_model.received:
            fit_columns(self, skip=(self.stretch,))
            self._fitted = True

    def rowCount(self) -> int:  # noqa: N802 - mirrors QTableWidget for callers and tests
        return self.log_model.rowCount()

    def text(self, row: int, column: int) -> str:
        return self.log_model.text(row, column)

    def currentRow(self) -> int:  # noqa: N802 - mirrors QTableWidget
        index = self.selectionModel().currentIndex()
        return index.row() if index.isValid() else -1

    def current_case_id(self) -> int | None:
        row = self.currentRow()
        return self.log_model.case_ids[row] if 0 <= row < self.log_model.received else None

    def current_id(self) -> int | None:
        row = self.currentRow()
        return self.log_model.ids[row] if 0 <= row < self.log_model.received else None

    def select_id(self, record_id: int) -> bool:
        """Select and scroll to the row of this record id, if it was received."""
        row = self.log_model.row_of_id(record_id)
        if row < 0:
            return False
        self.log_model.show_up_to(row)
        self.selectRow(row)
        self.scrollTo(self.log_model.index(row, 0))
        return True
