"""提供記録 (issue 4): every disclosure of personal information (hand-offs, packets, prints,
exports) by filter, newest first, a page at a time; CSV export of the whole filtered record."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QPushButton, QWidget

from kodoku_desk.ui.pages.review_common import (
    DateField,
    LogPage,
    buttons,
    combo,
    dt,
    refill,
    shown_text,
)

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
        self.date_from, self.date_to = DateField("提供日（から）"), DateField("提供日（まで）")
        self.to_agency, self.basis, self.channel = combo([]), combo([]), combo([])
        self.case_no = QLineEdit()
        self.case_no.setPlaceholderText("ケース番号")
        self.case_no.setMaximumWidth(140)
        self.case_no.returnPressed.connect(self.search)
        self.add_filter_box([("提供日", self.date_from), ("〜", self.date_to),
                             ("提供先", self.to_agency), ("根拠", self.basis),
                             ("経路", self.channel), ("ケース", self.case_no)])
        self.add_log_table(HEADERS, stretch=8)
        self.table.doubleClicked.connect(lambda _i: self.open_case_from(self.table))
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
        from kodoku_desk.queries.review_common import check_period
        from kodoku_desk.queries.review_disclosures import DisclosureFilter

        flt = DisclosureFilter(date_from=self.date_from.value(), date_to=self.date_to.value(),
                               to_agency_id=self.to_agency.currentData(),
                               basis=self.basis.currentData(), channel=self.channel.currentData(),
                               case_no=self.case_no.text().strip() or None)
        check_period(flt.date_from, flt.date_to)
        return flt

    def search(self) -> None:
        from kodoku_desk.queries import review_disclosures

        self.search_with(review_disclosures.disclosure_log, disclosure_cells)

    def log_status(self) -> None:
        model = self.table.log_model
        self.say(f"提供記録 {model.total:,} 件{shown_text(model.received, model.total)}")

    def export_csv(self) -> None:
        from kodoku_desk.services import review

        flt, signed = self.checked(self.current_filter), self.ctx.signed
        if flt is not None:
            self.export("提供記録の出力", "提供記録.csv", "CSV (*.csv)",
                        lambda path: review.export_disclosures(signed, flt, path),
                        lambda n, path: f"提供記録 {n:,} 件を出力しました: {path}")
