"""つなぎ履歴 (issue 4): every hand-off by filter, newest first, a page at a time; the selected
case's whole hand-off timeline below; CSV/PDF export of the whole filtered log."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.ui.pages.review_common import (
    DateField,
    LogPage,
    buttons,
    combo,
    dt,
    labelled,
    refill,
    shown_text,
    wareki,
)
from kodoku_desk.ui.tables import LogTable

LOG_HEADERS = ["ID", "ケース番号", "ブロック", "送付日時", "送付元", "送付先", "状態", "受理期限",
               "受理日時", "根拠", "同意外", "期限超過", "返送理由"]
TIMELINE_HEADERS = ["日時", "つなぎ", "状態の変化", "操作した機関", "操作した職員", "メモ", "提案先"]


def log_cells(rows) -> tuple[list, list, list]:
    return ([[r.id, r.case_no, r.block, dt(r.sent_at), r.from_agency, r.to_agency, r.state,
              wareki(r.due_on), dt(r.acknowledged_at), r.basis, "○" if r.consent_override else "",
              f"{r.overdue_label}（超過{r.overdue_days}営業日）" if r.overdue_label else "",
              r.return_reason] for r in rows],
            [r.case_id for r in rows], [r.id for r in rows])


def timeline_cells(events) -> list:
    return [[dt(e.at), f"#{e.handoff_id} {e.from_agency}→{e.to_agency}",
             f"{e.from_state or '（新規）'}→{e.to_state}", e.acting_agency, e.actor, e.note,
             e.alternative] for e in events]


class HandoffLogPage(LogPage):
    title = "つなぎ履歴"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.log = None
        filters = QGroupBox("条件")
        rows = QVBoxLayout(filters)
        self.date_from, self.date_to = DateField("送付日（から）"), DateField("送付日（まで）")
        self.from_agency, self.to_agency = combo([]), combo([])
        self.state, self.block, self.field = combo([]), combo([]), combo([])
        self.overdue = QCheckBox("期限超過のみ")
        self.returned = QCheckBox("返送ありのみ")
        self.override = QCheckBox("同意外提供のみ")
        rows.addLayout(labelled([("送付日", self.date_from), ("〜", self.date_to),
                                 ("状態", self.state), ("ブロック", self.block),
                                 ("分野（送付先）", self.field)]))
        self.case_no = QLineEdit()
        self.case_no.setPlaceholderText("ケース番号")
        self.case_no.setMaximumWidth(160)
        self.case_no.returnPressed.connect(self.search)
        rows.addLayout(labelled([("送付元", self.from_agency), ("送付先", self.to_agency),
                                 ("ケース", self.case_no)]))
        checks = QHBoxLayout()
        for box in (self.overdue, self.returned, self.override):
            checks.addWidget(box)
        checks.addStretch(1)
        self.search_button = QPushButton("検索")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        checks.addWidget(self.search_button)
        rows.addLayout(checks)
        self.layout_.addWidget(filters)
        self.add_message_line()
        split = QSplitter(Qt.Orientation.Vertical)
        self.table = self.log_table = LogTable(LOG_HEADERS, stretch=12, numeric=(0,))
        self.table.doubleClicked.connect(lambda _i: self.open_case_from(self.table))
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self.show_timeline())
        split.addWidget(self.table)
        lower = QGroupBox("選んだケースのつなぎ経過")
        self.timeline = LogTable(TIMELINE_HEADERS)
        QVBoxLayout(lower).addWidget(self.timeline)
        split.addWidget(lower)
        split.setSizes([400, 180])
        self.layout_.addWidget(split, 1)
        self.csv_button, self.pdf_button = QPushButton("CSVで出力"), QPushButton("PDFで出力")
        self.open_button = QPushButton("ケースを開く")
        self.csv_button.clicked.connect(lambda: self.export_log("csv"))
        self.pdf_button.clicked.connect(lambda: self.export_log("pdf"))
        self.open_button.clicked.connect(lambda: self.open_case_from(self.table))
        self.layout_.addLayout(buttons(self.open_button, self.csv_button, self.pdf_button))

    def fill_choices(self, choices) -> None:
        agencies = [(a_id, name) for a_id, name in choices.agencies]
        refill(self.from_agency, agencies)
        refill(self.to_agency, agencies)
        refill(self.state, [(s, s) for s in choices.states])
        refill(self.block, choices.blocks)
        refill(self.field, [(f, f) for f in choices.fields])

    def refresh(self) -> None:
        self.load_choices(self.search)

    def current_filter(self):
        from kodoku_desk.queries import review_handoffs

        flt = review_handoffs.HandoffFilter(
            from_agency_id=self.from_agency.currentData(), to_agency_id=self.to_agency.currentData(),
            state=self.state.currentData(), overdue=self.overdue.isChecked(),
            returned=self.returned.isChecked(), consent_override=self.override.isChecked(),
            date_from=self.date_from.value(), date_to=self.date_to.value(),
            block_id=self.block.currentData(), field=self.field.currentData(),
            case_no=self.case_no.text().strip() or None)
        review_handoffs.validate_filter(flt)
        return flt

    def search(self) -> None:
        from kodoku_desk.queries import review_handoffs

        flt, signed = self.checked(self.current_filter), self.ctx.signed
        if flt is None:
            return

        def query(offset: int, limit: int):
            log = review_handoffs.handoff_log(signed, flt, limit=limit, offset=offset)
            return log.rows, log.total, log

        self.say("検索しています…")
        self.load_log(query, log_cells)

    def log_loaded(self, rows, total, log) -> None:
        self.log = log
        self.timeline.fill([])

    def log_status(self) -> None:
        model = self.table.log_model
        shown = shown_text(model.received, model.total, "。すべては出力で")
        conditions = "、".join(self.log.filter_text) if self.log else ""
        self.say(f"{model.total:,} 件{shown}　条件: {conditions or 'なし'}")

    def show_timeline(self) -> None:
        case_id = self.table.current_case_id()
        if not case_id:
            return
        from kodoku_desk.queries import review_handoffs

        signed = self.ctx.signed
        self.write(lambda: timeline_cells(review_handoffs.case_timeline(signed, int(case_id))),
                   self.timeline.fill, latest="timeline")

    def export_log(self, fmt: str) -> None:
        from kodoku_desk.services import review

        flt, signed = self.checked(self.current_filter), self.ctx.signed
        if flt is not None:
            self.export("つなぎ履歴の出力", f"つなぎ履歴.{fmt}",
                        "CSV (*.csv)" if fmt == "csv" else "PDF (*.pdf)",
                        lambda path: review.export_handoff_log(signed, flt, path, fmt))
