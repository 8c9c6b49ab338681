"""Saving a sheet: the input collected from every part of the page (dates parsed here, errors
naming the field), the work the runner does (files read off the GUI thread, then
services.intake.save_intake in one unit of work), and where an error is shown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

from kodoku_desk.services import intake
from kodoku_desk.services.consent import ConsentInput
from kodoku_desk.services.intake import IntakeInput, PersonInput
from kodoku_desk.ui.pages.intake.field_editors import DateEditor, FieldEditor

if TYPE_CHECKING:
    from kodoku_desk.ui.pages.intake.page import IntakePage

# Template fields kept on the Person row: editor key → PersonInput attribute.
PERSON_FIELDS = {"name": "name", "kana": "kana", "sex": "sex", "birth_date": "birth_date",
                 "address": "address", "phone_home": "phone"}
ERROR_FIELD_TO_EDITOR = {f"person.{attr}": key for key, attr in PERSON_FIELDS.items()}
ERROR_FIELD_TO_EDITOR.update({"person": "name", "most_pressing": "worries"})


def collect(page: IntakePage) -> IntakeInput:
    """The input as entered; raises UserError (naming the field) for an unreadable date."""
    f = page.form
    values: dict[str, Any] = {  # str from the text editors, date | None for the birth date
        attr: (f.typed_editor(key, DateEditor).date_value() if key == "birth_date"
               else f.typed_editor(key, FieldEditor).value())
        for key, attr in PERSON_FIELDS.items()}
    person = PersonInput(**values)
    if page.person.selected is not None:
        person.person_id = page.person.selected.person_id
    received_day = f.typed_editor("received_at", DateEditor).date_value()
    received = None
    if received_day and received_day != date.today():
        received = datetime(received_day.year, received_day.month, received_day.day)
    editor = page.consent_editor()
    consent = None
    if editor.value():
        consent = ConsentInput(True, editor.scope_agencies(), editor.scope_fields(),
                               editor.meetings.isChecked(), editor.method.currentText(),
                               editor.date.date_value("consent.date"))
    urgency = f.typed_editor("urgency", FieldEditor).value()
    return IntakeInput(
        person=person, received_at=received, method=f.typed_editor("method", FieldEditor).value(),
        discovery=f.typed_editor("discovery", FieldEditor).value(),
        urgency=urgency or IntakeInput.urgency,  # none chosen: the service's default
        answers=f.answers(), worries=page.worries_editor().value(),
        most_pressing=page.worries_editor().most_pressing(),
        household=page.household_editor().value(), routing=page.routing.choices(),
        consent=consent, handoffs=page.handoffs.inputs(),
        block_id=page.routing.block.currentData(), case_id=page.person.case_id())


def save_work(signed, data: IntakeInput, consent_file: str | None,
              scans: list[str]) -> Callable[[], intake.SavedIntake]:
    """What the runner runs (a write: the case, sheet, consent, hand-offs and 提供記録)."""

    def work() -> intake.SavedIntake:
        from kodoku_desk.services.attachments import AttachmentInput, read_file

        # Files are read here, off the GUI thread, and go straight into the encrypted db.
        if consent_file:
            item = read_file(consent_file)
            data.consent_attachment = AttachmentInput(item.filename, item.data, "consent")
        data.attachments = [read_file(p) for p in scans]
        return intake.save_intake(signed, data)

    return work


def saved_text(saved: intake.SavedIntake) -> str:
    sent = f"つなぎ {len(saved.handoff_ids)} 件を送付しました。" if saved.handoff_ids else ""
    flags = "（緊急対応）" if saved.urgent_path else ""
    flags += "（多機関協働の候補）" if saved.multi_agency else ""
    return f"保存しました。ケース番号 {saved.case_no}{flags}。{sent}"


def error_target(page: IntakePage, field: str, message: str) -> QWidget | None:
    """Show the message at the part of the page the error's field names; that part, or None."""
    head, _, index = field.partition("[")
    number = int(index.split("]")[0]) if index and index.split("]")[0].isdigit() else -1
    rows = page.handoffs.rows
    if head == "handoffs" and 0 <= number < len(rows):
        rows[number].show_error(message)
        return rows[number]
    if head == "household":
        household = page.household_editor()
        household.show_row_error(number, message)
        return household
    if head == "routing":
        page.routing.show_error(message)
        return page.routing.error
    if field == "attachment":
        page.attachments.show_error(message)
        return page.attachments.error
    if field.startswith("consent"):
        consent = page.consent_editor()
        consent.show_error(message)
        return consent
    editor = page.form.editor(ERROR_FIELD_TO_EDITOR.get(field, field))
    if editor is not None:
        editor.show_error(message)
        return editor
    return None
