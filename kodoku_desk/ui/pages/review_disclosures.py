"""提供記録 (issue 4): every disclosure of personal information (hand-offs, packets, prints,
exports) by filter, newest first, a page at a time; CSV export of the whole filtered record."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLineEdit, QPushButton, QWidget

from kodoku_desk.errors import UserError
from kodoku_desk.services import review
from kodoku_desk.services.review import DisclosureFilter, check_period
from kodoku_desk.ui.pages.review_common import (
    DateField,
    LogPage,
    buttons,
    combo,
    dt,
    labelled,
    refill,
    shown_text,
)
from kodoku_desk.ui.tables import LogTable

HEADERS = ["記録ID", "提供日時", "ケース番号", "提供した職員", "提供元", "提供先・受領者",
           "提供した項目", "根拠", "根拠の理由", "経路", "部数番号"]


def disclosure_cells(rows) -> tuple[list, list, list]:
    return ([[r.id, dt(r.at), r.case_no, r.actor, r.from_agency, r.to_agency or r.recipient,
              "・".join(r.sections), r.basis, r.basis_reason, r.channel, r.copy_no or ""]
             for r in rows], [r.case_id for r in rows], [r.id for r in rows])


class DisclosureLogPage(LogPage):
    title = "提供記録"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        filters = QGroupBox("条件")
        row = QHBoxLayout(filters)
        self.date_from, self.date_to = DateField("提供日（から）"), DateField("提供日（まで）")
        self.to_agency, self.basis, self.channel = combo([]), combo([]), combo([])
        self.case_no = QLineEdit()
        self.case_no.setPlaceholderText("ケース番号")
        self.case_no.setMaximumWidth(140)
        self.case_no.returnPressed.connect(self.search)
        labelled([("提供日", self.date_from), ("〜", self.date_to), ("提供先", self.to_agency),
                  ("根拠", self.basis), ("経路", self.channel), ("ケース", self.case_no)],
                 row, stretch=False)
        self.search_button = QPushButton("検索")
        self.search_button.clicked.connect(self.search)
        row.addWidget(self.search_button)
        self.layout_.addWidget(filters)
        self.add_message_line()
        self.table = self.log_table = LogTable(HEADERS, stretch=8, numeric=(0,))
        self.table.doubleClicked.connect(lambda _i: self.open_case_from(self.table))
        self.layout_.addWidget(self.table, 1)
        self.csv_button = QPushButton("CSVで出力")
        self.csv_button.clicked.connect(self.export_csv)
        self.open_button = QPushButton("ケースを開く")
        self.open_button.clicked.connect(lambda: self.open_case_from(self.table))
        self.layout_.addLayout(buttons(self.open_button, self.csv_button))

    def fill_choices(self, choices) -> None:
        refill(self.to_agency, choices.agencies)
        refill(self.basis, [(b, b) for b in choices.bases])
        refill(self.channel, list(choices.channels))

    def refresh(self) -> None:
        self.load_choices(self.search)

    def current_filter(self):
        flt = DisclosureFilter(date_from=self.date_from.value(), date_to=self.date_to.value(),
                               to_agency_id=self.to_agency.currentData(),
                               basis=self.basis.currentData(), channel=self.channel.currentData(),
                               case_no=self.case_no.text().strip() or None)
        check_period(flt.date_from, flt.date_to)
        return flt

    def search(self) -> None:
        try:
            flt = self.current_filter()
        except UserError as err:
            self.say(err.message, error=True)
            return
        signed = self.ctx.signed

        def query(limit: int):
            rows, total = review.disclosure_log(signed, flt, limit=limit)
            return rows, total, None

        self.load_log(query, disclosure_cells)

    def log_status(self) -> None:
        model = self.table.log_model
        self.say(f"提供記録 {model.total:,} 件{shown_text(model.received, model.total)}")

    def export_csv(self) -> None:
        try:
            flt = self.current_filter()
        except UserError as err:
            self.say(err.message, error=True)
            return
        signed = self.ctx.signed
        self.export("提供記録の出力", "提供記録.csv", "CSV (*.csv)",
                    lambda path: review.export_disclosures(signed, flt, path),
                    lambda n, path: f"提供記録 {n:,} 件を出力しました: {path}")
