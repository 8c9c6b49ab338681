"""閲覧・出力・印刷の履歴 (issue 4): the audit log by filter, newest first, a page at a time;
the hash-chain check that names the first tampered entry; CSV export."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QWidget

from kodoku_desk.ui.pages.review_common import (
    DateField,
    LogPage,
    buttons,
    combo,
    dt,
    refill,
)

HEADERS = ["記録ID", "日時", "ログインID", "氏名", "操作", "対象の種類", "対象ID", "詳細"]


def access_cells(rows) -> tuple[list, list, list]:
    from kodoku_desk.queries.review_common import target_label

    return ([[r.id, dt(r.at), r.actor, r.actor_name, r.action_label, target_label(r.target_type),
              r.target_id, r.detail] for r in rows], [], [r.id for r in rows])


class AccessLogPage(LogPage):
    title = "閲覧・出力・印刷の履歴"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        from kodoku_desk.queries.review_access import ACCESS_CATEGORIES

        super().__init__(ctx, parent)
        self.date_from, self.date_to = DateField("日付（から）"), DateField("日付（まで）")
        self.actor = combo([])
        self.category = combo([(k, k) for k in ACCESS_CATEGORIES])
        self.target = QLineEdit()
        self.target.setPlaceholderText("ケース番号 または 対象ID")
        self.target.returnPressed.connect(self.search)
        self.add_filter_box([("日付", self.date_from), ("〜", self.date_to), ("職員", self.actor),
                             ("種類", self.category), ("対象", self.target)])
        self.add_log_table(HEADERS, stretch=7)
        self.verify_button = QPushButton("監査ログを検証")
        self.verify_button.clicked.connect(self.verify)
        self.csv_button = QPushButton("CSVで出力")
        self.csv_button.clicked.connect(self.export_csv)
        self.verify_result = QLabel("")
        self.verify_result.setWordWrap(True)
        self._broken_id: int | None = None
        self.layout_.addLayout(buttons(self.verify_button, self.csv_button))
        self.layout_.addWidget(self.verify_result)

    def fill_choices(self, choices) -> None:
        refill(self.actor, [(login, f"{name}（{login}）") for login, name in choices.staff])

    def refresh(self) -> None:
        self.load_choices(self.search)

    def current_filter(self):
        from kodoku_desk.queries.review_access import ACCESS_CATEGORIES, AccessFilter
        from kodoku_desk.queries.review_common import check_period

        category = self.category.currentData()
        target = self.target.text().strip()
        flt = AccessFilter(date_from=self.date_from.value(), date_to=self.date_to.value(),
                           actor=self.actor.currentData(),
                           actions=ACCESS_CATEGORIES.get(category, ()) if category else (),
                           target_id=target if target.isdigit() else None,
                           case_no=target if target and not target.isdigit() else None)
        check_period(flt.date_from, flt.date_to)
        return flt

    def search(self) -> None:
        from dataclasses import replace

        from kodoku_desk.queries import review_access

        flt = self.checked(self.current_filter)
        if flt is None:
            return
        signed = self.ctx.signed
        newest: dict[str, int] = {}

        def query(offset: int, limit: int):
            # Viewing the log adds entries to it: later pages stay below the first page's newest.
            page_filter = replace(flt, upto_id=newest.get("id")) if offset else flt
            rows, total = review_access.access_log(signed, page_filter, limit=limit, offset=offset)
            if not offset and rows:
                newest["id"] = rows[0].id
            return rows, total, None

        self.load_log(query, access_cells)

    def log_loaded(self, rows, total, meta) -> None:
        if self._broken_id:
            self.table.select_id(self._broken_id)
            self._broken_id = None

    def verify(self) -> None:
        self.verify_result.setText("検証しています…")
        self.verify_result.setStyleSheet("")
        from kodoku_desk.services import maintenance, review

        signed = self.ctx.signed
        self.write(lambda: (review.verify_audit_chain(signed),
                            maintenance.verify_history_chain(signed)),
                   self.show_verification, label="監査ログと履歴を検証しています…")

    def show_verification(self, reports) -> None:
        report, history = reports  # the audit log's chain, then the history tables' chain
        ok = report.ok and history.ok
        color = "#1e7e34" if ok else "#c0392b"
        self.verify_result.setStyleSheet(f"color: {color}; font-weight: bold;")
        prefix = "検証結果: " if ok else "検証結果（問題あり）: "
        self.verify_result.setText(prefix + report.message + "\n" + history.message)
        if not report.ok and report.broken_id:
            # Reload so the list shows the entry as it is stored now, then point at it.
            self._broken_id = report.broken_id
            self.search()

    def export_csv(self) -> None:
        from kodoku_desk.services import review

        flt, signed = self.checked(self.current_filter), self.ctx.signed
        if flt is not None:
            self.export("閲覧・出力・印刷の履歴の出力", "監査ログ.csv", "CSV (*.csv)",
                        lambda path: review.export_access_log(signed, flt, path))
